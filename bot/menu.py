"""What each role can do from the chat: the menu keyboard, /help and the per-chat command list.

A feature registers its commands with `bot.app.add_command`; the menu shows only registered
commands, to the roles listed here, in the person's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import BotCommand, BotCommandScopeChat, ReplyKeyboardMarkup, Update
from telegram.ext import ExtBot

from bot import i18n
from bot.rules.org import ADMIN, CELL_ROLES, DEPUTY, SECRETARY, SUPERVISOR

if TYPE_CHECKING:
    from bot.context import ChiboContext

EVERYONE = frozenset({*CELL_ROLES, SUPERVISOR, ADMIN})
CELL = frozenset(CELL_ROLES)
REPORTERS = frozenset({SECRETARY, DEPUTY})
SUPERVISORS = frozenset({SUPERVISOR, ADMIN})


@dataclass(frozen=True)
class MenuItem:
    command: str
    roles: frozenset[str]


# In the order they appear on the keyboard (two a row) and in /help.
ITEMS = (
    MenuItem("report", REPORTERS),
    MenuItem("history", CELL),
    MenuItem("problem", CELL),
    MenuItem("myproblems", CELL),
    MenuItem("summary", SUPERVISORS),
    MenuItem("missing", SUPERVISORS),
    MenuItem("reports", SUPERVISORS),
    MenuItem("problems", SUPERVISORS),
    MenuItem("export", SUPERVISORS),
    MenuItem("invite", SUPERVISORS),
    MenuItem("connect", EVERYONE),
    MenuItem("language", EVERYONE),
    MenuItem("help", EVERYONE),
)


def commands_for(roles: Iterable[str], registered: Iterable[str]) -> list[str]:
    """The commands a holder of `roles` can use, among those the application registered."""
    held, available = set(roles), set(registered)
    return [i.command for i in ITEMS if i.command in available and held & i.roles]


def label(language: str, command: str) -> str:
    return i18n.t(language, f"menu.{command}")


def command_of_label(text: str) -> str | None:
    """Which command a menu button's text stands for, in any language."""
    for item in ITEMS:
        if any(text == label(lang, item.command) for lang in i18n.LANGUAGES):
            return item.command
    return None


def all_labels() -> list[str]:
    return [label(lang, item.command) for item in ITEMS for lang in i18n.LANGUAGES]


def keyboard(language: str, commands: list[str]) -> ReplyKeyboardMarkup:
    """Large buttons, two a row, always at hand."""
    buttons = [label(language, command) for command in commands]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def help_text(language: str, commands: list[str]) -> str:
    lines = [f"/{c} – {i18n.t(language, f'command.{c}')}" for c in commands]
    return i18n.t(language, "help.header") + "\n" + "\n".join(lines)


async def publish_chat_commands(
    bot: ExtBot, chat_id: int, language: str, commands: list[str]
) -> None:
    """The "/" menu of one person's chat: their own commands, in their language."""
    entries = [BotCommand(c, i18n.t(language, f"command.{c}")) for c in commands]
    await bot.set_my_commands(entries, scope=BotCommandScopeChat(chat_id))


async def show_menu(update: Update, context: ChiboContext, text: str) -> None:
    """Send `text` with the person's menu keyboard, and refresh their "/" command list."""
    commands = context.my_commands
    await update.effective_message.reply_text(text, reply_markup=keyboard(context.lang, commands))
    await publish_chat_commands(context.bot, update.effective_chat.id, context.lang, commands)

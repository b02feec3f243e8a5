"""Runs before every feature: strangers get one polite message and nothing else; group chats
take only the few commands meant for them, from supervisors."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.access import Action, scope
from bot.context import ChiboContext
from bot.handlers.start import typed_code
from bot.replies import answer
from storage.chats import ZALO

# Commands a supervisor may use inside a linked group chat; everything else is private.
GROUP_COMMANDS = frozenset({"link", "unlink", "summary", "missing", "help"})


async def gate(update: Update, context: ChiboContext) -> None:
    chat = update.effective_chat
    if chat is None or update.effective_user is None:
        raise ApplicationHandlerStop
    if chat.type == ChatType.PRIVATE:
        await _private(update, context)
    else:
        await _group(update, context)


async def _private(update: Update, context: ChiboContext) -> None:
    if context.identity.is_member or _command(update, context.bot.username) == "start":
        return
    message = update.effective_message
    if message is not None and message.text and typed_code(message.text):
        return  # joining by sending the code alone (on Zalo)
    if update.callback_query is not None:
        await answer(update.callback_query, context.t("start.stranger_short"), alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(context.t("start.stranger"))
    raise ApplicationHandlerStop


async def _group(update: Update, context: ChiboContext) -> None:
    if context.messenger == ZALO:
        raise ApplicationHandlerStop  # Zalo's groups cannot be linked yet: chatter, ignored
    if update.callback_query is not None:
        return  # group buttons check their own presser
    command = _command(update, context.bot.username)
    if command is None:
        raise ApplicationHandlerStop  # chatter, or a command for another bot: not ours
    if command not in GROUP_COMMANDS:
        await update.effective_message.reply_text(context.t("group.private_only"))
        raise ApplicationHandlerStop
    if not scope(context.identity.roles, Action.GROUP_LINK):
        await update.effective_message.reply_text(context.t("group.supervisors_only"))
        raise ApplicationHandlerStop


def _command(update: Update, bot_username: str) -> str | None:
    """The command name of a message addressed to this bot ("/link" or "/link@ChiboBot")."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    name, _, target = message.text.split()[0][1:].partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower()

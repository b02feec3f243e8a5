"""The command menu (`setMyCommands`), in Vietnamese by default and English for English clients."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import ExtBot

from bot import i18n

MENU = ("start", "help")


def menu(language: str, names: tuple[str, ...] = MENU) -> list[BotCommand]:
    return [BotCommand(name, i18n.t(language, f"command.{name}")) for name in names]


async def publish_menu(bot: ExtBot) -> None:
    await bot.set_my_commands(menu("vi"))
    await bot.set_my_commands(menu("en"), language_code="en")

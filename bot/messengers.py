"""The bots of the messengers one process serves (Telegram's, Zalo's or both): a message goes
by the bot of its chat's messenger (storage/chats.py tells it from the chat number). Zalo's
bot is a PTB bot too, whose requests bot/zalo/request.py turns into Zalo's calls."""

from __future__ import annotations

from typing import Any

from telegram import Bot

from storage.chats import MESSENGERS, TELEGRAM, messenger_of

BOTS = "bots"  # the key of the application's Bots in bot_data


class Bots:
    def __init__(self, **bots: Bot | None) -> None:
        unknown = set(bots) - set(MESSENGERS)
        if unknown:
            raise ValueError(f"unknown messengers: {sorted(unknown)}")
        self._bots = {name: bot for name, bot in bots.items() if bot is not None}

    @classmethod
    def of(cls, bot: Bot | Bots) -> Bots:
        """Bots as given, or one Telegram bot as Bots."""
        return bot if isinstance(bot, Bots) else cls(**{TELEGRAM: bot})

    def for_chat(self, chat_id: int) -> Bot | None:
        """The bot that writes to this chat here; None when its messenger is not served."""
        return self._bots.get(messenger_of(chat_id))

    def get(self, messenger: str) -> Bot | None:
        return self._bots.get(messenger)

    def add(self, messenger: str, bot: Bot) -> None:
        self._bots[messenger] = bot


def bots_of(bot_data: dict[str, Any]) -> Bots:
    return bot_data[BOTS]

"""One space of chat numbers for both messengers, and which of a person's chats to write to.

Telegram's chat ids are used as they are (people positive, groups negative, all far below
2**52). A Zalo chat (Zalo's ids are strings) gets a number from the `zalo_chats` table, at or
above `ZALO_BASE` (a Zalo group: its negative): so every layer above the adapter
(bot/zalo/request.py) deals in integer chat ids, and the number alone says the messenger.
"""

from __future__ import annotations

from typing import Protocol

TELEGRAM, ZALO = "telegram", "zalo"
MESSENGERS = (TELEGRAM, ZALO)
ZALO_BASE = 1 << 52


def messenger_of(chat_id: int) -> str:
    return ZALO if abs(chat_id) >= ZALO_BASE else TELEGRAM


def zalo_chat_id(row_id: int, *, group: bool = False) -> int:
    """The chat number of the `zalo_chats` row `row_id`."""
    return -(ZALO_BASE + row_id) if group else ZALO_BASE + row_id


def zalo_row_id(chat_id: int) -> int:
    return abs(chat_id) - ZALO_BASE


class Reachable(Protocol):
    telegram_id: int | None
    zalo_id: int | None
    reachable: bool
    zalo_reachable: bool
    messenger: str


def chats(person: Reachable) -> list[int]:
    """The person's private chats in the order to try them: the messenger they used last first,
    then the other; a chat that refused the bot last time after the ones that did not."""
    found = [
        (chat, ok, messenger == person.messenger)
        for messenger, chat, ok in (
            (TELEGRAM, person.telegram_id, person.reachable),
            (ZALO, person.zalo_id, person.zalo_reachable),
        )
        if chat is not None
    ]
    found.sort(key=lambda item: (not item[1], not item[2]))
    return [chat for chat, _, _ in found]


def chat_of(person: Reachable) -> int | None:
    """Where to write to the person now (None: they have no chat at all)."""
    found = chats(person)
    return found[0] if found else None


def reachable_anywhere(person: Reachable) -> bool:
    """Whether any of the person's chats has not refused the bot."""
    pairs = ((person.telegram_id, person.reachable), (person.zalo_id, person.zalo_reachable))
    return any(chat is not None and ok for chat, ok in pairs)

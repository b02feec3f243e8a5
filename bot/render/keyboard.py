"""Inline keyboards, built here only: rows of (label, button), a button being a payload
(bot.payloads, bot.buttons) or, for a message stored in the outbox, its packed text."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import Payload

Button = tuple[str, Payload | str]
Rows = Sequence[Sequence[Button]]


def data(button: Payload | str) -> str:
    return button.pack() if isinstance(button, Payload) else button


def stored(rows: Rows) -> list[list[tuple[str, str]]]:
    """Rows with their payloads packed, as the outbox keeps them (JSON)."""
    return [[(str(label), data(button)) for label, button in row] for row in rows]


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    """The keyboard of `rows` (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(str(label), callback_data=data(button)) for label, button in row]
            for row in rows
        ]
    )

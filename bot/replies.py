"""The one way to edit what the bot already sent, and to answer a press.

Telegram refuses an edit that changes nothing ("message is not modified": a double press, a
refresh to what is shown), an edit of a message that is gone or too old to edit, and an answer
to a press it no longer waits for. None of these is a failure the person should hear about: they
are logged at debug level and the update goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message
from telegram.error import BadRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

HARMLESS = (
    "message is not modified",
    "message to edit not found",
    "message can't be edited",
    "message to delete not found",
    "message can't be deleted",
    "query is too old",
    "query id is invalid",
)


async def quietly(call: Awaitable[T]) -> T | None:
    """Await a Bot API call; None instead of the harmless refusals above."""
    try:
        return await call
    except BadRequest as error:
        if not any(text in error.message.lower() for text in HARMLESS):
            raise
        log.debug("Ignored: %s", error.message)
        return None


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a press (at once: Telegram shows a spinner until then)."""
    await quietly(query.answer(text, show_alert=alert))


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show `text` (and `markup`) in the pressed message."""
    await quietly(query.edit_message_text(text, reply_markup=markup))


async def drop_buttons(message: MaybeInaccessibleMessage | None) -> None:
    """Take the buttons off a message whose question has been answered (one too old to reach
    is left as it is)."""
    if isinstance(message, Message) and message.reply_markup:
        await quietly(message.edit_reply_markup(None))

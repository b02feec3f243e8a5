"""The one way to send a message that nobody is waiting for (notifications, reminders).

Replies inside a conversation use PTB directly; a notification can meet a person who blocked the
bot, so it is marked unreachable (listed in summaries for a phone call) instead of failing loudly.
Flood limits are paced and `RetryAfter` retried by the application's AIORateLimiter.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from storage.db import Database
from storage.queries.people import set_reachable

log = logging.getLogger(__name__)


class Unreachable(Exception):
    """The chat cannot receive messages from the bot (blocked, deleted, never started)."""


async def send(bot: Bot, db: Database, chat_id: int, text: str, **kwargs: Any) -> Message:
    """Send `text`; raise Unreachable (after marking the person) when the chat refuses it."""
    return await _refusal_checked(db, chat_id, bot.send_message(chat_id, text, **kwargs))


async def send_photo(bot: Bot, db: Database, chat_id: int, photo: bytes, **kwargs: Any) -> Message:
    """`send`, for a picture (a summary's chart)."""
    return await _refusal_checked(db, chat_id, bot.send_photo(chat_id, photo, **kwargs))


async def _refusal_checked(db: Database, chat_id: int, sending: Awaitable[Message]) -> Message:
    try:
        return await sending
    except BadRequest as exc:
        if "chat not found" not in exc.message.lower():
            raise
        await _mark_unreachable(db, chat_id)
        raise Unreachable(str(chat_id)) from exc
    except Forbidden as exc:
        await _mark_unreachable(db, chat_id)
        raise Unreachable(str(chat_id)) from exc


async def send_quietly(
    bot: Bot, db: Database, chat_id: int, text: str, **kwargs: Any
) -> Message | None:
    """`send`, for notifications whose failure must not stop the caller's work: logs and goes on."""
    try:
        return await send(bot, db, chat_id, text, **kwargs)
    except Unreachable:
        log.info("Chat %s is unreachable; notification not delivered", chat_id)
    except TelegramError:
        log.warning("Notification to chat %s failed", chat_id, exc_info=True)
    return None


async def _mark_unreachable(db: Database, chat_id: int) -> None:
    if chat_id > 0:  # private chats are people; groups are handled by their links
        async with db.session() as session:
            await set_reachable(session=session, telegram_id=chat_id, reachable=False)

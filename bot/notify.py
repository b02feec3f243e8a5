"""The one way to send a message that nobody is waiting for (notifications, reminders).

Replies inside a conversation use PTB directly; a notification can meet a person who blocked the
bot, so it is marked unreachable (listed in summaries for a phone call) instead of failing loudly.

Pacing. Telegram takes about 30 messages a second into different chats. Notifications go out
one per 1/30 s (`PACES`, one per messenger), never in a burst: a reminder fan-out of a whole
province holds at most 30 in any second. Replies to a person who is waiting are not held to
that pace; the application's AIORateLimiter (PTB's bucket of 30 a second) caps everything, and
retries a `RetryAfter`.

Two messengers. A message to a person's chat that refuses it (blocked, never started) marks
them unreachable there and goes to their other chat, on the other messenger, if they have one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.messengers import Bots
from storage.chats import MESSENGERS, chats, messenger_of
from storage.db import Database
from storage.queries.people import person_by_chat, set_reachable

log = logging.getLogger(__name__)


MESSAGES_PER_SECOND = 30


class Pace:
    """At most `count` messages in any `period` seconds, spread evenly: one every period/count.

    Telegram counts when messages reach it, a few milliseconds after we send them, and a timer
    that wakes late makes the next gap short; so besides the even spacing, the message after
    `count` others waits until the first of them is `period` plus `margin` old. Concurrent
    senders (the scheduled drain, a supervisor's nudge) share one budget without a lock:
    nothing is awaited between the check and taking the slot."""

    def __init__(self, count: int, period: float = 1.0, margin: float = 0.02) -> None:
        self.interval, self.window = period / count, period + margin
        self._went: deque[float] = deque(maxlen=count)
        self._next = 0.0

    async def wait(self) -> None:
        while (delay := self._due() - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        now = time.monotonic()
        # Due times stay evenly spaced while a late wake-up is made up (at most half a gap).
        self._next = max(self._next + self.interval, now + self.interval / 2)
        self._went.append(now)

    def _due(self) -> float:
        full = len(self._went) == self._went.maxlen
        return max(self._next, self._went[0] + self.window if full else 0.0)


# Telegram's budget is the bot's: one per process. Zalo does not publish its limits: the same.
PACES = {messenger: Pace(MESSAGES_PER_SECOND) for messenger in MESSENGERS}


class Unreachable(Exception):
    """The chat cannot receive messages from the bot (blocked, deleted, never started)."""


Sending = Callable[[Bot, int], Awaitable[Message]]


async def send(bots: Bots, db: Database, chat_id: int, text: str, **kwargs: Any) -> Message:
    """Send `text`; a person's chat that refuses it is marked unreachable and their other chat
    (the other messenger) is tried; Unreachable when no chat of theirs takes it."""
    return await _to_person(
        bots, db, chat_id, lambda bot, chat: bot.send_message(chat, text, **kwargs)
    )


async def send_photo(
    bots: Bots, db: Database, chat_id: int, photo: bytes, **kwargs: Any
) -> Message:
    """`send`, for a picture (a summary's chart)."""
    return await _to_person(
        bots, db, chat_id, lambda bot, chat: bot.send_photo(chat, photo, **kwargs)
    )


async def _to_person(bots: Bots, db: Database, chat_id: int, sending: Sending) -> Message:
    tried = [chat_id]
    while True:
        chat = tried[-1]
        try:
            return await _to_chat(bots, db, chat, sending)
        except Unreachable:
            other = await _other_chat(bots, db, chat, tried)
            if other is None:
                raise
            tried.append(other)


async def _to_chat(bots: Bots, db: Database, chat_id: int, sending: Sending) -> Message:
    bot = bots.for_chat(chat_id)
    if bot is None:  # its messenger is not served by this process: not the person's fault
        raise Unreachable(str(chat_id))
    await PACES[messenger_of(chat_id)].wait()
    try:
        return await sending(bot, chat_id)
    except BadRequest as exc:
        if "chat not found" not in exc.message.lower():
            raise
        await _mark_unreachable(db, chat_id)
        raise Unreachable(str(chat_id)) from exc
    except Forbidden as exc:
        await _mark_unreachable(db, chat_id)
        raise Unreachable(str(chat_id)) from exc


async def _other_chat(bots: Bots, db: Database, chat_id: int, tried: list[int]) -> int | None:
    """The person's next chat to try after `chat_id` refused (a group has none)."""
    if chat_id < 0:
        return None
    async with db.session() as session:
        person = await person_by_chat(session=session, chat_id=chat_id)
    if person is None:
        return None
    left = [c for c in chats(person) if c not in tried and bots.for_chat(c) is not None]
    return left[0] if left else None


async def send_quietly(
    bots: Bots, db: Database, chat_id: int, text: str, **kwargs: Any
) -> Message | None:
    """`send`, for notifications whose failure must not stop the caller's work: logs and goes on."""
    try:
        return await send(bots, db, chat_id, text, **kwargs)
    except Unreachable:
        log.info("Chat %s is unreachable; notification not delivered", chat_id)
    except TelegramError:
        log.warning("Notification to chat %s failed", chat_id, exc_info=True)
    return None


async def _mark_unreachable(db: Database, chat_id: int) -> None:
    if chat_id > 0:  # private chats are people; groups are handled by their links
        async with db.session() as session:
            await set_reachable(session=session, chat_id=chat_id, reachable=False)

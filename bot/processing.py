"""How updates are processed: different chats at once, each chat's updates one by one, in order;
and how processing stops without losing or repeating an update.

PTB's default handles one update at a time, so one slow database query for one person stalls
everybody else. Its `concurrent_updates=True` would also run one person's two quick taps at
once, and out of order (both taken as the answer to the same step). `PerChatUpdateProcessor`
runs updates of different chats concurrently and the updates of one chat in the order they came.

Order: PTB starts a task per update in the order the updates arrive, and each task waits first
on the processor's semaphore, then on its chat's lock; both wake their waiters first come, first
served. On SQLite, concurrent writers queue on the database's busy timeout (storage.db).

Stopping (`PerChatUpdateProcessor.stop`, on SIGINT/SIGTERM): no update is taken any more, and
those received are handled within a bounded wait (`STOP_GRACE`); the ones received but not yet
begun are few, because the next batch is taken from Telegram only when fewer than
`MAX_WAITING` wait (`wait_for_room`, used by bot.polling). What was handled is every update below
`resume_offset()`: Telegram is told to forget those (getUpdates' offset confirms every update
below it), the others come again on the next start, and none comes twice. Only when the wait runs
out are the updates still being handled cancelled (their transaction rolls back) and those not
begun refused; an update handled after the first cancelled one would then come again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# About the database pool's connections (SQLAlchemy's default 5 + 10 overflow): more updates at
# once would only wait for a connection, holding memory and taking CPU from the others.
MAX_CONCURRENT_UPDATES = 16
# Received updates that may wait to begin before the next ones are taken from Telegram: at a
# stop, they are handled (or, if the wait runs out, left for the next start).
MAX_WAITING = MAX_CONCURRENT_UPDATES
# How long a stop waits for the updates being handled (then cancels them).
STOP_GRACE = 10.0


@dataclass
class _Lane:
    """The updates of one chat: the one being handled holds the lock, the others wait on it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    updates: int = 0  # handled or waiting; the lane is dropped when none is left


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # What each update runs in (storage.db.Database.one_connection: its transactions share
        # one connection); set by bot.app.
        self.scope: Callable[[], AbstractAsyncContextManager[Any]] = contextlib.nullcontext
        self._lanes: dict[int | None, _Lane] = {}
        self._unhandled: set[int] = set()  # ids received (`expect`) and not handled yet
        self._handling: dict[int, asyncio.Task[Any]] = {}  # id -> the task handling it
        self._last_received = -1
        self._stopping = False  # no update is taken any more
        self._refusing = False  # the stop's wait ran out: what has not begun is not handled
        self._changed = asyncio.Event()  # set when an update begins or ends

    @property
    def stopping(self) -> bool:
        return self._stopping

    def expect(self, update: object) -> None:
        """`update` was received from Telegram: it counts as unhandled until it is handled."""
        if isinstance(update, Update):
            self._unhandled.add(update.update_id)
            self._last_received = max(self._last_received, update.update_id)

    async def wait_for_room(self) -> None:
        """Return once fewer than MAX_WAITING received updates wait to begin; never once the
        processor is stopping (the caller is cancelled then)."""
        while self._stopping or len(self._unhandled) - len(self._handling) >= MAX_WAITING:
            self._changed.clear()
            await self._changed.wait()

    async def wait_handled(self) -> None:
        """Return once every update received has been handled (Zalo's polling asks for the
        next event only then: an event it gave is never given again)."""
        while self._unhandled:
            self._changed.clear()
            await self._changed.wait()

    def resume_offset(self) -> int | None:
        """The first update id not handled: every update below it was (None: none received)."""
        if self._unhandled:
            return min(self._unhandled)
        return self._last_received + 1 if self._last_received >= 0 else None

    def refused(self, update: Update) -> bool:
        """Whether `update` was received and, the processor stopping, not handled."""
        return self._stopping and update.update_id in self._unhandled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._refusing:
            _discard(coroutine)
            return
        key = chat_key(update)
        lane = self._lanes.setdefault(key, _Lane())
        lane.updates += 1
        try:
            async with lane.lock:
                if self._refusing:  # the stop's wait ran out while it waited for its turn
                    _discard(coroutine)
                    return
                await self._handle(update, coroutine)
        finally:
            lane.updates -= 1
            if not lane.updates:
                del self._lanes[key]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        update_id = update.update_id
        task = asyncio.current_task()
        if task is not None:
            self._handling[update_id] = task
        self._changed.set()
        try:
            async with self.scope():
                await coroutine
        except asyncio.CancelledError:
            raise  # cancelled by a stop: not handled, it comes again
        except BaseException:
            self._unhandled.discard(update_id)  # handled: the error handler has seen it
            raise
        else:
            self._unhandled.discard(update_id)
        finally:
            self._handling.pop(update_id, None)
            self._changed.set()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Take no more updates; wait up to `grace` seconds for those received to be handled,
        then cancel any still being handled and refuse the others (see the module doc)."""
        self._stopping = True
        self._changed.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while self._unhandled and (left := deadline - loop.time()) > 0:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        if not self._unhandled:
            return
        log.warning(
            "Stopping: %d update(s) not handled within %.0f s; they will come again",
            len(self._unhandled),
            grace,
        )
        self._refusing = True
        tasks = list(self._handling.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _discard(coroutine: Awaitable[Any]) -> None:
    """An update not handled: close its coroutine (never awaited, so Python would warn)."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()


def chat_key(update: object) -> int | None:
    """The chat whose updates must stay in order: the update's chat, else its user (a private
    chat has the user's id), else None (one shared lane for anything else)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None

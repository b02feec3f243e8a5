"""How updates are processed: different chats at once, each chat's updates one by one, in order.

PTB's default handles one update at a time, so one slow database query for one person stalls
everybody else. Its `concurrent_updates=True` would also run one person's two quick taps at
once, and out of order (both taken as the answer to the same step). `PerChatUpdateProcessor`
runs updates of different chats concurrently and the updates of one chat in the order they came.

Order: PTB starts a task per update in the order the updates arrive, and each task waits first
on the processor's semaphore, then on its chat's lock; both wake their waiters first come, first
served. On SQLite, concurrent writers queue on the database's busy timeout (storage.db).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# About the database pool's connections (SQLAlchemy's default 5 + 10 overflow): more updates at
# once would only wait for a connection, holding memory and taking CPU from the others.
MAX_CONCURRENT_UPDATES = 16


@dataclass
class _Lane:
    """The updates of one chat: the one being handled holds the lock, the others wait on it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    updates: int = 0  # handled or waiting; the lane is dropped when none is left


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._lanes: dict[int | None, _Lane] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        lane = self._lanes.setdefault(key, _Lane())
        lane.updates += 1
        try:
            async with lane.lock:
                await coroutine
        finally:
            lane.updates -= 1
            if not lane.updates:
                del self._lanes[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


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

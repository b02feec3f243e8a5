"""Long polling that stops gracefully: what was handled is confirmed to Telegram, nothing more.

getUpdates confirms, with its offset, every update below it; PTB's Updater asks again as soon as
it has queued a batch (so a batch is confirmed long before it is handled), and on stop asks once
more to confirm everything it fetched, while `run_polling` then handles what is left in the
queue without a time limit. Here:

- the next batch is asked for only once few updates wait to begin (`ReceivedQueue`), so that
  few updates are confirmed and not handled at any time;
- on SIGINT/SIGTERM the processor takes no more updates and handles those received within a
  bounded wait (bot.processing, "Stopping"); then the Updater stops, confirming only the updates
  below the first one not handled (`HeldOffsetUpdater`): the others come again on the next start;
- the application stops, then post_stop, shutdown and post_shutdown run as with `run_polling`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.ext import Updater

from bot import loop
from bot.context import ChiboApplication
from bot.processing import STOP_GRACE, PerChatUpdateProcessor

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates waits for an update (PTB's run_polling default)


class ReceivedQueue(asyncio.Queue[object]):
    """The application's update queue. The Updater puts each update it fetched (and asks for the
    next batch only once it has put them all): a put waits until there is room (see
    `PerChatUpdateProcessor.wait_for_room`) and tells the processor of the update."""

    def __init__(self, processor: PerChatUpdateProcessor) -> None:
        super().__init__()
        self.processor = processor

    async def put(self, item: object) -> None:
        if isinstance(item, Update):  # not the application's own stop signal
            await self.processor.wait_for_room()
        self.put_nowait(item)

    def put_nowait(self, item: object) -> None:
        self.processor.expect(item)
        super().put_nowait(item)


class HeldOffsetUpdater(Updater):
    """PTB's Updater, whose getUpdates offset can be held with `hold(offset)`.

    The Updater asks each getUpdates with `offset=self._last_update_id`, sets it past each batch
    it queued, and on stop calls getUpdates once more with it, which confirms every update below
    it. Held, the offset stays at the first update not handled."""

    __slots__ = ("_fetched", "_held")

    def __init__(self, bot: Any, update_queue: asyncio.Queue[object]) -> None:
        self._fetched = 0
        self._held: int | None = None
        super().__init__(bot=bot, update_queue=update_queue)

    @property
    def _last_update_id(self) -> int:
        return self._fetched if self._held is None else self._held

    @_last_update_id.setter
    def _last_update_id(self, value: int) -> None:
        self._fetched = value

    def hold(self, first_unhandled: int | None) -> None:
        """Confirm nothing from `first_unhandled` on (None: nothing more)."""
        self._held = self._fetched if first_unhandled is None else first_unhandled


def install(application: ChiboApplication) -> None:
    """Give a freshly built application the HeldOffsetUpdater (ApplicationBuilder takes a
    custom Updater only with a ready-made bot, and then none of its bot settings)."""
    application.updater = HeldOffsetUpdater(application.bot, application.update_queue)


def run_polling(applications: list[ChiboApplication], grace: float = STOP_GRACE) -> None:
    """Poll (each messenger's application, in one process) until SIGINT/SIGTERM, then stop as
    the module doc says."""
    loop.run(_poll(applications, grace))


async def _poll(applications: list[ChiboApplication], grace: float) -> None:
    stop = loop.stop_requested()
    async with contextlib.AsyncExitStack() as stack:
        for application in applications:
            await stack.enter_async_context(application)  # initialize; shutdown at the end
            if application.post_init:
                await application.post_init(application)
            await _updater(application).start_polling(
                timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES
            )
            await application.start()
            stack.push_async_callback(_after_stop, application)  # (callbacks run last first)
            stack.push_async_callback(_stop, application)
        await stop.wait()
        log.info("Stopping: finishing the updates being handled")
        await asyncio.gather(*(_finish(application, grace) for application in applications))
    for application in applications:
        if application.post_shutdown:
            await application.post_shutdown(application)


def _updater(application: ChiboApplication) -> HeldOffsetUpdater:
    updater = application.updater
    assert isinstance(updater, HeldOffsetUpdater)
    return updater


async def _finish(application: ChiboApplication, grace: float) -> None:
    """Handle what was received (bounded), and confirm only that to the messenger."""
    processor = application.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    await processor.stop(grace)
    _updater(application).hold(processor.resume_offset())


async def _stop(application: ChiboApplication) -> None:
    await _updater(application).stop()
    await application.stop()


async def _after_stop(application: ChiboApplication) -> None:
    if application.post_stop:
        await application.post_stop(application)

"""The notifications' pace (bot.notify.Pace): Telegram's "about 30 a second", never a burst."""

from __future__ import annotations

import asyncio
import itertools
import time

from bot.notify import Pace


async def _times(pace: Pace, senders: int, each: int) -> list[float]:
    went: list[float] = []

    async def sender() -> None:
        for _ in range(each):
            await pace.wait()
            went.append(time.monotonic())

    await asyncio.gather(*(sender() for _ in range(senders)))
    return went


async def test_concurrent_senders_share_one_budget_and_never_burst() -> None:
    pace = Pace(5, period=0.2, margin=0.02)  # 5 in any 0.22 s, one every 0.04 s

    went = await _times(pace, senders=3, each=4)

    assert len(went) == 12
    # Each sender notes its time a few microseconds after the pace took it; on uvloop (bot.loop)
    # the pace wakes to the microsecond, so that jitter shows: 1 ms, well inside the 20 ms margin.
    jitter = 0.001
    assert all(later - first >= 0.22 - jitter for first, later in zip(went, went[5:], strict=False))
    assert all(b - a >= 0.02 - jitter for a, b in itertools.pairwise(went))  # half a gap at least


async def test_a_pace_left_idle_lets_the_next_message_go_at_once() -> None:
    pace = Pace(5, period=0.2)
    await pace.wait()
    await asyncio.sleep(0.3)

    started = time.monotonic()
    await pace.wait()

    assert time.monotonic() - started < 0.05

"""Scheduled jobs, by name: the scheduler runs them on time, `chibo jobs run NAME` by hand.

A job is `async def job(settings: Settings, at: datetime) -> None`, `at` being the aware moment
it runs for (so that a run can be replayed for another time). Register it here: JOBS["name"] = job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.config import Settings

Job = Callable[[Settings, datetime], Awaitable[None]]

JOBS: dict[str, Job] = {}

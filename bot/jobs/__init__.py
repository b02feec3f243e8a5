"""Scheduled jobs, by name: the scheduler runs them on time, `chibo jobs run NAME` by hand.

`JOBS[name]` is `async def job(settings, at, period=None)`, `at` being the aware moment it runs
for (so that a run can be replayed for another time): it builds the bot as `chibo run` does
(same API base URL, same rate limiter) and runs `runner(name)`, the job itself, which acts
through a JobEnv (settings, database, bot, outbox sender).

Jobs are registered from the settings every time the bot starts (no pickled job store): each
runs daily at its hour, and the outbox is drained every DRAIN_SECONDS (rows left by a crash, or
put off by Telegram). Of several bot processes on one database only the holder of the jobs'
lease runs them (bot/jobs/leader.py); a process that becomes the holder, shortly after its start
or when it takes over from a dead one, runs every job once to catch up (a step missed while
nobody led, within CATCH_UP_HOURS). Whether a run sends anything is decided by the rules
(rules.figures) and the outbox keys, so a second process or a double run sends nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.config import Settings
from bot.context import ChiboApplication, ChiboContext
from bot.jobs.base import JobEnv, JobResult
from bot.jobs.leader import Leadership
from bot.messengers import bots_of
from bot.rules.figures import Calendar, next_daily, next_reminder_step, summary_at
from bot.rules.periods import Period
from storage.models import utcnow

log = logging.getLogger(__name__)

Runner = Callable[[JobEnv, datetime, Period | None], Awaitable[JobResult]]
NAMES = ("reminders", "digest", "summary", "escalation")
START_DELAY = timedelta(seconds=5)  # the first bid for the lease (and catch-up), once up
DRAIN_SECONDS = 60  # the outbox is drained this often (rows left by a crash, or put off)


def runner(name: str) -> Runner:
    """The job itself. Imported when needed: the summary draws charts, and matplotlib is too
    slow to import for every `chibo` command."""
    from bot.jobs import digest, escalation, reminders, summary

    return {
        "reminders": reminders.run,
        "digest": digest.run,
        "summary": summary.run,
        "escalation": escalation.run,
    }[name]


def job_hour(name: str, settings: Settings) -> int:
    return settings.reminder_hour if name == "reminders" else settings.summary_hour


def schedule(application: ChiboApplication) -> None:
    """Register every job on the application's JobQueue (call before it starts)."""
    queue = application.job_queue
    settings: Settings = application.bot_data["settings"]
    window = Calendar.from_settings(settings).window
    leadership = Leadership(
        application.bot_data["db"], timedelta(seconds=settings.job_lease_seconds)
    )
    application.bot_data["leadership"] = leadership
    for name in NAMES:
        queue.run_daily(
            _scheduled(name),
            time(job_hour(name, settings), tzinfo=settings.tz),
            name=name,
            job_kwargs={"misfire_grace_time": int(window.total_seconds()), "coalesce": True},
        )
    queue.run_repeating(_drain, DRAIN_SECONDS, first=DRAIN_SECONDS, name="deliveries")
    queue.run_repeating(_lead, leadership.renew_every, first=START_DELAY, name="lease")
    _release_on_stop(application, leadership)


def _release_on_stop(application: ChiboApplication, leadership: Leadership) -> None:
    """A clean stop gives the lease up: another process takes over at its next bid."""
    before = application.post_stop

    async def post_stop(app: ChiboApplication) -> None:
        await leadership.release()
        if before is not None:
            await before(app)

    application.post_stop = post_stop


async def _lead(context: ChiboContext) -> None:
    """Bid for (or renew) the lease; on becoming the leader, catch every job up once."""
    if await context.bot_data["leadership"].renew():
        for name in NAMES:
            context.job_queue.run_once(
                _scheduled(name),
                0,
                name=f"{name}:catch-up",
                job_kwargs={"misfire_grace_time": None},
            )


def _leading(context: ChiboContext) -> bool:
    return context.bot_data["leadership"].held()


def env_of(application: ChiboApplication) -> JobEnv:
    data = application.bot_data
    return JobEnv(data["settings"], data["db"], bots_of(data))


def _scheduled(name: str) -> Callable[[Any], Coroutine[Any, Any, None]]:  # (ChiboContext)
    async def callback(context: ChiboContext) -> None:
        if not _leading(context):
            return
        result = await runner(name)(env_of(context.application), utcnow(), None)
        log.info("%s", result.line())

    return callback


async def _drain(context: ChiboContext) -> None:
    if not _leading(context):
        return
    outcomes = await env_of(context.application).sender.drain()
    if outcomes:
        log.info("deliveries: %s", dict(outcomes))


async def run_job(
    name: str, settings: Settings, at: datetime, period: Period | None = None
) -> JobResult:
    """Run one job now, as if at `at`, with the bots built as `chibo run` builds them (same API
    base URLs, same rate limiter, every messenger with a token) and the same outbox: running it
    twice sends nothing new."""
    from bot.app import build_applications  # the jobs are part of the app; import it late

    applications = build_applications(settings)
    if not applications:
        raise RuntimeError("a job sends messages: set TELEGRAM_BOT_TOKEN and/or ZALO_BOT_TOKEN")
    try:
        async with contextlib.AsyncExitStack() as stack:
            for application in applications:
                await stack.enter_async_context(application)
            return await runner(name)(env_of(applications[0]), at, period)
    finally:
        await applications[0].bot_data["db"].dispose()


Job = Callable[..., Coroutine[Any, Any, JobResult]]  # (settings, at, period=None)


def _job(name: str, summary: str) -> Job:
    async def job(settings: Settings, at: datetime, period: Period | None = None) -> JobResult:
        return await run_job(name, settings, at, period)

    job.__name__, job.__doc__ = name, summary
    return job


JOBS: dict[str, Job] = {
    "reminders": _job("reminders", "Remind the cells that have not reported (each step once)."),
    "digest": _job("digest", "Weekly progress of the reporting window, to each committee."),
    "summary": _job("summary", "The monthly summary and chart, the day after the deadline."),
    "escalation": _job("escalation", "Overdue problems up the tree; new problems of the last day."),
}


@dataclass(frozen=True)
class NextRun:
    name: str
    at: datetime  # when the job fires next
    what: str  # what it will (or may) send then, for `chibo jobs list`


def _local(instant: datetime, cal: Calendar) -> str:
    return instant.astimezone(cal.tz).strftime("%Y-%m-%d %H:%M")


def next_runs(settings: Settings, now: datetime) -> list[NextRun]:
    cal = Calendar.from_settings(settings)
    period, step, step_at = next_reminder_step(now, cal)
    current = Period.of(cal.local_date(now))
    summaries = [summary_at(p, cal) for p in (current.previous(), current)]
    next_summary = min(s for s in summaries if s > now)
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[settings.digest_weekday]
    return [
        NextRun(
            "reminders",
            next_daily(now, settings.reminder_hour, cal),
            f"next step: {_local(step_at, cal)} ({period}, day {step:+d} from the deadline)",
        ),
        NextRun(
            "digest",
            next_daily(now, settings.summary_hour, cal),
            f"sends on {weekday}s during a reporting window",
        ),
        NextRun(
            "summary",
            next_daily(now, settings.summary_hour, cal),
            f"next monthly summary: {_local(next_summary, cal)}",
        ),
        NextRun(
            "escalation",
            next_daily(now, settings.summary_hour, cal),
            "overdue problems, and new problems of the last day",
        ),
    ]

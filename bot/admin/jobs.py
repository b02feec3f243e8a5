"""`chibo jobs list` and `chibo jobs run NAME [--at ISO-DATETIME]`: the scheduled jobs, by hand."""

from __future__ import annotations

import argparse
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import loop
from bot.admin import OK, UsageError, command, group
from bot.config import Settings
from bot.jobs import JOBS, next_runs
from bot.rules.periods import Period


def parse_at(text: str, tz: ZoneInfo) -> datetime:
    """An ISO date-time ("2025-10-06T08:00", "2025-10-06 08:00+07:00"); without a zone, local
    time in `tz`. ValueError with a message for the administrator otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date-time: write e.g. 2025-10-06T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def known_jobs() -> str:
    return ", ".join(sorted(JOBS)) or "(none yet)"


def register(commands: argparse._SubParsersAction) -> None:
    actions = group(commands, "jobs", "Scheduled jobs: list them, or run one now.")
    command(actions, "list", "List the scheduled jobs.", cmd_list)
    run = command(actions, "run", "Run one scheduled job now.", cmd_run)
    run.add_argument("name", metavar="NAME", help="the job's name (see `chibo jobs list`)")
    run.add_argument(
        "--at",
        metavar="ISO-DATETIME",
        help="run as if it were this moment (local time unless a zone is given); default now",
    )
    run.add_argument("--period", metavar="YYYY-MM", help="the month to act on (monthly jobs)")


def cmd_list(settings: Settings, _args: argparse.Namespace) -> int:
    if not JOBS:
        print("No jobs are registered yet.")
    upcoming = {run.name: run for run in next_runs(settings, datetime.now(settings.tz))}
    for name, job in sorted(JOBS.items()):
        summary = (job.__doc__ or "").strip().splitlines()
        print(f"{name}  {summary[0] if summary else ''}".rstrip())
        if name in upcoming:
            run = upcoming[name]
            print(f"    next run {run.at.strftime('%Y-%m-%d %H:%M %Z')}; {run.what}")
    return OK


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    job = JOBS.get(args.name)
    if job is None:
        raise UsageError(f"Unknown job {args.name!r}; known jobs: {known_jobs()}.")
    try:
        at = parse_at(args.at, settings.tz) if args.at else datetime.now(settings.tz)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    period = None
    if args.period:
        try:
            period = Period.parse(args.period)
        except ValueError:
            raise UsageError(f"--period: {args.period!r} is not a month (YYYY-MM).") from None
    result = loop.run(job(settings, at, period) if period else job(settings, at))
    print(f"Job {args.name} done (as of {at.isoformat(timespec='minutes')}).")
    if result is not None:
        print(result.line())
    return OK

"""The `chibo` command line. Exit codes: 0 done, 1 failed, 2 bad usage or input."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from datetime import datetime

from telegram import Update

from bot.config import Settings, SettingsError, load_settings
from bot.logs import setup_logging
from storage import migrate
from storage.db import safe_url

OK, FAILED, BAD_INPUT = 0, 1, 2

log = logging.getLogger("chibo")


class UsageError(Exception):
    """Bad input from the administrator: printed as one line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return BAD_INPUT
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    setup_logging(settings.log_level, secrets=_secrets(settings))
    try:
        return args.handler(settings, args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        return OK
    except Exception as exc:  # the last guard: one line, no traceback, no secret
        log.debug("Command failed", exc_info=True)
        message = f"{type(exc).__name__}: {exc}"
        for secret in _secrets(settings):
            message = message.replace(secret, "***")
        print(f"Error: {message}", file=sys.stderr)
        return FAILED


def _secrets(settings: Settings) -> list[str]:
    from sqlalchemy.engine import make_url

    password = make_url(settings.database_url).password
    webhook = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    return [s for s in (settings.token(), password or "", webhook) if s]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chibo", description="Chibo: party cell reporting bot.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = _command(commands, "run", "Run the bot (long polling, or a webhook server).", cmd_run)
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")

    db = commands.add_parser("db", help="Database schema.").add_subparsers(metavar="ACTION")
    _command(db, "upgrade", "Create or upgrade the database schema.", cmd_db_upgrade)

    jobs = commands.add_parser("jobs", help="Scheduled jobs.").add_subparsers(metavar="ACTION")
    job = _command(jobs, "run", "Run a job now (what it sent once, it never sends again).", cmd_job)
    job.add_argument("name", choices=("reminders", "digest", "summary", "escalation"))
    job.add_argument("--at", help="act as if at this instant (ISO, e.g. 2025-07-02T08:00+07:00)")
    job.add_argument("--period", help="the month to act on (YYYY-MM)")
    _command(jobs, "list", "Show when each job runs next.", cmd_jobs_list)
    return parser


def _command(
    group: argparse._SubParsersAction,
    name: str,
    summary: str,
    handler: Callable[[Settings, argparse.Namespace], int],
) -> argparse.ArgumentParser:
    command = group.add_parser(name, help=summary, description=summary)
    command.set_defaults(handler=handler)
    return command


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print(f"Database schema is up to date ({safe_url(settings.database_url)}).")
    return OK


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token():
        print(
            "TELEGRAM_BOT_TOKEN is not set: put TELEGRAM_BOT_TOKEN=<token from @BotFather> "
            "in the environment or in .env, then run again.",
            file=sys.stderr,
        )
        return BAD_INPUT
    if args.webhook and not (settings.webhook_url and settings.webhook_secret):
        raise UsageError("--webhook needs WEBHOOK_URL and WEBHOOK_SECRET to be set.")
    # The schema is upgraded on start, so that `chibo run` alone is a working install.
    migrate.upgrade(settings.database_url)

    from bot import webhook
    from bot.app import build_application
    from bot.jobs import schedule

    application = build_application(settings)
    schedule(application)  # from the settings, every start: no job store to restore
    log.info("Chibo starting (database %s)", safe_url(settings.database_url))
    if args.webhook:
        asyncio.run(webhook.serve(application, settings))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return OK


def cmd_job(settings: Settings, args: argparse.Namespace) -> int:
    from bot.jobs import run_job
    from bot.rules.periods import Period

    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise UsageError(f"--at {args.at!r} is not an ISO date and time.") from None
        at = at if at.tzinfo else at.replace(tzinfo=settings.tz)
    period = None
    if args.period:
        try:
            period = Period.parse(args.period)
        except ValueError:
            raise UsageError(f"--period {args.period!r} is not a month (YYYY-MM).") from None
    if period and args.name == "escalation":
        raise UsageError("--period does not apply to escalation (problems are not monthly).")
    migrate.upgrade(settings.database_url)
    result = asyncio.run(run_job(args.name, settings, at, period))
    print(result.line())
    return OK


def cmd_jobs_list(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.jobs import next_runs

    now = datetime.now(settings.tz)
    for run in next_runs(settings, now):
        at = run.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M %Z")
        print(f"{run.name:<11} next run {at}  {run.what}")
    return OK

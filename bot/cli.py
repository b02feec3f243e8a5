"""The `chibo` command line. Exit codes: 0 done, 1 failed, 2 bad usage or input."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.admin import (
    BAD_INPUT,
    FAILED,
    OK,
    SchemaError,
    UsageError,
    command,
    demo,
    group,
    invites,
    jobs,
    people,
    tree,
    units_csv,
)
from bot.config import Settings, SettingsError, load_settings
from bot.logs import setup_logging
from storage.db import safe_url

__all__ = ["BAD_INPUT", "FAILED", "OK", "UsageError", "build_parser", "main"]

log = logging.getLogger("chibo")


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
    except SchemaError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        return OK
    except BrokenPipeError:  # `chibo units tree --all | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
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
    return [*settings.secrets(), *([password] if password else [])]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chibo", description="Chibo: party cell reporting bot.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = command(commands, "run", "Run the bot (long polling, or a webhook server).", cmd_run)
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")

    db = group(commands, "db", "Database schema.")
    command(db, "upgrade", "Create or upgrade the database schema.", cmd_db_upgrade)
    revision = command(
        db,
        "revision",
        "Write the next migration from what the models changed (docs/SCHEMA.md).",
        cmd_db_revision,
    )
    revision.add_argument("-m", "--message", required=True, help="what the migration does")
    revision.add_argument(
        "--empty", action="store_true", help="an empty migration, to write by hand (data)"
    )

    units = group(commands, "units", "The organisation tree: import it from CSV, show it.")
    units_csv.register(units)
    tree.register(units)
    invites.register(commands)
    people.register(commands)
    demo.register(commands)
    jobs.register(commands)
    return parser


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from storage import migrate  # Alembic takes half a second to import: only when needed

    migrate.upgrade(settings.database_url)
    print(f"Database schema is up to date ({safe_url(settings.database_url)}).")
    return OK


def cmd_db_revision(settings: Settings, args: argparse.Namespace) -> int:
    from storage import migrate

    if not args.empty and not migrate.is_up_to_date(settings.database_url):
        raise SchemaError(
            "The database is not at the latest migration: run `chibo db upgrade` first, so that "
            "the new migration holds only what the models changed."
        )
    path = migrate.revision(settings.database_url, args.message, empty=args.empty)
    if path is None:
        print("The models and the database agree: no migration written.")
        return OK
    print(f"Wrote {path}: read it, then `chibo db upgrade` (docs/SCHEMA.md).")
    return OK


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not (settings.token() or settings.zalo_token()):
        print(
            "No bot token is set: put TELEGRAM_BOT_TOKEN=<token from @BotFather> and/or "
            "ZALO_BOT_TOKEN=<token from Zalo Bot Creator> in the environment or in .env, "
            "then run again.",
            file=sys.stderr,
        )
        return BAD_INPUT
    if args.webhook:
        _check_webhook(settings)
    # The schema is upgraded on start, so that `chibo run` alone is a working install.
    from storage import migrate

    migrate.upgrade(settings.database_url)

    from bot import loop, polling, webhook
    from bot.app import build_applications
    from bot.jobs import schedule

    applications = build_applications(settings)
    schedule(applications[0])  # from the settings, every start: no job store to restore
    served = ", ".join(app.bot_data["messenger"] for app in applications)
    log.info("Chibo starting for %s (database %s)", served, safe_url(settings.database_url))
    if args.webhook:
        loop.run(webhook.serve(applications, settings))
    else:
        polling.run_polling(applications)  # stops gracefully on SIGINT/SIGTERM
    return OK


def _check_webhook(settings: Settings) -> None:
    if settings.token() and not (settings.webhook_url and settings.webhook_secret):
        raise UsageError("--webhook needs WEBHOOK_URL and WEBHOOK_SECRET to be set.")
    if settings.zalo_token() and not (settings.public_base_url and settings.zalo_webhook_secret):
        raise UsageError("--webhook needs PUBLIC_BASE_URL and ZALO_WEBHOOK_SECRET for Zalo.")

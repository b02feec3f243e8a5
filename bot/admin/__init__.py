"""The administrator's commands (`chibo units ...`, `chibo invite ...`, ...), one module per area.

Each module registers its subcommands with `register(commands)`; a command handler takes
(settings, args) and returns the exit code. Checks of the administrator's input are plain
functions in the same module, tested without a database.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from storage.db import Database
from storage.models import Unit
from storage.queries.units import unit_by_code

OK, FAILED, BAD_INPUT = 0, 1, 2

T = TypeVar("T")
Handler = Callable[[Settings, argparse.Namespace], int]


class UsageError(Exception):
    """Bad input from the administrator: printed as one line, exit code 2."""


class SchemaError(Exception):
    """The database has no schema, or an old one: printed as one line, exit code 1."""


def command(
    group: argparse._SubParsersAction, name: str, summary: str, handler: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    """A subcommand whose `--help` shows `summary`; `handler(settings, args)` runs it."""
    parser = group.add_parser(name, help=summary, description=summary, **kwargs)
    parser.set_defaults(handler=handler)
    return parser


def group(
    commands: argparse._SubParsersAction, name: str, summary: str
) -> argparse._SubParsersAction:
    """A command with actions (`chibo units import`); alone, it prints its own help."""
    parser = commands.add_parser(name, help=summary, description=summary)
    parser.set_defaults(handler=lambda _settings, _args: _usage(parser))
    return parser.add_subparsers(title="actions", metavar="ACTION")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return BAD_INPUT


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work(db)` on the configured database. A database error caused by a missing or old
    schema becomes a SchemaError that says what to do (checked only then: it costs a second)."""

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except (OperationalError, ProgrammingError):
        alembic = logging.getLogger("alembic")
        level, alembic.level = alembic.level, logging.WARNING  # the check itself is no news
        try:
            from storage import migrate

            up_to_date = migrate.is_up_to_date(settings.database_url)
        finally:
            alembic.setLevel(level)
        if not up_to_date:
            raise SchemaError(
                "The database schema is missing or out of date: run `chibo db upgrade` first."
            ) from None
        raise


async def named_unit(*, session: AsyncSession, code: str | None) -> Unit | None:
    """The unit the administrator named (None when they named none); UsageError if unknown."""
    if code is None:
        return None
    unit = await unit_by_code(session=session, code=code)
    if unit is None:
        raise UsageError(f"Unknown unit code {code!r} (see `chibo units tree`).")
    return unit


def cli_actor() -> str:
    """Who acts, for the audit log: the operating-system account running the command."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"

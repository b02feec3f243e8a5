"""`chibo invite create`: one-time invite links for a role on a unit, shown once."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.access import can_invite
from bot.admin import OK, UsageError, cli_actor, command, group, named_unit, with_database
from bot.config import Settings
from bot.rules.org import ADMIN, CELL, CELL_ROLES, ROLES, SUPERVISOR
from bot.usecases.invites import PLACEHOLDER, deep_link, issue_invites
from storage.db import Database
from storage.models import utcnow
from storage.queries.units import unit_by_id

MAX_COUNT = 500
MAX_EXPIRY = timedelta(days=365)
_EXPIRY = re.compile(r"^\s*(\d+)\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_expiry(text: str) -> timedelta:
    """The duration in "7d", "12h" or "30m"; ValueError with a message for the administrator."""
    match = _EXPIRY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration: write e.g. 7d, 12h or 30m")
    duration = timedelta(**{_UNITS[match[2].lower()]: int(match[1])})
    if duration <= timedelta(0):
        raise ValueError("the duration must be more than zero")
    if duration > MAX_EXPIRY:
        raise ValueError(f"at most {MAX_EXPIRY.days}d: an invite link should not linger")
    return duration


def role_problem(role: str, kind: str) -> str | None:
    """Why `role` cannot be held on a unit of `kind`, or None when it can (bot.access decides,
    for an administrator: the command line acts as one)."""
    unit = _Unit(kind=kind)
    if can_invite([(_Grant(ADMIN), unit)], unit, role):
        return None
    if role in CELL_ROLES:
        return f"the role {role} belongs on a cell (chi bộ), and this unit is a {kind}"
    if role == SUPERVISOR and kind == CELL:
        return "a supervisor sits on a committee above cells, not on a cell"
    return f"the role {role} cannot be held on a {kind}"


@dataclass
class _Unit:
    kind: str
    id: int | None = 0
    path: str = "0/"


@dataclass
class _Grant:
    role: str


async def bot_username(settings: Settings) -> str:
    """The bot's username from getMe (through TELEGRAM_API_BASE_URL when set, like the bot)."""
    from telegram import Bot  # imported here: most commands never talk to Telegram

    kwargs: dict[str, Any] = (
        {"base_url": settings.telegram_api_base_url} if settings.telegram_api_base_url else {}
    )
    async with Bot(settings.token(), **kwargs) as bot:
        return bot.username


def register(commands: argparse._SubParsersAction) -> None:
    parser = command(
        group(commands, "invite", "Invite links for people to join the bot with a role."),
        "create",
        "Create one-time invite links for a role on a unit (each link is shown only once).",
        cmd_create,
        epilog=(
            "secretary, deputy and village_head go on cells; supervisor on committees above "
            "them; admin anywhere. Only a hash of each code is stored."
        ),
    )
    parser.add_argument("--unit", required=True, metavar="CODE", help="the unit's code")
    parser.add_argument("--role", required=True, choices=ROLES, help="the role to give")
    parser.add_argument(
        "--expires",
        default=timedelta(days=7),
        type=_expiry,
        metavar="DURATION",
        help="how long the links work: 7d, 12h, 30m (default 7d)",
    )
    parser.add_argument("--count", type=_count, default=1, metavar="N", help="how many links")


def _expiry(text: str) -> timedelta:
    try:
        return parse_expiry(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_COUNT}")
    return int(text)


def cmd_create(settings: Settings, args: argparse.Namespace) -> int:
    from telegram.error import TelegramError

    username, warning = PLACEHOLDER, ""
    if not settings.token():
        warning = "" if settings.zalo_token() else "TELEGRAM_BOT_TOKEN is not set"
    else:
        try:
            username = asyncio.run(bot_username(settings))
        except (TelegramError, OSError) as exc:
            warning = f"getMe failed ({type(exc).__name__}: {exc})".replace(settings.token(), "***")

    now = utcnow()
    expires_at = now + args.expires

    async def work(db: Database) -> tuple[list[str], str]:
        async with db.session() as session:
            unit = await named_unit(session=session, code=args.unit)
            if problem := role_problem(args.role, unit.kind):
                raise UsageError(f"Cannot invite a {args.role} to {unit.code}: {problem}.")
            today = now.astimezone(settings.tz).date()
            if unit.valid_to is not None and unit.valid_to < today:
                successor = unit.successor_id and await unit_by_id(
                    session=session, unit_id=unit.successor_id
                )
                instead = f" ({successor.code})" if successor else ""
                raise UsageError(
                    f"{unit.code} ({unit.name}) ended on {unit.valid_to.isoformat()}: "
                    f"invite people to the unit that succeeded it{instead}."
                )
            codes = await issue_invites(
                session=session,
                unit=unit,
                role=args.role,
                expires_at=expires_at,
                actor=cli_actor(),
                count=args.count,
            )
            return codes, f"{unit.code} ({unit.name})"

    codes, unit_text = with_database(settings, work)
    local_expiry = expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(
        f"{len(codes)} invite link(s) for {args.role} of {unit_text}, "
        f"valid until {local_expiry} ({settings.timezone}). Each works once:"
    )
    for code in codes:
        print(f"{deep_link(username, code)}    code: {code}")
    print("On Telegram the person opens the link; on Zalo they send the code to the bot.")
    if warning:
        print(
            f"Warning: {warning}; replace {PLACEHOLDER} with the bot's username "
            "(or the person sends /start CODE to the bot).",
            file=sys.stderr,
        )
    print("These codes are shown only now: only their hashes are stored.")
    return OK

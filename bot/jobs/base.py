"""What every job gets (settings, database, bot, the sender) and gives back (what happened)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Bot

from bot.config import Settings
from bot.messengers import Bots
from bot.outbox import Sender
from bot.rules.figures import Calendar
from storage.db import Database
from storage.models import Unit, utcnow
from storage.queries import deliveries as outbox
from storage.queries.audience import Chat, committee_chats, supervising_units
from storage.queries.deliveries import Outgoing, recorded_keys


@dataclass
class JobEnv:
    """A job's world. `clock` is the real time (the outbox's leases and stamps); a job also gets
    the instant it acts as (`at`), which `chibo jobs run --at` may set in the past."""

    settings: Settings
    db: Database
    bot: Bot | Bots  # one Telegram bot, or the bots of every messenger served
    clock: Callable[[], datetime] = utcnow
    lease: timedelta = outbox.LEASE

    def __post_init__(self) -> None:
        self.cal = Calendar.from_settings(self.settings)
        self.sender = Sender(Bots.of(self.bot), self.db, clock=self.clock, lease=self.lease)

    def language(self, chat: Chat) -> str:
        """A person's chosen language; groups read the default one."""
        return chat.language or self.settings.default_language


@dataclass
class JobResult:
    job: str
    recorded: int = 0  # rows new in the outbox
    outcomes: Counter[str] = field(default_factory=Counter)  # how the rows sent now ended
    note: str = ""  # why nothing was due, for the command line

    def line(self) -> str:
        done = ", ".join(f"{count} {status}" for status, count in sorted(self.outcomes.items()))
        text = f"{self.job}: {self.recorded} new messages recorded; sent now: {done or 'none'}"
        return f"{text} ({self.note})" if self.note else text


async def record(env: JobEnv, result: JobResult, items: Iterable[Outgoing]) -> None:
    """Record messages in the outbox (keys already there are skipped)."""
    async with env.db.session() as session:
        result.recorded += len(await outbox.record(session=session, items=items, now=env.clock()))


async def send(env: JobEnv, result: JobResult) -> None:
    """Send whatever is pending: all a job recorded before its first send, so that a crash
    mid-way leaves rows to send, not messages to forget."""
    result.outcomes += await env.sender.drain()


async def committees(env: JobEnv) -> list[tuple[Unit, list[Chat]]]:
    """Every supervising unit with the chats its messages go to."""
    async with env.db.session() as session:
        units = await supervising_units(session=session)
        chats = await committee_chats(session=session, unit_ids=[u.id for u in units])
    return [(unit, chats[unit.id]) for unit in units if unit.id in chats]


async def all_recorded(env: JobEnv, chats: Sequence[Chat], kinds: Sequence[str], ref: str) -> bool:
    keys = [chat.outgoing(kind, ref, {}).key for chat in chats for kind in kinds]
    async with env.db.session() as session:
        return len(await recorded_keys(session=session, keys=keys)) == len(keys)


def expiry(env: JobEnv, step_at: datetime, at: datetime) -> str:
    """When a message of a step stops being worth sending: the end of the step's catch-up
    window, counted on the real clock (a job run `--at` a past instant keeps the same margin)."""
    return (env.clock() + (step_at + env.cal.window - at)).isoformat()

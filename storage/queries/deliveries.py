"""The outbox: every scheduled message is a row under a unique key before it is sent.

The key is (person, kind, ref) for a message to a person, e.g. (the secretary, "reminder",
"93:2025-06:-3"), whichever messenger it goes by (the one they use when it is sent, then their
other one if that refuses it); (chat_id, kind, ref) for a group's. Recording a key that exists
does nothing, so a job that runs twice, a restart or a second bot process records nothing new
and sends nothing new, and a person on both messengers gets each message once.

A row's life: pending → (claimed) → sent | failed | unreachable | cancelled | expired.

Claims are leases. A sender claims one pending row at a time (a conditional UPDATE that only one
process can win: the row must still be pending and unclaimed or its lease over), commits, sends,
then settles the row. A sender that dies between its claim and its send leaves a pending row whose
lease runs out; any sender then claims it again and sends it: no gap, only a delay of at most the
lease. The one window left for a duplicate is a sender dying after Telegram accepted the message
and before the row was settled (milliseconds, at most one message per dead sender), or a single
send outlasting the lease, or a network time-out whose message did arrive: Telegram has no
idempotency key, so these cannot be closed; everything else is exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, tuple_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import insert
from storage.models import Delivery
from storage.queries.people import set_reachable

PENDING, SENT, FAILED, UNREACHABLE = "pending", "sent", "failed", "unreachable"
CANCELLED, EXPIRED = "cancelled", "expired"  # no longer wanted (report arrived) / too late
SETTLED = (SENT, FAILED, UNREACHABLE, CANCELLED, EXPIRED)

# Long enough for one send with the rate limiter's RetryAfter waits; a crashed sender's row waits
# this long before another sender takes it over.
LEASE = timedelta(minutes=5)
_CHUNK = 500  # rows per INSERT: well under SQLite's and asyncpg's bind-parameter limits


@dataclass(frozen=True)
class Outgoing:
    """A message to record: its key and what to send (see bot/outbox.py for payloads). A
    person's (`person_id`) is keyed by the person; `chat_id` is then their chat at recording."""

    chat_id: int
    kind: str
    ref: str
    payload: dict[str, Any]
    person_id: int | None = None

    @property
    def key(self) -> Key:
        return (
            ("p", self.person_id) if self.person_id else ("c", self.chat_id),
            self.kind,
            self.ref,
        )


# ("p", person id) or ("c", chat id), kind, ref
Key = tuple[tuple[str, int], str, str]


async def record(*, session: AsyncSession, items: Iterable[Outgoing], now: datetime) -> list[int]:
    """Record each message unless its key exists already; returns the ids of the new rows."""
    items = list(items)
    new: list[int] = []
    for start in range(0, len(items), _CHUNK):
        rows = [
            {
                "chat_id": item.chat_id,
                "person_id": item.person_id,
                "kind": item.kind,
                "ref": item.ref,
                "payload": item.payload,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for item in items[start : start + _CHUNK]
        ]
        statement = (
            insert(session, Delivery)
            .values(rows)
            .on_conflict_do_nothing()  # either key: the person's or the chat's
            .returning(col(Delivery.id))
        )
        new.extend(row[0] for row in (await session.exec(statement)).all())
    return new


async def recorded_keys(*, session: AsyncSession, keys: Sequence[Key]) -> set[Key]:
    """Which of these keys (Outgoing.key) are recorded already (to skip rendering them)."""
    found: set[Key] = set()
    for tag, column in (("p", Delivery.person_id), ("c", Delivery.chat_id)):
        wanted = [(who, kind, ref) for (t, who), kind, ref in keys if t == tag]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            result = await session.exec(
                select(column, Delivery.kind, Delivery.ref).where(
                    tuple_(col(column), col(Delivery.kind), col(Delivery.ref)).in_(chunk)
                )
            )
            found.update(((tag, row[0] or 0), row[1], row[2]) for row in result.all())
    return found


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(Delivery.status) == PENDING,
        or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) <= now),
    )


async def claim_next(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta = LEASE,
    only: Sequence[int] | None = None,
) -> Delivery | None:
    """Take the oldest claimable row (of `only`, if given) for `lease`, or None. Commit the
    claim before sending.

    Safe between processes: the UPDATE repeats the claimable condition, so of two senders that
    saw the same row only one changes it (on PostgreSQL the second waits for the first's commit,
    then no longer matches; SQLite runs one writer at a time).
    """
    skip: list[int] = []
    for _ in range(10):  # another sender may win a candidate; try the next one
        query = select(Delivery.id).where(_claimable(now)).order_by(col(Delivery.id)).limit(1)
        if skip:
            query = query.where(col(Delivery.id).not_in(skip))
        if only is not None:
            query = query.where(col(Delivery.id).in_(only))
        delivery_id = (await session.exec(query)).first()
        if delivery_id is None:
            return None
        result = await session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, _claimable(now))
            .values(claimed_until=now + lease, attempts=col(Delivery.attempts) + 1)
        )
        if result.rowcount == 1:
            return await session.get(Delivery, delivery_id, populate_existing=True)
        skip.append(delivery_id)
    return None


async def settle(
    *,
    session: AsyncSession,
    delivery_id: int,
    status: str,
    now: datetime,
    message_id: int | None = None,
    chat_id: int | None = None,
    error: str | None = None,
) -> None:
    """Close a row for good; its payload is dropped (meeting data does not linger in the outbox).
    A sent row records the chat it went to (`chat_id`), which is reachable again."""
    values: dict[str, Any] = {
        "status": status,
        "claimed_until": None,
        "payload": None,
        "error": error[:255] if error else None,
    }
    if status == SENT:
        values |= {"sent_at": now, "message_id": message_id}
        if chat_id is not None:
            values["chat_id"] = chat_id
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == PENDING)
        .values(**values)
    )
    if status == SENT and chat_id is not None and chat_id > 0:
        await set_reachable(session=session, chat_id=chat_id, reachable=True)


async def retry_later(
    *, session: AsyncSession, delivery_id: int, until: datetime, error: str
) -> None:
    """Leave a row pending but untouchable until `until` (RetryAfter, a network failure)."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == PENDING)
        .values(claimed_until=until, error=error[:255])
    )


async def counts_by_status(
    *, session: AsyncSession, kinds: Sequence[str] | None = None
) -> dict[str, int]:
    query = select(Delivery.status, func.count()).group_by(col(Delivery.status))
    if kinds:
        query = query.where(col(Delivery.kind).in_(kinds))
    return {status: count for status, count in (await session.exec(query)).all()}


async def deliveries(
    *, session: AsyncSession, kind: str | None = None, ref_prefix: str | None = None
) -> list[Delivery]:
    """Rows by kind and ref prefix, oldest first (for tests and the command line)."""
    query = select(Delivery).order_by(col(Delivery.id))
    if kind:
        query = query.where(Delivery.kind == kind)
    if ref_prefix:
        query = query.where(col(Delivery.ref).startswith(ref_prefix, autoescape=True))
    return list((await session.exec(query)).all())

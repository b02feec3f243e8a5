"""Named leases: one process at a time holds a name (the scheduled jobs' leader) until it expires.

A holder takes or keeps a lease with one conditional UPDATE (the row is its own, or expired) and,
when there is no row yet, an INSERT that does nothing on conflict: of two processes racing, one
changes the row and the other changes nothing (PostgreSQL makes the second UPDATE wait for the
first's commit and then re-checks the condition; SQLite runs one writer at a time). The holder
renews well before `expires_at`; a holder that dies (kill -9, a lost machine) simply stops
renewing, and the lease goes to whoever asks once it has expired. Times are the callers' clocks
(UTC): processes on several machines need them in step (NTP), far closer than a lease's length.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, delete, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import insert
from storage.models import Lease


async def acquire(
    *, session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease `name` for `holder` until now + ttl; False when another holder's
    lease is still running. Commit before acting on it."""
    expires_at = now + ttl
    renewed = await session.exec(
        update(Lease)
        .where(
            col(Lease.name) == name,
            or_(col(Lease.holder) == holder, col(Lease.expires_at) <= now),
        )
        .values(holder=holder, expires_at=expires_at)
    )
    if renewed.rowcount == 1:
        return True
    created = await session.exec(
        insert(session, Lease)
        .values(name=name, holder=holder, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return created.rowcount == 1


async def release(*, session: AsyncSession, name: str, holder: str) -> bool:
    """Give the lease up (a clean stop), so that another process need not wait for it to expire;
    False when `holder` did not hold it."""
    result = await session.exec(
        delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder)
    )
    return result.rowcount == 1


async def lease(*, session: AsyncSession, name: str) -> Lease | None:
    """The lease row as it stands (expired or not), for the command line and tests."""
    return (await session.exec(select(Lease).where(Lease.name == name))).first()

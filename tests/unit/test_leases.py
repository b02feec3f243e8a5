"""The jobs' lease on both backends: one holder at a time, renewed, taken over once expired."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.queries import leases

NAME = "jobs"
TTL = timedelta(seconds=60)
T0 = datetime(2025, 7, 2, 1, 0, tzinfo=UTC)


async def take(db: Database, holder: str, now: datetime, ttl: timedelta = TTL) -> bool:
    async with db.session() as session:
        return await leases.acquire(session=session, name=NAME, holder=holder, now=now, ttl=ttl)


async def holder(db: Database) -> tuple[str, datetime] | None:
    async with db.session() as session:
        row = await leases.lease(session=session, name=NAME)
    return (row.holder, row.expires_at) if row else None


async def test_the_first_asker_gets_the_lease_and_others_are_refused(db: Database) -> None:
    assert await take(db, "a", T0)
    assert not await take(db, "b", T0 + timedelta(seconds=1))
    assert not await take(db, "b", T0 + TTL - timedelta(microseconds=1))
    assert await holder(db) == ("a", T0 + TTL)


async def test_the_holder_renews_its_own_lease(db: Database) -> None:
    assert await take(db, "a", T0)
    assert await take(db, "a", T0 + timedelta(seconds=20))
    assert await holder(db) == ("a", T0 + timedelta(seconds=80))
    # Renewed, it outlives the first term: b is still refused after T0 + TTL.
    assert not await take(db, "b", T0 + TTL + timedelta(seconds=1))


async def test_an_expired_lease_goes_to_the_next_asker(db: Database) -> None:
    assert await take(db, "a", T0)
    assert await take(db, "b", T0 + TTL)  # a stopped renewing (killed)
    assert await holder(db) == ("b", T0 + 2 * TTL)
    assert not await take(db, "a", T0 + TTL + timedelta(seconds=1))  # a is back: too late


async def test_release_hands_over_at_once_but_only_by_the_holder(db: Database) -> None:
    assert await take(db, "a", T0)
    async with db.session() as session:
        assert not await leases.release(session=session, name=NAME, holder="b")
    assert await holder(db) is not None
    async with db.session() as session:
        assert await leases.release(session=session, name=NAME, holder="a")
    assert await holder(db) is None
    assert await take(db, "b", T0 + timedelta(seconds=1))


async def test_two_processes_racing_for_a_free_or_expired_lease_get_one_winner(
    db: Database,
) -> None:
    """Separate engines (as separate processes), asking at once, several rounds."""
    others = [Database(db.url) for _ in range(3)]
    engines = [db, *others]
    try:
        for round_ in range(5):
            now = T0 + round_ * (TTL + timedelta(seconds=1))  # the last round's lease expired
            won = await asyncio.gather(
                *(take(engine, f"p{i}", now) for i, engine in enumerate(engines))
            )
            assert sum(won) == 1, won
            winner = f"p{won.index(True)}"
            assert (await holder(db))[0] == winner
    finally:
        for other in others:
            await other.dispose()

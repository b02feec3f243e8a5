"""storage.db.Database.one_connection: an update's transactions take turns on one connection,
each still committed on its own; a transaction begun inside another, or beside it, gets its own
connection as before. And storage.sqlite: SQLite statements answer as the driver's own did."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage.db import Database
from storage.models import Person


def checkouts(db: Database) -> list[object]:
    seen: list[object] = []
    event.listen(db.engine.sync_engine.pool, "checkout", lambda dbapi, *_: seen.append(dbapi))
    return seen


async def test_the_transactions_of_an_update_share_a_connection(db: Database) -> None:
    seen = checkouts(db)
    async with db.one_connection():
        async with db.connection() as connection:
            await connection.execute(text("SELECT 1"))
        async with db.session() as session:
            session.add(Person(telegram_id=801, full_name="An"))
        async with db.session() as session:
            found = (await session.exec(select(Person).where(Person.telegram_id == 801))).one()
            assert found.full_name == "An"
    assert len(seen) == 1
    async with db.session() as session:  # committed, seen from another connection
        assert (await session.exec(select(Person).where(Person.telegram_id == 801))).one()


async def test_each_transaction_commits_or_rolls_back_on_its_own(db: Database) -> None:
    async with db.one_connection():
        async with db.session() as session:
            session.add(Person(telegram_id=802, full_name="Bình"))
        with pytest.raises(IntegrityError):
            async with db.session() as session:
                session.add(Person(telegram_id=802, full_name="twice"))
        async with db.session() as session:
            names = (await session.exec(select(Person.full_name))).all()
    assert names == ["Bình"]


async def test_a_transaction_inside_another_gets_its_own_connection(db: Database) -> None:
    seen = checkouts(db)
    async with db.one_connection():
        async with db.session() as outer:
            outer.add(Person(telegram_id=803, full_name="Chi"))
            async with db.session() as inner:  # commits on its own, as without the block
                inner.add(Person(telegram_id=804, full_name="Dũng"))

        async def beside(telegram_id: int) -> None:
            async with db.session() as session:
                session.add(Person(telegram_id=telegram_id, full_name="x"))
                await session.flush()
                await asyncio.sleep(0.01)

        await asyncio.gather(beside(805), beside(806))
    assert len(seen) >= 3
    async with db.session() as session:
        count = len((await session.exec(select(Person))).all())
    assert count == 4


async def test_a_task_that_outlives_the_update_does_not_reuse_its_connection(
    db: Database,
) -> None:
    async with db.one_connection():
        async with db.connection() as connection:
            await connection.execute(text("SELECT 1"))
        later = asyncio.get_running_loop().create_future()

        async def after() -> None:
            await later
            async with db.session() as session:
                session.add(Person(telegram_id=807, full_name="Em"))

        task = asyncio.create_task(after())
    later.set_result(None)
    await task
    async with db.session() as session:
        assert (await session.exec(select(Person).where(Person.telegram_id == 807))).one()


async def test_statements_answer_rows_counts_and_ids(db: Database) -> None:
    async with db.connection() as connection:
        inserted = await connection.execute(
            text(
                "INSERT INTO people (telegram_id, full_name, reachable, active, private_copies,"
                " created_at) VALUES (901, 'A', true, true, true, CURRENT_TIMESTAMP)"
            )
        )
        assert inserted.rowcount == 1
        updated = await connection.execute(
            text("UPDATE people SET full_name = 'B' WHERE telegram_id IN (901, 902)")
        )
        assert updated.rowcount == 1
        rows = (await connection.execute(text("SELECT telegram_id, full_name FROM people"))).all()
        assert [tuple(row) for row in rows] == [(901, "B")]
        nothing = await connection.execute(text("SELECT 1 WHERE 1 = 0"))
        assert nothing.all() == []


@pytest.mark.postgresql_only
async def test_a_connection_idle_long_is_pinged_and_a_dead_one_replaced(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a pooled connection is pinged only after PING_IDLE seconds of idleness (not
    before each update), and one whose server side died meanwhile is replaced, not handed out."""
    pings: list[object] = []
    dialect = db.engine.sync_engine.dialect
    real_ping = dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    async with db.connection() as connection:  # a fresh connection: not pinged
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with db.connection() as connection:  # back just now: not pinged
        assert (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one() == pid
    assert pings == []

    other = Database(db.url)
    try:
        async with other.connection() as connection:  # the server drops the pooled one
            await connection.execute(text(f"SELECT pg_terminate_backend({pid})"))
    finally:
        await other.dispose()
    monkeypatch.setattr("storage.db.PING_IDLE", 0.0)
    await asyncio.sleep(0.01)
    async with db.connection() as connection:  # idle "long": pinged, found dead, replaced
        fresh = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    assert len(pings) == 1 and fresh != pid

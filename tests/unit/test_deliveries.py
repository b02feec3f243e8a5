"""The outbox on SQLite and PostgreSQL: a key is recorded once, a row is claimed by one sender at
a time, a crashed sender's row comes back after its lease, settled rows never go again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.chats import ZALO_BASE
from storage.db import Database
from storage.models import Delivery, Person
from storage.queries import deliveries as outbox
from storage.queries.deliveries import Outgoing

NOW = datetime(2025, 7, 2, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def item(chat_id: int, ref: str = "93:2025-06:-3", kind: str = "reminder") -> Outgoing:
    return Outgoing(chat_id, kind, ref, {"text": f"hello {chat_id}", "buttons": []})


async def record(db: Database, *items: Outgoing) -> list[int]:
    async with db.session() as session:
        return await outbox.record(session=session, items=items, now=NOW)


async def claim(db: Database, now: datetime = NOW, **kwargs) -> Delivery | None:
    async with db.session() as session:
        return await outbox.claim_next(session=session, now=now, lease=LEASE, **kwargs)


async def settle(db: Database, row: Delivery, status: str = outbox.SENT) -> None:
    async with db.session() as session:
        await outbox.settle(
            session=session,
            delivery_id=row.id,
            status=status,
            now=NOW,
            message_id=7,
            chat_id=row.chat_id,
        )


async def test_a_key_is_recorded_once(db: Database) -> None:
    first = await record(db, item(1), item(2))
    again = await record(db, item(1), item(2), item(3))
    assert len(first) == 2 and len(again) == 1
    async with db.session() as session:
        assert await outbox.counts_by_status(session=session) == {"pending": 3}
        keys = [item(1).key, item(4).key]
        assert await outbox.recorded_keys(session=session, keys=keys) == {keys[0]}


async def test_a_persons_message_is_recorded_once_whatever_their_messenger(db: Database) -> None:
    async with db.session() as session:
        person = Person(telegram_id=1, zalo_id=ZALO_BASE + 1, full_name="Lan")
        session.add(person)
        await session.flush()
        person_id = person.id
    by_telegram = Outgoing(1, "reminder", "93:2025-06:-3", {"text": "x"}, person_id)
    by_zalo = Outgoing(ZALO_BASE + 1, "reminder", "93:2025-06:-3", {"text": "x"}, person_id)
    assert len(await record(db, by_telegram)) == 1
    assert await record(db, by_zalo) == []  # the same person, the same message: not again
    async with db.session() as session:
        found = await outbox.recorded_keys(session=session, keys=[by_zalo.key, item(7).key])
        assert found == {by_zalo.key}


async def test_a_big_fan_out_is_recorded_in_chunks(db: Database) -> None:
    ids = await record(db, *(item(chat) for chat in range(1, 1202)))
    assert len(ids) == 1201 and len(await record(db, *(item(c) for c in range(1, 1202)))) == 0


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(db: Database) -> None:
    await record(db, item(1), item(2))
    first = await claim(db)
    second = await claim(db)
    assert {first.chat_id, second.chat_id} == {1, 2}
    assert await claim(db) is None  # both taken
    assert await claim(db, NOW + LEASE - timedelta(seconds=1)) is None
    back = await claim(db, NOW + LEASE)  # its sender died: another one takes it
    assert back.id == first.id and back.attempts == 2


async def test_a_settled_row_never_goes_again_and_forgets_its_payload(db: Database) -> None:
    await record(db, item(1))
    row = await claim(db)
    await settle(db, row)
    assert await claim(db, NOW + 10 * LEASE) is None
    assert len(await record(db, item(1))) == 0
    async with db.session() as session:
        stored = await session.get(Delivery, row.id)
    assert (stored.status, stored.payload, stored.message_id) == ("sent", None, 7)
    assert stored.sent_at == NOW and stored.claimed_until is None


async def test_settling_twice_keeps_the_first_outcome(db: Database) -> None:
    await record(db, item(1))
    row = await claim(db)
    await settle(db, row, outbox.SENT)
    await settle(db, row, outbox.FAILED)  # a late sender whose lease had run out
    async with db.session() as session:
        assert (await session.get(Delivery, row.id)).status == "sent"


async def test_a_row_put_off_comes_back_at_the_time_given(db: Database) -> None:
    await record(db, item(1))
    row = await claim(db)
    async with db.session() as session:
        await outbox.retry_later(
            session=session, delivery_id=row.id, until=NOW + timedelta(seconds=30), error="429"
        )
    assert await claim(db, NOW + timedelta(seconds=29)) is None
    assert (await claim(db, NOW + timedelta(seconds=30))).id == row.id


async def test_only_the_rows_asked_for(db: Database) -> None:
    ids = await record(db, item(1), item(2), item(3))
    row = await claim(db, only=[ids[2]])
    assert row.chat_id == 3
    assert await claim(db, only=[ids[2]]) is None


async def test_a_message_reaching_a_person_makes_them_reachable_again(db: Database) -> None:
    async with db.session() as session:
        session.add(Person(telegram_id=1, full_name="An", reachable=False))
    await record(db, item(1))
    await settle(db, await claim(db))
    async with db.session() as session:
        person = (await session.exec(Person.__table__.select())).one()
    assert person.reachable


async def test_two_senders_at_once_never_take_the_same_row(db: Database) -> None:
    """Two processes (two engines on one database) claim concurrently: each row once."""
    await record(db, *(item(chat) for chat in range(1, 21)))
    other = Database(db.url)
    try:

        async def sender(database: Database) -> list[int]:
            taken = []
            while (row := await claim(database)) is not None:
                taken.append(row.id)
            return taken

        first, second = await asyncio.gather(sender(db), sender(other))
    finally:
        await other.dispose()
    assert sorted(first + second) == sorted(set(first + second))
    assert len(first + second) == 20

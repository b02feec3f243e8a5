"""The tables on both backends: UTC times, unique keys, JSON defaults, foreign keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

from storage.db import Database
from storage.models import (
    Delivery,
    Draft,
    Invite,
    MeetingReport,
    Person,
    Problem,
    ReportRevision,
    RoleAssignment,
    Unit,
)

HANOI = timezone(timedelta(hours=7))


async def add(db: Database, *rows: object) -> None:
    async with db.session() as session:
        session.add_all(rows)


async def make_unit(db: Database, code: str = "C1", kind: str = "cell") -> Unit:
    unit = Unit(code=code, name=f"Unit {code}", kind=kind)
    async with db.session() as session:
        session.add(unit)
        await session.flush()
        unit.path = f"{unit.id}/"
    return unit


async def make_person(db: Database, telegram_id: int = 1001) -> Person:
    person = Person(telegram_id=telegram_id, full_name=f"Person {telegram_id}")
    await add(db, person)
    return person


# --- UtcDateTime ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        datetime(2025, 3, 5, 16, 59, 59, 123456, tzinfo=UTC),
        datetime(2025, 3, 5, 23, 59, 59, tzinfo=HANOI),  # 16:59:59 UTC
        datetime(2024, 12, 31, 23, 30, tzinfo=UTC),  # a year boundary
    ],
    ids=["utc", "hanoi", "new-year"],
)
async def test_utc_datetime_round_trips_as_aware_utc(db: Database, written: datetime) -> None:
    unit = await make_unit(db)
    invite = Invite(code_hash="h" * 64, unit_id=unit.id, role="secretary", expires_at=written)
    await add(db, invite)

    async with db.session() as session:
        read = (await session.exec(select(Invite))).one().expires_at
    assert read == written
    assert read.tzinfo is not None and read.utcoffset() == timedelta(0)
    assert read.astimezone(HANOI) == written


async def test_utc_datetime_compares_in_sql(db: Database) -> None:
    """Comparisons in SQL see the same instants, whatever zone the bound value has."""
    unit = await make_unit(db)
    base = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
    await add(
        db,
        *(
            Invite(
                code_hash=str(i) * 64,
                unit_id=unit.id,
                role="deputy",
                expires_at=base + timedelta(hours=i),
            )
            for i in range(3)
        ),
    )
    async with db.session() as session:
        later = (
            await session.exec(
                select(Invite).where(Invite.expires_at > datetime(2025, 3, 5, 19, 30, tzinfo=HANOI))
            )
        ).all()
    assert [i.expires_at for i in later] == [base + timedelta(hours=1), base + timedelta(hours=2)]


async def test_utc_datetime_rejects_naive(db: Database) -> None:
    unit = await make_unit(db)
    naive = datetime(2025, 3, 5, 12, 0)
    with pytest.raises(StatementError, match="naive datetime") as caught:
        await add(db, Invite(code_hash="n" * 64, unit_id=unit.id, role="x", expires_at=naive))
    assert isinstance(caught.value.orig, ValueError)
    async with db.session() as session:
        assert (await session.exec(select(Invite))).all() == []


async def test_default_times_are_aware_utc(db: Database) -> None:
    person = await make_person(db)
    async with db.session() as session:
        read = await session.get(Person, person.id)
    assert read.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - read.created_at) < timedelta(minutes=5)


# --- unique keys ------------------------------------------------------------------------------


async def assert_duplicate_rejected(db: Database, first: object, second: object) -> None:
    await add(db, first)
    with pytest.raises(IntegrityError):
        await add(db, second)


async def test_unit_code_is_unique(db: Database) -> None:
    await make_unit(db, "XA-01")
    with pytest.raises(IntegrityError):
        await make_unit(db, "XA-01")


async def test_person_telegram_id_is_unique(db: Database) -> None:
    await make_person(db, 5_000_000_001)  # beyond 32 bits: telegram ids are big integers
    with pytest.raises(IntegrityError):
        await make_person(db, 5_000_000_001)


async def test_delivery_key_is_unique(db: Database) -> None:
    def delivery(
        chat_id: int = -100123, kind: str = "reminder", ref: str = "2025-03:1"
    ) -> Delivery:
        return Delivery(chat_id=chat_id, kind=kind, ref=ref)

    await add(db, delivery(), delivery(chat_id=42), delivery(kind="digest"), delivery(ref="x"))
    with pytest.raises(IntegrityError):
        await add(db, delivery())


async def test_one_report_per_unit_and_period(db: Database) -> None:
    unit, other = await make_unit(db, "A"), await make_unit(db, "B")
    await add(
        db,
        MeetingReport(unit_id=unit.id, period="2025-03"),
        MeetingReport(unit_id=unit.id, period="2025-04"),
        MeetingReport(unit_id=other.id, period="2025-03"),
    )
    with pytest.raises(IntegrityError):
        await add(db, MeetingReport(unit_id=unit.id, period="2025-03"))


async def test_one_draft_per_person_and_kind(db: Database) -> None:
    person, other = await make_person(db, 1), await make_person(db, 2)
    await add(
        db,
        Draft(person_id=person.id, kind="report"),
        Draft(person_id=person.id, kind="problem"),
        Draft(person_id=other.id, kind="report"),
    )
    with pytest.raises(IntegrityError):
        await add(db, Draft(person_id=person.id, kind="report"))


async def test_failed_block_is_rolled_back(db: Database) -> None:
    """Database.session(): an error in the block leaves nothing of the block behind."""
    await make_person(db, 1)
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Person(telegram_id=2))
            await session.flush()
            session.add(Person(telegram_id=1))
            await session.flush()
    async with db.session() as session:
        ids = (await session.exec(select(Person.telegram_id))).all()
    assert ids == [1]


# --- JSON columns -----------------------------------------------------------------------------


def test_json_defaults_are_not_shared() -> None:
    first, second = MeetingReport(unit_id=1, period="2025-03"), MeetingReport(unit_id=1, period="x")
    first.photos.append("file-1")
    assert second.photos == []
    a, b = Draft(person_id=1, kind="report"), Draft(person_id=1, kind="problem")
    a.data["step"] = 1
    assert b.data == {}
    assert Problem(unit_id=1, handling_unit_id=1, category="c", title="t").photos == []
    assert ReportRevision(report_id=1, version=1).data == {}


async def test_json_columns_round_trip_independently(db: Database) -> None:
    unit = await make_unit(db)
    person = await make_person(db)
    march = MeetingReport(unit_id=unit.id, period="2025-03")
    april = MeetingReport(unit_id=unit.id, period="2025-04")
    march.photos.append("AgACAgUAAxkBAAIB")
    draft = Draft(person_id=person.id, kind="report")
    draft.data["topic"] = "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    await add(db, march, april, draft)

    async with db.session() as session:
        reports = (await session.exec(select(MeetingReport).order_by(MeetingReport.period))).all()
        stored_draft = (await session.exec(select(Draft))).one()
    assert [r.photos for r in reports] == [["AgACAgUAAxkBAAIB"], []]
    assert stored_draft.data == {
        "topic": "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    }


async def test_json_changes_in_place_are_saved(db: Database) -> None:
    """Handlers change draft.data and report.photos in place; those changes must be saved."""
    unit = await make_unit(db)
    person = await make_person(db)
    await add(
        db,
        Draft(person_id=person.id, kind="report"),
        MeetingReport(unit_id=unit.id, period="2025-03"),
    )

    async with db.session() as session:
        draft = (await session.exec(select(Draft))).one()
        draft.data["present"] = 12
        report = (await session.exec(select(MeetingReport))).one()
        report.photos.append("photo-1")
    async with db.session() as session:
        assert (await session.exec(select(Draft))).one().data == {"present": 12}
        assert (await session.exec(select(MeetingReport))).one().photos == ["photo-1"]


async def test_nullable_json_defaults_to_null(db: Database) -> None:
    from storage.models import AuditEvent

    await add(db, AuditEvent(action="unit.create", entity="unit"))
    async with db.session() as session:
        event = (await session.exec(select(AuditEvent))).one()
        raw = (await session.exec(sa.text("SELECT before IS NULL FROM audit_events"))).scalar()
    assert event.before is None and event.after is None
    assert raw in (True, 1)  # SQL NULL, not the JSON text 'null'


async def test_required_json_rejects_none(db: Database) -> None:
    person = await make_person(db)
    with pytest.raises(IntegrityError):
        await add(db, Draft(person_id=person.id, kind="report", data=None))


async def test_migrations_match_models(db: Database) -> None:
    """The schema at head is what storage.models describes (no migration forgotten)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    def diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


# --- foreign keys -----------------------------------------------------------------------------


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await add(db, RoleAssignment(person_id=999, unit_id=999, role="secretary"))


async def test_unit_parent_must_exist(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await add(db, Unit(code="orphan", name="Orphan", kind="cell", parent_id=12345))


async def test_referenced_row_cannot_be_deleted(db: Database) -> None:
    unit = await make_unit(db)
    await add(db, MeetingReport(unit_id=unit.id, period="2025-03"))
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await session.exec(sa.delete(Unit).where(Unit.id == unit.id))


async def test_many_connections_opening_a_new_sqlite_file_at_once_all_write(
    test_databases,
) -> None:
    """A new file is switched to WAL by whichever connection comes first; the others, told
    "database is locked" meanwhile, wait and carry on (several processes starting together)."""
    for _ in range(3):
        url = test_databases.new("sqlite")  # a copy of the template: not yet in WAL mode
        engines = [Database(url) for _ in range(8)]
        try:

            async def write(database: Database, number: int) -> None:
                async with database.session() as session:
                    session.add(Unit(code=f"U{number}", name=f"Đơn vị {number}", kind="cell"))

            await asyncio.gather(*(write(engine, n) for n, engine in enumerate(engines)))
            async with engines[0].session() as session:
                mode = (await session.exec(sa.text("PRAGMA journal_mode"))).one()[0]
                units = (await session.exec(select(Unit))).all()
        finally:
            for engine in engines:
                await engine.dispose()
            test_databases.drop(url)
        assert mode == "wal" and len(units) == 8

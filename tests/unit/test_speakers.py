"""Who is speaking (bot.context.identify on storage.queries.speakers): one statement per update,
and a cache of the person and roles that can never be stale, also when another process (here:
another Database on the same file or server) changes the person, their roles or their units."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_person, make_tree
from sqlalchemy import event
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select

from bot.context import identify
from storage.chats import TELEGRAM, ZALO, ZALO_BASE
from storage.db import Database
from storage.models import Person, RoleAssignment, Unit
from storage.queries import speakers
from storage.queries.drafts import delete_draft, save_draft, start_draft
from storage.queries.people import grant_role

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_cache():
    speakers.CACHE.clear()
    yield
    speakers.CACHE.clear()


def statements(db: Database) -> list[str]:
    seen: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


async def test_one_statement_gives_the_person_roles_and_drafts(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        person = await make_person(session, 501, "Lê Thị Hoa", tree.cell_a1, "secretary")
        await grant_role(session=session, person=person, unit_id=tree.commune_a.id, role="deputy")
        await start_draft(session=session, person_id=person.id, kind="problem", step="a", now=NOW)
        await start_draft(
            session=session,
            person_id=person.id,
            kind="report",
            step="b",
            now=NOW + timedelta(minutes=1),
            data={"answers": {"members": 12}},
        )
    seen = statements(db)
    identity = await identify(db, 501, "vi")
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1
    assert identity.person.full_name == "Lê Thị Hoa" and identity.is_member
    assert [(a.role, u.name) for a, u in identity.roles] == [
        ("secretary", "Chi bộ thôn Đồng Tâm"),
        ("deputy", "Đảng ủy xã Đông Ngũ"),
    ]
    assert [(d.kind, d.step) for d in identity.drafts] == [("report", "b"), ("problem", "a")]
    assert identity.drafts[0].data == {"answers": {"members": 12}}
    assert identity.drafts[0].updated_at == NOW + timedelta(minutes=1)


async def test_a_stranger_and_an_unknown_account(db: Database) -> None:
    async with db.session() as session:
        session.add(Person(telegram_id=502, full_name="Khách"))
    stranger = await identify(db, 502, "en")
    assert stranger.person.full_name == "Khách" and stranger.roles == []
    assert not stranger.is_member
    nobody = await identify(db, 503, "en")
    assert nobody.person is None and nobody.drafts == [] and nobody.telegram_language == "en"


async def test_the_same_values_give_the_same_objects_and_fresh_drafts(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        person = await make_person(session, 504, "An", tree.cell_a1, "secretary")
        draft = await start_draft(
            session=session, person_id=person.id, kind="report", step="a", now=NOW
        )
    first, second = await identify(db, 504, None), await identify(db, 504, None)
    assert second.person is first.person and second.roles == first.roles
    assert second.drafts[0] is not first.drafts[0]  # the engine changes them: never shared
    draft.step = "b"
    async with db.session() as session:
        await save_draft(session=session, draft=draft, now=NOW + timedelta(minutes=1))
    third = await identify(db, 504, None)
    assert third.person is first.person and third.drafts[0].step == "b"


async def test_changes_made_elsewhere_are_seen_at_the_next_update(
    db: Database, database_url: str
) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        person = await make_person(session, 505, "Bình", tree.cell_a1, "secretary")
    before = await identify(db, 505, None)
    other = Database(database_url)  # another process's connection to the same database
    try:
        async with other.session() as session:
            found = (await session.exec(select(Person).where(Person.id == person.id))).one()
            found.language = "en"
        after = await identify(db, 505, None)
        assert after.person is not before.person and after.person.language == "en"

        async with other.session() as session:
            unit = await session.get(Unit, tree.cell_a1.id)
            unit.name = "Chi bộ thôn Đồng Tâm mới"
        renamed = await identify(db, 505, None)
        assert renamed.roles[0][1].name == "Chi bộ thôn Đồng Tâm mới"

        async with other.session() as session:
            role = (
                await session.exec(
                    select(RoleAssignment).where(RoleAssignment.person_id == person.id)
                )
            ).one()
            role.revoked_at = NOW
        revoked = await identify(db, 505, None)
        assert revoked.roles == [] and not revoked.is_member
    finally:
        await other.dispose()


async def test_a_person_who_writes_again_is_reachable_again(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        person = await make_person(session, 506, "Chi", tree.cell_a1, "secretary")
        person.reachable = False
    cached = (await identify(db, 506, None)).person
    assert cached.reachable  # this update's own view
    async with db.session() as session:
        assert (await session.get(Person, person.id)).reachable
    again = await identify(db, 506, None)
    assert again.person.reachable


def test_the_cache_keeps_the_most_recently_seen() -> None:
    cache = speakers.SpeakerCache(size=2)
    one, two, three = speakers.Speaker(), speakers.Speaker(), speakers.Speaker()
    cache.put(1, ("a",), one)
    cache.put(2, ("b",), two)
    assert cache.get(1, ("a",)) is one  # 1 is now the most recent
    cache.put(3, ("c",), three)
    assert cache.get(2, ("b",)) is None and cache.get(1, ("a",)) is one
    assert cache.get(1, ("changed",)) is None


async def test_a_draft_deleted_meanwhile_is_not_saved_silently(db: Database) -> None:
    """The drafts' Core writes fail as the ORM's flush did when another process ended the
    conversation in between."""
    async with db.session() as session:
        tree = await make_tree(session)
        person = await make_person(session, 507, "Dũng", tree.cell_a1, "secretary")
        draft = await start_draft(
            session=session, person_id=person.id, kind="report", step="a", now=NOW
        )
        await delete_draft(session=session, draft=draft)
    draft.step = "b"
    with pytest.raises(StaleDataError):
        async with db.session() as session:
            await save_draft(session=session, draft=draft, now=NOW)
    assert (await identify(db, 507, None)).drafts == []


@pytest.mark.sqlite_only
def test_who_is_speaking_is_read_in_a_fresh_process(database_url: str) -> None:
    """The objects are made as a session makes them, also before any ORM query has run in the
    process (the first update after a start: the mappers are configured then)."""
    code = f"""
import asyncio
from sqlalchemy import text
from bot.context import identify
from storage.chats import TELEGRAM, ZALO, ZALO_BASE
from storage.db import Database

async def main():
    db = Database({database_url!r})
    async with db.connection() as connection:
        await connection.execute(text(
            "INSERT INTO people (telegram_id, full_name, reachable, active, private_copies,"
            " created_at) VALUES (508, 'Giang', 1, 1, 1, '2026-01-01 00:00:00')"))
    print((await identify(db, 508, None)).person.full_name)
    await db.dispose()

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Giang"


async def test_a_person_on_both_messengers_is_found_by_either_and_followed(db: Database) -> None:
    zalo = ZALO_BASE + 9
    async with db.session() as session:
        tree = await make_tree(session)
        person = await make_person(session, 509, "Dung", tree.cell_a1, "secretary")
        person.zalo_id, person.zalo_reachable = zalo, False
    on_zalo = await identify(db, zalo, None)
    assert on_zalo.person.id == person.id and on_zalo.is_member
    assert on_zalo.person.messenger == ZALO and on_zalo.person.zalo_reachable
    async with db.session() as session:
        stored = await session.get(Person, person.id)
        assert stored.messenger == ZALO and stored.zalo_reachable  # their messages go there now
    assert (await identify(db, 509, None)).person.messenger == TELEGRAM
    assert (await identify(db, ZALO_BASE + 10, None)).person is None  # nobody's Zalo chat

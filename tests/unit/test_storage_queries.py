"""storage.queries on both backends: the unit tree, people's roles, invites."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.rules.org import is_active_in
from bot.rules.periods import Period
from storage.db import Database
from storage.models import Invite, Person, RoleAssignment, Unit
from storage.queries import invites, people, units

NOW = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


async def add_units(db: Database, *specs: tuple[int, str, int | None, dict]) -> dict[int, Unit]:
    """Units with explicit ids: (id, kind, parent id, extra fields); paths made from the ids."""
    made: dict[int, Unit] = {}
    async with db.session() as session:
        for unit_id, kind, parent_id, extra in specs:
            parent = made.get(parent_id) if parent_id is not None else None
            unit = Unit(
                id=unit_id,
                code=extra.pop("code", f"U{unit_id}"),
                name=f"Unit {unit_id}",
                kind=kind,
                parent_id=parent_id,
                path=f"{parent.path if parent else ''}{unit_id}/",
                depth=parent.depth + 1 if parent else 0,
                **extra,
            )
            session.add(unit)
            await session.flush()
            made[unit_id] = unit
    return made


def ids(found: list[Unit]) -> list[int]:
    return [u.id for u in found]


# --- the unit tree ----------------------------------------------------------------------------


@pytest.fixture
async def forest(db: Database) -> dict[int, Unit]:
    """Two trees whose roots have ids 1 and 11: "1/" is a prefix of "11/" as text only."""
    return await add_units(
        db,
        (1, "commune", None, {"code": "100%_a"}),  # LIKE wildcards in a code do not matter
        (11, "commune", None, {"code": "100__b"}),
        (3, "cell", 1, {}),
        (13, "cell", 11, {}),
        (111, "partial", 11, {}),
        (112, "cell", 111, {}),
    )


async def test_subtree_is_a_path_prefix_not_a_text_prefix(
    db: Database, forest: dict[int, Unit]
) -> None:
    async with db.session() as session:
        assert ids(await units.subtree(session=session, root=forest[1])) == [1, 3]
        assert ids(await units.subtree(session=session, root=forest[11])) == [11, 111, 112, 13]
        assert ids(await units.subtree(session=session, root=forest[111])) == [111, 112]
        assert ids(await units.subtree(session=session, root=forest[3])) == [3]


async def test_subtree_escapes_like_wildcards(db: Database) -> None:
    """in_subtree escapes % and _ (and '/', its escape character, which paths are made of)."""
    made = await add_units(db, (1, "commune", None, {}), (12, "commune", None, {}))
    async with db.session() as session:
        odd = Unit(id=5, code="odd", name="odd", kind="cell", path="1_/")
        assert ids(await units.subtree(session=session, root=odd)) == []
        wild = Unit(id=6, code="wild", name="wild", kind="cell", path="%/")
        assert ids(await units.subtree(session=session, root=wild)) == []
        assert ids(await units.subtree(session=session, root=made[1])) == [1]


async def test_lookups(db: Database, forest: dict[int, Unit]) -> None:
    async with db.session() as session:
        assert (await units.unit_by_code(session=session, code="100%_a")).id == 1
        assert await units.unit_by_code(session=session, code="100%") is None
        assert (await units.unit_by_id(session=session, unit_id=13)).code == "U13"
        assert await units.unit_by_id(session=session, unit_id=999) is None


async def test_ancestors_nearest_first(db: Database, forest: dict[int, Unit]) -> None:
    async with db.session() as session:
        assert ids(await units.ancestors(session=session, unit=forest[112])) == [111, 11]
        assert ids(await units.ancestors(session=session, unit=forest[3])) == [1]
        assert await units.ancestors(session=session, unit=forest[1]) == []


MARCH = Period(2025, 3)
CELLS = {
    # id: (valid_from, valid_to), with the months of 2025 it must report for (Feb, Mar, Apr)
    20: ((None, None), {2, 3, 4}),  # valid all along
    21: ((date(2025, 3, 1), None), {3, 4}),  # created on the 1st: reports that month
    22: ((date(2025, 3, 15), None), {4}),  # created mid-month: from the next month on
    23: ((None, date(2025, 3, 15)), {2}),  # merged away mid-month: owes nothing that month
    24: ((None, date(2025, 3, 31)), {2, 3}),  # valid to the last day: reports that month
    25: ((None, date(2025, 2, 28)), {2}),  # gone before the month
    26: ((date(2025, 2, 1), date(2025, 4, 30)), {2, 3, 4}),  # whole-month valid
    27: ((date(2025, 3, 2), date(2025, 3, 30)), set()),  # inside the month only
}


async def test_active_cells_follow_rules_org(db: Database) -> None:
    await add_units(
        db,
        (10, "commune", None, {}),
        (19, "commune", 10, {}),  # not a cell: never listed
        *(
            (cell, "cell", 10, {"valid_from": span[0], "valid_to": span[1]})
            for cell, (span, _months) in CELLS.items()
        ),
        (30, "commune", None, {}),
        (31, "cell", 30, {}),  # another tree
    )
    async with db.session() as session:
        root = await units.unit_by_id(session=session, unit_id=10)
        for month in (2, 3, 4):
            period = Period(2025, month)
            found = await units.active_cells(
                session=session, root=root, first_day=period.first_day, last_day=period.last_day
            )
            expected = sorted(c for c, (_span, months) in CELLS.items() if month in months)
            assert ids(found) == expected, period
            by_rule = sorted(c for c, (span, _m) in CELLS.items() if is_active_in(*span, period))
            assert by_rule == expected, period  # the SQL and rules.org agree


# --- people and roles -------------------------------------------------------------------------


async def test_active_roles_exclude_revoked(db: Database, forest: dict[int, Unit]) -> None:
    async with db.session() as session:
        person, other = Person(telegram_id=7001), Person(telegram_id=7002)
        session.add_all([person, other])
        await session.flush()
        session.add_all(
            [
                RoleAssignment(person_id=person.id, unit_id=3, role="secretary"),
                RoleAssignment(person_id=person.id, unit_id=13, role="deputy", revoked_at=NOW),
                RoleAssignment(person_id=person.id, unit_id=11, role="supervisor"),
                RoleAssignment(person_id=other.id, unit_id=3, role="deputy"),
            ]
        )
    async with db.session() as session:
        found = await people.person_by_chat(session=session, chat_id=7001)
        assert found.id == person.id
        assert await people.person_by_chat(session=session, chat_id=7003) is None
        roles = await people.active_roles(session=session, person_id=person.id)
    assert [(role.role, unit.id) for role, unit in roles] == [("secretary", 3), ("supervisor", 11)]


# --- invites ----------------------------------------------------------------------------------


async def make_invites(db: Database, unit_id: int, count: int = 1) -> list[str]:
    async with db.session() as session:
        return await invites.create_invites(
            session=session,
            unit_id=unit_id,
            role="secretary",
            expires_at=NOW + timedelta(days=7),
            count=count,
        )


async def test_invite_codes_are_only_stored_hashed(db: Database, forest: dict[int, Unit]) -> None:
    codes = await make_invites(db, 3, count=3)
    assert len(set(codes)) == 3
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", code)  # fits a /start payload
    async with db.session() as session:
        rows = (await session.exec(sa.select(sa.text("*")).select_from(Invite.__table__))).all()
        stored = (await session.exec(select(Invite.code_hash))).all()
    dump = repr([tuple(row) for row in rows])
    assert not any(code in dump for code in codes)
    assert sorted(stored) == sorted(hashlib.sha256(c.encode()).hexdigest() for c in codes)


async def test_find_invite(db: Database, forest: dict[int, Unit]) -> None:
    fresh, used, expiring = await make_invites(db, 3, count=3)
    async with db.session() as session:
        lookup = await invites.find_invite(session=session, code=used, now=NOW)
        lookup.invite.used_at = NOW
        lookup = await invites.find_invite(session=session, code=expiring, now=NOW)
        lookup.invite.expires_at = NOW + timedelta(hours=1)

    async with db.session() as session:
        ok = await invites.find_invite(session=session, code=fresh, now=NOW)
        assert ok.problem is None and ok.invite.unit_id == 3 and ok.invite.role == "secretary"
        unknown = await invites.find_invite(session=session, code="not-a-code", now=NOW)
        assert unknown == invites.InviteLookup(None, "unknown")
        assert (await invites.find_invite(session=session, code=used, now=NOW)).problem == "used"
        before = await invites.find_invite(
            session=session, code=expiring, now=NOW + timedelta(minutes=59)
        )
        assert before.problem is None
        at = await invites.find_invite(session=session, code=expiring, now=NOW + timedelta(hours=1))
        assert at.problem == "expired"
        # A used invite is reported as used even once it has expired too.
        later = await invites.find_invite(session=session, code=used, now=NOW + timedelta(days=30))
        assert later.problem == "used"

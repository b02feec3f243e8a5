"""The unit tree: lookups, subtrees (by materialised path), cells active in a month, and the
bulk writes of an import (paths and depths computed for the whole tree at once)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Row, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, RoleAssignment, Unit, table_of

K = TypeVar("K", bound=Hashable)


async def unit_by_code(*, session: AsyncSession, code: str) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.code == code))).first()


async def unit_by_id(*, session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


def in_subtree(root: Unit) -> ColumnElement[bool]:
    """Condition on Unit: the unit is `root` or one of its descendants."""
    return col(Unit.path).startswith(root.path, autoescape=True)


def active_between(first_day: date, last_day: date) -> ColumnElement[bool]:
    """Condition on Unit: valid for the whole of [first_day, last_day] (see rules.org)."""
    return and_(
        or_(col(Unit.valid_from).is_(None), col(Unit.valid_from) <= first_day),
        or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) >= last_day),
    )


async def subtree(*, session: AsyncSession, root: Unit) -> list[Unit]:
    result = await session.exec(select(Unit).where(in_subtree(root)).order_by(col(Unit.path)))
    return list(result.all())


async def active_cells(
    *, session: AsyncSession, root: Unit, first_day: date, last_day: date
) -> list[Unit]:
    """The cells under `root` that are expected to report for the month [first_day, last_day]."""
    result = await session.exec(
        select(Unit)
        .where(in_subtree(root), Unit.kind == "cell", active_between(first_day, last_day))
        .order_by(col(Unit.path))
    )
    return list(result.all())


async def ancestors(*, session: AsyncSession, unit: Unit) -> list[Unit]:
    """The unit's ancestors, nearest first."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    found = {u.id: u for u in (await session.exec(select(Unit).where(col(Unit.id).in_(ids))))}
    return [found[i] for i in reversed(ids) if i in found]


# --- Bulk writes (the CSV import, the demo seed) -------------------------------------------------

# The columns an import may set; with `id`, also what `all_units` returns.
UNIT_FIELDS = (
    "code",
    "name",
    "kind",
    "parent_id",
    "path",
    "depth",
    "valid_from",
    "valid_to",
    "successor_id",
)


def tree_paths(parent_of: Mapping[int, int | None]) -> dict[int, tuple[str, int]]:
    """The materialised path ("1/7/93/") and depth (a root is 0) of every unit, from its parent.

    `parent_of` must describe a forest (every parent is a key; no cycle): check it first with
    `find_cycles`. Iterative, so that any depth works.
    """
    done: dict[int, tuple[str, int]] = {}
    for start in parent_of:
        chain: list[int] = []
        node: int | None = start
        while node is not None and node not in done:
            chain.append(node)
            node = parent_of[node]
        path, depth = done[node] if node is not None else ("", -1)
        for unit_id in reversed(chain):
            path, depth = f"{path}{unit_id}/", depth + 1
            done[unit_id] = (path, depth)
    return done


def find_cycles(parent_of: Mapping[K, K | None]) -> list[list[K]]:
    """Every cycle of a parent map, each as the list of its members in parent order.

    A parent that is not a key ends a chain (it is reported elsewhere, as unknown).
    """
    state: dict[K, int] = {}  # 1 = on the current chain, 2 = finished
    cycles: list[list[K]] = []
    for start in parent_of:
        chain: list[K] = []
        node: K | None = start
        while node is not None and node in parent_of and node not in state:
            state[node] = 1
            chain.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            cycles.append(chain[chain.index(node) :])
        for member in chain:
            state[member] = 2
    return cycles


async def all_units(*, session: AsyncSession, root: Unit | None = None) -> list[Row[Any]]:
    """Every unit (or `root` and its descendants) as a light row with `id` and UNIT_FIELDS:
    one query and no ORM objects, for whole-tree work on 200,000 units."""
    table = table_of(Unit)
    query = sa.select(table.c.id, *(table.c[name] for name in UNIT_FIELDS))
    if root is not None:
        query = query.where(in_subtree(root))
    return list((await session.exec(query)).all())  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only


async def insert_units(
    *, session: AsyncSession, rows: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, int]:
    """Insert units in bulk (dicts of UNIT_FIELDS); returns code -> new id.

    Set path and depth afterwards with `update_units`: they hold the ids, known only now.
    """
    if not rows:
        return {}
    table = table_of(Unit)
    values = [
        {"path": "", "depth": 0, "parent_id": None, "successor_id": None, **row, "created_at": now}
        for row in rows
    ]
    result = await session.exec(sa.insert(table).returning(table.c.code, table.c.id), params=values)
    return {code: unit_id for code, unit_id in result.all()}


async def update_units(*, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update units in bulk by id: each dict holds "id" and the same set of UNIT_FIELDS."""
    if not rows:
        return
    table = table_of(Unit)
    statement = sa.update(table).where(table.c.id == sa.bindparam("unit_id"))
    params = [{"unit_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in rows]
    await session.exec(statement, params=params)


# --- The tree as the administrator sees it --------------------------------------------------------


async def role_holder_paths(*, session: AsyncSession, root: Unit | None) -> list[tuple[int, str]]:
    """(person id, unit path) of every active role of an active person in the subtree."""
    query = (
        select(RoleAssignment.person_id, Unit.path)
        .join(Unit, col(Unit.id) == RoleAssignment.unit_id)
        .join(Person, col(Person.id) == RoleAssignment.person_id)
        .where(col(RoleAssignment.revoked_at).is_(None), col(Person.active).is_(True))
    )
    if root is not None:
        query = query.where(in_subtree(root))
    return [(person_id, path) for person_id, path in (await session.exec(query)).all()]


async def codes_taken(*, session: AsyncSession, prefix: str) -> list[str]:
    """Codes equal to `prefix` or starting with `prefix-` (a few, for a clear refusal)."""
    query = (
        select(Unit.code)
        .where(
            or_(col(Unit.code) == prefix, col(Unit.code).startswith(f"{prefix}-", autoescape=True))
        )
        .order_by(col(Unit.code))
        .limit(5)
    )
    return list((await session.exec(query)).all())


async def codes_by_id(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """id -> code of the given units (one query)."""
    return await _column_by_id(session, ids, col(Unit.code))


async def names_by_id(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """id -> name of the given units (one query)."""
    return await _column_by_id(session, ids, col(Unit.name))


async def _column_by_id(session: AsyncSession, ids: Iterable[int], column: Any) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    result = await session.exec(select(col(Unit.id), column).where(col(Unit.id).in_(wanted)))
    return dict(result.all())

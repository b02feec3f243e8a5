"""The unit tree: lookups, subtrees (by materialised path), cells active in a month."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Unit


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

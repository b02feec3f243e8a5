"""Writing units one at a time (the CSV import does it in bulk): keeps `path` and `depth` right."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Unit, utcnow


async def add_unit(
    *,
    session: AsyncSession,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Unit:
    unit = Unit(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else ''}{unit.id}/"
    await session.flush()
    return unit


async def children_page(
    *, session: AsyncSession, parent_id: int, offset: int, limit: int
) -> tuple[list[tuple[Unit, bool]], int]:
    """One page of a unit's current children by name, each with whether it has children itself;
    and how many children there are in all."""
    today = utcnow().date()
    current = and_(
        col(Unit.parent_id) == parent_id,
        or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) >= today),
    )
    total = (await session.exec(select(func.count()).select_from(Unit).where(current))).one()
    grandchild = aliased(Unit)
    has_children = (
        select(grandchild.id).where(grandchild.parent_id == Unit.id).exists().label("has_children")
    )
    rows = await session.exec(
        select(Unit, has_children)
        .where(current)
        .order_by(col(Unit.name))
        .offset(offset)
        .limit(limit)
    )
    return [(unit, bool(flag)) for unit, flag in rows.all()], total

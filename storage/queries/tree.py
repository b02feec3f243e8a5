"""Writing units one at a time (the CSV import does it in bulk): keeps `path` and `depth` right."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Unit


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

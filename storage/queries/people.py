"""People and their roles."""

from __future__ import annotations

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, RoleAssignment, Unit


async def person_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Person | None:
    result = await session.exec(select(Person).where(Person.telegram_id == telegram_id))
    return result.first()


async def active_roles(
    *, session: AsyncSession, person_id: int
) -> list[tuple[RoleAssignment, Unit]]:
    """The person's current roles with their units, in the order they were granted."""
    result = await session.exec(
        select(RoleAssignment, Unit)
        .join(Unit, col(Unit.id) == RoleAssignment.unit_id)
        .where(RoleAssignment.person_id == person_id, col(RoleAssignment.revoked_at).is_(None))
        .order_by(col(RoleAssignment.id))
    )
    return list(result.all())


async def set_reachable(*, session: AsyncSession, telegram_id: int, reachable: bool) -> None:
    await session.exec(
        update(Person).where(col(Person.telegram_id) == telegram_id).values(reachable=reachable)
    )

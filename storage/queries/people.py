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


async def ensure_person(
    *, session: AsyncSession, telegram_id: int, full_name: str, username: str | None = None
) -> Person:
    """The person with this Telegram account, created on first sight; name kept up to date."""
    person = await person_by_telegram_id(session=session, telegram_id=telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, full_name=full_name, username=username)
        session.add(person)
    else:
        person.full_name, person.username = full_name or person.full_name, username
    await session.flush()
    return person


async def grant_role(
    *, session: AsyncSession, person: Person, unit_id: int, role: str, invite_id: int | None = None
) -> RoleAssignment:
    """Give `person` the role on the unit; holding it already is not an error (no duplicate)."""
    existing = (
        await session.exec(
            select(RoleAssignment).where(
                RoleAssignment.person_id == person.id,
                RoleAssignment.unit_id == unit_id,
                RoleAssignment.role == role,
                col(RoleAssignment.revoked_at).is_(None),
            )
        )
    ).first()
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        person_id=person.id, unit_id=unit_id, role=role, invite_id=invite_id
    )
    session.add(assignment)
    await session.flush()
    return assignment

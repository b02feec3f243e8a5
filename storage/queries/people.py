"""People and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.chats import TELEGRAM, ZALO, messenger_of
from storage.models import Person, RoleAssignment, Unit
from storage.queries.units import in_subtree


def chat_column(chat_id: int) -> Any:  # a column of Person (SQLModel types it as Mapped)
    """The column of `Person` holding chats of this chat's messenger."""
    return col(Person.zalo_id) if messenger_of(chat_id) == ZALO else col(Person.telegram_id)


def unreachable() -> ColumnElement[bool]:
    """People no chat of whom takes the bot's messages (listed in summaries for a phone call)."""
    return and_(
        or_(col(Person.telegram_id).is_(None), col(Person.reachable).is_(False)),
        or_(col(Person.zalo_id).is_(None), col(Person.zalo_reachable).is_(False)),
    )


async def person_by_chat(*, session: AsyncSession, chat_id: int) -> Person | None:
    """The person whose private chat (Telegram's or Zalo's) this is."""
    result = await session.exec(select(Person).where(chat_column(chat_id) == chat_id))
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


async def set_reachable(*, session: AsyncSession, chat_id: int, reachable: bool) -> None:
    """Whether the person's chat `chat_id` takes the bot's messages."""
    flag = col(Person.zalo_reachable if messenger_of(chat_id) == ZALO else Person.reachable)
    await session.exec(  # no row written when nothing changes (once per message of a fan-out)
        update(Person)
        .where(chat_column(chat_id) == chat_id, flag.is_(not reachable))
        .values({flag: reachable})
    )


async def ensure_person(
    *, session: AsyncSession, chat_id: int, full_name: str, username: str | None = None
) -> Person:
    """The person of this private chat (either messenger), created on first sight; name kept
    up to date."""
    person = await person_by_chat(session=session, chat_id=chat_id)
    if person is None:
        person = Person(full_name=full_name, username=username)
        add_chat(person, chat_id)
        session.add(person)
    else:
        person.full_name, person.username = full_name or person.full_name, username
    await session.flush()
    return person


def add_chat(person: Person, chat_id: int) -> None:
    """Give the person this private chat (theirs on its messenger from now on), reachable."""
    if messenger_of(chat_id) == ZALO:
        person.zalo_id, person.zalo_reachable, person.messenger = chat_id, True, ZALO
    else:
        person.telegram_id, person.reachable, person.messenger = chat_id, True, TELEGRAM


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


async def people_with_roles(
    *, session: AsyncSession, root: Unit | None = None
) -> list[tuple[Person, list[tuple[RoleAssignment, Unit]]]]:
    """People with their active roles (and units), by id: everyone when `root` is None, else
    those holding an active role in `root`'s subtree (with all their active roles)."""
    people = select(Person).order_by(col(Person.id))
    if root is not None:
        holders = (
            select(RoleAssignment.person_id)
            .join(Unit, col(Unit.id) == RoleAssignment.unit_id)
            .where(col(RoleAssignment.revoked_at).is_(None), in_subtree(root))
        )
        people = people.where(col(Person.id).in_(holders))
    found = list((await session.exec(people)).all())
    roles: dict[int, list[tuple[RoleAssignment, Unit]]] = {person.id: [] for person in found}
    if found:
        result = await session.exec(
            select(RoleAssignment, Unit)
            .join(Unit, col(Unit.id) == RoleAssignment.unit_id)
            .where(
                col(RoleAssignment.revoked_at).is_(None),
                col(RoleAssignment.person_id).in_(list(roles)),
            )
            .order_by(col(RoleAssignment.id))
        )
        for assignment, unit in result.all():
            roles[assignment.person_id].append((assignment, unit))
    return [(person, roles[person.id]) for person in found]


@dataclass(frozen=True)
class Deactivation:
    person: Person
    was_active: bool
    revoked: list[tuple[RoleAssignment, Unit]]  # the roles revoked just now, with their units

    @property
    def changed(self) -> bool:
        return self.was_active or bool(self.revoked)


async def deactivate_person(
    *, session: AsyncSession, person_id: int, now: datetime
) -> Deactivation | None:
    """Revoke every active role of the person at once and mark them inactive (history stays).
    None when there is no such person. The caller records the audit events."""
    person = (
        await session.exec(select(Person).where(Person.id == person_id).with_for_update())
    ).first()
    if person is None:
        return None
    revoked = await active_roles(session=session, person_id=person_id)
    was_active = person.active
    for assignment, _unit in revoked:
        assignment.revoked_at = now
    person.active = False
    await session.flush()
    return Deactivation(person=person, was_active=was_active, revoked=revoked)

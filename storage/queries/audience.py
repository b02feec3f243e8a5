"""Who receives scheduled messages: a committee's chats, the cells' reporters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.org import CELL, REPORTING_ROLES, SUPERVISOR
from bot.rules.periods import Period
from storage.chats import chat_of
from storage.models import GroupLink, MeetingReport, Person, RoleAssignment, Unit
from storage.queries.deliveries import Outgoing
from storage.queries.units import active_between


@dataclass(frozen=True)
class Chat:
    """A chat to write to: a linked group (no language of its own) or a person (`person_id`:
    their private chat on the messenger they use, see storage/chats.py)."""

    chat_id: int
    language: str | None = None
    person_id: int | None = None

    def outgoing(self, kind: str, ref: str, payload: dict[str, Any]) -> Outgoing:
        return Outgoing(self.chat_id, kind, ref, payload, self.person_id)


def person_chat(person: Person) -> Chat | None:
    chat = chat_of(person)
    return Chat(chat, person.language, person.id) if chat is not None else None


def _supervisors_of(unit_ids: Sequence[int]) -> Select:
    return (
        select(RoleAssignment.unit_id, Person, Person.private_copies)
        .join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .where(
            col(RoleAssignment.unit_id).in_(unit_ids),
            RoleAssignment.role == SUPERVISOR,
            col(RoleAssignment.revoked_at).is_(None),
            col(Person.active),
        )
        .order_by(col(RoleAssignment.id))
    )


async def committee_chats(
    *, session: AsyncSession, unit_ids: Sequence[int]
) -> dict[int, list[Chat]]:
    """For each unit: its linked group chats, then its supervisors' private chats (a supervisor
    who turned private copies off is left out when the unit has a group); a unit with neither
    is left out. A chat appears once per unit; a unit's messages never go to another unit's
    group."""
    groups: dict[int, list[Chat]] = {}
    result = await session.exec(
        select(GroupLink.unit_id, GroupLink.chat_id)
        .where(col(GroupLink.unit_id).in_(unit_ids))
        .order_by(col(GroupLink.id))
    )
    for unit_id, chat_id in result.all():
        groups.setdefault(unit_id, []).append(Chat(chat_id))
    supervisors: dict[int, list[Chat]] = {}
    rows = await session.exec(_supervisors_of(unit_ids))  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
    for unit_id, person, copies in rows.all():
        chat = person_chat(person)
        if chat is not None and (copies or unit_id not in groups):
            supervisors.setdefault(unit_id, []).append(chat)
    chats: dict[int, list[Chat]] = {}
    for unit_id in unit_ids:
        seen: set[int] = set()
        for chat in [*groups.get(unit_id, []), *supervisors.get(unit_id, [])]:
            if chat.chat_id not in seen:
                seen.add(chat.chat_id)
                chats.setdefault(unit_id, []).append(chat)
    return chats


async def set_private_copies(*, session: AsyncSession, person_id: int, on: bool) -> bool:
    """Turn a supervisor's private copies on or off; returns the former value."""
    person = await session.get(Person, person_id)
    if person is None:
        return True
    former = person.private_copies
    person.private_copies = on
    session.add(person)
    await session.flush()
    return former


async def supervising_units(*, session: AsyncSession) -> list[Unit]:
    """Units with a current supervisor or a linked group (they get digests and summaries), in
    tree order."""
    supervised = select(RoleAssignment.unit_id).where(
        RoleAssignment.role == SUPERVISOR, col(RoleAssignment.revoked_at).is_(None)
    )
    linked = select(GroupLink.unit_id)
    result = await session.exec(
        select(Unit)
        .where(or_(col(Unit.id).in_(supervised), col(Unit.id).in_(linked)))
        .order_by(col(Unit.path))
    )
    return list(result.all())


async def escalation_chain(*, session: AsyncSession, unit: Unit) -> list[Unit]:
    """`unit` and its ancestors that have supervisors or a linked group, nearest first: the
    committees an overdue problem handled by `unit` climbs through."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    supervised = select(RoleAssignment.unit_id).where(
        RoleAssignment.role == SUPERVISOR, col(RoleAssignment.revoked_at).is_(None)
    )
    result = await session.exec(
        select(Unit).where(
            col(Unit.id).in_(ids),
            or_(col(Unit.id).in_(supervised), col(Unit.id).in_(select(GroupLink.unit_id))),
        )
    )
    return sorted(result.all(), key=lambda u: len(u.path), reverse=True)


@dataclass(frozen=True)
class ReminderTarget:
    unit_id: int
    unit_name: str
    chat: Chat


def _reporters() -> Select:
    return (
        select(Unit.id, Unit.name, Person)
        .join(RoleAssignment, col(RoleAssignment.unit_id) == col(Unit.id))
        .join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .where(
            col(RoleAssignment.role).in_(REPORTING_ROLES),
            col(RoleAssignment.revoked_at).is_(None),
            col(Person.active),
        )
        .order_by(col(Unit.path), col(RoleAssignment.id))
    )


async def reminder_targets(
    *, session: AsyncSession, period: Period, unit_ids: Sequence[int] | None = None
) -> list[ReminderTarget]:
    """The secretaries and deputies of the cells expected to report for `period` that have not
    reported it (all such cells, or those of `unit_ids`), one row per person and cell."""
    reported = (
        select(MeetingReport.id)
        .where(col(MeetingReport.unit_id) == col(Unit.id), MeetingReport.period == str(period))
        .exists()
    )
    query = _reporters().where(
        col(Unit.kind) == CELL,
        active_between(period.first_day, period.last_day),
        ~reported,
    )
    if unit_ids is not None:
        query = query.where(col(Unit.id).in_(unit_ids))
    rows = (await session.exec(query)).all()  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
    return [
        ReminderTarget(unit_id, name, chat)
        for unit_id, name, person in rows
        if (chat := person_chat(person)) is not None
    ]


async def has_reported(*, session: AsyncSession, unit_id: int, period: Period) -> bool:
    found = await session.exec(
        select(MeetingReport.id).where(
            MeetingReport.unit_id == unit_id, MeetingReport.period == str(period)
        )
    )
    return found.first() is not None


async def reported_among(
    *, session: AsyncSession, pairs: Sequence[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Which (unit id, "YYYY-MM") pairs have a report now."""
    if not pairs:
        return set()
    result = await session.exec(
        select(MeetingReport.unit_id, MeetingReport.period).where(
            col(MeetingReport.unit_id).in_({unit for unit, _ in pairs}),
            col(MeetingReport.period).in_({period for _, period in pairs}),
        )
    )
    return set(result.all()) & set(pairs)

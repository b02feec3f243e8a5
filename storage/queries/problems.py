"""Problems, their events, and where they are routed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, exists, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.org import SUPERVISOR
from bot.rules.problems import NEW, OPEN_STATUSES, RAISE, RESOLVED, SUPPLEMENT, Change
from storage.models import (
    GroupLink,
    MeetingReport,
    Person,
    Problem,
    ProblemEvent,
    RoleAssignment,
    Unit,
)
from storage.queries.units import ancestors, in_subtree

# --- routing -------------------------------------------------------------------------------


def _active_supervisor_on(unit_ids: Sequence[int]) -> Select:
    return (
        select(RoleAssignment.unit_id, Person)
        .join(Person, col(Person.id) == RoleAssignment.person_id)
        .where(
            col(RoleAssignment.unit_id).in_(unit_ids),
            RoleAssignment.role == SUPERVISOR,
            col(RoleAssignment.revoked_at).is_(None),
            col(Person.active).is_(True),
        )
    )


async def nearest_supervised_ancestor(*, session: AsyncSession, unit: Unit) -> Unit | None:
    """The nearest unit above `unit` that has an active supervisor: who handles its problems."""
    above = await ancestors(session=session, unit=unit)
    if not above:
        return None
    rows = await session.exec(_active_supervisor_on([u.id for u in above]))  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
    supervised = {unit_id for unit_id, _ in rows.all()}
    return next((u for u in above if u.id in supervised), None)


async def supervisors_of(*, session: AsyncSession, unit_id: int) -> list[Person]:
    """The active people holding a supervisor role on exactly this unit."""
    rows = await session.exec(_active_supervisor_on([unit_id]).order_by(col(Person.id)))  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
    people: dict[int, Person] = {}
    for _, person in rows.all():
        people.setdefault(person.id, person)
    return list(people.values())


async def group_chats_of(*, session: AsyncSession, unit_id: int) -> list[int]:
    rows = await session.exec(select(GroupLink.chat_id).where(GroupLink.unit_id == unit_id))
    return list(rows.all())


# --- problems and events -------------------------------------------------------------------


async def create_problem(*, session: AsyncSession, problem: Problem) -> Problem:
    """Store a new problem and its first event (raised by its reporter)."""
    session.add(problem)
    await session.flush()
    session.add(
        ProblemEvent(
            problem_id=problem.id,
            person_id=problem.reporter_id,
            action=RAISE,
            to_status=problem.status,
            created_at=problem.created_at,
        )
    )
    await session.flush()
    return problem


async def problem_by_id(
    *, session: AsyncSession, problem_id: int, for_update: bool = False
) -> Problem | None:
    """One problem; `for_update` locks its row so that two handlers cannot both change it."""
    query = select(Problem).where(Problem.id == problem_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def state_version(*, session: AsyncSession, problem_id: int) -> int:
    """How many times the problem's state changed: buttons carry it, so a button pressed after
    someone else acted is recognised as stale."""
    result = await session.exec(
        select(func.count())
        .select_from(ProblemEvent)
        .where(ProblemEvent.problem_id == problem_id, col(ProblemEvent.to_status).is_not(None))
    )
    return int(result.one())


async def change_status(
    *,
    session: AsyncSession,
    problem: Problem,
    change: Change,
    person_id: int | None,
    now: datetime,
    note: str | None = None,
    handling_unit_id: int | None = None,
    duplicate_of_id: int | None = None,
    due_at: datetime | None = None,
) -> ProblemEvent:
    """Apply a change decided by `rules.problems.transition` and record it as an event. A new
    handling unit comes with its own `due_at`, and its escalation starts afresh."""
    problem.status = change.to_status
    problem.updated_at = now
    if change.to_status == RESOLVED:
        problem.resolved_at = now
    if handling_unit_id is not None:
        problem.handling_unit_id = handling_unit_id
        problem.escalation_level = 0
    if due_at is not None:
        problem.due_at = due_at
    if duplicate_of_id is not None:
        problem.duplicate_of_id = duplicate_of_id
    event = ProblemEvent(
        problem_id=problem.id,
        person_id=person_id,
        action=change.action,
        from_status=change.from_status,
        to_status=change.to_status,
        note=note,
        created_at=now,
    )
    session.add_all([problem, event])
    await session.flush()
    return event


async def add_supplement(
    *,
    session: AsyncSession,
    problem: Problem,
    person_id: int | None,
    note: str,
    photos: list[str],
    location: tuple[float, float] | None,
    now: datetime,
) -> ProblemEvent:
    """More information on an existing problem (instead of a duplicate): the text becomes an
    event; photos join the problem's, and a location is kept when it had none."""
    if photos:
        problem.photos = [*problem.photos, *photos]
    if location is not None and problem.latitude is None:
        problem.latitude, problem.longitude = location
    problem.updated_at = now
    event = ProblemEvent(
        problem_id=problem.id, person_id=person_id, action=SUPPLEMENT, note=note, created_at=now
    )
    session.add_all([problem, event])
    await session.flush()
    return event


async def recent_events(
    *, session: AsyncSession, problem_id: int, limit: int = 5
) -> list[tuple[ProblemEvent, Person | None]]:
    """The latest events of a problem with who made them, oldest of them first."""
    rows = await session.exec(
        select(ProblemEvent, Person)
        .outerjoin(Person, col(Person.id) == ProblemEvent.person_id)
        .where(ProblemEvent.problem_id == problem_id)
        .order_by(col(ProblemEvent.id).desc())
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def similar_open_problems(
    *, session: AsyncSession, unit_id: int, category: str, limit: int = 50
) -> list[Problem]:
    """Open problems of the same cell and category, newest first: the ones that may be the
    problem being raised again (bot.rules.problems.is_similar tells which are)."""
    rows = await session.exec(
        select(Problem)
        .where(
            Problem.unit_id == unit_id,
            Problem.category == category,
            col(Problem.status).in_(OPEN_STATUSES),
        )
        .order_by(col(Problem.id).desc())
        .limit(limit)
    )
    return list(rows.all())


async def list_problems(
    *,
    session: AsyncSession,
    roots: Sequence[Unit],
    statuses: Sequence[str],
    category: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[tuple[Problem, Unit]], int]:
    """Problems raised in the subtrees of `roots`, oldest first, one page, and the total count."""
    if not roots:
        return [], 0
    conditions = [
        or_(*(in_subtree(root) for root in roots)),
        col(Problem.status).in_(statuses),
    ]
    if category is not None:
        conditions.append(col(Problem.category) == category)
    base = select(Problem, Unit).join(Unit, col(Unit.id) == Problem.unit_id).where(*conditions)
    total = (
        await session.exec(
            select(func.count())
            .select_from(Problem)
            .join(Unit, col(Unit.id) == Problem.unit_id)
            .where(*conditions)
        )
    ).one()
    rows = await session.exec(
        base.order_by(col(Problem.created_at), col(Problem.id)).offset(offset).limit(limit)
    )
    return list(rows.all()), int(total)


async def reporter_problems(
    *, session: AsyncSession, person_id: int, offset: int = 0, limit: int = 10
) -> tuple[list[Problem], int]:
    """The problems a person raised, newest first, one page, and the total count."""
    condition = Problem.reporter_id == person_id
    total = (await session.exec(select(func.count()).select_from(Problem).where(condition))).one()
    rows = await session.exec(
        select(Problem)
        .where(condition)
        .order_by(col(Problem.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), int(total)


async def new_problems_since(
    *, session: AsyncSession, unit: Unit, since: datetime
) -> list[Problem]:
    """Problems that `unit` handles, still new, that reached it (raised, or forwarded up to it)
    at or after `since`, oldest first: for a digest to the unit's supervisors."""
    arrived = exists().where(
        col(ProblemEvent.problem_id) == Problem.id,
        col(ProblemEvent.to_status) == NEW,
        col(ProblemEvent.created_at) >= since,
    )
    rows = await session.exec(
        select(Problem)
        .where(Problem.handling_unit_id == unit.id, Problem.status == NEW, arrived)
        .order_by(col(Problem.created_at), col(Problem.id))
    )
    return list(rows.all())


async def overdue_problems(*, session: AsyncSession, now: datetime) -> list[Problem]:
    """Open problems past their due date, oldest due first (rules.problems.is_overdue)."""
    rows = await session.exec(
        select(Problem)
        .where(col(Problem.status).in_(OPEN_STATUSES), col(Problem.due_at) <= now)
        .order_by(col(Problem.due_at), col(Problem.id))
    )
    return list(rows.all())


async def linkable_report(
    *, session: AsyncSession, unit_id: int, periods: Sequence[str]
) -> MeetingReport | None:
    """The cell's newest monthly report among `periods` ("YYYY-MM"), to link a problem to."""
    if not periods:
        return None
    rows = await session.exec(
        select(MeetingReport)
        .where(MeetingReport.unit_id == unit_id, col(MeetingReport.period).in_(periods))
        .order_by(col(MeetingReport.period).desc())
    )
    return rows.first()

"""Problems as use cases, for the conversation, the jobs and the command line alike: who may raise
them, which unit handles them, raising one, adding to an open one, and what a card shows.

Plain functions over an open session: the caller commits (and only then tells anyone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import i18n
from bot.access import Action, Grant, can
from bot.config import Settings
from bot.render import problems as render
from bot.rules import problems as rules
from bot.rules.org import CELL
from bot.rules.periods import Period
from storage.models import GroupLink, MeetingReport, Person, Problem, Unit
from storage.queries.groups import groups_of_unit
from storage.queries.problems import (
    add_supplement,
    create_problem,
    nearest_supervised_ancestor,
    problem_by_id,
    recent_events,
    state_version,
    supervisors_of,
)
from storage.queries.units import unit_by_id


def raisable_units(grants: Iterable[Grant]) -> list[Unit]:
    """The cells someone holding `grants` may raise problems for, in the order of the grants."""
    grants = list(grants)
    units: dict[int, Unit] = {}
    for _, unit in grants:
        if unit.kind == CELL and can(grants, Action.PROBLEM_RAISE, unit):
            units.setdefault(unit.id, cast(Unit, unit))  # a grant's unit is a row
    return list(units.values())


async def handling_unit(session: AsyncSession, unit: Unit) -> Unit:
    """Who handles a cell's problems: the nearest ancestor with supervisors; failing that the
    parent (someone may be appointed there later), or the cell itself at the top of a tree."""
    supervised = await nearest_supervised_ancestor(session=session, unit=unit)
    if supervised is not None:
        return supervised
    parent = await unit_by_id(session=session, unit_id=unit.parent_id) if unit.parent_id else None
    return parent or unit


@dataclass(frozen=True)
class NewProblem:
    """What the reporter says about a problem."""

    category: str
    title: str
    description: str
    raised_by: str
    urgency: str
    photos: Sequence[str] = ()
    location: tuple[float, float] | None = None
    report_id: int | None = None


async def raise_problem(
    session: AsyncSession,
    *,
    unit: Unit,
    new: NewProblem,
    reporter_id: int | None,
    now: datetime,
    due_days: dict[str, int],
    chat_id: int | None = None,
    message_id: int | None = None,
) -> tuple[Problem, Unit]:
    """Store a problem of `unit` (and its "raise" event), routed to its handling unit; updates to
    the reporter go to `chat_id`, as replies to `message_id` when given."""
    handling = await handling_unit(session, unit)
    latitude, longitude = new.location or (None, None)
    problem = Problem(
        unit_id=unit.id,
        handling_unit_id=handling.id,
        category=new.category,
        title=new.title,
        description=new.description,
        raised_by=new.raised_by,
        urgency=new.urgency,
        photos=list(new.photos),
        latitude=latitude,
        longitude=longitude,
        reporter_id=reporter_id,
        reporter_chat_id=chat_id,
        reporter_message_id=message_id,
        report_id=new.report_id,
        due_at=rules.due_at(now, new.category, due_days),
        created_at=now,
        updated_at=now,
    )
    return await create_problem(session=session, problem=problem), handling


async def supplement_problem(
    session: AsyncSession,
    *,
    problem_id: int,
    unit_id: int,
    person_id: int | None,
    new: NewProblem,
    now: datetime,
) -> Problem | None:
    """Add what was said of a new problem to an open problem of the same cell instead (its row
    locked); None when that problem is not there, not the cell's, or no longer open."""
    target = await problem_by_id(session=session, problem_id=problem_id, for_update=True)
    if target is None or target.unit_id != unit_id or not rules.is_open(target.status):
        return None
    await add_supplement(
        session=session,
        problem=target,
        person_id=person_id,
        note=f"{new.title}\n{new.description}",
        photos=list(new.photos),
        location=new.location,
        now=now,
    )
    return target


async def handlers_of(
    session: AsyncSession, problem: Problem
) -> tuple[list[Person], list[GroupLink]]:
    """Who is told about a problem: its handling unit's supervisors and linked groups."""
    unit_id = problem.handling_unit_id
    people = await supervisors_of(session=session, unit_id=unit_id)
    return people, await groups_of_unit(session=session, unit_id=unit_id)


def person_language(person: Person | None, settings: Settings) -> str:
    """The language to write to someone other than the speaker in."""
    if person is not None and person.language:
        return i18n.normalise(person.language)
    return settings.default_language


async def load_card(session: AsyncSession, problem: Problem, events: int = 5) -> render.Card:
    """Everything a problem's card shows."""
    report = await session.get(MeetingReport, problem.report_id) if problem.report_id else None
    return render.Card(
        problem=problem,
        unit=await unit_by_id(session=session, unit_id=problem.unit_id),
        handling_unit=await unit_by_id(session=session, unit_id=problem.handling_unit_id),
        reporter=await session.get(Person, problem.reporter_id) if problem.reporter_id else None,
        version=await state_version(session=session, problem_id=problem.id),
        events=await recent_events(session=session, problem_id=problem.id, limit=events),
        report_period=Period.parse(report.period).label if report else None,
    )

"""Problems as use cases, for the conversations, the handlers' buttons, the jobs and the command
line alike: who may raise them and which unit handles them; raising one and adding to an open
one; may this person take an action on it now, and taking it (the problem's row locked):
forwarding up to the nearest supervised unit, marking it a duplicate, and who is to be told.
Plain functions over an open session (or the database): the caller commits, then tells.

Refusals are words ("missing", "not_allowed", "stale", a rule's reason, "no_upper",
"dup_missing", ...) that the caller turns into a message (problem.refused.<word>). "missing" is
also the answer for a problem the actor may not see: another commune's problem is answered as
if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import i18n
from bot.access import Action, Grant, can
from bot.config import Settings
from bot.render import problems as render
from bot.rules import problems as rules
from bot.rules.org import CELL
from bot.rules.periods import Period
from bot.usecases import Actor
from storage.db import Database
from storage.models import GroupLink, MeetingReport, Person, Problem, Unit
from storage.queries.groups import groups_of_unit
from storage.queries.problems import (
    add_supplement,
    change_status,
    create_problem,
    nearest_supervised_ancestor,
    problem_by_id,
    recent_events,
    similar_open_problems,
    state_version,
    supervisors_of,
)
from storage.queries.units import names_by_id, unit_by_id

# Refusals after which the person may simply type another ticket number.
RETRY_TICKET = frozenset({"dup_missing", "dup_itself", "dup_chain"})


@dataclass
class Outcome:
    """What an action led to: a refusal (with the card as it is now when the problem changed
    meanwhile), or the changed problem with the people and groups to tell."""

    refusal: str | None = None
    card: render.Card | None = None
    recipients: list[Person] = field(default_factory=list)
    groups: list[GroupLink] = field(default_factory=list)
    from_unit: str = ""


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
    place: str = ""

    def note(self) -> str:
        """What it says, as a note added to another problem."""
        return "\n".join(part for part in (self.place, self.title, self.description) if part)


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
        place=new.place,
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
        note=new.note(),
        photos=list(new.photos),
        location=new.location,
        now=now,
    )
    return target


def sketch(problem: Problem) -> rules.Sketch:
    location = None if problem.latitude is None else (problem.latitude, problem.longitude or 0.0)
    return rules.Sketch(
        unit_id=problem.unit_id,
        category=problem.category,
        title=problem.title,
        place=problem.place,
        location=location,
        status=problem.status,
    )


async def similar_problems(
    session: AsyncSession, *, unit_id: int, new: NewProblem, limit: int = 5
) -> list[Problem]:
    """The cell's open problems that may be the one being raised (rules.problems.is_similar),
    newest first."""
    mine = rules.Sketch(unit_id, new.category, new.title, new.place, new.location)
    candidates = await similar_open_problems(
        session=session, unit_id=unit_id, category=new.category
    )
    return [p for p in candidates if rules.is_similar(mine, sketch(p))][:limit]


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


async def communes_for(
    session: AsyncSession, cells: Sequence[Unit], roots: Sequence[Unit]
) -> dict[int, str]:
    """Cell id -> its commune's name, for a viewer above the commune (village names repeat
    across communes); nothing for a cell whose commune is one of the viewer's own units."""
    root_ids = {root.id for root in roots}
    parents = {c.id: c.parent_id for c in cells if c.parent_id and c.parent_id not in root_ids}
    names = await names_by_id(session=session, ids=parents.values())
    return {cell: names[parent] for cell, parent in parents.items() if parent in names}


async def load_card(session: AsyncSession, problem: Problem, events: int = 5) -> render.Card:
    """Everything a problem's card shows."""
    report = await session.get(MeetingReport, problem.report_id) if problem.report_id else None
    unit = await unit_by_id(session=session, unit_id=problem.unit_id)
    parent = await unit_by_id(session=session, unit_id=unit.parent_id) if unit.parent_id else None
    return render.Card(
        problem=problem,
        commune=parent.name if parent else "",  # village names repeat across communes
        unit=unit,
        handling_unit=await unit_by_id(session=session, unit_id=problem.handling_unit_id),
        reporter=await session.get(Person, problem.reporter_id) if problem.reporter_id else None,
        version=await state_version(session=session, problem_id=problem.id),
        events=await recent_events(session=session, problem_id=problem.id, limit=events),
        report_period=Period.parse(report.period).label if report else None,
    )


def may_view(actor: Actor, card: render.Card) -> bool:
    """The problem's subtree, or its reporter."""
    return (
        can(actor.roles, Action.PROBLEM_VIEW, card.unit)
        or card.problem.reporter_id == actor.person.id
    )


def speaker_buttons(
    actor: Actor, card: render.Card, now: datetime, reopen_days: int
) -> tuple[tuple[str, ...], bool]:
    """What the actor may do from the card: the actions if their unit handles it, and "not
    resolved" if they raised it and may still reopen it."""
    problem = card.problem
    actions: tuple[str, ...] = ()
    if can(actor.roles, Action.PROBLEM_HANDLE, card.handling_unit):
        actions = rules.allowed_actions(problem.status)
    reopen = problem.reporter_id == actor.person.id and rules.can_reopen(
        problem.status, resolved_at=problem.resolved_at, now=now, reopen_days=reopen_days
    )
    return actions, reopen


async def visible_card(db: Database, actor: Actor, problem_id: int) -> render.Card | None:
    """The card of a problem the actor may see; None for one that does not exist or is not
    theirs to see."""
    async with db.session() as session:
        problem = await problem_by_id(session=session, problem_id=problem_id)
        card = await load_card(session, problem) if problem else None
    return card if card is not None and may_view(actor, card) else None


async def refusal(
    session: AsyncSession,
    actor: Actor,
    problem: Problem | None,
    action: str,
    version: int,
    now: datetime,
    reopen_days: int,
) -> str | None:
    """Why the actor may not take `action` on the problem as they saw it (`version`) now."""
    if problem is None:
        return "missing"
    unit = await unit_by_id(session=session, unit_id=problem.unit_id)
    handling = await unit_by_id(session=session, unit_id=problem.handling_unit_id)
    if action == rules.REOPEN:
        if problem.reporter_id != actor.person.id:
            return "missing"
    elif not can(actor.roles, Action.PROBLEM_VIEW, unit):
        return "missing"
    elif not can(actor.roles, Action.PROBLEM_HANDLE, handling):
        return "not_allowed"
    if await state_version(session=session, problem_id=problem.id) != version:
        return "stale"
    try:
        rules.transition(
            problem.status,
            action,
            now=now,
            resolved_at=problem.resolved_at,
            reopen_days=reopen_days,
        )
    except rules.Refused as refused:
        return refused.reason
    return None


async def check_action(
    db: Database,
    actor: Actor,
    problem_id: int,
    action: str,
    version: int,
    now: datetime,
    reopen_days: int,
) -> Outcome:
    """Whether the action would be taken, without taking it (read only: no lock, no write), so
    that a press is answered before the work; the card comes with it (as it is now), unless the
    problem is missing or not the actor's to handle."""
    async with db.session() as session:
        problem = await problem_by_id(session=session, problem_id=problem_id)
        why = await refusal(session, actor, problem, action, version, now, reopen_days)
        if why is None and action == rules.FORWARD:
            handling = await unit_by_id(session=session, unit_id=problem.handling_unit_id)
            why = None if await forward_target(session, handling) else "no_upper"
        card = await load_card(session, problem) if why is None or why == "stale" else None
    return Outcome(refusal=why, card=card)


async def apply_action(
    session: AsyncSession,
    actor: Actor,
    problem_id: int,
    action: str,
    version: int,
    now: datetime,
    reopen_days: int,
    note: str | None = None,
    ticket: int | None = None,
    due_days: dict[str, int] | None = None,
) -> Outcome:
    """Check and apply one action in the caller's transaction, the problem's row locked. A
    problem forwarded up gets its own due date at the new level (from `due_days`, the
    handling days by category), not what is left of the lower level's."""
    problem = await problem_by_id(session=session, problem_id=problem_id, for_update=True)
    why = await refusal(session, actor, problem, action, version, now, reopen_days)
    if why is not None:
        card = await load_card(session, problem) if why == "stale" else None
        return Outcome(refusal=why, card=card)
    extra: dict[str, Any] = {}
    handling = await unit_by_id(session=session, unit_id=problem.handling_unit_id)
    if action == rules.FORWARD:
        upper = await forward_target(session, handling)
        if upper is None:
            return Outcome(refusal="no_upper")
        extra["handling_unit_id"] = upper.id
        if due_days is not None:
            extra["due_at"] = rules.due_at(now, problem.category, due_days)
    if action == rules.MARK_DUPLICATE:
        why = await duplicate_refusal(session, actor, problem, ticket)
        if why is not None:
            return Outcome(refusal=why)
        extra["duplicate_of_id"] = ticket
    change = rules.transition(
        problem.status, action, now=now, resolved_at=problem.resolved_at, reopen_days=reopen_days
    )
    await change_status(
        session=session,
        problem=problem,
        change=change,
        person_id=actor.person.id,
        now=now,
        note=note,
        **extra,
    )
    outcome = Outcome(card=await load_card(session, problem), from_unit=handling.name)
    outcome.recipients, outcome.groups = await recipients(session, problem, action)
    return outcome


async def take_action(
    db: Database,
    actor: Actor,
    problem_id: int,
    action: str,
    version: int,
    now: datetime,
    reopen_days: int,
    note: str | None = None,
    ticket: int | None = None,
    due_days: dict[str, int] | None = None,
) -> Outcome:
    """`apply_action` in a transaction of its own."""
    async with db.session() as session:
        return await apply_action(
            session, actor, problem_id, action, version, now, reopen_days, note, ticket, due_days
        )


async def forward_target(session: AsyncSession, handling: Unit) -> Unit | None:
    """The nearest unit above the handling one that has supervisors (None at the top)."""
    return await nearest_supervised_ancestor(session=session, unit=handling)


async def duplicate_refusal(
    session: AsyncSession, actor: Actor, problem: Problem, ticket: int | None
) -> str | None:
    """Why `problem` cannot be marked a duplicate of `ticket` (one the actor cannot see is
    "missing")."""
    target = await problem_by_id(session=session, problem_id=ticket) if ticket else None
    target_unit = await unit_by_id(session=session, unit_id=target.unit_id) if target else None
    visible = target_unit is not None and can(actor.roles, Action.PROBLEM_VIEW, target_unit)
    reason = rules.duplicate_refusal(problem.id, ticket or 0, target.status if visible else None)
    return f"dup_{reason}" if reason else None


async def recipients(
    session: AsyncSession, problem: Problem, action: str
) -> tuple[list[Person], list[GroupLink]]:
    """Who is told about a change besides the reporter: the (new) handling unit's supervisors
    when it is forwarded or reopened, and its linked groups when forwarded."""
    if action not in (rules.FORWARD, rules.REOPEN):
        return [], []
    unit_id = problem.handling_unit_id
    people = await supervisors_of(session=session, unit_id=unit_id)
    groups = (
        await groups_of_unit(session=session, unit_id=unit_id) if action == rules.FORWARD else []
    )
    return people, groups

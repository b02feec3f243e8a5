"""A supervising unit's figures for a month, aggregated in SQL.

Every figure is counted by the database and grouped by child unit: the child of `root` a cell
lies under is a segment of the cell's materialised path ("1/7/93/": under root "1/" it is 7), so
one scan of the subtree's cells, joined to that month's reports by the (unit, period) index, gives
the whole breakdown, whatever the depth of the tree. Nothing here loads reports into Python.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, or_, text, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.figures import (
    QUALITY_DENOMINATOR,
    QUALITY_NUMERATOR,
    Calendar,
    CellState,
    Counts,
    attention_lists,
    is_quarter_end,
    month_bounds,
    quarter_periods,
    total,
    worst_first,
)
from bot.rules.org import REPORTING_ROLES
from bot.rules.periods import Period, deadline_day, deadline_end
from bot.rules.problems import CLOSED_STATUSES, OPEN_STATUSES, RESOLVED
from bot.rules.report import THEMATIC
from storage.models import (
    MeetingReport,
    Person,
    Problem,
    ProblemEvent,
    RoleAssignment,
    Unit,
    table_of,
)
from storage.queries.people import unreachable
from storage.queries.units import active_between

CELL = "cell"


class child_of(FunctionElement):
    """The id of the child of a root (given by its path's length) that a path lies under, as an
    integer; NULL for the root itself."""

    type = Integer()
    inherit_cache = True


@compiles(child_of, "sqlite")
def _child_of_sqlite(element: child_of, compiler: Any, **kw: Any) -> str:
    path, prefix_length = (compiler.process(arg, **kw) for arg in element.clauses)
    rest = f"substr({path}, {prefix_length} + 1)"
    return f"CAST(NULLIF(substr({rest}, 1, instr({rest}, '/') - 1), '') AS INTEGER)"


@compiles(child_of, "postgresql")
def _child_of_postgresql(element: child_of, compiler: Any, **kw: Any) -> str:
    path, prefix_length = (compiler.process(arg, **kw) for arg in element.clauses)
    rest = f"substr({path}, {prefix_length} + 1)"
    return f"CAST(NULLIF(split_part({rest}, '/', 1), '') AS INTEGER)"


class bytewise_path(FunctionElement):  # an SQL expression, named like one
    """units.path compared byte by byte, whatever the database's collation, so that a range of
    paths is exactly a prefix (PostgreSQL: COLLATE "C", served by the index ix_units_kind_path;
    SQLite compares bytes already). A B-tree range, because LIKE 'prefix%' uses no index on
    either backend and scans every unit."""

    type = String()
    inherit_cache = True


@compiles(bytewise_path)
def _bytewise_path(element: bytewise_path, compiler: Any, **kw: Any) -> str:
    return compiler.process(col(Unit.path), **kw)


@compiles(bytewise_path, "postgresql")
def _bytewise_path_postgresql(element: bytewise_path, compiler: Any, **kw: Any) -> str:
    return compiler.process(col(Unit.path), **kw) + ' COLLATE "C"'


def in_subtree(root: Unit) -> ColumnElement[bool]:
    """Condition on Unit: `root` or below it. Paths end with "/", so the prefix "1/7/" is the
    range ["1/7/", "1/70"): "0" is the character after "/"."""
    upper = root.path[:-1] + chr(ord(root.path[-1]) + 1)
    return and_(bytewise_path() >= root.path, bytewise_path() < upper)


def _child(root: Unit) -> ColumnElement[int]:
    return child_of(col(Unit.path), literal(len(root.path), Integer))


def started_by(period: Period) -> ColumnElement[bool]:
    """Condition on Unit: a cell with no `valid_from` owes reports from the month it was
    imported (rules.figures.expected_from); one with `valid_from` is checked by active_between.
    The import month is taken in UTC: a few hours' difference at a month's edge."""
    started = datetime.combine(period.next().first_day, time(0), tzinfo=UTC)
    return or_(col(Unit.valid_from).is_not(None), col(Unit.created_at) < started)


def _expected(root: Unit, period: Period) -> list[ColumnElement[bool]]:
    """Conditions on Unit: a cell of the subtree expected to report for the month."""
    return [
        in_subtree(root),
        col(Unit.kind) == CELL,
        active_between(period.first_day, period.last_day),
        started_by(period),
    ]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class ChildFigures:
    unit_id: int
    code: str
    name: str
    counts: Counts


# Up to this many cells, PostgreSQL looks each cell's reports up by the (unit, period) index
# (a LATERAL join); for more, hashing the month's reports is faster. Left to itself, its planner
# hashes all the country's reports even for one commune (4x slower for a province).
LOOKUP_LIMIT = 10_000
# The report's columns the figures read: all in ix_meeting_reports_figures (an index-only scan).
_REPORT_COLUMNS = (
    "unit_id",
    "held",
    "members",
    "exempt",
    "present",
    "absent_unexcused",
    "upper_attendee_name",
    "first_submitted_at",
)


async def _without_jit(session: AsyncSession) -> None:
    """PostgreSQL's JIT spends over a second compiling a country-wide count that runs in one
    and a half: off for the rest of this transaction (queries here are short and many)."""
    if session.bind.dialect.name == "postgresql":
        await session.exec(text("SET LOCAL jit = off"))  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only


async def _by_lookup(session: AsyncSession, root: Unit) -> bool:
    if session.bind.dialect.name != "postgresql":
        return False  # SQLite looks reports up by the index anyway
    cells = select(func.count()).where(in_subtree(root), col(Unit.kind) == CELL)
    return (await session.exec(cells)).one() <= LOOKUP_LIMIT


def _month_report(period: Period, lookup: bool) -> tuple[Any, ColumnElement[bool]]:
    """The cell's report for the month (at most one), to LEFT JOIN to Unit, with its ON clause."""
    if not lookup:
        r = table_of(MeetingReport).alias("r")
        return r, and_(r.c.unit_id == col(Unit.id), r.c.period == str(period))
    report = (
        select(*(getattr(MeetingReport, name) for name in _REPORT_COLUMNS))
        .where(col(MeetingReport.unit_id) == col(Unit.id), MeetingReport.period == str(period))
        .limit(1)
        .lateral("r")
    )
    return report, true()


def _thematic_in_quarter(period: Period, lookup: bool) -> tuple[Any, ColumnElement[int]]:
    """(a LATERAL to LEFT JOIN to Unit, or None; the count of cells that held a thematic meeting
    in the quarter up to `period`)."""
    earlier = aliased(MeetingReport)
    reports = select(earlier.unit_id).where(
        earlier.unit_id == col(Unit.id),
        # The quarter's months as a range: one month written as `period = ?` makes SQLite take
        # the unique (unit, period) index and read each report's row, not the figures index.
        col(earlier.period) >= str(quarter_periods(period)[0]),
        col(earlier.period) <= str(period),
        earlier.held,
        earlier.meeting_type == THEMATIC,
    )
    if not lookup:
        return None, _flag(reports.correlate(Unit).exists())
    report = reports.limit(1).correlate(Unit).lateral("thematic")
    return report, func.count(report.c.unit_id)


async def counts_by_child(
    *, session: AsyncSession, root: Unit, period: Period, deadline: datetime
) -> list[ChildFigures]:
    """The report figures of `period` for each child unit of `root` that has expected cells.

    `deadline` is the first late instant (rules.periods.deadline_end); a report is on time by
    its first submission, so a report returned and sent again keeps its place.
    """
    await _without_jit(session)
    lookup = await _by_lookup(session, root)
    month, on = _month_report(period, lookup)
    thematic, thematic_count = _thematic_in_quarter(period, lookup)
    r = month.c
    due = r.members - func.coalesce(r.exempt, 0)
    rated = and_(r.held, r.present.is_not(None), r.members.is_not(None), due > 0)
    above = and_(rated, QUALITY_DENOMINATOR * r.present > QUALITY_NUMERATOR * due)
    child = _child(root).label("child")
    query = (
        select(  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
            child,
            func.count(),
            func.count(r.unit_id),
            _flag(r.first_submitted_at < deadline),
            _flag(r.held.is_(True)),
            _flag(r.held.is_(False)),
            _flag(rated),
            func.coalesce(
                func.sum(case((rated, cast(r.present, Float) / cast(due, Float)), else_=0.0)), 0.0
            ),
            _flag(above),
            _flag(and_(above, func.coalesce(r.absent_unexcused, 0) == 0)),
            _flag(and_(r.held, func.coalesce(r.absent_unexcused, 0) > 0)),
            _flag(and_(r.held, func.coalesce(r.upper_attendee_name, "") != "")),
            thematic_count,
            func.coalesce(func.sum(case((rated, r.present), else_=0)), 0),
            func.coalesce(func.sum(case((rated, due), else_=0)), 0),
        )
        .select_from(Unit)
        .outerjoin(month, on)
        .where(*_expected(root, period))
        .group_by(child)
    )
    if thematic is not None:
        query = query.outerjoin(thematic, true())
    rows = (await session.exec(query)).all()
    names = await unit_labels(session=session, ids=[row[0] for row in rows])
    return [
        ChildFigures(row[0], *names[row[0]], Counts(*row[1:])) for row in rows if row[0] in names
    ]


async def unit_labels(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Units' codes and names by id."""
    ids = set(ids)
    if not ids:
        return {}
    result = await session.exec(select(Unit.id, Unit.code, Unit.name).where(col(Unit.id).in_(ids)))
    return {unit_id: (code, name) for unit_id, code, name in result.all()}


async def cells_and_communes(
    *, session: AsyncSession, ids: Iterable[int]
) -> dict[int, tuple[str, str]]:
    """Cells' names and their communes' (the unit directly above), by id."""
    ids = set(ids)
    if not ids:
        return {}
    parent = table_of(Unit).alias("parent")
    result = await session.exec(
        select(Unit.id, Unit.name, func.coalesce(parent.c.name, ""))
        .outerjoin(parent, parent.c.id == col(Unit.parent_id))
        .where(col(Unit.id).in_(ids))
    )
    return {unit_id: (name, commune) for unit_id, name, commune in result.all()}


@dataclass(frozen=True)
class ProblemCounts:
    """For one month: problems raised in it (`new`), resolved in it, and still open at its end
    (`open`, of which `overdue` were past their due date then)."""

    new: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0

    def __add__(self, other: ProblemCounts) -> ProblemCounts:
        return ProblemCounts(
            self.new + other.new,
            self.open + other.open,
            self.overdue + other.overdue,
            self.resolved + other.resolved,
        )


@dataclass
class ProblemFigures:
    """Problems raised in the subtree, all in the month's own time frame (see ProblemCounts)."""

    by_category: dict[str, ProblemCounts] = field(default_factory=dict)
    by_child: dict[int | None, ProblemCounts] = field(default_factory=dict)  # None: the root

    @property
    def total(self) -> ProblemCounts:
        result = ProblemCounts()
        for counts in self.by_category.values():
            result += counts
        return result


def _closed_at() -> ColumnElement[Any]:
    """When a closed problem was closed: resolved_at, else its last change (rejected, not
    ours, duplicate); NULL while it is open."""
    p = Problem
    return case(
        (col(p.status).in_(CLOSED_STATUSES), func.coalesce(col(p.resolved_at), col(p.updated_at))),
        else_=None,
    )


def _open_at(instant: datetime) -> ColumnElement[bool]:
    """Condition on Problem: raised before `instant` and not closed by then."""
    closed_at = _closed_at()
    return and_(col(Problem.created_at) < instant, or_(closed_at.is_(None), closed_at >= instant))


async def problem_figures(
    *, session: AsyncSession, root: Unit, start: datetime, end: datetime
) -> ProblemFigures:
    """Counts by child unit and category for the month [start, end): raised in it, resolved in
    it, open at its end and overdue then. A problem raised after `end` is in none of them."""
    p = Problem
    open_at_end = _open_at(end)
    new = and_(col(p.created_at) >= start, col(p.created_at) < end)
    resolved = and_(
        col(p.status) == RESOLVED, col(p.resolved_at) >= start, col(p.resolved_at) < end
    )
    child = _child(root).label("child")
    query = (
        select(  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
            child,
            col(p.category),
            _flag(new),
            _flag(open_at_end),
            _flag(and_(open_at_end, col(p.due_at) < end)),
            _flag(resolved),
        )
        .select_from(p)
        .join(Unit, col(Unit.id) == col(p.unit_id))
        .where(in_subtree(root), or_(open_at_end, new, resolved))
        .group_by(child, col(p.category))
    )
    figures = ProblemFigures()
    for child_id, category, *counts in (await session.exec(query)).all():
        counts = ProblemCounts(*counts)
        figures.by_category[category] = figures.by_category.get(category, ProblemCounts()) + counts
        figures.by_child[child_id] = figures.by_child.get(child_id, ProblemCounts()) + counts
    return figures


@dataclass(frozen=True)
class OpenNow:
    """Problems of the subtree open at `as_of` (an on-demand view only), and how many overdue."""

    as_of: datetime
    open: int
    overdue: int


async def open_now(*, session: AsyncSession, root: Unit, now: datetime) -> OpenNow:
    p = Problem
    is_open = col(p.status).in_(OPEN_STATUSES)
    row = (
        await session.exec(
            select(func.count(), _flag(col(p.due_at) < now))
            .select_from(p)
            .join(Unit, col(Unit.id) == col(p.unit_id))
            .where(in_subtree(root), is_open)
        )
    ).one()
    return OpenNow(now, *row)


@dataclass(frozen=True)
class MonthTrend:
    period: Period
    expected: int
    received: int
    on_time: int

    @property
    def counts(self) -> Counts:
        return Counts(expected=self.expected, received=self.received, on_time=self.on_time)


async def trend(
    *, session: AsyncSession, root: Unit, deadlines: dict[Period, datetime]
) -> list[MonthTrend]:
    """Expected, received and on-time reports of the subtree for each month (the chart's line).

    Two scans: the cells (expected per month, one conditional count each) and the months'
    reports of those cells (counted only for cells expected that month). The reports are one
    range of periods per cell (an index seek, not one per month) and each report's month looks
    its deadline and bounds up in a CASE; months in the range but not asked for are dropped.
    """
    await _without_jit(session)
    periods = sorted(deadlines)
    expected_row = (
        await session.exec(
            select(
                *(
                    _flag(and_(active_between(p.first_day, p.last_day), started_by(p)))
                    for p in periods
                )
            ).where(in_subtree(root), col(Unit.kind) == CELL)
        )
    ).one()
    r = MeetingReport

    def of_month(values: dict[Period, Any]) -> ColumnElement[Any]:
        return case({str(p): value for p, value in values.items()}, value=col(r.period))

    expected_then = and_(
        or_(
            col(Unit.valid_from).is_(None),
            col(Unit.valid_from) <= of_month({p: p.first_day for p in periods}),
        ),
        or_(
            col(Unit.valid_to).is_(None),
            col(Unit.valid_to) >= of_month({p: p.last_day for p in periods}),
        ),
        or_(
            col(Unit.valid_from).is_not(None),
            col(Unit.created_at)
            < of_month(
                {p: datetime.combine(p.next().first_day, time(0), tzinfo=UTC) for p in periods}
            ),
        ),
    )
    rows = (
        await session.exec(
            select(
                col(r.period), func.count(), _flag(col(r.first_submitted_at) < of_month(deadlines))
            )
            .join(Unit, col(Unit.id) == col(r.unit_id))
            .where(
                in_subtree(root),
                col(Unit.kind) == CELL,
                col(r.period) >= str(periods[0]),
                col(r.period) <= str(periods[-1]),
                expected_then,
            )
            .group_by(col(r.period))
        )
    ).all()
    received = {period: (count, timely) for period, count, timely in rows}
    return [
        MonthTrend(p, expected, *received.get(str(p), (0, 0)))
        for p, expected in zip(periods, expected_row, strict=True)  # type: ignore[call-overload]  # the row of a many-column select is untyped
    ]


def _on_chibo() -> ColumnElement[bool]:
    """Condition on Unit: someone active on Chibo may report for the cell."""
    return (
        select(RoleAssignment.id)
        .join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .where(
            col(RoleAssignment.unit_id) == col(Unit.id),
            col(RoleAssignment.role).in_(REPORTING_ROLES),
            col(RoleAssignment.revoked_at).is_(None),
            col(Person.active),
        )
        .correlate(Unit)
        .exists()
    )


async def cell_states(
    *, session: AsyncSession, root: Unit, period: Period, quarter_end: bool
) -> list[CellState]:
    """The expected cells of the subtree that a summary names (rules.figures.attention_lists):
    no report, not held, attendance at or below 85% or unexcused absences, nobody on Chibo and,
    when `quarter_end`, no thematic meeting this quarter. With their commune, by commune."""
    parent = table_of(Unit).alias("parent")
    r = MeetingReport
    due = col(r.members) - func.coalesce(col(r.exempt), 0)
    thematic_reports = aliased(MeetingReport)
    thematic = (
        select(thematic_reports.id)
        .where(
            thematic_reports.unit_id == col(Unit.id),
            col(thematic_reports.period) >= str(quarter_periods(period)[0]),
            col(thematic_reports.period) <= str(period),
            thematic_reports.held,
            thematic_reports.meeting_type == THEMATIC,
        )
        .correlate(Unit)
        .exists()
    )
    on_chibo = _on_chibo()
    rated = and_(col(r.present).is_not(None), col(r.members).is_not(None), due > 0)
    poor = and_(
        col(r.held).is_(True),
        or_(
            and_(rated, QUALITY_DENOMINATOR * col(r.present) <= QUALITY_NUMERATOR * due),
            func.coalesce(col(r.absent_unexcused), 0) > 0,
        ),
    )
    worth_naming = [col(r.id).is_(None), col(r.held).is_(False), poor, ~on_chibo]
    if quarter_end:
        worth_naming.append(~thematic)
    query = (
        select(  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
            Unit.id,
            Unit.code,
            Unit.name,
            func.coalesce(parent.c.name, ""),
            col(r.id).is_not(None),
            r.held,
            r.not_held_reason,
            r.present,
            case((col(r.members).is_not(None), due), else_=None),
            func.coalesce(col(r.absent_unexcused), 0),
            thematic,
            on_chibo,
        )
        .select_from(Unit)
        .outerjoin(parent, parent.c.id == col(Unit.parent_id))
        .outerjoin(r, and_(col(r.unit_id) == col(Unit.id), col(r.period) == str(period)))
        .where(*_expected(root, period), or_(*worth_naming))
        .order_by(parent.c.name, col(Unit.code))
    )
    return [
        CellState(
            unit_id,
            code,
            name,
            commune,
            bool(reported),
            held,
            reason,
            present,
            due_count,
            unexcused or 0,
            bool(has_thematic),
            bool(someone),
        )
        for (
            unit_id,
            code,
            name,
            commune,
            reported,
            held,
            reason,
            present,
            due_count,
            unexcused,
            has_thematic,
            someone,
        ) in (await session.exec(query)).all()
    ]


@dataclass(frozen=True)
class MissingCell:
    unit_id: int
    code: str
    name: str
    commune: str = ""


async def missing_cells(
    *, session: AsyncSession, root: Unit, period: Period, limit: int | None = None, offset: int = 0
) -> tuple[list[MissingCell], int]:
    """Expected cells of the subtree without a report for the month (by code, a page of `limit`
    from `offset`), and how many there are in all."""
    month, on = _month_report(period, await _by_lookup(session, root))
    parent = table_of(Unit).alias("parent")
    missing = (
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            # the commune is said only to someone above it
            case((col(Unit.parent_id) == root.id, ""), else_=func.coalesce(parent.c.name, "")),
        )
        .select_from(Unit)
        .outerjoin(parent, parent.c.id == col(Unit.parent_id))
        .outerjoin(month, on)
        .where(*_expected(root, period), month.c.unit_id.is_(None))
    )
    count = (await session.exec(select(func.count()).select_from(missing.subquery()))).one()
    query = missing.order_by(col(Unit.code))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    cells = [MissingCell(*row) for row in (await session.exec(query)).all()]
    return cells, count


@dataclass(frozen=True)
class UnreachablePerson:
    full_name: str
    role: str
    unit_name: str
    commune: str = ""


async def unreachable_people(
    *, session: AsyncSession, root: Unit, roles: Sequence[str]
) -> list[UnreachablePerson]:
    """People of the subtree holding `roles` whom the bot cannot reach (blocked it): to call."""
    parent = table_of(Unit).alias("parent")
    result = await session.exec(
        select(Person.full_name, RoleAssignment.role, Unit.name, func.coalesce(parent.c.name, ""))
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .join(Unit, col(Unit.id) == col(RoleAssignment.unit_id))
        .outerjoin(parent, parent.c.id == col(Unit.parent_id))
        .where(
            in_subtree(root),
            col(RoleAssignment.role).in_(roles),
            col(RoleAssignment.revoked_at).is_(None),
            col(Person.active),
            unreachable(),
        )
        .order_by(col(Unit.code), col(Person.full_name))
    )
    return [UnreachablePerson(*row) for row in result.all()]


@dataclass(frozen=True)
class ReportRow:
    """One expected cell and its report for the month (None when missing), for the export."""

    child_name: str
    unit_code: str
    unit_name: str
    report: MeetingReport | None
    commune: str = ""


async def report_rows(
    *, session: AsyncSession, root: Unit, period: Period, batch: int = 1000
) -> AsyncIterator[ReportRow]:
    """Every expected cell with its report, by child unit then code, streamed in batches."""
    child = table_of(Unit).alias("child")
    parent = table_of(Unit).alias("parent")
    query = (
        select(  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
            child.c.name, Unit.code, Unit.name, MeetingReport, func.coalesce(parent.c.name, "")
        )
        .select_from(Unit)
        .join(child, child.c.id == _child(root))
        .outerjoin(parent, parent.c.id == col(Unit.parent_id))
        .outerjoin(
            MeetingReport,
            and_(
                col(MeetingReport.unit_id) == col(Unit.id),
                col(MeetingReport.period) == str(period),
            ),
        )
        .where(*_expected(root, period))
        .order_by(child.c.name, col(Unit.code))
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for child_name, code, name, report, commune in result:
        yield ReportRow(child_name, code, name, report, commune)


@dataclass
class ProblemRow:
    """A problem of the month for the export: its cell and commune, its handler, its events."""

    problem: Problem
    cell: str
    commune: str
    handler: str
    events: list[ProblemEvent] = field(default_factory=list)


async def problem_rows(
    *, session: AsyncSession, root: Unit, start: datetime, end: datetime, batch: int = 1000
) -> AsyncIterator[ProblemRow]:
    """The month's problems of the subtree (raised in [start, end), resolved in it, or open at
    its end: the summary's time frame), oldest first, with their events, a batch at a time."""
    handler = table_of(Unit).alias("handler")
    parent = table_of(Unit).alias("parent")
    p = Problem
    query = (
        select(p, Unit.name, func.coalesce(parent.c.name, ""), handler.c.name)
        .join(Unit, col(Unit.id) == col(p.unit_id))
        .outerjoin(parent, parent.c.id == col(Unit.parent_id))
        .join(handler, handler.c.id == col(p.handling_unit_id))
        .where(
            in_subtree(root),
            or_(
                _open_at(end),
                and_(col(p.created_at) >= start, col(p.created_at) < end),
                and_(col(p.resolved_at) >= start, col(p.resolved_at) < end),
            ),
        )
        .order_by(col(p.created_at), col(p.id))
    )
    offset = 0
    while True:
        rows = (await session.exec(query.limit(batch).offset(offset))).all()
        if not rows:
            return
        offset += len(rows)
        events: dict[int, list[ProblemEvent]] = {}
        found = await session.exec(
            select(ProblemEvent)
            .where(col(ProblemEvent.problem_id).in_([row[0].id for row in rows]))
            .order_by(col(ProblemEvent.created_at), col(ProblemEvent.id))
        )
        for event in found.all():
            events.setdefault(event.problem_id, []).append(event)
        for problem, cell, commune, handler_name in rows:
            yield ProblemRow(problem, cell, commune, handler_name, events.get(problem.id, []))


@dataclass
class MonthSummary:
    """Everything a summary, its chart and its spreadsheet show, for one unit and month."""

    unit: Unit
    period: Period
    as_of: datetime
    deadline: date
    children: list[ChildFigures]  # worst first
    problems: ProblemFigures
    unreachable: list[UnreachablePerson]
    cells: list[CellState] = field(default_factory=list)  # the cells worth naming
    quarter_end: bool = False
    open_now: OpenNow | None = None  # on-demand views only

    @property
    def lists(self) -> dict[str, list[CellState]]:
        return attention_lists(self.cells, self.quarter_end)

    @property
    def total(self) -> Counts:
        return total(child.counts for child in self.children)


async def month_summary(
    *,
    session: AsyncSession,
    root: Unit,
    period: Period,
    now: datetime,
    cal: Calendar,
    on_demand: bool = False,
) -> MonthSummary:
    """The month's figures as of `now`; `on_demand` (a person asked) adds the problems open
    now, dated: a scheduled summary keeps to the month's own time frame."""
    children = await counts_by_child(
        session=session,
        root=root,
        period=period,
        deadline=deadline_end(period, cal.deadline_day, cal.tz),
    )
    start, end = month_bounds(period, cal)
    return MonthSummary(
        unit=root,
        period=period,
        as_of=now,
        deadline=deadline_day(period, cal.deadline_day),
        children=sorted(children, key=lambda child: worst_first(child.counts, child.name)),
        problems=await problem_figures(session=session, root=root, start=start, end=end),
        unreachable=await unreachable_people(session=session, root=root, roles=REPORTING_ROLES),
        cells=await cell_states(
            session=session, root=root, period=period, quarter_end=is_quarter_end(period)
        ),
        quarter_end=is_quarter_end(period),
        open_now=await open_now(session=session, root=root, now=now) if on_demand else None,
    )

"""The supervising committee's figures and the scheduler's calendar, as pure functions.

Figures (DOMAIN.md): expected reports are the cells active for the whole month and started by
then (`valid_from`, or else the month the cell was imported: months before are "no data", not
0%); completeness is
received ÷ expected, timeliness is received by the deadline ÷ expected (first submission time);
"not held" counts as received but not as a meeting held. A meeting's attendance rate is
present ÷ (members − exempt) (rules.report.attendance_rate); the quality bar is attendance
above 85% and no unexcused absence (rules.report.quality). The attendance of many meetings is
one pooled rate: all present ÷ all expected to attend (`Counts.attendance`), never an average
of rates.

Calendar: every scheduled message belongs to a *step* with a planned instant (a reminder step
of a period, the monthly summary, a weekly digest, a daily problem digest). A step is due from
its instant until the catch-up window has passed, so a step missed while the bot was down is
still sent when it comes back, and only the outbox key stops it from going twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from bot.rules.periods import Period, deadline_day, open_periods
from bot.rules.report import first_expected

if TYPE_CHECKING:
    from bot.config import Settings

# rules.report.QUALITY_THRESHOLD (attendance strictly above 85%) as a fraction, so that SQL can
# compare integers: 20·present > 17·(members − exempt).
QUALITY_NUMERATOR, QUALITY_DENOMINATOR = 17, 20
T = TypeVar("T")
# A step is due at least this long after its instant, even with catch_up_hours = 0: a run fired by
# the scheduler a few seconds late must still see it.
MIN_WINDOW = timedelta(hours=1)


# --- figures ----------------------------------------------------------------------------------


def share(part: int | float, whole: int | float) -> float | None:
    """part ÷ whole, or None when there is nothing to divide by (shown as "–", never 0%)."""
    return part / whole if whole else None


def percent(part: int | float, whole: int | float) -> int | None:
    """A whole percentage, rounded half up (3 of 8 is 38%), or None for an empty whole."""
    if not whole:
        return None
    return int((200 * part + whole) // (2 * whole))


def above_bar(present: int, members: int, exempt: int | None) -> bool:
    """Attendance above 85%, computed without floating point (85% exactly is not above)."""
    due = members - (exempt or 0)
    return due > 0 and QUALITY_DENOMINATOR * present > QUALITY_NUMERATOR * due


@dataclass(frozen=True)
class Counts:
    """The report figures of a set of cells for one month (one child unit, or a whole subtree).

    Counts of cells; over the meetings held with usable attendance figures (`rated`),
    `present` people attended of `due` expected to attend (the pooled rate), and `rate_sum` is
    the sum of their own rates. Sums of Counts are Counts, so totals add children up.
    """

    expected: int = 0
    received: int = 0
    on_time: int = 0
    held: int = 0
    not_held: int = 0
    rated: int = 0
    rate_sum: float = 0.0
    above_bar: int = 0
    good: int = 0  # above the bar and nobody absent without reason
    unexcused: int = 0  # meetings with at least one unexcused absence
    upper: int = 0  # meetings attended by an upper-level committee member
    thematic: int = 0  # cells with a thematic meeting this quarter (up to this month)
    present: int = 0  # people present at the rated meetings
    due: int = 0  # people expected to attend them (members − exempt)

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def missing(self) -> int:
        return self.expected - self.received

    @property
    def late(self) -> int:
        return self.received - self.on_time

    @property
    def below_bar(self) -> int:
        """Meetings whose attendance is 85% or less."""
        return self.rated - self.above_bar

    @property
    def completeness(self) -> int | None:
        return percent(self.received, self.expected)

    @property
    def timeliness(self) -> int | None:
        return percent(self.on_time, self.expected)

    @property
    def attendance(self) -> int | None:
        """The pooled attendance rate: everyone present ÷ everyone expected to attend, over the
        meetings held with attendance figures, as a whole percentage."""
        return percent(self.present, self.due)

    @property
    def average_attendance(self) -> int | None:
        """The plain average of each meeting's rate (not shown: `attendance` is the figure)."""
        return percent(self.rate_sum, self.rated)

    @property
    def quality_share(self) -> int | None:
        """Share of meetings held that meet the quality bar."""
        return percent(self.good, self.held)


def total(counts: Iterable[Counts]) -> Counts:
    result = Counts()
    for item in counts:
        result += item
    return result


def worst_first(counts: Counts, name: str) -> tuple[int, int, str]:
    """Sort key of child units: the least complete first, then the least timely, then by name."""
    completeness, timeliness = counts.completeness, counts.timeliness
    return (
        101 if completeness is None else completeness,
        101 if timeliness is None else timeliness,
        name,
    )


def is_quarter_end(period: Period) -> bool:
    """The quarter's last month: a cell without a thematic meeting by now has missed it."""
    return period.month % 3 == 0


def expected_from(valid_from: date | None, imported_on: date) -> date:
    """The first day of the first month a cell owes a report: the month it became valid (the
    next one when it began mid-month), else the month it was imported (history before Chibo is
    "no data"). The same start as a cell's history (rules.report.first_expected)."""
    first = first_expected(valid_from, imported_on)
    assert first is not None  # the import date is always known
    return first.first_day


def is_expected(
    valid_from: date | None, valid_to: date | None, imported_on: date, period: Period
) -> bool:
    """Expected to report for `period`: started by its first day (`expected_from`) and valid
    until its last (rules.org.is_active_in)."""
    started = expected_from(valid_from, imported_on) <= period.first_day
    return started and (valid_to is None or valid_to >= period.last_day)


def with_data(months: Sequence[T]) -> list[T]:
    """The trend's months from the first one with any cell expected (a `.counts.expected`):
    months before Chibo held data are left out, not drawn at 0%."""
    months = list(months)
    for index, month in enumerate(months):
        if month.counts.expected:  # type: ignore[attr-defined]
            return [m for m in months[index:] if m.counts.expected]  # type: ignore[attr-defined]
    return []


# --- the cells a committee should act on -------------------------------------------------------

MISSING, NOT_HELD, ATTENDANCE, NO_THEMATIC, NOBODY = (
    "missing",
    "not_held",
    "attendance",
    "no_thematic",
    "nobody",
)
ATTENTION_LISTS = (MISSING, NOT_HELD, ATTENDANCE, NO_THEMATIC, NOBODY)


@dataclass(frozen=True)
class CellState:
    """One expected cell in a month, as the summary's lists need it."""

    unit_id: int
    code: str
    name: str
    commune: str  # the unit directly above the cell (đảng ủy xã / phường / đặc khu)
    reported: bool = False
    held: bool | None = None
    reason: str | None = None  # why the meeting was not held
    present: int | None = None
    due: int | None = None  # members − exempt
    unexcused: int = 0
    thematic: bool = False  # a thematic meeting this quarter, up to this month
    on_chibo: bool = True  # someone may report for it (a secretary or deputy on Chibo)

    @property
    def attendance(self) -> int | None:
        return percent(self.present, self.due) if self.present is not None and self.due else None

    @property
    def poor_attendance(self) -> bool:
        """Held with attendance at or below 85%, or with someone absent without reason."""
        if not (self.reported and self.held):
            return False
        below = (
            self.present is not None
            and bool(self.due)
            and not (QUALITY_DENOMINATOR * self.present > QUALITY_NUMERATOR * (self.due or 0))
        )
        return below or self.unexcused > 0


def attention_lists(cells: Iterable[CellState], quarter_end: bool) -> dict[str, list[CellState]]:
    """The named lists of a summary, each by commune then code: cells that did not report, did
    not meet, met with poor attendance or unexcused absences, have no thematic meeting by the
    quarter's last month, and cells where nobody uses Chibo (a phone call, not a reminder)."""
    lists: dict[str, list[CellState]] = {name: [] for name in ATTENTION_LISTS}
    for cell in sorted(cells, key=lambda c: (c.commune, c.code)):
        if not cell.reported and cell.on_chibo:
            lists[MISSING].append(cell)
        elif cell.held is False:
            lists[NOT_HELD].append(cell)
        if cell.poor_attendance:
            lists[ATTENDANCE].append(cell)
        if quarter_end and not cell.thematic:
            lists[NO_THEMATIC].append(cell)
        if not cell.on_chibo:
            lists[NOBODY].append(cell)
    return lists


def by_commune(cells: Sequence[CellState]) -> list[tuple[str, list[CellState]]]:
    """Cells grouped by commune, in the order given."""
    groups: dict[str, list[CellState]] = {}
    for cell in cells:
        groups.setdefault(cell.commune, []).append(cell)
    return list(groups.items())


def quarter_periods(period: Period) -> list[Period]:
    """The months of the period's quarter up to and including it (thematic meetings so far)."""
    first = (period.quarter - 1) * 3 + 1
    return [Period(period.year, month) for month in range(first, period.month + 1)]


def last_months(period: Period, count: int = 12) -> list[Period]:
    """`count` months ending with `period`, oldest first (the chart's trend)."""
    months = [period]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


# --- calendar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The scheduling settings, as the rules need them (built from Settings by `from_settings`)."""

    tz: ZoneInfo
    deadline_day: int = 5
    reminder_offsets: tuple[int, ...] = (-3, 0, 2)
    reminder_hour: int = 8
    summary_hour: int = 7
    digest_weekday: int = 0  # Monday = 0, as in Python
    catch_up: timedelta = timedelta(hours=24)
    escalation_delay: timedelta = timedelta(days=3)

    @classmethod
    def from_settings(cls, settings: Settings) -> Calendar:
        return cls(
            tz=settings.tz,
            deadline_day=settings.report_deadline_day,
            reminder_offsets=settings.reminder_offsets,
            reminder_hour=settings.reminder_hour,
            summary_hour=settings.summary_hour,
            digest_weekday=settings.digest_weekday,
            catch_up=timedelta(hours=settings.catch_up_hours),
            escalation_delay=timedelta(days=settings.escalation_delay_days),
        )

    @property
    def window(self) -> timedelta:
        """How long after its instant a step is still sent (the catch-up window)."""
        return max(self.catch_up, MIN_WINDOW)

    def at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=self.tz)

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()


def is_due(step_at: datetime, now: datetime, window: timedelta) -> bool:
    """A step is due from its instant until the window has passed (then it is not caught up)."""
    return step_at <= now < step_at + window


def reminder_step_at(period: Period, offset: int, cal: Calendar) -> datetime:
    day = deadline_day(period, cal.deadline_day) + timedelta(days=offset)
    return cal.at(day, cal.reminder_hour)


def reminder_steps_due(now: datetime, period: Period, cal: Calendar) -> list[int]:
    """The reminder steps (days relative to the deadline day) of `period` due at `now`."""
    return [
        offset
        for offset in cal.reminder_offsets
        if is_due(reminder_step_at(period, offset, cal), now, cal.window)
    ]


def reminders_due(now: datetime, cal: Calendar) -> list[tuple[Period, int]]:
    """(period, step) pairs to send now. When a long catch-up window holds several steps of one
    period, only the latest is sent: a cell gets one reminder, not a burst of stale ones."""
    current = Period.of(cal.local_date(now))
    due = []
    for period in (current.previous().previous(), current.previous(), current):
        steps = reminder_steps_due(now, period, cal)
        if steps:
            due.append((period, max(steps)))
    return due


def summary_at(period: Period, cal: Calendar) -> datetime:
    """The monthly summary goes out the day after the deadline day."""
    return cal.at(deadline_day(period, cal.deadline_day) + timedelta(days=1), cal.summary_hour)


def summary_due(now: datetime, cal: Calendar) -> Period | None:
    current = Period.of(cal.local_date(now))
    for period in (current.previous(), current.previous().previous()):
        if is_due(summary_at(period, cal), now, cal.window):
            return period
    return None


def _latest_daily(now: datetime, hour: int, cal: Calendar, weekday: int | None = None) -> datetime:
    """The latest instant at or before `now` at `hour` o'clock (on `weekday`, if given)."""
    day = cal.local_date(now)
    while True:
        instant = cal.at(day, hour)
        if instant <= now and (weekday is None or day.weekday() == weekday):
            return instant
        day -= timedelta(days=1)


def digest_period(day: date, cal: Calendar) -> Period | None:
    """The period a progress digest on `day` is about: the open period with the nearest deadline.
    None on the summary day (the summary says it all)."""
    noon = datetime.combine(day, time(12), tzinfo=cal.tz)
    period = open_periods(noon, cal.deadline_day, cal.tz)[-1]
    if cal.local_date(summary_at(period.previous(), cal)) == day:
        return None
    return period


def digest_due(now: datetime, cal: Calendar) -> tuple[Period, date] | None:
    """The weekly progress digest due now, as (period, day of the digest)."""
    instant = _latest_daily(now, cal.summary_hour, cal, weekday=cal.digest_weekday)
    if not is_due(instant, now, cal.window):
        return None
    day = cal.local_date(instant)
    period = digest_period(day, cal)
    return (period, day) if period is not None else None


def problem_digest_due(now: datetime, cal: Calendar) -> datetime | None:
    """The instant of the daily digest of new problems due now (it covers the 24 hours before)."""
    instant = _latest_daily(now, cal.summary_hour, cal)
    return instant if is_due(instant, now, cal.window) else None


def month_bounds(period: Period, cal: Calendar) -> tuple[datetime, datetime]:
    """[start, end) of a month in local time."""
    return cal.at(period.first_day, 0), cal.at(period.next().first_day, 0)


def escalation_levels_due(due_at: datetime, now: datetime, delay: timedelta) -> int:
    """How many levels an open problem has climbed by `now`: 1 (its handling unit) once overdue,
    one more ancestor with supervisors for each further `delay`."""
    if now < due_at:
        return 0
    return 1 + int((now - due_at) // delay)


def next_daily(now: datetime, hour: int, cal: Calendar) -> datetime:
    """The next instant after `now` at `hour` o'clock (when a daily job fires next)."""
    day = cal.local_date(now)
    while cal.at(day, hour) <= now:
        day += timedelta(days=1)
    return cal.at(day, hour)


def next_reminder_step(now: datetime, cal: Calendar) -> tuple[Period, int, datetime]:
    """The next reminder step after `now` (for `chibo jobs list`)."""
    current = Period.of(cal.local_date(now))
    steps = [
        (reminder_step_at(period, offset, cal), period, offset)
        for period in (current.previous(), current, current.next())
        for offset in cal.reminder_offsets
    ]
    instant, period, offset = min(step for step in steps if step[0] > now)
    return period, offset, instant

"""The /export spreadsheet (XlsxWriter in constant-memory mode: rows stream to disk as they come
from the database, so a province's export does not sit in memory).

Sheets: reports (every expected cell with its commune, its report or "missing"), problems (raised
or resolved in the month, or open at its end: the summary's time frame; with description, notes
and each state's date), completeness by unit (the summary's breakdown and its total; attendance
is the pooled rate, as its header says), and the cells the summary names. Headers in
the user's language (Vietnamese by default); dates and times are real spreadsheet dates, in the
configured time zone; percentages are fractions shown as percentages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from bot import i18n
from bot.rules.figures import ATTENDANCE, NOT_HELD, CellState, share
from bot.rules.periods import deadline_end
from bot.rules.problems import OPEN_STATUSES
from bot.rules.report import attendance_rate
from storage.models import ProblemEvent
from storage.queries.figures import MonthSummary, ProblemCounts, ProblemRow, ReportRow

REPORT_COLUMNS = (
    ("unit", 28),
    ("commune", 28),
    ("code", 12),
    ("cell", 28),
    ("status", 12),
    ("held", 8),
    ("not_held_reason", 24),
    ("meeting_date", 12),
    ("meeting_type", 12),
    ("topic", 24),
    ("members", 10),
    ("exempt", 10),
    ("present", 10),
    ("absent_excused", 10),
    ("absent_unexcused", 10),
    ("attendance", 10),
    ("upper_attendee", 24),
    ("first_submitted", 17),
    ("submitted", 17),
)
PROBLEM_COLUMNS = (
    ("number", 9),
    ("commune", 28),
    ("cell", 28),
    ("category", 20),
    ("title", 40),
    ("description", 50),
    ("urgency", 12),
    ("problem_status", 14),
    ("handler", 28),
    ("created", 17),
    ("acknowledged", 17),
    ("started", 17),
    ("forwarded", 17),
    ("resolved", 17),
    ("closed", 17),
    ("due", 12),
    ("overdue_end", 12),
    ("notes", 60),
)
# The date of each state: the last event that led there (a reopened problem resolved again
# shows its latest resolution).
STATE_DATES = (
    ("acknowledge",),
    ("start", "reopen"),
    ("forward",),
    ("resolve",),
    ("reject", "not_ours", "duplicate"),
)
ATTENTION_COLUMNS = (
    ("list", 34),
    ("commune", 28),
    ("code", 12),
    ("cell", 28),
    ("detail", 40),
)
UNIT_COLUMNS = (
    ("unit", 32),
    ("expected", 10),
    ("received", 10),
    ("on_time", 10),
    ("completeness", 12),
    ("timeliness", 12),
    ("held", 10),
    ("not_held", 10),
    ("pooled_attendance", 16),
    ("below_bar", 10),
    ("good", 10),
    ("unexcused", 10),
    ("upper", 10),
    ("thematic", 12),
    ("problems_new", 12),
    ("problems_resolved", 12),
    ("problems_open", 12),
    ("problems_overdue", 12),
)


class _Sheets:
    def __init__(self, target: IO[bytes] | str, language: str, tz: ZoneInfo) -> None:
        # Imported here, as matplotlib is for charts: only an export needs it, and loading it
        # with the bot costs every process 2.3 MB of memory (docs/BENCHMARKS.md, section 4).
        import xlsxwriter

        self.book = xlsxwriter.Workbook(target, {"constant_memory": True})
        self.language, self.tz = language, tz
        self.header = self.book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.date = self.book.add_format({"num_format": "dd/mm/yyyy"})
        self.moment = self.book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.percent = self.book.add_format({"num_format": "0%"})
        self.bold = self.book.add_format({"bold": True})
        self.bold_percent = self.book.add_format({"bold": True, "num_format": "0%"})

    def t(self, key: str, **values: object) -> str:
        return i18n.t(self.language, key, **values)

    def sheet(self, key: str, columns: tuple[tuple[str, int], ...]) -> Any:
        sheet = self.book.add_worksheet(self.t(key)[:31])
        for index, (name, width) in enumerate(columns):
            sheet.set_column(index, index, width)
            sheet.write_string(0, index, self.t(f"xlsx.col.{name}"), self.header)
        sheet.freeze_panes(1, 0)
        return sheet

    def local(self, instant: datetime | None) -> datetime | None:
        """Spreadsheets have no time zones: the local wall-clock time."""
        return instant.astimezone(self.tz).replace(tzinfo=None) if instant else None

    def write(self, sheet: Any, row: int, values: list[Any]) -> None:
        """Each value, or (value, format), by its type: text is always text (a report's topic
        that starts with "=" must not become a formula)."""
        for column, value in enumerate(values):
            value, style = value if isinstance(value, tuple) else (value, None)
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row, column, value, style)
            elif isinstance(value, date):
                sheet.write_datetime(row, column, value, style)
            else:
                sheet.write_number(row, column, value, style)

    def yes_no(self, flag: bool) -> str:
        return self.t("xlsx.yes" if flag else "xlsx.no")


async def write_export(
    target: IO[bytes] | str,
    *,
    language: str,
    tz: ZoneInfo,
    deadline_day: int,
    summary: MonthSummary,
    reports: AsyncIterator[ReportRow],
    problems: AsyncIterator[ProblemRow],
    month_end: datetime,
) -> None:
    """Write the workbook to `target` (a path or a binary file), consuming the two streams."""
    sheets = _Sheets(target, language, tz)
    sheets.book.set_properties(
        {
            "title": sheets.t(
                "xlsx.title",
                period=summary.period.label,
                unit=summary.unit.name,
                moment=sheets.local(summary.as_of).strftime("%H:%M %d/%m/%Y"),
            )
        }
    )
    deadline = deadline_end(summary.period, deadline_day, tz)
    await _reports(sheets, reports, deadline)
    await _problems(sheets, problems, month_end)
    _units(sheets, summary)
    _attention(sheets, summary)
    sheets.book.close()


async def _reports(sheets: _Sheets, rows: AsyncIterator[ReportRow], deadline: datetime) -> None:
    sheet = sheets.sheet("xlsx.sheet.reports", REPORT_COLUMNS)
    number = 0
    async for number, row in _numbered(rows):
        report = row.report
        values: list[Any] = [row.child_name, row.commune, row.unit_code, row.unit_name]
        if report is None:
            values.append(sheets.t("xlsx.status.missing"))
        else:
            on_time = report.first_submitted_at < deadline
            rate = (
                attendance_rate(report.present, report.members, report.exempt or 0)
                if report.held and report.present is not None and report.members is not None
                else None
            )
            values += [
                sheets.t("xlsx.status.on_time" if on_time else "xlsx.status.late"),
                sheets.yes_no(report.held),
                report.not_held_reason,
                (report.meeting_date, sheets.date) if report.meeting_date else None,
                _label(sheets, "report.type", report.meeting_type) if report.meeting_type else None,
                report.topic,
                report.members,
                report.exempt,
                report.present,
                report.absent_excused,
                report.absent_unexcused,
                (rate, sheets.percent) if rate is not None else None,
                _upper(report.upper_attendee_name, report.upper_attendee_position),
                (sheets.local(report.first_submitted_at), sheets.moment),
                (sheets.local(report.submitted_at), sheets.moment),
            ]
        sheets.write(sheet, number, values)
    sheet.autofilter(0, 0, number, len(REPORT_COLUMNS) - 1)


async def _numbered(rows: AsyncIterator[Any]) -> AsyncIterator[tuple[int, Any]]:
    number = 0
    async for row in rows:
        number += 1
        yield number, row


def _upper(name: str | None, position: str | None) -> str | None:
    if not name:
        return None
    return f"{name} ({position})" if position else name


async def _problems(sheets: _Sheets, rows: AsyncIterator[ProblemRow], end: datetime) -> None:
    """The month's problems (the summary's time frame); "overdue" is at the month's end."""
    sheet = sheets.sheet("xlsx.sheet.problems", PROBLEM_COLUMNS)
    number = 0
    async for number, row in _numbered(rows):
        problem = row.problem
        dates = [_last_event(sheets, row.events, actions) for actions in STATE_DATES]
        if problem.resolved_at is not None:
            dates[3] = sheets.local(problem.resolved_at)
        sheets.write(
            sheet,
            number,
            [
                problem.id,
                row.commune,
                row.cell,
                _label(sheets, "problem.category", problem.category),
                problem.title,
                problem.description,
                _label(sheets, "problem.urgency", problem.urgency),
                _label(sheets, "problem.status", problem.status),
                row.handler,
                (sheets.local(problem.created_at), sheets.moment),
                *((value, sheets.moment) if value else None for value in dates),
                (sheets.local(problem.due_at).date(), sheets.date),
                sheets.yes_no(_open_at(problem, end) and problem.due_at < end),
                _notes(sheets, row.events),
            ],
        )
    sheet.autofilter(0, 0, number, len(PROBLEM_COLUMNS) - 1)


def _open_at(problem: Any, instant: datetime) -> bool:
    """Raised before `instant` and not closed by then (storage.queries.figures._open_at)."""
    if problem.created_at >= instant:
        return False
    if problem.status in OPEN_STATUSES:
        return True
    return (problem.resolved_at or problem.updated_at) >= instant


def _last_event(sheets: _Sheets, events: list[ProblemEvent], actions: tuple[str, ...]) -> Any:
    moments = [event.created_at for event in events if event.action in actions]
    return sheets.local(max(moments)) if moments else None


def _notes(sheets: _Sheets, events: list[ProblemEvent]) -> str | None:
    """Every note of the problem's handling, dated, oldest first."""
    lines = [
        f"{sheets.local(event.created_at):%d/%m/%Y} "
        f"{_label(sheets, 'problem.event', event.action)}: {event.note}"
        for event in events
        if event.note and event.action != "raise"
    ]
    return "\n".join(lines) or None


def _attention(sheets: _Sheets, summary: MonthSummary) -> None:
    """The cells the summary's text names, every one of them, with the same details."""
    sheet = sheets.sheet("xlsx.sheet.attention", ATTENTION_COLUMNS)
    row = 0
    for kind, cells in summary.lists.items():
        for cell in cells:
            row += 1
            sheets.write(
                sheet,
                row,
                [
                    sheets.t(f"xlsx.list.{kind}"),
                    cell.commune,
                    cell.code,
                    cell.name,
                    _detail(sheets, kind, cell),
                ],
            )
    for person in summary.unreachable:
        row += 1
        sheets.write(
            sheet,
            row,
            [
                sheets.t("xlsx.list.unreachable"),
                person.commune,
                None,
                person.unit_name,
                f"{person.full_name} – {sheets.t(f'role.{person.role}')}",
            ],
        )
    sheet.autofilter(0, 0, row, len(ATTENTION_COLUMNS) - 1)


def _detail(sheets: _Sheets, kind: str, cell: CellState) -> str | None:
    if kind == NOT_HELD:
        return cell.reason or None
    if kind == ATTENDANCE:
        rate = "–" if cell.attendance is None else f"{cell.attendance}%"
        return sheets.t("xlsx.attendance_detail", rate=rate, unexcused=cell.unexcused)
    return None


def _label(sheets: _Sheets, prefix: str, code: str) -> str:
    try:
        return sheets.t(f"{prefix}.{code}")
    except KeyError:
        return code


def _units(sheets: _Sheets, summary: MonthSummary) -> None:
    sheet = sheets.sheet("xlsx.sheet.units", UNIT_COLUMNS)
    rows = [
        (child.name, child.counts, summary.problems.by_child.get(child.unit_id, ProblemCounts()))
        for child in summary.children
    ]
    for number, (name, counts, problems) in enumerate(rows, start=1):
        sheets.write(sheet, number, _unit_values(sheets, name, counts, problems, bold=False))
    total = (sheets.t("xlsx.total"), summary.total, summary.problems.total)
    sheets.write(sheet, len(rows) + 1, _unit_values(sheets, *total, bold=True))


def _unit_values(
    sheets: _Sheets, name: str, counts: Any, problems: ProblemCounts, *, bold: bool
) -> list[Any]:
    number = sheets.bold if bold else None
    percent = sheets.bold_percent if bold else sheets.percent

    def ratio(part: float, whole: float) -> Any:
        value = share(part, whole)
        return None if value is None else (value, percent)

    def count(value: int) -> Any:
        return (value, number) if bold else value

    return [
        (name, number) if bold else name,
        count(counts.expected),
        count(counts.received),
        count(counts.on_time),
        ratio(counts.received, counts.expected),
        ratio(counts.on_time, counts.expected),
        count(counts.held),
        count(counts.not_held),
        ratio(counts.present, counts.due),
        count(counts.below_bar),
        count(counts.good),
        count(counts.unexcused),
        count(counts.upper),
        count(counts.thematic),
        count(problems.new),
        count(problems.resolved),
        count(problems.open),
        count(problems.overdue),
    ]

"""The supervisors' texts (summary, progress digest, missing cells, escalations) and the
secretaries' reminders: the numbers that matter first, short lines for a small screen.

Every name typed by an administrator or a user is HTML-escaped; every word comes from the
supervisor catalog (bot/locales/*/supervisor.po).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import i18n
from bot.payloads import MissingPage, Nudge, ShowMissing
from bot.render import report
from bot.rules.figures import Counts
from bot.rules.periods import Period
from storage.models import Problem
from storage.queries.figures import (
    ChildFigures,
    MissingCell,
    MonthSummary,
    ProblemCounts,
    ProblemFigures,
)

MAX_CHILDREN = 15  # lines of the breakdown by child unit; the export has them all
MAX_LIST = 30  # problems in a daily digest
TEXT_LIMIT = 4096

# The buttons' callback data: payloads of bot.payloads, packed (the outbox keeps them as text).
Buttons = list[list[tuple[str, str]]]
Translate = Callable[..., str]


def pct(value: int | None) -> str:
    return "–" if value is None else f"{value}%"


def day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def moment(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def _clip(text: str, language: str) -> str:
    """Keep a message under Telegram's limit, saying that the rest is in the export."""
    if len(text) <= TEXT_LIMIT:
        return text
    more = "\n" + i18n.t(language, "summary.truncated")
    cut = text[: TEXT_LIMIT - len(more)]
    return cut[: cut.rfind("\n")] + more


def category_label(language: str, category: str) -> str:
    try:
        return i18n.t(language, f"problem.category.{category}")
    except KeyError:
        return html.escape(category)


# --- summary ----------------------------------------------------------------------------------


def summary_text(language: str, summary: MonthSummary, tz: ZoneInfo) -> str:
    t = _translator(language)
    total = summary.total
    lines = [
        t("summary.title", period=summary.period.label),
        f"<b>{html.escape(summary.unit.name)}</b>",
        t("summary.as_of", moment=moment(summary.as_of, tz), deadline=day_text(summary.deadline)),
        "",
        *_report_lines(t, total),
        "",
        *_problem_lines(t, language, summary.problems),
        "",
        *_children_lines(t, summary.children),
        *_unreachable_lines(t, summary),
    ]
    return _clip("\n".join(lines).strip(), language)


def _translator(language: str) -> Translate:
    return lambda key, **values: i18n.t(language, key, **values)


def _report_lines(t: Translate, total: Counts) -> list[str]:
    if not total.expected:
        return [t("summary.no_cells")]
    return [
        t(
            "summary.received",
            received=total.received,
            expected=total.expected,
            percent=pct(total.completeness),
        ),
        t(
            "summary.on_time",
            on_time=total.on_time,
            expected=total.expected,
            percent=pct(total.timeliness),
            late=total.late,
            missing=total.missing,
        ),
        t("summary.held", held=total.held, not_held=total.not_held),
        t(
            "summary.attendance",
            average=pct(total.average_attendance),
            below=total.below_bar,
            unexcused=total.unexcused,
        ),
        t("summary.quality", good=total.good, held=total.held, percent=pct(total.quality_share)),
        t("summary.upper", upper=total.upper),
        t("summary.thematic", thematic=total.thematic, expected=total.expected),
    ]


def _problem_lines(t: Translate, language: str, problems: ProblemFigures) -> list[str]:
    counts = problems.total
    lines = [t("summary.problems", **_problem_values(counts))]
    for category, by_category in sorted(problems.by_category.items()):
        lines.append(
            t(
                "summary.problem_category",
                category=category_label(language, category),
                **_problem_values(by_category),
            )
        )
    return lines


def _problem_values(counts: ProblemCounts) -> dict[str, int]:
    return {
        "new": counts.new,
        "open": counts.open,
        "overdue": counts.overdue,
        "resolved": counts.resolved,
    }


def _children_lines(t: Translate, children: Sequence[ChildFigures]) -> list[str]:
    if len(children) < 2:
        return []
    lines = [t("summary.by_unit")]
    for child in children[:MAX_CHILDREN]:
        lines.append(child_line(t, child.name, child.counts))
    if len(children) > MAX_CHILDREN:
        lines.append(t("summary.more_units", count=len(children) - MAX_CHILDREN))
    return lines


def child_line(t: Translate, name: str, counts: Counts) -> str:
    return t(
        "summary.unit_line",
        name=html.escape(name),
        received=counts.received,
        on_time=counts.on_time,
        expected=counts.expected,
        completeness=pct(counts.completeness),
        timeliness=pct(counts.timeliness),
    )


def _unreachable_lines(t: Translate, summary: MonthSummary) -> list[str]:
    if not summary.unreachable:
        return []
    lines = ["", t("summary.unreachable")]
    for person in summary.unreachable:
        lines.append(
            t(
                "summary.unreachable_line",
                name=html.escape(person.full_name),
                role=t(f"role.{person.role}"),
                unit=html.escape(person.unit_name),
            )
        )
    return lines


def summary_buttons(language: str, unit_id: int, period: Period) -> Buttons:
    return [[(i18n.t(language, "summary.show_missing"), missing_data(unit_id, period, 0))]]


def missing_data(unit_id: int, period: Period, offset: int) -> str:
    """A new list of the late cells (the summary's button)."""
    return ShowMissing(unit_id, period, offset).pack()


def page_data(unit_id: int, period: Period, offset: int) -> str:
    """Another page of the late cells, in place."""
    return MissingPage(unit_id, period, offset).pack()


def nudge_data(cell_id: int, period: Period) -> str:
    return Nudge(cell_id, period).pack()


def chart_caption(language: str, summary: MonthSummary) -> str:
    return i18n.t(
        language,
        "chart.caption",
        unit=html.escape(summary.unit.name),
        period=summary.period.label,
    )


# --- progress digest --------------------------------------------------------------------------


def digest_text(language: str, summary: MonthSummary, tz: ZoneInfo) -> str:
    t = _translator(language)
    total = summary.total
    lines = [
        t("digest.title", period=summary.period.label),
        f"<b>{html.escape(summary.unit.name)}</b>",
        t("digest.as_of", moment=moment(summary.as_of, tz), deadline=day_text(summary.deadline)),
        "",
        t(
            "summary.received",
            received=total.received,
            expected=total.expected,
            percent=pct(total.completeness),
        ),
        t("digest.missing", missing=total.missing),
    ]
    if len(summary.children) > 1:
        lines += ["", *_children_lines(t, summary.children)]
    return _clip("\n".join(lines).strip(), language)


# --- missing cells ----------------------------------------------------------------------------


def missing_text(
    language: str, unit_name: str, period: Period, deadline: date, total: int, offset: int
) -> str:
    if total == 0:
        return i18n.t(language, "missing.none", unit=html.escape(unit_name), period=period.label)
    return i18n.t(
        language,
        "missing.title",
        unit=html.escape(unit_name),
        period=period.label,
        deadline=day_text(deadline),
        count=total,
        first=offset + 1,
    )


def missing_buttons(
    language: str,
    unit_id: int,
    period: Period,
    cells: Sequence[MissingCell],
    offset: int,
    page: int,
    total: int,
) -> Buttons:
    """One row per late cell: its name and a "Nhắc" (nudge) button; then the pages."""
    rows: Buttons = [
        [(i18n.t(language, "missing.nudge", name=cell.name), nudge_data(cell.unit_id, period))]
        for cell in cells
    ]
    navigation = []
    if offset > 0:
        navigation.append(
            (
                i18n.t(language, "nav.previous"),
                page_data(unit_id, period, max(0, offset - page)),
            )
        )
    if offset + page < total:
        navigation.append(
            (
                i18n.t(language, "nav.next"),
                page_data(unit_id, period, offset + page),
            )
        )
    if navigation:
        rows.append(navigation)
    return rows


# --- reminders ----------------------------------------------------------------------------------


def reminder_text(
    language: str,
    cell_name: str,
    period: Period,
    deadline: date,
    today: date,
    nudged_by: str | None = None,
) -> str:
    """The reminder of a step (or a supervisor's nudge): the period, the deadline, what is left."""
    days = (deadline - today).days
    if days > 0:
        when = i18n.t(language, "reminder.days_left", days=days)
    elif days == 0:
        when = i18n.t(language, "reminder.today")
    else:
        when = i18n.t(language, "reminder.overdue", days=-days)
    lines = [
        i18n.t(language, "reminder.title", period=period.label),
        i18n.t(
            language,
            "reminder.body",
            cell=html.escape(cell_name),
            period=period.label,
            deadline=day_text(deadline),
        ),
        when,
    ]
    if nudged_by:
        lines.append(i18n.t(language, "reminder.nudged_by", unit=html.escape(nudged_by)))
    lines.append(i18n.t(language, "reminder.press"))
    return "\n".join(lines)


def reminder_buttons(language: str) -> Buttons:
    return [[(i18n.t(language, "reminder.button"), report.START)]]


# --- problems ---------------------------------------------------------------------------------


def escalation_text(
    language: str,
    problem: Problem,
    cell_name: str,
    handler_name: str,
    level: int,
    now: datetime,
    tz: ZoneInfo,
) -> str:
    overdue_days = max(0, (now - problem.due_at).days)
    key = "escalation.handler" if level == 1 else "escalation.above"
    return i18n.t(
        language,
        key,
        number=problem.id,
        title=html.escape(problem.title),
        category=category_label(language, problem.category),
        cell=html.escape(cell_name),
        handler=html.escape(handler_name),
        due=day_text(problem.due_at.astimezone(tz).date()),
        days=overdue_days,
    )


def problem_digest_text(
    language: str,
    unit_name: str,
    since: datetime,
    problems: Sequence[tuple[Problem, str]],
    tz: ZoneInfo,
) -> str:
    lines = [
        i18n.t(
            language,
            "problem_digest.title",
            unit=html.escape(unit_name),
            since=moment(since, tz),
            count=len(problems),
        )
    ]
    for problem, cell_name in problems[:MAX_LIST]:
        lines.append(
            i18n.t(
                language,
                "problem_digest.line",
                number=problem.id,
                category=category_label(language, problem.category),
                title=html.escape(problem.title),
                cell=html.escape(cell_name),
            )
        )
    if len(problems) > MAX_LIST:
        lines.append(i18n.t(language, "problem_digest.more", count=len(problems) - MAX_LIST))
    lines.append(i18n.t(language, "problem_digest.hint"))
    return _clip("\n".join(lines), language)

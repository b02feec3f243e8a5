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
from bot.buttons import Payload
from bot.payloads import MissingPage, Nudge, PrivateCopies, ProblemView, ShowFull, ShowMissing
from bot.render import report
from bot.rules.figures import ATTENDANCE, NOBODY, NOT_HELD, CellState, Counts, by_commune
from bot.rules.periods import Period
from storage.models import Problem
from storage.queries.figures import (
    ChildFigures,
    MissingCell,
    MonthSummary,
    ProblemCounts,
)

MAX_CHILDREN = 15  # lines of the breakdown by child unit; the export has them all
MAX_LIST = 30  # problems in a daily digest
MAX_NAMES = 8  # cells named in each of a summary's lists; a button shows them all
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
        *_problem_lines(t, language, summary, tz),
        *_attention_lines(t, summary, MAX_NAMES),
        "",
        *_children_lines(t, summary.children),
        *_unreachable_lines(t, summary, MAX_NAMES),
        "",
        t("summary.footer"),
    ]
    return _clip("\n".join(line for line in _squeeze(lines)).strip(), language)


def _squeeze(lines: Sequence[str]) -> list[str]:
    """No two blank lines in a row."""
    result: list[str] = []
    for line in lines:
        if line == "" and (not result or result[-1] == ""):
            continue
        result.append(line)
    return result


def full_lists_texts(language: str, summary: MonthSummary) -> list[str]:
    """Every named cell of the summary (no cut), in messages of at most TEXT_LIMIT characters."""
    t = _translator(language)
    head = [
        t("summary.full_title", period=summary.period.label),
        f"<b>{html.escape(summary.unit.name)}</b>",
    ]
    lines = [*_attention_lines(t, summary, None), *_unreachable_lines(t, summary, None)]
    if not any(lines):
        lines = ["", t("summary.nothing_to_name")]
    return split_messages([*head, *lines])


def split_messages(lines: Sequence[str]) -> list[str]:
    """Lines packed into messages under TEXT_LIMIT (a line longer than that is cut)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line[: TEXT_LIMIT - 1]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > TEXT_LIMIT:
            messages.append(current.strip())
            current = line
        else:
            current = candidate
    if current.strip():
        messages.append(current.strip())
    return messages


def with_commune(language: str, cell: str, commune: str) -> str:
    """A cell named to someone above its commune: village names repeat across communes."""
    if not commune:
        return html.escape(cell)
    return i18n.t(
        language, "cell.with_commune", cell=html.escape(cell), commune=html.escape(commune)
    )


def _cell_entry(t: Translate, kind: str, cell: CellState) -> str:
    name = html.escape(cell.name)
    if kind == NOT_HELD:
        reason = html.escape(cell.reason or "") or t("summary.no_reason")
        return t("summary.cell_not_held", name=name, reason=reason)
    if kind == ATTENDANCE:
        return t(
            "summary.cell_attendance",
            name=name,
            rate=pct(cell.attendance),
            unexcused=cell.unexcused,
        )
    return name


def _attention_lines(t: Translate, summary: MonthSummary, limit: int | None) -> list[str]:
    """The named lists, by commune; with `limit`, each list stops after that many cells and
    says how many more there are."""
    lines: list[str] = []
    for kind, cells in summary.lists.items():
        if kind == NOBODY or not cells:
            continue
        lines += ["", t(f"summary.list.{kind}", count=len(cells))]
        lines += _named_cells(t, kind, cells, limit)
    return lines


def _named_cells(
    t: Translate, kind: str, cells: Sequence[CellState], limit: int | None
) -> list[str]:
    shown = cells if limit is None else cells[:limit]
    lines = [
        t(
            "summary.commune_line",
            commune=html.escape(commune),
            cells="; ".join(_cell_entry(t, kind, cell) for cell in group),
        )
        for commune, group in by_commune(shown)
    ]
    if len(cells) > len(shown):
        lines.append(t("summary.more_cells", count=len(cells) - len(shown)))
    return lines


def is_cut(summary: MonthSummary, limit: int = MAX_NAMES) -> bool:
    """Whether the summary's text leaves some named cells or people out (then it has a button
    to the full list)."""
    return any(len(cells) > limit for cells in summary.lists.values()) or (
        len(summary.unreachable) > limit
    )


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
            rate=pct(total.attendance),
            present=total.present,
            due=total.due,
            below=total.below_bar,
            unexcused=total.unexcused,
        ),
        t("summary.quality", good=total.good, held=total.held, percent=pct(total.quality_share)),
        t("summary.upper", upper=total.upper),
        t("summary.thematic", thematic=total.thematic, expected=total.expected),
    ]


def _problem_lines(t: Translate, language: str, summary: MonthSummary, tz: ZoneInfo) -> list[str]:
    problems = summary.problems
    counts = problems.total
    lines = [t("summary.problems", period=summary.period.label, **_problem_values(counts))]
    for category, by_category in sorted(problems.by_category.items()):
        lines.append(
            t(
                "summary.problem_category",
                category=category_label(language, category),
                **_problem_values(by_category),
            )
        )
    if summary.open_now is not None:
        lines.append(
            t(
                "summary.open_now",
                moment=moment(summary.open_now.as_of, tz),
                open=summary.open_now.open,
                overdue=summary.open_now.overdue,
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


def _unreachable_lines(t: Translate, summary: MonthSummary, limit: int | None) -> list[str]:
    """Cells where nobody uses Chibo and people the bot cannot reach: a phone call, not a
    reminder."""
    nobody = summary.lists[NOBODY]
    if not nobody and not summary.unreachable:
        return []
    lines = ["", t("summary.unreachable", count=len(nobody) + len(summary.unreachable))]
    if nobody:
        lines.append(t("summary.nobody", count=len(nobody)))
        lines += _named_cells(t, NOBODY, nobody, limit)
    people = summary.unreachable if limit is None else summary.unreachable[:limit]
    if people:
        lines.append(t("summary.blocked", count=len(summary.unreachable)))
    for person in people:
        lines.append(
            t(
                "summary.unreachable_line",
                name=html.escape(person.full_name),
                role=t(f"role.{person.role}"),
                unit=html.escape(person.unit_name),
                commune=html.escape(person.commune),
            )
        )
    if len(summary.unreachable) > len(people):
        lines.append(t("summary.more_people", count=len(summary.unreachable) - len(people)))
    return lines


def summary_buttons(language: str, unit_id: int, period: Period, full: bool = False) -> Buttons:
    """ "Show missing cells"; with `full`, also the whole named lists the text had to cut."""
    rows = [[(i18n.t(language, "summary.show_missing"), missing_data(unit_id, period, 0))]]
    if full:
        rows.append([(i18n.t(language, "summary.show_full"), full_data(unit_id, period))])
    return rows


def full_data(unit_id: int, period: Period) -> str:
    """Every cell the summary's lists name, without the cut."""
    return ShowFull(unit_id, period).pack()


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


def _plain_label(language: str, cell: MissingCell) -> str:
    """A button's label (plain text, not HTML): the cell and its commune."""
    if not cell.commune:
        return cell.name
    return i18n.t(language, "cell.with_commune", cell=cell.name, commune=cell.commune)


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
        [
            (
                i18n.t(language, "missing.nudge", name=_plain_label(language, cell)),
                nudge_data(cell.unit_id, period),
            )
        ]
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
    commune: str = "",
) -> str:
    overdue_days = max(0, (now - problem.due_at).days)
    key = "escalation.handler" if level == 1 else "escalation.above"
    return i18n.t(
        language,
        key,
        number=problem.id,
        title=html.escape(problem.title),
        category=category_label(language, problem.category),
        cell=with_commune(language, cell_name, commune),
        handler=html.escape(handler_name),
        due=day_text(problem.due_at.astimezone(tz).date()),
        days=overdue_days,
    )


def open_problem_buttons(language: str, problem_id: int) -> Buttons:
    """ "Xem phản ánh #N": opens the problem's card (bot.payloads.ProblemView)."""
    return [
        [(i18n.t(language, "escalation.open", number=problem_id), ProblemView(problem_id).pack())]
    ]


def problem_digest_text(
    language: str,
    unit_name: str,
    since: datetime,
    problems: Sequence[tuple[Problem, str, str]],
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
    for problem, cell_name, commune in problems[:MAX_LIST]:
        lines.append(
            i18n.t(
                language,
                "problem_digest.line",
                number=problem.id,
                category=category_label(language, problem.category),
                title=html.escape(problem.title),
                cell=with_commune(language, cell_name, commune),
            )
        )
    if len(problems) > MAX_LIST:
        lines.append(i18n.t(language, "problem_digest.more", count=len(problems) - MAX_LIST))
    lines.append(i18n.t(language, "problem_digest.hint"))
    return _clip("\n".join(lines), language)


def private_copies_buttons(language: str) -> list[list[tuple[str, Payload]]]:
    """Under /link's confirmation: keep, or stop, private copies of what the group receives."""
    return [
        [(i18n.t(language, f"group.copies.{value}"), PrivateCopies(value == "on"))]
        for value in ("on", "off")
    ]

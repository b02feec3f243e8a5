"""Texts and keyboards of the monthly report: prompts, review, report view, history, lists.

Callback data (all under Telegram's 64 bytes): the conversation's answers are the engine's
(bot.flows.engine.FlowButton); the rest are payloads of bot.payloads.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import i18n
from bot.buttons import Payload
from bot.payloads import (
    CorrectReport,
    HistoryCell,
    HistoryReport,
    ReportPhotos,
    ReportStart,
    ReviewPage,
    ReviewReturn,
    ReviewView,
)
from bot.prompt import NUMBER, PHOTO, TEXT, Option, Prompt, options
from bot.rules import report_steps as st
from bot.rules.periods import Period
from bot.rules.report import (
    MEETING_TYPES,
    TEXT_LIMITS,
    THEMATIC,
    must_attend,
    quality,
    quick_dates,
)

START = ReportStart().pack()
SEND, CANCEL = "send", "cancel"  # the review's options besides "e.<group>" (change a group)

Rows = Sequence[Sequence[tuple[str, str]]]


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    buttons = [
        [InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows
    ]
    buttons = [row for row in buttons if row]
    return InlineKeyboardMarkup(buttons) if buttons else None


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def moment(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def percent(lang: str, rate: float) -> str:
    text = f"{rate * 100:.1f}%"
    return text.replace(".", ",") if lang == "vi" else text


def esc(value: object) -> str:
    return html.escape(str(value))


# --- the conversation (bot.flows.report) -------------------------------------------------------

# More typed answers for the options whose labels people shorten.
_WORDS = {
    (st.HELD, st.YES): ("co", "da hop", "roi", "yes"),
    (st.HELD, st.NO): ("khong", "chua", "chua hop", "no"),
}
# What each step takes besides its options (bot.prompt).
_ACCEPTS = {
    st.REASON: {TEXT},
    st.DATE: {TEXT, NUMBER},
    st.TOPIC: {TEXT},
    st.MEMBERS: {NUMBER},
    st.EXEMPT: {NUMBER},
    st.PRESENT: {NUMBER},
    st.EXCUSED: {NUMBER},
    st.UNEXCUSED: {NUMBER},
    st.UPPER_NAME: {TEXT},
    st.UPPER_POSITION: {TEXT},
    st.CONTENT: {TEXT},
    st.CONCLUSION: {TEXT},
    st.DEVELOPMENT: {TEXT, NUMBER},
    st.PHOTOS: {PHOTO},
}


def cell_choice(lang: str, cells: Iterable[tuple[int, str]]) -> Prompt:
    rows = [(Option(str(unit_id), name),) for unit_id, name in cells]
    return Prompt(i18n.t(lang, "report.choose_cell"), tuple(rows))


def period_choice(lang: str, periods: Iterable[tuple[Period, str | None]]) -> Prompt:
    """`periods`: each month with a note: None, "sent" or "late"."""
    t = partial(i18n.t, lang)
    rows = []
    for period, note in periods:
        key = f"report.btn.period_{note}" if note else "report.btn.period"
        rows.append((Option(str(period), t(key, month=period.label), (period.label,)),))
    return Prompt(t("report.choose_period"), tuple(rows))


def stage_label(lang: str, step: str, data: dict[str, Any]) -> str:
    """Where a draft stands: "5/13", or "the review"."""
    if step == st.REVIEW:
        return i18n.t(lang, "report.stage_review")
    number, total = st.stage(step, data)
    return f"{number}/{total}"


def prompt(
    lang: str,
    *,
    step: str,
    data: dict[str, Any],
    last: dict[str, Any],
    period: Period,
    unit_name: str,
    today: date,
) -> Prompt:
    """The question of `step`, with its options ("Bước k/n" first)."""
    ask = _Ask(partial(i18n.t, lang), data, last, period, unit_name, today)
    number, total = st.stage(step, data)
    question, rows = _QUESTIONS[step](ask)
    text = ask.t("report.stage", number=number, total=total) + " " + question
    return Prompt(text, options(*rows), frozenset(_ACCEPTS.get(step, ())))


@dataclass(frozen=True)
class _Ask:
    """What a step's question is made from."""

    t: Callable[..., str]
    data: dict[str, Any]
    last: dict[str, Any]  # figures of the cell's last report (bot.flows.report.Last)
    period: Period
    unit_name: str
    today: date

    def option(self, key: str, step: str, choice: object, **values: object) -> Option:
        """An option labelled with message `key` (filled with `values`) answering `choice`."""
        return Option(str(choice), self.t(key, **values), _WORDS.get((step, str(choice)), ()))

    @property
    def expected(self) -> int:
        return must_attend(self.data["members"], self.data["exempt"])


Question = tuple[str, list[list[Option]]]


def _ask_held(q: _Ask) -> Question:
    rows = [
        [
            q.option("report.btn.held_yes", st.HELD, st.YES),
            q.option("report.btn.held_no", st.HELD, st.NO),
        ]
    ]
    return q.t("report.ask.held", month=q.period.label, unit=esc(q.unit_name)), rows


def _ask_reason(q: _Ask) -> Question:
    return q.t("report.ask.reason", limit=TEXT_LIMITS["not_held_reason"]), []


def _ask_date(q: _Ask) -> Question:
    buttons = []
    for when in quick_dates(q.period, q.today, q.last.get("day")):
        key = {0: "report.btn.today", 1: "report.btn.yesterday"}.get(
            (q.today - when).days, "report.btn.date"
        )
        value = when.strftime("%d.%m.%Y")  # "/" cannot be in button data
        buttons.append(q.option(key, st.DATE, value, date=when.strftime("%d/%m")))
    example = f"05/{q.period.month:02d}"
    return q.t("report.ask.date", month=q.period.label, example=example), [buttons]


def _ask_type(q: _Ask) -> Question:
    rows = [[q.option(f"report.type.{kind}", st.TYPE, kind)] for kind in MEETING_TYPES]
    return q.t("report.ask.type"), rows


def _ask_topic(q: _Ask) -> Question:
    return q.t("report.ask.topic", limit=TEXT_LIMITS["topic"]), []


def _same_as_last(q: _Ask, step: str, value: int | None) -> list[list[Option]]:
    if value is None:
        return []
    return [[q.option("report.btn.same_as_last", step, value, value=value)]]


def _ask_members(q: _Ask) -> Question:
    return q.t("report.ask.members"), _same_as_last(q, st.MEMBERS, q.last.get("members"))


def _ask_exempt(q: _Ask) -> Question:
    last = q.last.get("exempt")
    rows = _same_as_last(q, st.EXEMPT, last)
    if last != 0:
        rows.append([q.option("report.btn.none", st.EXEMPT, 0)])
    return q.t("report.ask.exempt", members=q.data["members"]), rows


def _ask_present(q: _Ask) -> Question:
    rows = [[q.option("report.btn.all_present", st.PRESENT, q.expected, count=q.expected)]]
    return q.t("report.ask.present", expected=q.expected), rows


def _ask_excused(q: _Ask) -> Question:
    absent = q.expected - q.data["present"]
    rows = [
        [
            q.option("report.btn.none", st.EXCUSED, 0),
            q.option("report.btn.all_excused", st.EXCUSED, absent, count=absent),
        ]
    ]
    return q.t("report.ask.absent_excused", absent=absent), rows


def _ask_unexcused(q: _Ask) -> Question:
    left = q.expected - q.data["present"] - q.data["absent_excused"]
    rows = [[q.option("report.btn.remaining", st.UNEXCUSED, left, count=left)]]
    return q.t("report.ask.absent_unexcused", left=left), rows


def _ask_upper_name(q: _Ask) -> Question:
    return q.t("report.ask.upper_name"), [[q.option("report.btn.skip", st.UPPER_NAME, st.SKIP)]]


def _ask_upper_position(q: _Ask) -> Question:
    rows = [[q.option("report.btn.skip", st.UPPER_POSITION, st.SKIP)]]
    return q.t("report.ask.upper_position", name=esc(q.data["upper_attendee_name"])), rows


def _ask_content(q: _Ask) -> Question:
    return q.t("report.ask.content", limit=TEXT_LIMITS["content"]), []


def _ask_conclusion(q: _Ask) -> Question:
    return q.t("report.ask.conclusion", limit=TEXT_LIMITS["conclusion"]), []


def _ask_development(q: _Ask) -> Question:
    return q.t("report.ask.development"), [[q.option("report.btn.skip", st.DEVELOPMENT, st.SKIP)]]


def _ask_photos(q: _Ask) -> Question:
    count = len(q.data.get("photos") or [])
    if count:
        done = q.option("report.btn.done", st.PHOTOS, st.DONE, count=count)
        return q.t("report.photo_received", count=count), [[done]]
    return q.t("report.ask.photos"), [[q.option("report.btn.skip", st.PHOTOS, st.SKIP)]]


_QUESTIONS = {
    st.HELD: _ask_held,
    st.REASON: _ask_reason,
    st.DATE: _ask_date,
    st.TYPE: _ask_type,
    st.TOPIC: _ask_topic,
    st.MEMBERS: _ask_members,
    st.EXEMPT: _ask_exempt,
    st.PRESENT: _ask_present,
    st.EXCUSED: _ask_excused,
    st.UNEXCUSED: _ask_unexcused,
    st.UPPER_NAME: _ask_upper_name,
    st.UPPER_POSITION: _ask_upper_position,
    st.CONTENT: _ask_content,
    st.CONCLUSION: _ask_conclusion,
    st.DEVELOPMENT: _ask_development,
    st.PHOTOS: _ask_photos,
}


# --- the answers, as a summary ------------------------------------------------------------------


def summary_lines(lang: str, values: dict[str, Any]) -> list[str]:
    """One line per answer (report fields, `meeting_date` as a date or ISO text), with the
    attendance rate and the quality flags computed."""
    t = partial(i18n.t, lang)
    if values.get("held") is False:
        return [t("report.line.not_held", reason=esc(values.get("not_held_reason") or ""))]
    lines = []
    when = values.get("meeting_date")
    if when:
        when = date.fromisoformat(when) if isinstance(when, str) else when
        lines.append(t("report.line.date", date=day(when)))
    kind = values.get("meeting_type")
    if kind:
        label = t(f"report.type.{kind}")
        if kind == THEMATIC and values.get("topic"):
            lines.append(t("report.line.type_topic", type=label, topic=esc(values["topic"])))
        else:
            lines.append(t("report.line.type", type=label))
    lines += _attendance_lines(lang, values)
    lines.append(_upper_line(t, values))
    for key in ("content", "conclusion"):
        if values.get(key):
            lines.append(t(f"report.line.{key}", text=esc(values[key])))
    if "candidates" in values:
        lines.append(_development_line(t, values))
    if "photos" in values:
        lines.append(t("report.line.photos", count=len(values.get("photos") or [])))
    return lines


def _attendance_lines(lang: str, values: dict[str, Any]) -> list[str]:
    t = partial(i18n.t, lang)
    members, exempt = values.get("members"), values.get("exempt")
    if members is None or exempt is None:
        return []
    lines = [t("report.line.members", members=members, exempt=exempt, expected=members - exempt)]
    present, unexcused = values.get("present"), values.get("absent_unexcused")
    if present is None or unexcused is None:
        return lines
    lines.append(
        t(
            "report.line.attendance",
            present=present,
            excused=values.get("absent_excused") or 0,
            unexcused=unexcused,
        )
    )
    flags = quality(present=present, members=members, exempt=exempt, unexcused=unexcused)
    if flags is not None:
        key = "report.line.rate_good" if flags.above_threshold else "report.line.rate_low"
        lines.append(t(key, rate=percent(lang, flags.rate)))
        if flags.unexcused:
            lines.append(t("report.line.unexcused_flag", count=flags.unexcused))
    return lines


def _upper_line(t: Callable[..., str], values: dict[str, Any]) -> str:
    name, position = values.get("upper_attendee_name"), values.get("upper_attendee_position")
    if not name:
        return t("report.line.upper_none")
    if not position:
        return t("report.line.upper_name", name=esc(name))
    return t("report.line.upper", name=esc(name), position=esc(position))


def _development_line(t: Callable[..., str], values: dict[str, Any]) -> str:
    if values.get("candidates") is None:
        return t("report.line.development_none")
    return t(
        "report.line.development",
        candidates=values["candidates"],
        admissions=values["admissions"],
        full=values["full_memberships"],
    )


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def review(
    lang: str,
    *,
    data: dict[str, Any],
    mode: str,
    period: Period,
    unit_name: str,
    version: int | None = None,
    comment: str | None = None,
) -> Prompt:
    """The review before sending: every answer, an option per field, "Gửi báo cáo"."""
    t = partial(i18n.t, lang)
    parts = [t("report.review.title", month=period.label, unit=esc(unit_name))]
    if mode == "correct":
        parts.append(t("report.review.correct", comment=esc(comment or "")))
    elif mode == "amend" and version:
        parts.append(t("report.review.amend", version=version))
    parts += [_bullets(summary_lines(lang, data)), t("report.review.footer")]
    groups = ["held"] if data.get("held") is False else list(st.GROUPS)
    edit = [Option(f"e.{g}", t(f"report.btn.edit.{g}")) for g in groups]
    rows = [edit[i : i + 2] for i in range(0, len(edit), 2)]
    rows.append([Option(SEND, t("report.btn.send"), ("gui",))])
    rows.append([Option(CANCEL, t("report.btn.cancel"))])
    return Prompt("\n\n".join(parts), options(*rows))


# --- a stored report ------------------------------------------------------------------------------


def report_view(
    lang: str,
    *,
    values: dict[str, Any],
    reference: str,
    period: Period,
    unit_name: str,
    submitter: str,
    submitter_role: str | None,
    submitted_at: datetime,
    version: int,
    status_label: str,
    tz: ZoneInfo,
    return_comment: str | None = None,
    locked_since: date | None = None,
) -> str:
    t = partial(i18n.t, lang)
    role = t(f"role.{submitter_role}") if submitter_role else ""
    parts = [
        t("report.view.title", month=period.label, reference=reference, unit=esc(unit_name)),
        t("report.view.status", status=status_label),
        _bullets(summary_lines(lang, values)),
        t(
            "report.view.sent",
            name=esc(submitter),
            role=role,
            time=moment(submitted_at, tz),
            version=version,
        ),
    ]
    if return_comment is not None:
        parts.append(t("report.view.returned", comment=esc(return_comment)))
    if locked_since is not None:
        parts.append(t("report.view.locked", date=day(locked_since)))
    return "\n\n".join(parts)


Links = list[list[tuple[str, Payload]]]


def report_links(
    lang: str,
    *,
    report_id: int,
    photos: int,
    can_edit: bool = False,
    return_version: int | None = None,
) -> Links:
    """Under a report: see the photos; amend it (the cell); return it (a supervisor)."""
    t = partial(i18n.t, lang)
    rows: Links = []
    if photos:
        rows.append([(t("report.btn.photos", count=photos), ReportPhotos(report_id))])
    if can_edit:
        rows.append([(t("report.btn.amend"), CorrectReport(report_id))])
    if return_version is not None:
        rows.append([(t("reports.btn.return"), ReviewReturn(report_id, return_version))])
    return rows


def report_buttons(
    lang: str, *, report_id: int, photos: int, can_edit: bool, return_version: int | None = None
) -> Any:
    links = report_links(
        lang, report_id=report_id, photos=photos, can_edit=can_edit, return_version=return_version
    )
    return keyboard([[(label, data.pack()) for label, data in row] for row in links])


def view_link(lang: str, report_id: int) -> Links:
    return [[(i18n.t(lang, "reports.btn.view"), ReviewView(report_id))]]


def correct_button(lang: str, report_id: int) -> Any:
    return keyboard([[(i18n.t(lang, "report.btn.correct"), CorrectReport(report_id).pack())]])


def correct_links(lang: str, report_id: int) -> Links:
    """The same button, as a flow's links (bot.flows.engine.Out)."""
    return [[(i18n.t(lang, "report.btn.correct"), CorrectReport(report_id))]]


# --- history and supervisors' lists -------------------------------------------------------------


def history_cells(lang: str, cells: Iterable[tuple[int, str]]) -> tuple[str, Any]:
    rows = [[(name, HistoryCell(unit_id).pack())] for unit_id, name in cells]
    return i18n.t(lang, "history.choose_cell"), keyboard(rows)


def history(
    lang: str, *, unit_name: str, months: Sequence[tuple[Period, str, int | None]]
) -> tuple[str, Any]:
    """`months`: newest first, each (period, status, report id or None)."""
    t = partial(i18n.t, lang)
    lines = [
        t("history.line", month=period.label, status=t(f"history.status.{status}"))
        for period, status, _ in months
    ]
    text = "\n".join([t("history.title", unit=esc(unit_name)), "", *lines, "", t("history.footer")])
    buttons = [
        (period.label, HistoryReport(rid).pack()) for period, _, rid in months if rid is not None
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return text, keyboard(rows)


def supervisor_list(
    lang: str,
    *,
    period: Period,
    rows: Sequence[tuple[int, str, str]],
    page: int,
    pages: int,
    total: int,
) -> tuple[str, Any]:
    """`rows`: (report id, cell name, status label) of one page."""
    t = partial(i18n.t, lang)
    if not total:
        return t("reports.none", month=period.label), None
    buttons: list[list[tuple[str, str]]] = [
        [(t("reports.row", unit=name, status=status), ReviewView(rid).pack())]
        for rid, name, status in rows
    ]
    nav = []
    if page > 1:
        nav.append((t("nav.previous"), ReviewPage(period, page - 1).pack()))
    if page < pages:
        nav.append((t("nav.next"), ReviewPage(period, page + 1).pack()))
    buttons.append(nav)
    text = t("reports.title", month=period.label, count=total, page=page, pages=pages)
    return text, keyboard(buttons)

"""Texts and keyboards of the monthly report: prompts, review, report view, history, lists.

Callback data formats (all under Telegram's 64 bytes):
  r:<token>:<step>:<value>   an answer in the report conversation (token = the draft's)
  r:<token>:ctl:<value>      resume / drop an unfinished draft
  report:start, rc:, rh:, rph:, rs:, dx:   payloads of bot.payloads
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

Rows = Sequence[Sequence[tuple[str, str]]]


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    buttons = [
        [InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows
    ]
    buttons = [row for row in buttons if row]
    return InlineKeyboardMarkup(buttons) if buttons else None


def answer_data(token: str, step: str, value: object) -> str:
    return f"r:{token}:{step}:{value}"


def parse_answer_data(data: str) -> tuple[str, str, str] | None:
    """(token, step, value) of an "r:" button, or None when malformed."""
    parts = data.split(":", 3)
    if len(parts) != 4 or parts[0] != "r":
        return None
    return parts[1], parts[2], parts[3]


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def moment(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def percent(lang: str, rate: float) -> str:
    text = f"{rate * 100:.1f}%"
    return text.replace(".", ",") if lang == "vi" else text


def esc(value: object) -> str:
    return html.escape(str(value))


# --- the conversation -------------------------------------------------------------------------


def cell_choice(lang: str, token: str, cells: Iterable[tuple[int, str]]) -> tuple[str, Any]:
    rows = [[(name, answer_data(token, st.CELL, unit_id))] for unit_id, name in cells]
    return i18n.t(lang, "report.choose_cell"), keyboard(rows)


def period_choice(
    lang: str, token: str, periods: Iterable[tuple[Period, str | None]]
) -> tuple[str, Any]:
    """`periods`: each month with a note: None, "sent" or "late"."""
    t = partial(i18n.t, lang)
    rows = []
    for period, note in periods:
        key = f"report.btn.period_{note}" if note else "report.btn.period"
        rows.append([(t(key, month=period.label), answer_data(token, st.PERIOD, str(period)))])
    return t("report.choose_period"), keyboard(rows)


def resume_offer(lang: str, token: str, month: str, stage: str, drop: str) -> tuple[str, Any]:
    t = partial(i18n.t, lang)
    rows = [
        [(t("report.btn.resume"), answer_data(token, "ctl", "resume"))],
        [(t("report.btn.discard"), answer_data(token, "ctl", drop))],
    ]
    return t("report.resume_offer", month=month, stage=stage), keyboard(rows)


def stage_label(lang: str, step: str, data: dict[str, Any]) -> str:
    """Where a draft stands, for the offer to resume it: "5/13", or "the review"."""
    if step == st.REVIEW:
        return i18n.t(lang, "report.stage_review")
    number, total = st.stage(step, data)
    return f"{number}/{total}"


def prompt(
    lang: str,
    *,
    token: str,
    step: str,
    data: dict[str, Any],
    period: Period,
    unit_name: str,
    today: date,
    error: str | None = None,
) -> tuple[str, Any]:
    """The question of `step`, with its buttons; `error` (already translated) goes first."""
    ask = _Ask(partial(i18n.t, lang), token, data, period, unit_name, today)
    number, total = st.stage(step, data)
    question, rows = _QUESTIONS[step](ask)
    text = ask.t("report.stage", number=number, total=total) + " " + question
    if error:
        text = "⚠️ " + error + "\n\n" + text
    return text, keyboard(rows)


@dataclass(frozen=True)
class _Ask:
    """What a step's question is made from."""

    t: Callable[..., str]
    token: str
    data: dict[str, Any]
    period: Period
    unit_name: str
    today: date

    def button(self, key: str, step: str, choice: object, **values: object) -> tuple[str, str]:
        """A button labelled with message `key` (filled with `values`) answering `choice`."""
        return self.t(key, **values), answer_data(self.token, step, choice)

    @property
    def last(self) -> dict[str, Any]:
        """Figures of the cell's last report (see report_flow._usual_figures)."""
        return self.data.get("_last") or {}

    @property
    def expected(self) -> int:
        return must_attend(self.data["members"], self.data["exempt"])


Question = tuple[str, list[list[tuple[str, str]]]]


def _ask_held(q: _Ask) -> Question:
    rows = [
        [
            q.button("report.btn.held_yes", st.HELD, st.YES),
            q.button("report.btn.held_no", st.HELD, st.NO),
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
        buttons.append(q.button(key, st.DATE, day(when), date=when.strftime("%d/%m")))
    example = f"05/{q.period.month:02d}"
    return q.t("report.ask.date", month=q.period.label, example=example), [buttons]


def _ask_type(q: _Ask) -> Question:
    rows = [[q.button(f"report.type.{kind}", st.TYPE, kind)] for kind in MEETING_TYPES]
    return q.t("report.ask.type"), rows


def _ask_topic(q: _Ask) -> Question:
    return q.t("report.ask.topic", limit=TEXT_LIMITS["topic"]), []


def _same_as_last(q: _Ask, step: str, value: int | None) -> list[list[tuple[str, str]]]:
    if value is None:
        return []
    return [[q.button("report.btn.same_as_last", step, value, value=value)]]


def _ask_members(q: _Ask) -> Question:
    return q.t("report.ask.members"), _same_as_last(q, st.MEMBERS, q.last.get("members"))


def _ask_exempt(q: _Ask) -> Question:
    last = q.last.get("exempt")
    rows = _same_as_last(q, st.EXEMPT, last)
    if last != 0:
        rows.append([q.button("report.btn.none", st.EXEMPT, 0)])
    return q.t("report.ask.exempt", members=q.data["members"]), rows


def _ask_present(q: _Ask) -> Question:
    rows = [[q.button("report.btn.all_present", st.PRESENT, q.expected, count=q.expected)]]
    return q.t("report.ask.present", expected=q.expected), rows


def _ask_excused(q: _Ask) -> Question:
    absent = q.expected - q.data["present"]
    rows = [
        [
            q.button("report.btn.none", st.EXCUSED, 0),
            q.button("report.btn.all_excused", st.EXCUSED, absent, count=absent),
        ]
    ]
    return q.t("report.ask.absent_excused", absent=absent), rows


def _ask_unexcused(q: _Ask) -> Question:
    left = q.expected - q.data["present"] - q.data["absent_excused"]
    rows = [[q.button("report.btn.remaining", st.UNEXCUSED, left, count=left)]]
    return q.t("report.ask.absent_unexcused", left=left), rows


def _ask_upper_name(q: _Ask) -> Question:
    return q.t("report.ask.upper_name"), [[q.button("report.btn.skip", st.UPPER_NAME, st.SKIP)]]


def _ask_upper_position(q: _Ask) -> Question:
    rows = [[q.button("report.btn.skip", st.UPPER_POSITION, st.SKIP)]]
    return q.t("report.ask.upper_position", name=esc(q.data["upper_attendee_name"])), rows


def _ask_content(q: _Ask) -> Question:
    return q.t("report.ask.content", limit=TEXT_LIMITS["content"]), []


def _ask_conclusion(q: _Ask) -> Question:
    return q.t("report.ask.conclusion", limit=TEXT_LIMITS["conclusion"]), []


def _ask_development(q: _Ask) -> Question:
    return q.t("report.ask.development"), [[q.button("report.btn.skip", st.DEVELOPMENT, st.SKIP)]]


def _ask_photos(q: _Ask) -> Question:
    return q.t("report.ask.photos"), _photo_buttons(q.t, q.token, len(q.data.get("photos") or []))


def _photo_buttons(t: Callable[..., str], token: str, count: int) -> list[list[tuple[str, str]]]:
    if count:
        return [[(t("report.btn.done", count=count), answer_data(token, st.PHOTOS, st.DONE))]]
    return [[(t("report.btn.skip"), answer_data(token, st.PHOTOS, st.SKIP))]]


def photo_received(lang: str, token: str, count: int) -> tuple[str, Any]:
    t = partial(i18n.t, lang)
    return t("report.photo_received", count=count), keyboard(_photo_buttons(t, token, count))


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
    token: str,
    data: dict[str, Any],
    period: Period,
    unit_name: str,
    version: int | None = None,
    comment: str | None = None,
) -> tuple[str, Any]:
    """The review before sending: every answer, a button per field, "Gửi báo cáo"."""
    t = partial(i18n.t, lang)
    parts = [t("report.review.title", month=period.label, unit=esc(unit_name))]
    if data.get("_mode") == "correct":
        parts.append(t("report.review.correct", comment=esc(comment or "")))
    elif data.get("_mode") == "amend" and version:
        parts.append(t("report.review.amend", version=version))
    parts += [_bullets(summary_lines(lang, data)), t("report.review.footer")]
    groups = ["held"] if data.get("held") is False else list(st.GROUPS)
    edit = [(t(f"report.btn.edit.{g}"), answer_data(token, st.REVIEW, f"e.{g}")) for g in groups]
    rows: list[list[tuple[str, str]]] = [edit[i : i + 2] for i in range(0, len(edit), 2)]
    rows.append([(t("report.btn.send"), answer_data(token, st.REVIEW, "send"))])
    rows.append([(t("report.btn.cancel"), answer_data(token, st.REVIEW, "cancel"))])
    return "\n\n".join(parts), keyboard(rows)


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


def report_buttons(
    lang: str, *, report_id: int, photos: int, can_edit: bool, return_version: int | None = None
) -> Any:
    """Under a report: see the photos; amend it (the cell); return it (a supervisor)."""
    t = partial(i18n.t, lang)
    rows = []
    if photos:
        rows.append([(t("report.btn.photos", count=photos), ReportPhotos(report_id).pack())])
    if can_edit:
        rows.append([(t("report.btn.amend"), CorrectReport(report_id).pack())])
    if return_version is not None:
        rows.append([(t("reports.btn.return"), ReviewReturn(report_id, return_version).pack())])
    return keyboard(rows)


def correct_button(lang: str, report_id: int) -> Any:
    return keyboard([[(i18n.t(lang, "report.btn.correct"), CorrectReport(report_id).pack())]])


def correct_links(lang: str, report_id: int) -> list[list[tuple[str, CorrectReport]]]:
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

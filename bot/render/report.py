"""Texts and keyboards of the monthly report: prompts, review, report view, history, lists.

Callback data (all under Telegram's 64 bytes): the conversation's answers are the engine's
(bot.flows.engine.FlowButton); the rest are payloads of bot.payloads.
"""

from __future__ import annotations

import html
import re
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
    (st.HELD, st.OTHER): ("thang khac",),
    (st.SAME, st.SAME_ALL): ("nhu thang truoc", "du", "co mat du"),
    (st.SAME, st.SAME_ABSENT): ("co nguoi vang", "vang"),
    (st.SAME, st.SAME_LAST): ("vang nhu thang truoc",),
    (st.SAME, st.CHANGED): ("thay doi", "khac"),
    (st.CONTENT, st.DONE): ("xong",),
    (st.PHOTOS, st.DONE): ("xong",),
}
# What each step takes besides its options (bot.prompt).
_ACCEPTS = {
    st.REASON: {TEXT},
    st.DATE: {TEXT, NUMBER},
    st.TOPIC: {TEXT},
    st.ABSENT: {TEXT, NUMBER},
    st.MEMBERS: {NUMBER},
    st.EXEMPT: {NUMBER},
    st.PRESENT: {NUMBER},
    st.EXCUSED: {NUMBER},
    st.UNEXCUSED: {NUMBER},
    st.UPPER_NAME: {TEXT},
    st.UPPER_POSITION: {TEXT},
    st.CONTENT: {TEXT, PHOTO},
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
    """Where a draft stands: "4/6", or "the review" (also for a detail added from it)."""
    stage = st.stage(step, data)
    if step == st.REVIEW or stage is None:
        return i18n.t(lang, "report.stage_review")
    number, total = stage
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
    other_months: bool = False,
    late: bool = False,
) -> Prompt:
    """The question of `step`, with its options ("Bước k/n" first, on the main path).
    `other_months`: the first question offers another month; `late`: the month is overdue."""
    ask = _Ask(partial(i18n.t, lang), data, last, period, unit_name, today, other_months, late)
    question, rows = _QUESTIONS[step](ask)
    stage = st.stage(step, data)
    if stage is not None:
        question = ask.t("report.stage", number=stage[0], total=stage[1]) + " " + question
    return Prompt(question, options(*rows), frozenset(_ACCEPTS.get(step, ())))


@dataclass(frozen=True)
class _Ask:
    """What a step's question is made from."""

    t: Callable[..., str]
    data: dict[str, Any]
    last: dict[str, Any]  # figures of the cell's last report (bot.flows.report.Last)
    period: Period
    unit_name: str
    today: date
    other_months: bool = False
    late: bool = False

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
    if q.other_months:
        rows.append([q.option("report.btn.other_month", st.HELD, st.OTHER)])
    month = q.period.label
    if q.late:
        month = q.t("report.month_late", month=month)
    return q.t("report.ask.held", month=month, unit=esc(q.unit_name)), rows


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


def _ask_same(q: _Ask) -> Question:
    members, exempt = q.last["members"], q.last["exempt"]
    expected = must_attend(members, exempt)
    rows = [[q.option("report.btn.same_all", st.SAME, st.SAME_ALL, count=expected)]]
    if st.same_absences(q.last):
        present = q.last["present"]
        rows.append(
            [
                q.option(
                    "report.btn.same_last", st.SAME, st.SAME_LAST,
                    present=present, absent=expected - present,
                )
            ]
        )  # fmt: skip
    rows.append([q.option("report.btn.same_absent", st.SAME, st.SAME_ABSENT)])
    rows.append([q.option("report.btn.changed", st.SAME, st.CHANGED)])
    text = q.t("report.ask.same", members=members, exempt=exempt, expected=expected)
    return text, rows


def _ask_absent(q: _Ask) -> Question:
    rows = [[q.option("report.btn.nobody_absent", st.ABSENT, 0)]]
    return q.t("report.ask.absent", expected=q.expected), rows


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
    count = len(q.data.get("photos") or [])
    if count:
        done = q.option("report.btn.done", st.CONTENT, st.DONE, count=count)
        return q.t("report.minutes_received", count=count), [[done]]
    return q.t("report.ask.content"), []


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
    st.SAME: _ask_same,
    st.ABSENT: _ask_absent,
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


REVIEW_LIMIT = 400  # characters of the review message, the longest a secretary sees
# The review's options: send first, then three rows of details to add or change.
_REVIEW_ROWS = (("upper", "development", "photos"), ("when", "absent", "members"))


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
    """The review before sending, short (at most REVIEW_LIMIT characters): the answers in a few
    lines, "Gửi báo cáo" first, then the details to add (upper-level attendee, party
    development, photos of the minutes) and the answers to change, in three rows."""
    t = partial(i18n.t, lang)
    figures, footer = _review_figures(t, lang, data), t("report.review.footer")

    def compose(comment_limit: int) -> str:
        head = [t("report.review.title", month=period.label, unit=esc(_cut(unit_name, 40)))]
        if mode == "correct":
            head.append(t("report.review.correct", comment=esc(_cut(comment or "", comment_limit))))
        elif mode == "amend" and version:
            head.append(t("report.review.amend", version=version))
        budget = REVIEW_LIMIT - visible_length("\n".join([*head, *figures, footer])) - 2
        texts = _review_texts(t, data, budget) if budget > 0 else []
        return "\n".join([*head, *figures, *texts, footer])

    # The typed texts are cut to the room left; the supervisor's comment too when need be.
    comment_limit = 80
    text = compose(comment_limit)
    while (over := visible_length(text) - REVIEW_LIMIT) > 0 and comment_limit > 10:
        comment_limit = max(comment_limit - over, 10)
        text = compose(comment_limit)
    send = (Option(SEND, t("report.btn.send"), ("gui",)), Option(CANCEL, t("report.btn.cancel")))
    edit = partial(_edit_option, t)
    if data.get("held") is False:
        rows: list[Any] = [send, (edit("held"), edit("reason"))]
    else:
        rows = [send, *((edit(g) for g in row) for row in _REVIEW_ROWS)]
        rows.append((edit("content"), edit("conclusion"), edit("held")))
    return Prompt(text, options(*rows))


def _edit_option(t: Callable[..., str], group: str) -> Option:
    value = "e.held" if group == "reason" else f"e.{group}"
    return Option(value, t(f"report.btn.edit.{group}"))


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def _review_figures(t: Callable[..., str], lang: str, data: dict[str, Any]) -> list[str]:
    """The short lines of the review: the meeting, the attendance, the details given."""
    if data.get("held") is False:
        return []
    lines = []
    when, kind = data.get("meeting_date"), data.get("meeting_type")
    if when and kind:
        label = t(f"report.type.{kind}")
        lines.append(t("report.short.when", date=day(date.fromisoformat(when)), type=label))
    members, exempt, present = data.get("members"), data.get("exempt"), data.get("present")
    if members is not None and exempt is not None and present is not None:
        flags = quality(
            present=present,
            members=members,
            exempt=exempt,
            unexcused=data.get("absent_unexcused"),
        )
        lines.append(
            t(
                "report.short.attendance",
                members=members,
                exempt=exempt,
                present=present,
                expected=must_attend(members, exempt),
                rate=percent(lang, flags.rate) if flags else "–",
                mark="✅" if flags and flags.above_threshold else "⚠️",
            )
        )
        lines.append(
            t(
                "report.short.absent",
                excused=data.get("absent_excused") or 0,
                unexcused=data.get("absent_unexcused") or 0,
            )
        )
    extras = []
    if data.get("upper_attendee_name"):
        extras.append(t("report.short.upper", name=esc(_cut(data["upper_attendee_name"], 24))))
    if data.get("candidates") is not None:
        extras.append(
            t(
                "report.short.development",
                candidates=data["candidates"],
                admissions=data["admissions"],
                full=data["full_memberships"],
            )
        )
    if data.get("photos"):
        extras.append(t("report.short.photos", count=len(data["photos"])))
    if extras:
        lines.append(" · ".join(extras))
    if not data.get("content") and data.get("photos"):
        lines.append(t("report.short.minutes"))
    return lines


def _review_texts(t: Callable[..., str], data: dict[str, Any], budget: int) -> list[str]:
    """The typed texts, cut to what the review has room for."""
    if data.get("held") is False:
        keys = [("not_held", data.get("not_held_reason") or "")]
    else:
        keys = [(k, data.get(k)) for k in ("topic", "content", "conclusion") if data.get(k)]
    lines: dict[str, str] = {}
    # The shortest first, so that what they leave goes to the longer ones.
    for index, (key, value) in enumerate(sorted(keys, key=lambda kv: len(kv[1]))):
        room = budget // (len(keys) - index) - len(t(f"report.short.{key}", text="")) - 1
        if room < 4:  # no room left: the text is seen in full by its edit button
            continue
        lines[key] = t(f"report.short.{key}", text=esc(_cut(value, room)))
        budget -= visible_length(lines[key]) + 1
    return [lines[key] for key, _ in keys if key in lines]


_TAG = re.compile(r"<[^>]+>")


def visible_length(text: str) -> int:
    """The length of a message as the person reads it (Telegram's HTML taken away)."""
    return len(html.unescape(_TAG.sub("", text)))


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


def amend_link(lang: str, report_id: int) -> Links:
    """Under the confirmation: change the report just sent (its review opens)."""
    return [[(i18n.t(lang, "report.btn.amend"), CorrectReport(report_id))]]


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

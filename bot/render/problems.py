"""Texts and inline keyboards of the problem features; every user-typed value is escaped here.

Raising a problem is a conversation (bot.flows.problem: its questions' texts are here, its
options are the engine's); the other buttons are payloads of bot.payloads (ph, pv, pm, pl, pf,
pmy, pr).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import i18n
from bot.buttons import Payload
from bot.payloads import (
    ACTION_CODES,
    STATUS_FILTERS,
    FilterCategory,
    FilterStatus,
    MyProblems,
    ProblemAction,
    ProblemList,
    ProblemMedia,
    ProblemView,
    Reopen,
)
from bot.render.keyboard import Rows, markup
from bot.rules import problems as rules
from storage.chats import chat_of
from storage.models import GroupLink, Person, Problem, ProblemEvent, Unit

ANY_CATEGORY = "-"
SIMILAR_SHOWN, SIMILAR_TITLE, SIMILAR_PLACE = 3, 28, 24  # "Có phải cùng vấn đề?" fits 400

Prompt = tuple[str, InlineKeyboardMarkup | None]
T = TypeVar("T")


def _t(lang: str, key: str, **values: object) -> str:
    return i18n.t(lang, key, **values)


def _e(text: str | None) -> str:
    return html.escape(text or "")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _keyboard(rows: Rows) -> InlineKeyboardMarkup:
    return markup(rows) or InlineKeyboardMarkup([])


def _category(category: str) -> str | None:
    return None if category == ANY_CATEGORY else category


def _pairs(buttons: Sequence[tuple[str, T]]) -> list[list[tuple[str, T]]]:
    return [list(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m/%Y")


def moment_text(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m %H:%M")


def category_label(lang: str, code: str) -> str:
    return _t(lang, f"problem.category.{code}")


def status_label(lang: str, status: str) -> str:
    return _t(lang, f"problem.status.{status}")


# --- raising a problem ---------------------------------------------------------------------


def step_header(lang: str, step: str) -> str:
    """The "Bước 2/7." that starts the question of a numbered step."""
    number = rules.NUMBERED_STEPS.index(step) + 1
    return _t(lang, "problem.step", number=number, total=len(rules.NUMBERED_STEPS))


def media_received(lang: str, photos: int, has_location: bool) -> str:
    location = _t(lang, "problem.media.location_yes" if has_location else "problem.media.none")
    return _t(lang, "problem.media.received", photos=photos, location=location)


def ask_media(lang: str, photos: int, has_location: bool) -> str:
    text = step_header(lang, "media") + _t(lang, "problem.ask_media")
    if photos or has_location:
        text += "\n\n" + media_received(lang, photos, has_location)
    return text


def ask_similar(lang: str, category: str, problems: Sequence[Problem], tz: ZoneInfo) -> str:
    lines = [
        _t(
            lang,
            "problem.similar.line",
            id=p.id,
            title=_e(_short(p.title, SIMILAR_TITLE)),
            place=_where(lang, _short(p.place, SIMILAR_PLACE)),
            status=status_label(lang, p.status),
            date=day(p.created_at, tz),
        )
        for p in problems[:SIMILAR_SHOWN]
    ]
    text = _t(lang, "problem.similar.ask", category=category_label(lang, category))
    return text + "\n" + "\n".join(lines)


def _where(lang: str, place: str) -> str:
    """ " — cổng chợ" after a title, or nothing for a problem with no place named."""
    return _t(lang, "problem.where", place=_e(place)) if place else ""


@dataclass(frozen=True)
class Review:
    """What a problem being raised says so far, shown before it is sent."""

    unit: str
    category: str
    title: str
    description: str
    raised_by: str
    urgency: str
    place: str = ""
    photos: int = 0
    has_location: bool = False
    report_period: str | None = None  # "MM/YYYY" of the monthly report it is linked to


def review_text(lang: str, draft: Review) -> str:
    text = step_header(lang, "review") + _t(
        lang,
        "problem.review",
        unit=_e(draft.unit),
        category=category_label(lang, draft.category),
        title=_e(draft.title),
        place=_e(draft.place) or _t(lang, "problem.place.none"),
        description=_e(draft.description),
        raised_by=_t(lang, f"problem.raised_by.{draft.raised_by}"),
        urgency=_t(lang, f"problem.urgency.{draft.urgency}"),
        media=media_received(lang, draft.photos, draft.has_location),
    )
    if draft.report_period:
        text += "\n" + _t(lang, "problem.review.report", period=draft.report_period)
    return text


def sent(lang: str, problem: Problem, handling_unit: Unit, tz: ZoneInfo) -> str:
    return _t(
        lang,
        "problem.sent",
        id=problem.id,
        title=_e(problem.title),
        unit=_e(handling_unit.name),
        due=day(problem.due_at, tz),
    )


# --- a problem's card ----------------------------------------------------------------------


@dataclass
class Card:
    """Everything a card shows, loaded in one place (bot.handlers.problem_common.load_card)."""

    problem: Problem
    unit: Unit
    handling_unit: Unit
    reporter: Person | None
    version: int
    events: list[tuple[ProblemEvent, Person | None]] = field(default_factory=list)
    report_period: str | None = None
    commune: str = ""  # the unit above the cell: village names repeat across communes


def card_text(lang: str, card: Card, now: datetime, tz: ZoneInfo, header: str = "") -> str:
    p = card.problem
    lines = [header] if header else []
    urgent = _t(lang, "problem.card.urgent") if p.urgency == rules.URGENT else ""
    lines.append(
        _t(
            lang,
            "problem.card.head",
            id=p.id,
            urgent=urgent,
            category=category_label(lang, p.category),
            title=_e(p.title),
        )
        + _where(lang, p.place)
    )
    due = day(p.due_at, tz)
    if rules.is_overdue(p.status, p.due_at, now):
        due += " " + _t(lang, "problem.overdue")
    lines.append(
        _t(
            lang,
            "problem.card.facts",
            unit=_e(card.unit.name)
            + (
                " " + _t(lang, "problem.card.commune", commune=_e(card.commune))
                if card.commune
                else ""
            ),
            reporter=_e(card.reporter.full_name if card.reporter else "?"),
            raised_by=_t(lang, f"problem.raised_by.{p.raised_by}"),
            status=status_label(lang, p.status),
            handling=_e(card.handling_unit.name),
            created=day(p.created_at, tz),
            due=due,
        )
    )
    if p.duplicate_of_id:
        lines.append(_t(lang, "problem.card.duplicate_of", id=p.duplicate_of_id))
    if p.photos or p.latitude is not None:
        lines.append(media_received(lang, len(p.photos), p.latitude is not None))
    if card.report_period:
        lines.append(_t(lang, "problem.review.report", period=card.report_period))
    lines.append("\n" + _e(_short(p.description, 1500)))
    if card.events:
        lines.append("\n" + _t(lang, "problem.card.history"))
        lines.extend(_event_line(lang, event, person, tz) for event, person in card.events)
    return "\n".join(lines)


def _event_line(lang: str, event: ProblemEvent, person: Person | None, tz: ZoneInfo) -> str:
    line = _t(
        lang,
        "problem.card.event",
        when=moment_text(event.created_at, tz),
        what=_t(lang, f"problem.event.{event.action}"),
        who=_e(person.full_name if person else ""),
    )
    if event.note:
        line += "\n   " + _e(_short(event.note, 150))
    return line


def card_buttons(
    lang: str, card: Card, actions: Sequence[str], reopen: bool
) -> list[list[tuple[str, Payload]]]:
    """The handler's `actions`, the reporter's "not resolved" when `reopen`, and the media."""
    p = card.problem
    buttons: list[tuple[str, Payload]] = [
        (_t(lang, f"problem.action.{action}"), ProblemAction.of(p.id, card.version, action))
        for action in ACTION_CODES
        if action in actions
    ]
    rows = _pairs(buttons)
    if reopen:
        rows.append([(_t(lang, "problem.button.reopen"), Reopen(p.id, card.version))])
    if p.photos or p.latitude is not None:
        rows.append([(_t(lang, "problem.button.media"), ProblemMedia(p.id))])
    return rows


def card_keyboard(
    lang: str, card: Card, actions: Sequence[str], reopen: bool
) -> InlineKeyboardMarkup | None:
    return markup(card_buttons(lang, card, actions, reopen))


def handler_header(lang: str, kind: str, **values: object) -> str:
    """The first line of a notification to handlers: new, urgent, forwarded, supplement, reopen."""
    escaped = {key: _e(str(value)) for key, value in values.items()}
    return _t(lang, f"problem.notify.{kind}", **escaped)


def reporter_update(
    lang: str,
    problem: Problem,
    action: str,
    note: str | None,
    handling_unit: Unit,
    reopen_days: int,
) -> str:
    """What the reporter is told about a change of their problem."""
    text = _t(
        lang,
        f"problem.update.{action}",
        id=problem.id,
        title=_e(problem.title),
        unit=_e(handling_unit.name),
        other=problem.duplicate_of_id or "",
        days=reopen_days,
    )
    if note:
        text += "\n" + _t(lang, "problem.update.note", note=_e(note))
    return text


def reopen_buttons(lang: str, problem: Problem, version: int) -> list[list[tuple[str, Payload]]]:
    return [[(_t(lang, "problem.button.reopen"), Reopen(problem.id, version))]]


def refusal_text(lang: str, refusal: str, problem_id: int, reopen_days: int) -> str:
    """Why an action was not taken (bot.usecases.problems' refusals)."""
    if refusal == "unknown":
        return _t(lang, "problem.expired")
    return _t(lang, f"problem.refused.{refusal}", id=problem_id, days=reopen_days)


@dataclass(frozen=True)
class Notice:
    """A notification about a problem, rendered in its reader's language."""

    chat_id: int
    text: str
    rows: list[list[tuple[str, Payload]]] = field(default_factory=list)
    reply_to: int | None = None  # the reporter's confirmation, when known


def language_of(person: Person | None, default: str) -> str:
    """The language to write to someone other than the speaker in."""
    if person is not None and person.language:
        return i18n.normalise(person.language)
    return default


def handler_notices(
    card: Card,
    recipients: Sequence[Person],
    groups: Sequence[GroupLink],
    kind: str,
    *,
    speaker_id: int | None,
    default_language: str,
    now: datetime,
    tz: ZoneInfo,
    **values: object,
) -> list[Notice]:
    """The handling unit's supervisors (with the action buttons) and its linked groups
    (information only); `kind` picks the first line (new, urgent, forwarded, ...)."""
    actions = rules.allowed_actions(card.problem.status)
    notices = []
    for person in recipients:
        if person.id == speaker_id:
            continue
        lang = language_of(person, default_language)
        text = card_text(lang, card, now, tz, handler_header(lang, kind, **values))
        rows = card_buttons(lang, card, actions, reopen=False)
        chat = chat_of(person)
        if chat is not None:
            notices.append(Notice(chat, text, rows))
    for group in groups:
        header = handler_header(default_language, kind, **values)
        notices.append(Notice(group.chat_id, card_text(default_language, card, now, tz, header)))
    return notices


def reporter_notice(
    card: Card,
    action: str,
    note: str | None,
    *,
    speaker_id: int | None,
    default_language: str,
    reopen_days: int,
) -> Notice | None:
    """What the reporter is told about a change of their problem (not when they made it), as a
    reply to the message that confirmed it; a resolved problem comes with "not resolved"."""
    problem, reporter = card.problem, card.reporter
    if reporter is None or problem.reporter_chat_id is None or reporter.id == speaker_id:
        return None
    lang = language_of(reporter, default_language)
    text = reporter_update(lang, problem, action, note, card.handling_unit, reopen_days)
    rows = reopen_buttons(lang, problem, card.version) if problem.status == rules.RESOLVED else []
    return Notice(problem.reporter_chat_id, text, rows, problem.reporter_message_id)


def action_notices(
    card: Card,
    action: str,
    note: str | None,
    recipients: Sequence[Person],
    groups: Sequence[GroupLink],
    from_unit: str,
    *,
    speaker_id: int | None,
    default_language: str,
    reopen_days: int,
    now: datetime,
    tz: ZoneInfo,
) -> list[Notice]:
    """Who is told what after an action was taken: the reporter, and the new handlers (forward)
    or the handlers again (the reporter reopened it)."""
    common: dict[str, Any] = {
        "speaker_id": speaker_id,
        "default_language": default_language,
        "now": now,
        "tz": tz,
    }
    pid = card.problem.id
    if action == rules.REOPEN:
        return handler_notices(card, recipients, [], "reopen", id=pid, note=note or "", **common)
    reporter = reporter_notice(
        card,
        action,
        note,
        speaker_id=speaker_id,
        default_language=default_language,
        reopen_days=reopen_days,
    )
    notices = [reporter] if reporter else []
    if action == rules.FORWARD:
        notices += handler_notices(
            card, recipients, groups, "forwarded", id=pid, unit=from_unit, note=note or "", **common
        )
    return notices


def ask_note(lang: str, action: str, problem_id: int, title: str) -> str:
    """The question of a note an action needs (or of the ticket a duplicate is of)."""
    key = "problem.ask_ticket" if action == rules.MARK_DUPLICATE else f"problem.ask_note.{action}"
    return _t(lang, key, id=problem_id, title=_e(title))


# --- lists ---------------------------------------------------------------------------------


def _list_line(
    lang: str, p: Problem, unit: Unit | None, now: datetime, tz: ZoneInfo, commune: str = ""
) -> str:
    overdue = " " + _t(lang, "problem.overdue") if rules.is_overdue(p.status, p.due_at, now) else ""
    urgent = _t(lang, "problem.card.urgent") if p.urgency == rules.URGENT else ""
    return _t(
        lang,
        "problem.list.line" if unit else "problem.mine.line",
        id=p.id,
        urgent=urgent,
        title=_e(_short(p.title, 60)),
        unit=_e(f"{unit.name} ({commune})" if commune else unit.name) if unit else "",
        status=status_label(lang, p.status),
        due=day(p.due_at, tz) + overdue,
    )


def problem_list(
    lang: str,
    rows: Sequence[tuple[Problem, Unit]],
    total: int,
    page: int,
    page_size: int,
    status: str,
    category: str,
    now: datetime,
    tz: ZoneInfo,
    communes: Mapping[int, str] | None = None,
) -> Prompt:
    """A page of the supervisors' list; `communes`: cell id -> commune, named for a viewer
    above the commune."""
    communes = communes or {}
    pages = max(1, -(-total // page_size))
    cat = _t(lang, "problem.filter.any_category") if category == ANY_CATEGORY else None
    head = _t(
        lang,
        "problem.list.head",
        status=_t(lang, f"problem.filter.{status}"),
        category=cat or category_label(lang, category),
        total=total,
        page=page + 1,
        pages=pages,
    )
    if not rows:
        head += "\n\n" + _t(lang, "problem.list.empty")
    lines = [_list_line(lang, p, unit, now, tz, communes.get(unit.id, "")) for p, unit in rows]
    buttons = [[(f"#{p.id} {_short(p.title, 28)}", ProblemView(p.id))] for p, _ in rows]
    nav = []
    if page > 0:
        nav.append(
            (
                _t(lang, "problem.button.previous"),
                ProblemList(status, _category(category), page - 1),
            )
        )
    if page + 1 < pages:
        nav.append(
            (
                _t(lang, "problem.button.next_page"),
                ProblemList(status, _category(category), page + 1),
            )
        )
    filters = [
        (_t(lang, "problem.button.filter_status"), FilterStatus(_category(category))),
        (_t(lang, "problem.button.filter_category"), FilterCategory(status)),
    ]
    keyboard = _keyboard([*buttons, *([nav] if nav else []), filters])
    return "\n\n".join([head, *lines]), keyboard


def status_filters(lang: str, category: str) -> Prompt:
    buttons = [
        (_t(lang, f"problem.filter.{s}"), ProblemList(s, _category(category), 0))
        for s in STATUS_FILTERS
    ]
    return _t(lang, "problem.filter.ask_status"), _keyboard(_pairs(buttons))


def category_filters(lang: str, status: str) -> Prompt:
    buttons: list[tuple[str, Payload]] = [
        (_t(lang, "problem.filter.any_category"), ProblemList(status, None, 0))
    ]
    buttons += [
        (category_label(lang, code), ProblemList(status, code, 0)) for code in rules.CATEGORIES
    ]
    return _t(lang, "problem.filter.ask_category"), _keyboard(_pairs(buttons))


def my_problems(
    lang: str,
    problems: Sequence[Problem],
    total: int,
    page: int,
    page_size: int,
    now: datetime,
    tz: ZoneInfo,
) -> Prompt:
    if not problems:
        return _t(lang, "problem.mine.empty"), None
    pages = max(1, -(-total // page_size))
    head = _t(lang, "problem.mine.head", total=total, page=page + 1, pages=pages)
    lines = [_list_line(lang, p, None, now, tz) for p in problems]
    buttons = [[(f"#{p.id} {_short(p.title, 28)}", ProblemView(p.id))] for p in problems]
    nav = []
    if page > 0:
        nav.append((_t(lang, "problem.button.previous"), MyProblems(page - 1)))
    if page + 1 < pages:
        nav.append((_t(lang, "problem.button.next_page"), MyProblems(page + 1)))
    return "\n\n".join([head, *lines]), _keyboard([*buttons, *([nav] if nav else [])])

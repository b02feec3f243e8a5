"""Texts and inline keyboards of the problem features; every user-typed value is escaped here.

Callback data (≤ 64 bytes) by prefix:
  p:<token>:<what>[:<value>]   a step of raising a problem (the draft's token)
  ph:<id>:<version>:<action>   a handler's action on a problem (its state version)
  pn:<token>:x                 cancel the note being typed
  pv:<id>  pm:<id>             open a problem's card; send its photos and location
  pl:<status>:<category>:<page>   pf:s|c:<other filter>   the supervisors' list and its filters
  pmy:<page>                   the reporter's list
  pr:<id>:<version>            the reporter says "not resolved"
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import i18n
from bot.rules import problems as rules
from storage.models import Person, Problem, ProblemEvent, Unit

RAISE, HANDLE, NOTE, VIEW, MEDIA = "p:", "ph:", "pn:", "pv:", "pm:"
LIST, FILTER, MINE, REOPEN = "pl:", "pf:", "pmy:", "pr:"

ACTION_CODES = {
    rules.ACKNOWLEDGE: "ack",
    rules.START: "sta",
    rules.FORWARD: "fwd",
    rules.RESOLVE: "res",
    rules.REJECT: "rej",
    rules.NOT_OURS: "not",
    rules.MARK_DUPLICATE: "dup",
}
ACTIONS_BY_CODE = {code: action for action, code in ACTION_CODES.items()}

# The status filters of the supervisors' list: "open" (the default) and "all" are groups.
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": rules.OPEN_STATUSES,
    **{status: (status,) for status in rules.STATUSES},
    "all": rules.STATUSES,
}
ANY_CATEGORY = "-"

Prompt = tuple[str, InlineKeyboardMarkup | None]


def _t(lang: str, key: str, **values: object) -> str:
    return i18n.t(lang, key, **values)


def _e(text: str | None) -> str:
    return html.escape(text or "")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _pairs(buttons: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m/%Y")


def moment_text(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m %H:%M")


def category_label(lang: str, code: str) -> str:
    return _t(lang, f"problem.category.{code}")


def status_label(lang: str, status: str) -> str:
    return _t(lang, f"problem.status.{status}")


# --- raising a problem ---------------------------------------------------------------------


def _raise_button(lang: str, key: str, token: str, what: str, value: str = "") -> tuple[str, str]:
    data = f"{RAISE}{token}:{what}" + (f":{value}" if value else "")
    return _t(lang, key), data


def _cancel_row(lang: str, token: str) -> list[tuple[str, str]]:
    return [_raise_button(lang, "problem.button.cancel", token, "x")]


def _step(lang: str, step: str) -> str:
    number = rules.NUMBERED_STEPS.index(step) + 1
    return _t(lang, "problem.step", number=number, total=len(rules.NUMBERED_STEPS))


def ask_unit(lang: str, token: str, units: Sequence[Unit]) -> Prompt:
    rows = [[(unit.name, f"{RAISE}{token}:u:{unit.id}")] for unit in units]
    return _t(lang, "problem.ask_unit"), _keyboard([*rows, _cancel_row(lang, token)])


def ask_category(lang: str, token: str) -> Prompt:
    buttons = [
        (category_label(lang, code), f"{RAISE}{token}:c:{code}") for code in rules.CATEGORIES
    ]
    text = _step(lang, "category") + _t(lang, "problem.ask_category")
    return text, _keyboard([*_pairs(buttons), _cancel_row(lang, token)])


def ask_title(lang: str, token: str) -> Prompt:
    text = _step(lang, "title") + _t(lang, "problem.ask_title", high=rules.TITLE_MAX)
    return text, _keyboard([_cancel_row(lang, token)])


def ask_description(lang: str, token: str) -> Prompt:
    text = _step(lang, "description") + _t(lang, "problem.ask_description")
    return text, _keyboard([_cancel_row(lang, token)])


def ask_raised_by(lang: str, token: str) -> Prompt:
    buttons = [
        _raise_button(lang, f"problem.raised_by.{who}", token, "b", who) for who in rules.RAISED_BY
    ]
    text = _step(lang, "raised_by") + _t(lang, "problem.ask_raised_by")
    return text, _keyboard([buttons, _cancel_row(lang, token)])


def ask_urgency(lang: str, token: str) -> Prompt:
    buttons = [
        _raise_button(lang, f"problem.urgency.{level}", token, "g", level)
        for level in rules.URGENCIES
    ]
    text = _step(lang, "urgency") + _t(lang, "problem.ask_urgency")
    return text, _keyboard([buttons, _cancel_row(lang, token)])


def ask_media(lang: str, token: str, photos: int, has_location: bool) -> Prompt:
    text = _step(lang, "media") + _t(lang, "problem.ask_media")
    if photos or has_location:
        text += "\n\n" + media_received(lang, photos, has_location)
    return text, _keyboard([[_raise_button(lang, "problem.button.next", token, "m")]])


def media_received(lang: str, photos: int, has_location: bool) -> str:
    location = _t(lang, "problem.media.location_yes" if has_location else "problem.media.none")
    return _t(lang, "problem.media.received", photos=photos, location=location)


def ask_report(lang: str, token: str, report_id: int, period_label: str) -> Prompt:
    rows = [
        [_raise_button(lang, "problem.button.link_report", token, "r", str(report_id))],
        [_raise_button(lang, "problem.button.no_report", token, "r", "0")],
    ]
    return _t(lang, "problem.ask_report", period=period_label), _keyboard(rows)


def ask_similar(
    lang: str, token: str, category: str, problems: Sequence[Problem], tz: ZoneInfo
) -> Prompt:
    lines = [
        _t(
            lang,
            "problem.similar.line",
            id=p.id,
            title=_e(p.title),
            status=status_label(lang, p.status),
            date=day(p.created_at, tz),
        )
        for p in problems
    ]
    text = _t(lang, "problem.similar.ask", category=category_label(lang, category))
    rows = [
        [(_t(lang, "problem.button.add_to", id=p.id), f"{RAISE}{token}:a:{p.id}")] for p in problems
    ]
    rows.append([_raise_button(lang, "problem.button.send_new", token, "n")])
    return text + "\n" + "\n".join(lines), _keyboard(rows)


def review(lang: str, token: str, data: dict, unit_name: str, report_label: str | None) -> Prompt:
    text = _step(lang, "review") + _t(
        lang,
        "problem.review",
        unit=_e(unit_name),
        category=category_label(lang, data["category"]),
        title=_e(data["title"]),
        description=_e(data["description"]),
        raised_by=_t(lang, f"problem.raised_by.{data['raised_by']}"),
        urgency=_t(lang, f"problem.urgency.{data['urgency']}"),
        media=media_received(lang, len(data.get("photos", [])), "location" in data),
    )
    if report_label:
        text += "\n" + _t(lang, "problem.review.report", period=report_label)
    rows = [
        [_raise_button(lang, "problem.button.send", token, "s")],
        _cancel_row(lang, token),
    ]
    return text, _keyboard(rows)


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


def card_keyboard(
    lang: str, card: Card, actions: Sequence[str], reopen: bool
) -> InlineKeyboardMarkup | None:
    """The handler's `actions`, the reporter's "not resolved" when `reopen`, and the media."""
    p = card.problem
    buttons = [
        (_t(lang, f"problem.action.{action}"), f"{HANDLE}{p.id}:{card.version}:{code}")
        for action, code in ACTION_CODES.items()
        if action in actions
    ]
    rows = _pairs(buttons)
    if reopen:
        rows.append([(_t(lang, "problem.button.reopen"), f"{REOPEN}{p.id}:{card.version}")])
    if p.photos or p.latitude is not None:
        rows.append([(_t(lang, "problem.button.media"), f"{MEDIA}{p.id}")])
    return _keyboard(rows) if rows else None


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


def reopen_keyboard(lang: str, problem: Problem, version: int) -> InlineKeyboardMarkup:
    return _keyboard([[(_t(lang, "problem.button.reopen"), f"{REOPEN}{problem.id}:{version}")]])


def ask_note(lang: str, action: str, problem: Problem, token: str) -> Prompt:
    key = "problem.ask_ticket" if action == rules.MARK_DUPLICATE else f"problem.ask_note.{action}"
    text = _t(lang, key, id=problem.id, title=_e(problem.title))
    return text, _keyboard([[(_t(lang, "problem.button.cancel"), f"{NOTE}{token}:x")]])


# --- lists ---------------------------------------------------------------------------------


def _list_line(lang: str, p: Problem, unit: Unit | None, now: datetime, tz: ZoneInfo) -> str:
    overdue = " " + _t(lang, "problem.overdue") if rules.is_overdue(p.status, p.due_at, now) else ""
    urgent = _t(lang, "problem.card.urgent") if p.urgency == rules.URGENT else ""
    return _t(
        lang,
        "problem.list.line" if unit else "problem.mine.line",
        id=p.id,
        urgent=urgent,
        title=_e(_short(p.title, 60)),
        unit=_e(unit.name) if unit else "",
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
) -> Prompt:
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
    lines = [_list_line(lang, p, unit, now, tz) for p, unit in rows]
    buttons = [[(f"#{p.id} {_short(p.title, 28)}", f"{VIEW}{p.id}")] for p, _ in rows]
    nav = []
    if page > 0:
        nav.append((_t(lang, "problem.button.previous"), f"{LIST}{status}:{category}:{page - 1}"))
    if page + 1 < pages:
        nav.append((_t(lang, "problem.button.next_page"), f"{LIST}{status}:{category}:{page + 1}"))
    filters = [
        (_t(lang, "problem.button.filter_status"), f"{FILTER}s:{category}"),
        (_t(lang, "problem.button.filter_category"), f"{FILTER}c:{status}"),
    ]
    keyboard = _keyboard([*buttons, *([nav] if nav else []), filters])
    return "\n\n".join([head, *lines]), keyboard


def status_filters(lang: str, category: str) -> Prompt:
    buttons = [(_t(lang, f"problem.filter.{s}"), f"{LIST}{s}:{category}:0") for s in STATUS_FILTERS]
    return _t(lang, "problem.filter.ask_status"), _keyboard(_pairs(buttons))


def category_filters(lang: str, status: str) -> Prompt:
    buttons = [(_t(lang, "problem.filter.any_category"), f"{LIST}{status}:{ANY_CATEGORY}:0")]
    buttons += [
        (category_label(lang, code), f"{LIST}{status}:{code}:0") for code in rules.CATEGORIES
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
    buttons = [[(f"#{p.id} {_short(p.title, 28)}", f"{VIEW}{p.id}")] for p in problems]
    nav = []
    if page > 0:
        nav.append((_t(lang, "problem.button.previous"), f"{MINE}{page - 1}"))
    if page + 1 < pages:
        nav.append((_t(lang, "problem.button.next_page"), f"{MINE}{page + 1}"))
    return "\n\n".join([head, *lines]), _keyboard([*buttons, *([nav] if nav else [])])

"""The report conversation as a pure state machine over a draft's `step` and `data`.

The answers are a dict under the report's field names (dates as ISO strings), kept in the
conversation's draft (bot.flows.report). `apply_answer` validates one answer for the current step
and returns the new answers; `next_step` says what to ask next. Both are pure, so a restart of the
bot loses nothing: the database holds the step and the answers.

Diagram (held path; optional steps in brackets)::

    [cell] -> [period] -> held -> date -> type -> [topic]
      -> same ("as last month": all present | some absent -> absent | changed -> members ...)
      |  members -> exempt -> present -> [absent_excused -> absent_unexcused]   (first report)
      -> content (typed, or photos of the minutes then "done") -> [conclusion] -> review
    held(no) -> reason -> review
    held("another month") -> period
    review -> upper_name -> [upper_position] | development | photos | any group above -> review
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.rules.periods import Period
from bot.rules.report import (
    MAX_PHOTOS,
    MEETING_TYPES,
    REPORT_FIELDS,
    TEXT_LIMITS,
    THEMATIC,
    AnswerError,
    check_absences,
    check_excused,
    check_exempt,
    check_present,
    check_total,
    must_attend,
    parse_absences,
    parse_count,
    parse_development,
    parse_meeting_date,
    parse_text,
)

CELL, PERIOD = "cell", "period"  # choosing what to report, before the numbered steps
HELD, REASON = "held", "reason"
DATE, TYPE, TOPIC = "date", "type", "topic"
SAME, ABSENT = "same", "absent"  # last month's membership again; then only the absences
MEMBERS, EXEMPT, PRESENT, EXCUSED, UNEXCUSED = (
    "members",
    "exempt",
    "present",
    "absent_excused",
    "absent_unexcused",
)
UPPER_NAME, UPPER_POSITION = "upper_name", "upper_position"
CONTENT, CONCLUSION, DEVELOPMENT, PHOTOS = "content", "conclusion", "development", "photos"
REVIEW = "review"

YES, NO, SKIP, DONE, OTHER = "yes", "no", "skip", "done", "other"
# The answers of SAME: as last month and everyone present; as last month with the same
# absences; as last month, some absent (asked next); changed (the figures one by one).
SAME_ALL, SAME_LAST, SAME_ABSENT, CHANGED = "all", "last", "absent", "changed"

# The numbered stages the user sees ("Bước k/n"); a stage may hold several steps. The optional
# details (upper-level attendee, party development, photos) are offered by the review only.
_HELD_STAGES = (
    (HELD,),
    (DATE,),
    (TYPE, TOPIC),
    (SAME, ABSENT, MEMBERS, EXEMPT, PRESENT, EXCUSED, UNEXCUSED),
    (CONTENT,),
    (CONCLUSION,),
)
_NOT_HELD_STAGES = ((HELD,), (REASON,))

# What the review's options open: a group of steps asked together, first step first.
GROUPS: dict[str, tuple[str, ...]] = {
    "upper": (UPPER_NAME, UPPER_POSITION),
    "development": (DEVELOPMENT,),
    "photos": (PHOTOS,),
    "when": (DATE, TYPE, TOPIC),
    "absent": (ABSENT,),
    "members": (MEMBERS, EXEMPT, PRESENT, EXCUSED, UNEXCUSED),
    "content": (CONTENT,),
    "conclusion": (CONCLUSION,),
    "held": (HELD, REASON),
}
_GROUP_OF = {step: group for group, steps in GROUPS.items() for step in steps}
_GROUP_OF[SAME] = "members"

# The data key whose presence means the step has been answered.
_ANSWER_KEY = {
    HELD: "held",
    REASON: "not_held_reason",
    DATE: "meeting_date",
    TYPE: "meeting_type",
    TOPIC: "topic",
    SAME: "members",
    ABSENT: "present",
    MEMBERS: "members",
    EXEMPT: "exempt",
    PRESENT: "present",
    EXCUSED: "absent_excused",
    UNEXCUSED: "absent_unexcused",
    UPPER_NAME: "upper_attendee_name",
    UPPER_POSITION: "upper_attendee_position",
    CONTENT: "content",
    CONCLUSION: "conclusion",
    DEVELOPMENT: "candidates",
    PHOTOS: "photos",
}

STEPS = tuple(_ANSWER_KEY)  # every step that answers a field of the report
OPTIONAL = (UPPER_NAME, UPPER_POSITION, DEVELOPMENT, PHOTOS)  # offered by the review only

# Last month's figures ("members", "exempt"; "present", "absent_excused", "absent_unexcused"
# when it met), if known.
Last = Mapping[str, Any] | None


def _knows_last(last: Last) -> bool:
    return last is not None and last.get("members") is not None and last.get("exempt") is not None


def path(data: dict[str, Any], last: Last = None) -> list[str]:
    """The steps this report goes through, given the answers so far and last month's figures
    (with them, one step "as last month" stands for the membership figures)."""
    if data.get("held") is False:
        return [HELD, REASON]
    steps = [HELD, DATE, TYPE]
    if data.get("meeting_type") == THEMATIC:
        steps.append(TOPIC)
    same = data.get("same")
    if same in (SAME_ALL, SAME_LAST, SAME_ABSENT) or (
        same is None and "members" not in data and _knows_last(last)
    ):
        steps.append(SAME)
        if same == SAME_ABSENT:
            steps.append(ABSENT)
    else:
        steps += [MEMBERS, EXEMPT, PRESENT]
        if not _everyone_present(data):
            steps += [EXCUSED, UNEXCUSED]
    steps.append(CONTENT)
    if not minutes_only(data):
        steps.append(CONCLUSION)
    return steps


def minutes_only(data: dict[str, Any]) -> bool:
    """Photos of the minutes stand for the content: no typed content, no conclusion needed."""
    return bool(data.get("photos")) and "content" in data and not data.get("content")


def _everyone_present(data: dict[str, Any]) -> bool:
    members, exempt, present = data.get("members"), data.get("exempt"), data.get("present")
    if members is None or exempt is None or present is None:
        return False
    return present == must_attend(members, exempt)


def stage(step: str, data: dict[str, Any]) -> tuple[int, int] | None:
    """(k, n) for "Bước k/n"; before "held" is answered the longer path is assumed; None for
    the optional details, asked from the review."""
    stages = _NOT_HELD_STAGES if data.get("held") is False else _HELD_STAGES
    for number, steps in enumerate(stages, start=1):
        if step in steps:
            return number, len(stages)
    return None


def first_missing(data: dict[str, Any], last: Last = None) -> str | None:
    return next((s for s in path(data, last) if _ANSWER_KEY[s] not in data), None)


def next_step(step: str, data: dict[str, Any], last: Last = None, *, editing: bool = False) -> str:
    """The step after `step` has been answered (data already updated).

    Editing from the review finishes the changed group, then asks whatever is still missing
    (switching "not held" to "held" needs the whole meeting), then returns to the review.
    """
    steps = path(data, last)
    if step in steps:
        position = steps.index(step)
        following = steps[position + 1] if position + 1 < len(steps) else None
    else:  # a step off the path: an optional detail, or a figure changed from the review
        following = UPPER_POSITION if step == UPPER_NAME and data.get(_ANSWER_KEY[step]) else None
    if not editing:
        return following or first_missing(data, last) or REVIEW
    if following is not None and _GROUP_OF[following] == _GROUP_OF[step]:
        return following
    return first_missing(data, last) or REVIEW


def begin_edit(group: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The first step of a group the user wants to change from the review, and the data to ask
    it with (changing the membership asks the figures one by one)."""
    data = dict(data)
    if group == "members":
        data["same"] = CHANGED
    return GROUPS[group][0], data


@dataclass(frozen=True)
class Answer:
    """One input at a step: a typed text, a button's value, a photo, or a file (refused)."""

    text: str | None = None
    choice: str | None = None
    photo: str | None = None  # Telegram file id of the largest size
    document: bool = False


@dataclass(frozen=True)
class Outcome:
    data: dict[str, Any]
    advance: bool = True  # False: stay at the step (a photo was added, more may come)


def apply_answer(
    step: str,
    answer: Answer,
    data: dict[str, Any],
    *,
    period: Period,
    today: date,
    last: Last = None,
) -> Outcome:
    """Validate `answer` for `step` and return the new data; raise AnswerError to stay."""
    if step == PHOTOS:
        return _photos(answer, data)
    if step == CONTENT and (answer.photo is not None or answer.choice == DONE):
        return _minutes(answer, data)
    if answer.document and step == CONTENT:
        raise AnswerError("report.error.photo_document")
    if answer.photo is not None or answer.document:
        raise AnswerError("report.error.text_expected")
    value = answer.choice if answer.choice is not None else answer.text
    if value is None:
        raise AnswerError("report.error.text_expected")
    new = dict(data)
    if step == SAME:
        _same(answer, new, last)
    else:
        _APPLY[step](value, answer, new, period, today)
    return Outcome(new)


def _typed(answer: Answer) -> str:
    if answer.text is None:
        raise AnswerError("report.error.press_button")
    return answer.text


def _choice(answer: Answer, allowed: tuple[str, ...]) -> str:
    if answer.choice not in allowed:
        raise AnswerError("report.error.press_button")
    return answer.choice


def _held(_value: str, answer: Answer, data: dict[str, Any], *_: object) -> None:
    data["held"] = _choice(answer, (YES, NO)) == YES


def _text_field(key: str):
    def apply(_value: str, answer: Answer, data: dict[str, Any], *_: object) -> None:
        data[key] = parse_text(_typed(answer), limit=TEXT_LIMITS[key])

    return apply


def _date(value: str, _answer: Answer, data: dict[str, Any], period: Period, today: date) -> None:
    data["meeting_date"] = parse_meeting_date(value, period=period, today=today).isoformat()


def _type(_value: str, answer: Answer, data: dict[str, Any], *_: object) -> None:
    data["meeting_type"] = _choice(answer, MEETING_TYPES)
    if data["meeting_type"] != THEMATIC:
        data["topic"] = None


def _members(value: str, _answer: Answer, data: dict[str, Any], *_: object) -> None:
    data["members"] = parse_count(value, minimum=1)
    data["same"] = CHANGED


def _exempt(value: str, _answer: Answer, data: dict[str, Any], *_: object) -> None:
    exempt = parse_count(value)
    check_exempt(exempt, members=data["members"])
    data["exempt"] = exempt


def _present(value: str, _answer: Answer, data: dict[str, Any], *_: object) -> None:
    present = parse_count(value)
    expected = must_attend(data["members"], data["exempt"])
    check_present(present, expected=expected)
    data["present"] = present
    if present == expected:  # everyone came: nobody was absent, no need to ask
        data["absent_excused"] = data["absent_unexcused"] = 0


def _excused(value: str, _answer: Answer, data: dict[str, Any], *_: object) -> None:
    excused = parse_count(value)
    check_excused(
        excused, present=data["present"], expected=must_attend(data["members"], data["exempt"])
    )
    data["absent_excused"] = excused


def _unexcused(value: str, _answer: Answer, data: dict[str, Any], *_: object) -> None:
    unexcused = parse_count(value)
    check_total(
        present=data["present"],
        excused=data["absent_excused"],
        unexcused=unexcused,
        members=data["members"],
        exempt=data["exempt"],
    )
    data["absent_unexcused"] = unexcused


def _same(answer: Answer, data: dict[str, Any], last: Last) -> None:
    """As last month (everyone present, or some absent: asked next), or changed."""
    choice = _choice(answer, (SAME_ALL, SAME_LAST, SAME_ABSENT, CHANGED))
    for key in ("members", "exempt", "present", "absent_excused", "absent_unexcused"):
        data.pop(key, None)
    data["same"] = choice
    if choice == CHANGED or not _knows_last(last):
        data["same"] = CHANGED
        return
    assert last is not None
    data["members"], data["exempt"] = int(last["members"]), int(last["exempt"])
    if choice == SAME_ALL:
        data["present"] = must_attend(data["members"], data["exempt"])
        data["absent_excused"] = data["absent_unexcused"] = 0
    elif choice == SAME_LAST:
        if not same_absences(last):
            raise AnswerError("report.error.press_button")
        for key in ("present", "absent_excused", "absent_unexcused"):
            data[key] = int(last[key])


def same_absences(last: Last) -> bool:
    """Whether last month's attendance can be offered again: known, adding up, with absences."""
    if not _knows_last(last):
        return False
    assert last is not None
    known = [last.get(k) for k in ("present", "absent_excused", "absent_unexcused")]
    if any(f is None for f in known):
        return False
    figures = [int(f) for f in known if f is not None]
    expected = must_attend(int(last["members"]), int(last["exempt"]))
    return sum(figures) == expected and figures[0] < expected


def _absent(value: str, _answer: Answer, data: dict[str, Any], *_: object) -> None:
    """The absences in one answer: "2 1" (with reason, without reason) or "2" (all excused);
    those present are the rest."""
    excused, unexcused = parse_absences(value)
    expected = must_attend(data["members"], data["exempt"])
    check_absences(excused, unexcused, expected=expected)
    data["absent_excused"], data["absent_unexcused"] = excused, unexcused
    data["present"] = expected - excused - unexcused


def _minutes(answer: Answer, data: dict[str, Any]) -> Outcome:
    """At the content: photos of the minutes (more may come), then "done" with no typed text."""
    photos = list(data.get("photos") or [])
    if answer.photo is not None:
        if len(photos) >= MAX_PHOTOS:
            raise AnswerError("report.error.too_many_photos", {"maximum": MAX_PHOTOS})
        return Outcome({**data, "photos": [*photos, answer.photo]}, advance=False)
    if not photos:
        raise AnswerError("report.error.content_expected")
    new = {**data, "photos": photos}
    if not new.get("content"):
        new["content"] = new["conclusion"] = None
    return Outcome(new)


def _upper_name(_value: str, answer: Answer, data: dict[str, Any], *_: object) -> None:
    if answer.choice == SKIP:
        data["upper_attendee_name"] = data["upper_attendee_position"] = None
        return
    data["upper_attendee_name"] = parse_text(
        _typed(answer), limit=TEXT_LIMITS["upper_attendee_name"]
    )


def _upper_position(_value: str, answer: Answer, data: dict[str, Any], *_: object) -> None:
    if answer.choice == SKIP:
        data["upper_attendee_position"] = None
        return
    data["upper_attendee_position"] = parse_text(
        _typed(answer), limit=TEXT_LIMITS["upper_attendee_position"]
    )


def _development(_value: str, answer: Answer, data: dict[str, Any], *_: object) -> None:
    if answer.choice == SKIP:
        numbers: tuple[int | None, ...] = (None, None, None)
    else:
        numbers = parse_development(_typed(answer))
    data["candidates"], data["admissions"], data["full_memberships"] = numbers


def _photos(answer: Answer, data: dict[str, Any]) -> Outcome:
    photos = list(data.get("photos") or [])
    if answer.photo is not None:
        if len(photos) >= MAX_PHOTOS:
            raise AnswerError("report.error.too_many_photos", {"maximum": MAX_PHOTOS})
        return Outcome({**data, "photos": [*photos, answer.photo]}, advance=False)
    if answer.document:
        raise AnswerError("report.error.photo_document")
    if answer.choice in (DONE, SKIP):
        return Outcome({**data, "photos": photos})
    raise AnswerError("report.error.photo_expected")


_APPLY = {
    HELD: _held,
    REASON: _text_field("not_held_reason"),
    DATE: _date,
    TYPE: _type,
    TOPIC: _text_field("topic"),
    ABSENT: _absent,
    MEMBERS: _members,
    EXEMPT: _exempt,
    PRESENT: _present,
    EXCUSED: _excused,
    UNEXCUSED: _unexcused,
    UPPER_NAME: _upper_name,
    UPPER_POSITION: _upper_position,
    CONTENT: _text_field("content"),
    CONCLUSION: _text_field("conclusion"),
    DEVELOPMENT: _development,
}


def report_values(data: dict[str, Any]) -> dict[str, Any]:
    """The report's fields from a finished draft: a meeting not held keeps only its reason."""
    if data.get("held") is False:
        values: dict[str, Any] = dict.fromkeys(REPORT_FIELDS)
        values.update(held=False, not_held_reason=data.get("not_held_reason"), photos=[])
        return values
    values = {key: data.get(key) for key in REPORT_FIELDS}
    values["held"] = True
    values["not_held_reason"] = None
    values["photos"] = list(data.get("photos") or [])
    if values["meeting_date"]:
        values["meeting_date"] = date.fromisoformat(values["meeting_date"])
    return values


def draft_data(values: dict[str, Any]) -> dict[str, Any]:
    """Draft data pre-filled from a stored report's fields (to amend or correct it)."""
    data = {key: values.get(key) for key in REPORT_FIELDS}
    if isinstance(data["meeting_date"], date):
        data["meeting_date"] = data["meeting_date"].isoformat()
    data["photos"] = list(data["photos"] or [])
    if data["held"] is False:  # only the reason is kept for a meeting not held
        return {"held": False, "not_held_reason": data["not_held_reason"]}
    return data


def is_complete(data: dict[str, Any], last: Last = None) -> bool:
    return first_missing(data, last) is None

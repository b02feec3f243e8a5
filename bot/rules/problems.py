"""Problems (khó khăn, vướng mắc, kiến nghị): categories, the state machine, notes, due dates.

States: new → acknowledged (đã tiếp nhận) → in_progress (đang xử lý) → resolved (đã giải quyết).
While open, a problem can also be forwarded up (chuyển cấp trên: the next unit with supervisors
handles it, and it is new again there), rejected or declared not our responsibility (with a
reason), or marked a duplicate of another ticket. The reporter may reopen a resolved problem
within a configured number of days. Everything here is pure: handlers and storage call it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.prompt import fold

CATEGORIES = (
    "dat_dai",
    "giai_phong_mat_bang",
    "giao_thong_thuy_loi",
    "moi_truong",
    "an_ninh_trat_tu",
    "nong_thon_moi",
    "chinh_sach_xa_hoi",
    "xay_dung_dang",
    "khac",
)
RAISED_BY = ("members", "residents", "cell")
NORMAL, URGENT = "normal", "urgent"
URGENCIES = (NORMAL, URGENT)

NEW, ACKNOWLEDGED, IN_PROGRESS = "new", "acknowledged", "in_progress"
RESOLVED, REJECTED, DUPLICATE = "resolved", "rejected", "duplicate"
STATUSES = (NEW, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, REJECTED, DUPLICATE)
OPEN_STATUSES = (NEW, ACKNOWLEDGED, IN_PROGRESS)
CLOSED_STATUSES = (RESOLVED, REJECTED, DUPLICATE)

# Actions. RAISE and SUPPLEMENT are recorded as events but are not transitions of the machine.
RAISE, SUPPLEMENT = "raise", "supplement"
ACKNOWLEDGE, START, FORWARD = "acknowledge", "start", "forward"
RESOLVE, REJECT, NOT_OURS, MARK_DUPLICATE = "resolve", "reject", "not_ours", "duplicate"
REOPEN = "reopen"
HANDLER_ACTIONS = (ACKNOWLEDGE, START, FORWARD, RESOLVE, REJECT, NOT_OURS, MARK_DUPLICATE)

_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    # action: (the states it may start from, the state it leads to)
    ACKNOWLEDGE: ((NEW,), ACKNOWLEDGED),
    START: ((NEW, ACKNOWLEDGED), IN_PROGRESS),
    FORWARD: (OPEN_STATUSES, NEW),
    RESOLVE: (OPEN_STATUSES, RESOLVED),
    REJECT: (OPEN_STATUSES, REJECTED),
    NOT_OURS: (OPEN_STATUSES, REJECTED),
    MARK_DUPLICATE: (OPEN_STATUSES, DUPLICATE),
    REOPEN: ((RESOLVED,), IN_PROGRESS),
}

# The handler explains a closing decision or why it goes up; the reporter explains why it is
# not fixed.
_NEEDS_NOTE = frozenset({FORWARD, RESOLVE, REJECT, NOT_OURS, REOPEN})

TITLE_MIN, TITLE_MAX = 3, 120
DESCRIPTION_MIN, DESCRIPTION_MAX = 3, 2000
PLACE_MIN, PLACE_MAX = 2, 120
NOTE_MAX = 1000
MAX_PHOTOS = 10


# The steps of raising a problem, in order. "similar" (open problems that may be the same one: add
# to it instead) comes right after the category, the place and the title, and only when there is
# one; "report" only when there is a monthly report to link to.
RAISE_STEPS = (
    "unit",
    "category",
    "place",
    "title",
    "similar",
    "description",
    "raised_by",
    "urgency",
    "media",
    "report",
    "review",
)
NUMBERED_STEPS = (
    "category",
    "place",
    "title",
    "description",
    "raised_by",
    "urgency",
    "media",
    "review",
)


def next_raise_step(step: str, *, has_report: bool, has_similar: bool) -> str:
    """The step after `step` when raising a problem."""
    skip = {"report"} if not has_report else set()
    if not has_similar:
        skip.add("similar")
    later = RAISE_STEPS[RAISE_STEPS.index(step) + 1 :]
    return next(s for s in later if s not in skip)


# --- the same problem again? ------------------------------------------------------------------

NEAR_METRES = 300.0
# Words too common to tell two problems apart (compared folded: no diacritics, lower case):
# joining words, and the kinds of places every village has. Not "chợ", "chùa", "Đảng", which
# fold to joining words' spelling ("cho", "chua", "dang").
COMMON_WORDS = frozenset(
    fold(
        """
        và với của ở tại bị đã được không có các những một là này đó thì mà rất quá lại ra vào
        lên xuống về trong trên dưới gần cạnh bên trước sau cũng như nhiều hay hoặc theo đến từ
        còn vẫn thôn xóm ấp bản tổ khu xã phường thị trấn số the of and at in on near
        """
    ).split()
)


@dataclass(frozen=True)
class Sketch:
    """What tells one problem from another when looking for the same one raised twice."""

    unit_id: int | None
    category: str
    title: str
    place: str = ""
    location: tuple[float, float] | None = None
    status: str = "new"


def meaningful_words(text: str) -> frozenset[str]:
    """The words of a place or title that say what or where (diacritics and case ignored)."""
    return frozenset(fold(text).split()) - COMMON_WORDS


def _share_words(one: str, other: str) -> bool:
    """Two texts share meaningful words: two of them, or the one a short text has ("chợ" and
    "cổng chợ"); numbers that differ tell them apart ("xóm 3" is not "xóm 5")."""
    a, b = meaningful_words(one), meaningful_words(other)
    numbers_a, numbers_b = {w for w in a if w.isdigit()}, {w for w in b if w.isdigit()}
    if not a or not b or (numbers_a and numbers_b and not numbers_a & numbers_b):
        return False
    return len(a & b) >= min(2, len(a), len(b))


def distance_metres(one: tuple[float, float], other: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*one, *other))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


def is_similar(new: Sketch, old: Sketch) -> bool:
    """May `old` be the problem `new` is about ("Có phải cùng vấn đề?"): the same cell, still
    open, the same category, and about the same thing: a place or title sharing meaningful words
    (a place named in the other's title counts), or both located within NEAR_METRES."""
    if new.unit_id != old.unit_id or new.category != old.category or not is_open(old.status):
        return False
    texts = [
        (new.place, old.place),
        (new.title, old.title),
        (new.place, old.title),
        (new.title, old.place),
    ]
    if any(_share_words(a, b) for a, b in texts):
        return True
    if new.location is not None and old.location is not None:
        return distance_metres(new.location, old.location) <= NEAR_METRES
    return False


class Refused(Exception):
    """A transition that may not happen; `reason` is a short code the handlers turn into text:
    "closed" (the problem is closed), "already" (it is in that state already), "not_resolved"
    (only a resolved problem can be reopened), "too_late" (the reopen window has passed),
    "unknown" (no such action)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Change:
    action: str
    from_status: str
    to_status: str


def transition(
    status: str,
    action: str,
    *,
    now: datetime | None = None,
    resolved_at: datetime | None = None,
    reopen_days: int = 0,
) -> Change:
    """The change `action` makes to a problem in `status`, or Refused.

    Reopening needs `now`, `resolved_at` and `reopen_days`: it is allowed while
    now < resolved_at + reopen_days.
    """
    if action not in _TRANSITIONS:
        raise Refused("unknown")
    sources, target = _TRANSITIONS[action]
    if status not in sources:
        if action == REOPEN:
            raise Refused("not_resolved")
        if status in CLOSED_STATUSES:
            raise Refused("closed")
        raise Refused("already")
    if action == REOPEN and not can_reopen(
        status, resolved_at=resolved_at, now=now, reopen_days=reopen_days
    ):
        raise Refused("too_late")
    return Change(action, status, target)


def can_reopen(
    status: str, *, resolved_at: datetime | None, now: datetime | None, reopen_days: int
) -> bool:
    """The reporter may still say "chưa giải quyết"."""
    if status != RESOLVED or resolved_at is None or now is None:
        return False
    return now < resolved_at + timedelta(days=reopen_days)


def allowed_actions(status: str) -> tuple[str, ...]:
    """The handler's actions that apply to a problem in `status` (the buttons to show)."""
    return tuple(a for a in HANDLER_ACTIONS if status in _TRANSITIONS[a][0])


def needs_note(action: str) -> bool:
    """Must the person type a note (result, reason) before the action is applied?
    Marking a duplicate asks for the other ticket's number instead."""
    return action in _NEEDS_NOTE


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    """Still open after its due date (closed problems are never overdue)."""
    return is_open(status) and now >= due_at


def parse_due_days(spec: str) -> dict[str, int]:
    """Handling days by category from "dat_dai=30,moi_truong=10,default=15".

    Every category falls back to "default" (required). Raises ValueError with a readable message.
    """
    days: dict[str, int] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in (*CATEGORIES, "default"):
            raise ValueError(
                "must be category=days pairs separated by commas, e.g. dat_dai=30,default=15; "
                f"categories: {', '.join(CATEGORIES)}"
            )
        try:
            number = int(value)
        except ValueError as exc:
            raise ValueError("days must be whole numbers, e.g. dat_dai=30,default=15") from exc
        if not 1 <= number <= 365:
            raise ValueError("days must be between 1 and 365")
        days[name] = number
    if "default" not in days:
        raise ValueError("must include default=<days>, e.g. dat_dai=30,default=15")
    return {category: days.get(category, days["default"]) for category in CATEGORIES}


def due_at(created_at: datetime, category: str, due_days: dict[str, int]) -> datetime:
    """When the handling unit should have settled it: created + the category's handling days."""
    return created_at + timedelta(days=due_days[category])


def clean_text(text: str | None, *, low: int, high: int) -> str | None:
    """Typed text with spaces tidied, or None when too short or too long."""
    cleaned = re.sub(r"[ \t]+", " ", (text or "").strip())
    return cleaned if low <= len(cleaned) <= high else None


def parse_ticket(text: str | None) -> int | None:
    """A ticket number typed as "12", "#12" or "số 12"."""
    match = re.fullmatch(r"\s*(?:số\s*)?#?\s*(\d{1,9})\s*", text or "", flags=re.IGNORECASE)
    return int(match[1]) if match else None


def duplicate_refusal(problem_id: int, target_id: int, target_status: str | None) -> str | None:
    """Why `problem_id` cannot be marked a duplicate of `target_id`, or None when it can.
    "missing" (no such ticket, or not visible), "itself", "chain" (the target is a duplicate
    itself: point to the original instead)."""
    if target_status is None:
        return "missing"
    if target_id == problem_id:
        return "itself"
    if target_status == DUPLICATE:
        return "chain"
    return None

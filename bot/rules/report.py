"""The monthly report's rules: answers' validation, derived figures, statuses, references.

Pure functions. A wrong answer raises `AnswerError` carrying a message id of the report catalog
and the values to fill in, so the handler can say politely what is wrong and what is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.rules.periods import Period, deadline_end, lock_end, open_periods

STATUS_SUBMITTED, STATUS_RETURNED = "submitted", "returned"

REGULAR, THEMATIC, EXTRAORDINARY = "regular", "thematic", "extraordinary"
MEETING_TYPES = (REGULAR, THEMATIC, EXTRAORDINARY)

# A meeting of good quality: attendance strictly above 85% and nobody absent without reason.
QUALITY_THRESHOLD = 0.85

MAX_MEMBERS = 1000  # far above any real cell; catches a typo such as 455 for 45
MAX_DEVELOPMENT = 100
MAX_PHOTOS = 10

# Length limits of typed answers (characters): a review message must stay under Telegram's 4096.
TEXT_LIMITS = {
    "not_held_reason": 500,
    "topic": 200,
    "upper_attendee_name": 100,
    "upper_attendee_position": 150,
    "content": 1000,
    "conclusion": 1000,
    "return_comment": 500,
}

# The report's answers, as named in storage (MeetingReport) and in a draft's data.
REPORT_FIELDS = (
    "held",
    "not_held_reason",
    "meeting_date",
    "meeting_type",
    "topic",
    "members",
    "exempt",
    "present",
    "absent_excused",
    "absent_unexcused",
    "upper_attendee_name",
    "upper_attendee_position",
    "content",
    "conclusion",
    "candidates",
    "admissions",
    "full_memberships",
    "photos",
)

# History statuses, in the words of the interface (đúng hạn, nộp muộn, không họp, chưa nộp, trả lại)
ON_TIME, LATE, NOT_HELD, MISSING, RETURNED = "on_time", "late", "not_held", "missing", "returned"


@dataclass
class AnswerError(Exception):
    """An answer that cannot be accepted: `key` is the message id, `values` fill it in."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


# --- parsing answers --------------------------------------------------------------------------

_NUMBER = re.compile(r"^\d+$")
_NEGATIVE = re.compile(r"^-\s*\d+$")


def parse_count(text: str, *, maximum: int = MAX_MEMBERS, minimum: int = 0) -> int:
    """A whole number typed by a user: "45", " 45 ". Not "4 5", "bốn lăm", "-3" or "4.5"."""
    text = text.strip()
    if _NEGATIVE.match(text):
        raise AnswerError("report.error.negative")
    if not _NUMBER.match(text):
        raise AnswerError("report.error.not_number")
    number = int(text)
    if number > maximum:
        raise AnswerError("report.error.too_large", {"maximum": maximum})
    if number < minimum:
        raise AnswerError("report.error.too_small", {"minimum": minimum})
    return number


def parse_text(text: str, *, limit: int) -> str:
    """A typed answer, trimmed; empty, over `limit` characters, or saying nothing (see
    `is_meaningless`) is refused."""
    text = text.strip()
    if not text:
        raise AnswerError("report.error.empty")
    if len(text) > limit:
        raise AnswerError("report.error.too_long", {"limit": limit, "length": len(text)})
    if is_meaningless(text):
        raise AnswerError("report.error.meaningless")
    return text


def is_meaningless(text: str) -> bool:
    """Text that says nothing: no letter or digit at all ("👍", "🙏", "...", "!!!"), or one
    character repeated ("aaaa", "x", "1111"), whatever the spaces and the case."""
    signs = [c for c in text.casefold() if not c.isspace()]
    if not any(c.isalnum() for c in signs):
        return True
    return len(set(signs)) == 1


def parse_absences(text: str) -> tuple[int, int]:
    """The absences in one answer: "2 1" = 2 with reason, 1 without; "2" = 2 with reason."""
    if re.search(r"-\s*\d", text):
        raise AnswerError("report.error.negative")
    parts = [part for part in re.split(r"[\s,;+]+", text.strip()) if part]
    if not 1 <= len(parts) <= 2 or not all(_NUMBER.match(part) for part in parts):
        raise AnswerError("report.error.absences")
    numbers = [int(part) for part in parts]
    if max(numbers) > MAX_MEMBERS:
        raise AnswerError("report.error.too_large", {"maximum": MAX_MEMBERS})
    return numbers[0], numbers[1] if len(numbers) == 2 else 0


def check_absences(excused: int, unexcused: int, *, expected: int) -> None:
    """The absent cannot outnumber those who must attend."""
    if excused + unexcused > expected:
        raise AnswerError("report.error.absent_too_many", {"expected": expected})


_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{4}))?$")


def parse_meeting_date(text: str, *, period: Period, today: date) -> date:
    """The meeting day: "dd/mm" (year of the period) or "dd/mm/yyyy"; "-" and "." work too.

    It must fall within the reported month and not after `today` (local date).
    """
    match = _DATE.match(text.strip())
    if not match:
        raise AnswerError("report.error.not_date")
    day, month = int(match[1]), int(match[2])
    year = int(match[3]) if match[3] else period.year
    try:
        meeting = date(year, month, day)
    except ValueError:
        raise AnswerError("report.error.not_date") from None
    if Period.of(meeting) != period:
        raise AnswerError("report.error.date_outside", {"month": period.label})
    if meeting > today:
        raise AnswerError("report.error.date_future", {"today": today.strftime("%d/%m/%Y")})
    return meeting


def parse_development(text: str) -> tuple[int, int, int]:
    """Three numbers: outstanding non-members, admissions, transfers to full membership."""
    if "-" in text:
        raise AnswerError("report.error.negative")
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    if len(parts) != 3 or not all(_NUMBER.match(part) for part in parts):
        raise AnswerError("report.error.development")
    numbers = tuple(int(part) for part in parts)
    if max(numbers) > MAX_DEVELOPMENT:
        raise AnswerError("report.error.too_large", {"maximum": MAX_DEVELOPMENT})
    return numbers  # type: ignore[return-value]


# --- attendance -------------------------------------------------------------------------------


def must_attend(members: int, exempt: int) -> int:
    """Members who must attend: members minus those exempt from meetings (miễn sinh hoạt)."""
    return members - exempt


def check_exempt(exempt: int, *, members: int) -> None:
    if exempt >= members:
        raise AnswerError("report.error.exempt_too_many", {"members": members})


def check_present(present: int, *, expected: int) -> None:
    if present > expected:
        raise AnswerError("report.error.present_too_many", {"expected": expected})


def check_excused(excused: int, *, present: int, expected: int) -> None:
    if present + excused > expected:
        raise AnswerError(
            "report.error.excused_too_many", {"expected": expected, "left": expected - present}
        )


def check_total(*, present: int, excused: int, unexcused: int, members: int, exempt: int) -> None:
    """Present + absent with reason + absent without reason = members - exempt, exactly."""
    expected = must_attend(members, exempt)
    total = present + excused + unexcused
    if total != expected:
        raise AnswerError(
            "report.error.total_mismatch",
            {
                "present": present,
                "excused": excused,
                "unexcused": unexcused,
                "total": total,
                "members": members,
                "exempt": exempt,
                "expected": expected,
            },
        )


def attendance_rate(present: int, members: int, exempt: int) -> float | None:
    """present ÷ (members − exempt); None when nobody had to attend."""
    expected = must_attend(members, exempt)
    return present / expected if expected > 0 else None


@dataclass(frozen=True)
class Quality:
    rate: float
    above_threshold: bool  # attendance above 85%
    unexcused: int

    @property
    def good(self) -> bool:
        """The meeting meets the quality bar: attendance above 85%, no unexcused absence."""
        return self.above_threshold and self.unexcused == 0


def quality(
    *, present: int | None, members: int | None, exempt: int | None, unexcused: int | None
) -> Quality | None:
    """The quality flags of a held meeting, or None while the figures are incomplete."""
    if present is None or members is None or exempt is None:
        return None
    rate = attendance_rate(present, members, exempt)
    if rate is None:
        return None
    return Quality(rate, rate > QUALITY_THRESHOLD, unexcused or 0)


# --- periods, locks, statuses -----------------------------------------------------------------


def reportable_periods(
    now: datetime, deadline_day: int, grace_days: int, tz: ZoneInfo
) -> list[Period]:
    """The months a cell may send a report for now (newest first).

    The current month, and the previous one while its deadline has not passed (`open_periods`),
    then late until the previous month locks, so that a reminder sent after the deadline can
    still be answered (the report is then counted late).
    """
    periods = open_periods(now, deadline_day, tz)
    previous = periods[0].previous()
    if previous not in periods and now < lock_end(previous, deadline_day, grace_days, tz):
        periods.append(previous)
    return periods


def due_first(periods: list[Period], sent: set[str] | frozenset[str]) -> Period | None:
    """The month /report opens: the oldest reportable month without a report (the due month
    during the reporting days, the late one after the deadline); None when all are sent."""
    return next((p for p in sorted(periods) if str(p) not in sent), None)


def history_periods(
    today: date, first: Period, reported: set[str] | frozenset[str], months: int
) -> list[Period]:
    """The months a cell's history shows, newest first: from the month it was first expected
    to report (`first`; never after the due month) up to the due month (the previous one),
    and the current month only once it is reported; at most `months`."""
    current = Period.of(today)
    due = current.previous()
    periods = [current] if str(current) in reported else []
    period = due
    while period >= min(first, due) and len(periods) < months:
        periods.append(period)
        period = period.previous()
    return periods


def first_expected(valid_from: date | None, created: date | None) -> Period | None:
    """The first month a cell owes a report: the month it became valid (from its 1st; the next
    one when it began mid-month), or else the month it was created in Chibo."""
    if valid_from is not None:
        start = Period.of(valid_from)
        return start if valid_from.day == 1 else start.next()
    return Period.of(created) if created is not None else None


def is_overdue(period: Period, now: datetime, deadline_day: int, tz: ZoneInfo) -> bool:
    return now >= deadline_end(period, deadline_day, tz)


def is_locked(
    period: Period, now: datetime, deadline_day: int, grace_days: int, tz: ZoneInfo
) -> bool:
    return now >= lock_end(period, deadline_day, grace_days, tz)


def can_amend(
    status: str, period: Period, now: datetime, deadline_day: int, grace_days: int, tz: ZoneInfo
) -> bool:
    """The cell may change its report until the lock; after it only when returned for correction."""
    return status == STATUS_RETURNED or not is_locked(period, now, deadline_day, grace_days, tz)


class ReportLike(Protocol):
    status: str
    held: bool
    first_submitted_at: datetime


def history_status(
    report: ReportLike | None, period: Period, deadline_day: int, tz: ZoneInfo
) -> str:
    """How a month stands: on time, late, not held, missing or returned.

    Timeliness counts from the first submission, so a corrected report stays on time.
    """
    if report is None:
        return MISSING
    if report.status == STATUS_RETURNED:
        return RETURNED
    if not report.held:
        return NOT_HELD
    if report.first_submitted_at < deadline_end(period, deadline_day, tz):
        return ON_TIME
    return LATE


def reference_number(period: Period, report_id: int) -> str:
    """The short reference a secretary can quote: "BC-2611-0042" = report 42, month 11/2026.

    Derived from the report's id (unique) and its month (readable); it stays the same when the
    report is amended, the version being shown beside it.
    """
    return f"BC-{period.year % 100:02d}{period.month:02d}-{report_id:04d}"


def quick_dates(period: Period, today: date, usual_day: int | None) -> list[date]:
    """Likely meeting days to offer as buttons: today, yesterday, and the day of the month the
    cell met last time; only those within the month and not in the future, newest first."""
    candidates = {today, today - timedelta(days=1)}
    if usual_day is not None:
        candidates.add(period.first_day.replace(day=min(usual_day, period.last_day.day)))
    return sorted(
        (day for day in candidates if Period.of(day) == period and day <= today), reverse=True
    )

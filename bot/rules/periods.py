"""Reporting periods (calendar months), deadlines and lock dates, in the configured time zone."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STORED = r"\d{4}-(?:0[1-9]|1[0-2])"  # "YYYY-MM", as stored and in callback data


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month, written "YYYY-MM" in storage and "MM/YYYY" to users."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """From "YYYY-MM" (storage, command line) or "MM/YYYY" / "M/YYYY" (typed by a user)."""
        text = text.strip()
        if re.fullmatch(STORED, text):
            return cls(int(text[:4]), int(text[5:]))
        if match := re.match(r"^(\d{1,2})/(\d{4})$", text):
            month, year = int(match[1]), int(match[2])
            if 1 <= month <= 12:
                return cls(year, month)
        raise ValueError(f"not a month: {text!r}")

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.month:02d}/{self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1


def deadline_day(period: Period, deadline_day_of_month: int) -> date:
    """The last day to report a month: that day of the following month (default the 5th)."""
    following = period.next()
    return date(following.year, following.month, deadline_day_of_month)


def deadline_end(period: Period, deadline_day_of_month: int, tz: ZoneInfo) -> datetime:
    """The first instant that is late: midnight after the deadline day, local time."""
    day = deadline_day(period, deadline_day_of_month) + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=tz)


def lock_end(period: Period, deadline_day_of_month: int, grace_days: int, tz: ZoneInfo) -> datetime:
    """After this instant a report can no longer be amended by its cell (deadline + grace)."""
    return deadline_end(period, deadline_day_of_month, tz) + timedelta(days=grace_days)


def is_on_time(
    submitted_at: datetime, period: Period, deadline_day_of_month: int, tz: ZoneInfo
) -> bool:
    return submitted_at < deadline_end(period, deadline_day_of_month, tz)


def open_periods(now: datetime, deadline_day_of_month: int, tz: ZoneInfo) -> list[Period]:
    """The months a cell may report now: the current one, and the previous one until its deadline
    has passed (newest first)."""
    current = Period.of(now.astimezone(tz).date())
    previous = current.previous()
    if now < deadline_end(previous, deadline_day_of_month, tz):
        return [current, previous]
    return [current]

"""bot.rules.periods: months, deadlines and lock instants in Vietnam's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules.periods import (
    Period,
    deadline_day,
    deadline_end,
    is_on_time,
    lock_end,
    open_periods,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no daylight saving
DEADLINE = 5
GRACE = 5


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


# --- months -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "last"),
    [
        (Period(2025, 1), 31),
        (Period(2025, 4), 30),
        (Period(2025, 12), 31),
        (Period(2025, 2), 28),
        (Period(2024, 2), 29),  # leap year
        (Period(2028, 2), 29),  # leap year
        (Period(2100, 2), 28),  # divisible by 100, not by 400: not a leap year
        (Period(2000, 2), 29),  # divisible by 400: a leap year
    ],
    ids=str,
)
def test_month_ends(period: Period, last: int) -> None:
    assert period.first_day == date(period.year, period.month, 1)
    assert period.last_day == date(period.year, period.month, last)


def test_next_and_previous_cross_years() -> None:
    assert Period(2025, 12).next() == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2025, 11).next() == Period(2025, 12)
    assert Period(2025, 3).previous() == Period(2025, 2)
    period = Period(2024, 1)
    for _ in range(36):
        assert period.next().previous() == period
        assert period.next() > period
        period = period.next()
    assert period == Period(2027, 1)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2025-03", Period(2025, 3)),
        ("03/2025", Period(2025, 3)),
        ("3/2025", Period(2025, 3)),
        (" 12/2024 ", Period(2024, 12)),
        ("2024-12", Period(2024, 12)),
    ],
)
def test_parse(text: str, period: Period) -> None:
    assert Period.parse(text) == period


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "13/2025", "0/2025", "2025-3", "", "x"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_text_forms() -> None:
    assert str(Period(2025, 3)) == "2025-03"
    assert Period(2025, 3).label == "03/2025"
    assert Period.of(date(2025, 12, 31)) == Period(2025, 12)
    assert [Period(2025, m).quarter for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [1, 1, 2, 2, 3, 3, 4, 4]


# --- deadlines and locks ----------------------------------------------------------------------


def test_deadline_is_in_the_following_month() -> None:
    assert deadline_day(Period(2025, 3), DEADLINE) == date(2025, 4, 5)
    assert deadline_day(Period(2025, 12), DEADLINE) == date(2026, 1, 5)  # December -> January
    assert deadline_day(Period(2024, 1), 28) == date(2024, 2, 28)


def test_deadline_end_is_local_midnight_after_the_deadline_day() -> None:
    end = deadline_end(Period(2025, 3), DEADLINE, VN)
    assert end == local(2025, 4, 6, 0, 0)
    assert end.astimezone(UTC) == datetime(2025, 4, 5, 17, 0, tzinfo=UTC)
    december = deadline_end(Period(2025, 12), DEADLINE, VN)
    assert december.astimezone(UTC) == datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def test_report_late_in_the_evening_of_the_deadline_day_is_on_time() -> None:
    march = Period(2025, 3)
    assert is_on_time(local(2025, 4, 5, 23, 30), march, DEADLINE, VN)
    assert is_on_time(local(2025, 4, 5, 23, 59, 59, 999999), march, DEADLINE, VN)
    # The same instant as the server's clock reads it (UTC): 16:30 on the 5th.
    assert is_on_time(datetime(2025, 4, 5, 16, 30, tzinfo=UTC), march, DEADLINE, VN)
    assert is_on_time(local(2025, 3, 20, 9, 0), march, DEADLINE, VN)


def test_report_at_midnight_after_the_deadline_day_is_late() -> None:
    march = Period(2025, 3)
    assert not is_on_time(local(2025, 4, 6, 0, 0), march, DEADLINE, VN)
    assert not is_on_time(datetime(2025, 4, 5, 17, 0, tzinfo=UTC), march, DEADLINE, VN)
    assert not is_on_time(local(2025, 5, 1, 8, 0), march, DEADLINE, VN)
    # December's report is due in January of the next year.
    assert is_on_time(local(2026, 1, 5, 23, 30), Period(2025, 12), DEADLINE, VN)
    assert not is_on_time(local(2026, 1, 6, 0, 0), Period(2025, 12), DEADLINE, VN)


def test_lock_is_grace_days_after_the_deadline() -> None:
    assert lock_end(Period(2025, 3), DEADLINE, GRACE, VN) == local(2025, 4, 11, 0, 0)
    assert lock_end(Period(2025, 12), DEADLINE, GRACE, VN) == local(2026, 1, 11, 0, 0)
    assert lock_end(Period(2025, 3), DEADLINE, 0, VN) == deadline_end(Period(2025, 3), 5, VN)


def test_local_midnight_holds_across_daylight_saving() -> None:
    """In a zone with daylight saving, the lock is still at local midnight."""
    paris = ZoneInfo("Europe/Paris")  # clocks go forward on 30 March 2025
    end = lock_end(Period(2025, 2), 25, 10, paris)
    assert end.replace(tzinfo=None) == datetime(2025, 4, 5, 0, 0)
    assert end.utcoffset() == timedelta(hours=2)


# --- which months are open --------------------------------------------------------------------


def test_previous_month_is_open_until_its_deadline() -> None:
    assert open_periods(local(2025, 4, 1, 0, 0), DEADLINE, VN) == [Period(2025, 4), Period(2025, 3)]
    assert open_periods(local(2025, 4, 5, 23, 30), DEADLINE, VN) == [
        Period(2025, 4),
        Period(2025, 3),
    ]
    assert open_periods(local(2025, 4, 6, 0, 0), DEADLINE, VN) == [Period(2025, 4)]
    assert open_periods(local(2025, 4, 30, 12, 0), DEADLINE, VN) == [Period(2025, 4)]


def test_open_periods_use_the_local_date() -> None:
    # 31 March 18:00 UTC is already 1 April 01:00 in Vietnam: April is the current month.
    assert open_periods(datetime(2025, 3, 31, 18, 0, tzinfo=UTC), DEADLINE, VN) == [
        Period(2025, 4),
        Period(2025, 3),
    ]
    # 5 April 17:00 UTC is 6 April 00:00 local: March's deadline has passed.
    assert open_periods(datetime(2025, 4, 5, 17, 0, tzinfo=UTC), DEADLINE, VN) == [Period(2025, 4)]


def test_open_periods_across_the_new_year() -> None:
    assert open_periods(local(2026, 1, 3, 9, 0), DEADLINE, VN) == [
        Period(2026, 1),
        Period(2025, 12),
    ]
    assert open_periods(local(2026, 1, 6, 9, 0), DEADLINE, VN) == [Period(2026, 1)]

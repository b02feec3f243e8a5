"""The figures' arithmetic and the scheduler's calendar: who is due what, and when."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules.figures import (
    Calendar,
    Counts,
    above_bar,
    digest_due,
    escalation_levels_due,
    is_due,
    last_months,
    next_daily,
    next_reminder_step,
    percent,
    problem_digest_due,
    quarter_periods,
    reminder_step_at,
    reminder_steps_due,
    reminders_due,
    summary_due,
    total,
    worst_first,
)
from bot.rules.periods import Period
from bot.rules.report import quality

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
JUNE = Period(2025, 6)
CAL = Calendar(tz=TZ)  # deadline the 5th, steps -3, 0, +2 at 08:00, summary 07:00, Monday


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- arithmetic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(3, 4, 75), (1, 3, 33), (2, 3, 67), (1, 8, 13), (3, 8, 38), (0, 5, 0), (5, 5, 100)],
)
def test_percent_rounds_half_up(part: int, whole: int, expected: int) -> None:
    assert percent(part, whole) == expected


def test_percent_of_nothing_is_unknown_not_zero() -> None:
    assert percent(0, 0) is None
    assert Counts().completeness is None


@pytest.mark.parametrize(
    ("present", "members", "exempt", "expected"),
    [
        (17, 20, 0, False),
        (18, 20, 0, True),
        (17, 21, 1, False),
        (86, 100, 0, True),
        (0, 0, 0, False),
    ],
)
def test_the_quality_bar_is_strictly_above_85_percent(present, members, exempt, expected) -> None:
    assert above_bar(present, members, exempt) is expected


def test_the_sql_bar_agrees_with_the_reports_quality_rule() -> None:
    """The summary counts in SQL with integers what the report's review computes in floats."""
    for members in range(1, 41):
        for exempt in range(0, 3):
            for present in range(0, members - exempt + 1):
                rule = quality(present=present, members=members, exempt=exempt, unexcused=0)
                assert above_bar(present, members, exempt) is bool(rule and rule.good)


def test_counts_add_up_and_derive_the_figures() -> None:
    a = Counts(expected=2, received=2, on_time=2, held=1, not_held=1, rated=1, rate_sum=0.9)
    b = Counts(expected=2, received=1, on_time=0, held=1, rated=1, rate_sum=0.8, above_bar=0)
    both = total([a, b])
    assert both == a + b
    assert (both.expected, both.received, both.on_time, both.late, both.missing) == (4, 3, 2, 1, 1)
    assert (both.completeness, both.timeliness, both.average_attendance) == (75, 50, 85)
    assert both.below_bar == 2


def test_worst_first_puts_the_least_complete_then_least_timely_first() -> None:
    rows = {
        "Xã A": Counts(expected=2, received=2, on_time=2),
        "Xã B": Counts(expected=2, received=1, on_time=1),
        "Xã C": Counts(expected=2, received=1, on_time=0),
        "Xã D": Counts(),  # nothing expected: last
    }
    ordered = sorted(rows, key=lambda name: worst_first(rows[name], name))
    assert ordered == ["Xã C", "Xã B", "Xã A", "Xã D"]


def test_quarter_and_last_twelve_months() -> None:
    assert quarter_periods(Period(2025, 5)) == [Period(2025, 4), Period(2025, 5)]
    assert quarter_periods(Period(2025, 1)) == [Period(2025, 1)]
    months = last_months(Period(2025, 2))
    assert len(months) == 12 and months[0] == Period(2024, 3) and months[-1] == Period(2025, 2)


# --- reminders --------------------------------------------------------------------------------


def test_reminder_steps_fall_around_the_deadline_at_the_reminder_hour() -> None:
    assert reminder_step_at(JUNE, -3, CAL) == local("2025-07-02T08:00")
    assert reminder_step_at(JUNE, 0, CAL) == local("2025-07-05T08:00")
    assert reminder_step_at(JUNE, 2, CAL) == local("2025-07-07T08:00")
    february = Calendar(tz=TZ, deadline_day=28, reminder_offsets=(2,))
    assert reminder_step_at(Period(2024, 1), 2, february) == local("2024-03-01T08:00")  # leap


def test_a_step_is_due_from_its_hour_until_the_catch_up_window_ends() -> None:
    assert reminder_steps_due(local("2025-07-02T07:59"), JUNE, CAL) == []
    assert reminder_steps_due(local("2025-07-02T08:00"), JUNE, CAL) == [-3]
    assert reminder_steps_due(local("2025-07-03T07:59"), JUNE, CAL) == [-3]  # caught up
    assert reminder_steps_due(local("2025-07-03T08:00"), JUNE, CAL) == []  # too late
    assert reminder_steps_due(local("2025-07-05T08:30"), JUNE, CAL) == [0]


def test_the_time_zone_decides_the_step_not_utc() -> None:
    # 08:00 in Hanoi is 01:00 UTC: a UTC clock at 00:59 is still before the step.
    assert reminder_steps_due(datetime(2025, 7, 2, 0, 59, tzinfo=UTC), JUNE, CAL) == []
    assert reminder_steps_due(datetime(2025, 7, 2, 1, 0, tzinfo=UTC), JUNE, CAL) == [-3]


def test_without_catch_up_a_step_still_has_an_hour() -> None:
    strict = Calendar(tz=TZ, catch_up=timedelta(0))
    assert reminder_steps_due(local("2025-07-02T08:59"), JUNE, strict) == [-3]
    assert reminder_steps_due(local("2025-07-02T09:00"), JUNE, strict) == []


def test_only_the_latest_of_several_missed_steps_is_sent() -> None:
    long = Calendar(tz=TZ, catch_up=timedelta(days=5))
    assert reminder_steps_due(local("2025-07-05T09:00"), JUNE, long) == [-3, 0]
    assert reminders_due(local("2025-07-05T09:00"), long) == [(JUNE, 0)]


def test_reminders_due_finds_the_period_whatever_the_month() -> None:
    assert reminders_due(local("2025-07-07T08:00"), CAL) == [(JUNE, 2)]
    assert reminders_due(local("2025-07-10T08:00"), CAL) == []
    early = Calendar(tz=TZ, deadline_day=1, reminder_offsets=(-27,))  # a step inside the month
    assert reminders_due(local("2025-06-04T08:00"), early) == [(JUNE, -27)]


def test_next_reminder_step_for_the_command_line() -> None:
    assert next_reminder_step(local("2025-07-02T08:00"), CAL) == (
        JUNE,
        0,
        local("2025-07-05T08:00"),
    )
    assert next_reminder_step(local("2025-07-20T10:00"), CAL)[:2] == (Period(2025, 7), -3)


# --- digests, summary, escalation -------------------------------------------------------------


def test_the_summary_goes_out_the_day_after_the_deadline_once_in_the_window() -> None:
    assert summary_due(local("2025-07-06T06:59"), CAL) is None
    assert summary_due(local("2025-07-06T07:00"), CAL) == JUNE
    assert summary_due(local("2025-07-07T06:59"), CAL) == JUNE
    assert summary_due(local("2025-07-07T07:00"), CAL) is None


def test_the_digest_is_weekly_for_the_nearest_deadline_but_not_on_summary_day() -> None:
    # Monday 30 June 2025: June is being collected (deadline 5 July).
    assert digest_due(local("2025-06-30T07:00"), CAL) == (JUNE, date(2025, 6, 30))
    assert digest_due(local("2025-06-30T06:00"), CAL) is None  # Monday 23rd's is too old
    assert digest_due(local("2025-07-01T06:59"), CAL) == (JUNE, date(2025, 6, 30))  # caught up
    assert digest_due(local("2025-07-02T07:00"), CAL) is None  # Tuesday: nothing
    # Monday 6 October 2025 is the summary day of September: no digest.
    assert digest_due(local("2025-10-06T07:00"), CAL) is None
    # Monday 13 October: the current month.
    assert digest_due(local("2025-10-13T07:00"), CAL) == (Period(2025, 10), date(2025, 10, 13))


def test_the_problem_digest_is_daily_and_caught_up_once() -> None:
    assert problem_digest_due(local("2025-07-06T07:30"), CAL) == local("2025-07-06T07:00")
    assert problem_digest_due(local("2025-07-06T06:30"), CAL) == local("2025-07-05T07:00")
    strict = Calendar(tz=TZ, catch_up=timedelta(0))
    assert problem_digest_due(local("2025-07-06T06:30"), strict) is None


def test_escalation_climbs_one_level_per_delay() -> None:
    due = local("2025-07-10T00:00")
    delay = timedelta(days=3)
    assert escalation_levels_due(due, local("2025-07-09T23:59"), delay) == 0
    assert escalation_levels_due(due, due, delay) == 1
    assert escalation_levels_due(due, local("2025-07-12T23:59"), delay) == 1
    assert escalation_levels_due(due, local("2025-07-13T00:00"), delay) == 2
    assert escalation_levels_due(due, local("2025-07-16T00:00"), delay) == 3


def test_is_due_and_next_daily() -> None:
    step = local("2025-07-02T08:00")
    assert is_due(step, step, timedelta(hours=1))
    assert not is_due(step, step + timedelta(hours=1), timedelta(hours=1))
    assert next_daily(local("2025-07-02T08:00"), 8, CAL) == local("2025-07-03T08:00")
    assert next_daily(local("2025-07-02T07:00"), 8, CAL) == local("2025-07-02T08:00")

"""The demo province's data before it is written: realistic, and the same for the same seed."""

import random
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.admin.demo import CATEGORIES, PROBLEM_STATUSES, plan_problem, plan_report, plan_units, slug
from bot.rules.periods import Period

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERIODS = [Period(2025, 7), Period(2025, 8), Period(2025, 9), Period(2025, 10)]
NOW = datetime(2025, 10, 20, 10, 0, tzinfo=TZ)


def test_slug() -> None:
    assert slug("Móng Cái 1") == "MONGCAI1"
    assert slug("Đông Triều") == "DONGTRIEU"
    assert slug("Hạ Long") == "HALONG"


def test_units_are_realistic_and_deterministic() -> None:
    plan = plan_units(random.Random(3), PERIODS)
    assert plan == plan_units(random.Random(3), PERIODS)
    assert plan != plan_units(random.Random(4), PERIODS)
    kinds = Counter(row.kind for row in plan.rows)
    assert kinds["province"] == 1 and kinds["special_zone"] == 2
    assert kinds["ward"] + kinds["commune"] + kinds["special_zone"] == 50
    assert 1400 <= kinds["cell"] <= 1700
    codes = [row.code for row in plan.rows]
    assert len(codes) == len(set(codes))
    names = {row.name for row in plan.rows}
    assert "Đảng ủy phường Hạ Long" in names and "Đảng ủy đặc khu Cô Tô" in names
    assert any(name.startswith("Chi bộ thôn ") for name in names)
    assert any(name.startswith("Chi bộ khu phố ") for name in names)
    assert any(name.startswith("Chi bộ bản ") for name in names)
    merged = [row for row in plan.rows if row.valid_to]
    assert len(merged) == 2 and all(row.successor_code for row in merged)
    assert sum(1 for row in plan.rows if row.valid_from) == 3


def test_reports_look_like_a_real_month() -> None:
    rng = random.Random(1)
    cells = plan_units(rng, PERIODS).cells
    reports = [
        plan_report(rng, cell, Period(2025, 8), False, now=NOW, deadline_day=5, tz=TZ)
        for cell in cells
    ]
    received = [r for r in reports if r]
    assert 0.8 < len(received) / len(reports) < 0.99  # some cells miss the month
    held = [r for r in received if r["held"]]
    not_held = [r for r in received if not r["held"]]
    assert not_held and all(r["not_held_reason"] and r["members"] is None for r in not_held)
    deadline = datetime(2025, 9, 6, tzinfo=TZ)
    late = [r for r in received if r["submitted_at"] >= deadline]
    assert 0.03 < len(late) / len(received) < 0.3
    for r in held:
        must = r["members"] - r["exempt"]
        assert 10 - 1 <= r["members"] <= 60 + 1 and 0 <= r["exempt"] <= 3
        assert r["present"] + r["absent_excused"] + r["absent_unexcused"] == must
        assert r["meeting_date"].month == 8 and r["submitted_at"].date() >= r["meeting_date"]
    good = [r for r in held if r["present"] / (r["members"] - r["exempt"]) >= 0.85]
    assert len(good) / len(held) > 0.75
    assert any(r["absent_unexcused"] for r in held)
    assert any(r["upper_attendee_name"] for r in held)


def test_current_month_has_only_what_was_sent_by_now() -> None:
    rng = random.Random(2)
    cells = plan_units(rng, PERIODS).cells
    early = datetime(2025, 10, 2, 9, 0, tzinfo=TZ)
    reports = [
        plan_report(rng, cell, Period(2025, 10), False, now=early, deadline_day=5, tz=TZ)
        for cell in cells
    ]
    assert all(r is None or r["submitted_at"] <= early for r in reports)
    assert sum(1 for r in reports if r) < len(cells) * 0.1


def test_problems_cover_categories_and_statuses() -> None:
    rng = random.Random(5)
    cells = plan_units(rng, PERIODS).cells
    start = NOW - timedelta(days=110)
    planned = [plan_problem(rng, rng.choice(cells), start, NOW) for _ in range(300)]
    assert {p["category"] for p, _ in planned} == set(CATEGORIES)
    assert {p["status"] for p, _ in planned} == set(PROBLEM_STATUSES)
    for problem, events in planned:
        assert start <= problem["created_at"] <= NOW and problem["due_at"] > problem["created_at"]
        assert events[0]["to_status"] == "new" and events[-1]["to_status"] == problem["status"]
        assert all(e["created_at"] <= NOW for e in events)
        assert (problem["resolved_at"] is not None) == (problem["status"] == "resolved")
    assert any(
        p["due_at"] < NOW and p["status"] not in ("resolved", "rejected") for p, _ in planned
    )

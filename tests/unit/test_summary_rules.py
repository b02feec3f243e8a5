"""The rules behind a summary a committee can act on: who is expected since when, the pooled
attendance rate, the named lists, and the trend from the first month with data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.rules.figures import (
    ATTENDANCE,
    MISSING,
    NO_THEMATIC,
    NOBODY,
    NOT_HELD,
    CellState,
    Counts,
    attention_lists,
    by_commune,
    expected_from,
    is_expected,
    is_quarter_end,
    with_data,
)
from bot.rules.periods import Period

JUNE, JULY = Period(2025, 6), Period(2025, 7)


def test_a_cell_without_valid_from_is_expected_from_the_month_it_was_imported() -> None:
    assert expected_from(None, date(2025, 7, 14)) == date(2025, 7, 1)
    assert not is_expected(None, None, date(2025, 7, 14), JUNE)  # no data, not 0%
    assert is_expected(None, None, date(2025, 7, 14), JULY)
    assert is_expected(None, None, date(2025, 7, 1), JULY)


def test_valid_from_wins_over_the_import_date() -> None:
    assert is_expected(date(2020, 1, 1), None, date(2025, 7, 14), JUNE)
    assert not is_expected(date(2025, 6, 15), None, date(2020, 1, 1), JUNE)  # not a whole month
    assert not is_expected(date(2020, 1, 1), date(2025, 6, 20), date(2020, 1, 1), JUNE)


def test_attendance_is_pooled_not_an_average_of_rates() -> None:
    # 9 of 10 and 18 of 20: both 90%; 1 of 2 (50%) pulls the average of rates to 77%
    counts = Counts(rated=3, present=28, due=32, rate_sum=0.9 + 0.9 + 0.5)
    assert counts.attendance == 88  # 28 ÷ 32
    assert counts.average_attendance == 77
    assert Counts().attendance is None  # nothing to divide by: "–", never 0%
    assert (Counts(present=1, due=2) + Counts(present=9, due=10)).attendance == 83


def test_the_quarters_last_month() -> None:
    assert [m for m in range(1, 13) if is_quarter_end(Period(2025, m))] == [3, 6, 9, 12]


def cell(code: str, commune: str, **state: object) -> CellState:
    return CellState(len(code), code, f"Chi bộ {code}", commune, **state)


def test_each_cell_lands_in_the_lists_that_say_what_to_do() -> None:
    cells = [
        cell("B1", "Phường B"),  # no report
        cell("A2", "Xã A", reported=True, held=False, reason="Mưa bão", thematic=False),
        cell("A1", "Xã A", reported=True, held=True, present=17, due=20, thematic=True),  # 85%
        cell("A3", "Xã A", reported=True, held=True, present=9, due=10, unexcused=1),
        cell("A4", "Xã A", reported=True, held=True, present=18, due=20, thematic=True),  # fine
        cell("B2", "Phường B", on_chibo=False),  # nobody to remind: a phone call
    ]
    lists = attention_lists(cells, quarter_end=False)
    names = {kind: [c.code for c in found] for kind, found in lists.items()}
    assert names == {
        MISSING: ["B1"],
        NOT_HELD: ["A2"],
        ATTENDANCE: ["A1", "A3"],  # 85% is not above 85%; an unexcused absence counts
        NO_THEMATIC: [],
        NOBODY: ["B2"],
    }
    at_quarter_end = attention_lists(cells, quarter_end=True)
    assert [c.code for c in at_quarter_end[NO_THEMATIC]] == ["B1", "B2", "A2", "A3"]  # by commune


def test_named_cells_are_grouped_by_commune() -> None:
    cells = [cell("A1", "Xã A"), cell("A2", "Xã A"), cell("B1", "Phường B")]
    grouped = by_commune(cells)
    assert [(commune, [c.code for c in group]) for commune, group in grouped] == [
        ("Xã A", ["A1", "A2"]),
        ("Phường B", ["B1"]),
    ]


@dataclass
class Month:
    period: Period
    counts: Counts


def test_the_trend_starts_where_data_starts() -> None:
    months = [
        Month(Period(2025, m), Counts(expected=e, received=r))
        for m, e, r in ((3, 0, 0), (4, 0, 0), (5, 6, 0), (6, 6, 3))
    ]
    assert [str(m.period) for m in with_data(months)] == ["2025-05", "2025-06"]
    assert with_data([Month(JUNE, Counts())]) == []

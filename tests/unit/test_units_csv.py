"""Reading and checking a units CSV file, without a database."""

from datetime import date

import pytest

from bot.admin.units_csv import (
    CsvError,
    Known,
    UnitRow,
    check_row,
    check_tree,
    parse_iso_date,
    read_units_csv,
)
from storage.queries.units import find_cycles, tree_paths

HEADER = "code,name,kind,parent_code,valid_from,valid_to,successor_code\n"


def reasons(text: str) -> dict[int, list[str]]:
    by_line: dict[int, list[str]] = {}
    for error in read_units_csv(text).errors:
        by_line.setdefault(error.line, []).append(error.reason)
    return by_line


def test_parse_iso_date() -> None:
    assert parse_iso_date(" 2025-06-30 ") == date(2025, 6, 30)
    for bad in ("30/06/2025", "2025-02-30", "20250630", "2025-6-30", ""):
        with pytest.raises(ValueError, match="yyyy-mm-dd"):
            parse_iso_date(bad)


def test_reads_rows_with_bom_and_blank_lines() -> None:
    text = "\ufeff" + HEADER + "QN,Tỉnh ủy Quảng Ninh,Province,,,,\n\n X1 , Chi bộ 1 ,cell,QN,,,\n"
    units = read_units_csv(text)
    assert units.errors == []
    assert units.columns == {"valid_from", "valid_to", "successor_code"}
    assert units.rows == [
        UnitRow(2, "QN", "Tỉnh ủy Quảng Ninh", "province", None),
        UnitRow(4, "X1", "Chi bộ 1", "cell", "QN"),
    ]


def test_optional_columns_may_be_left_out() -> None:
    units = read_units_csv("code,name,kind,parent_code\nQN,Tỉnh,province,\n")
    assert units.columns == frozenset()
    assert units.rows[0].valid_to is None


def test_every_bad_line_is_reported_with_its_number() -> None:
    text = HEADER + "\n".join(
        [
            "QN,Tỉnh,province,,,,",  # 2 fine
            ",No code,cell,QN,,,",  # 3
            "X1,,cell,QN,,,",  # 4
            "X2,Chi bộ,chi bo,QN,,,",  # 5
            "X3,Chi bộ,cell,QN,30/06/2025,,",  # 6
            "X4,Chi bộ,cell,QN,2025-07-01,2025-06-30,",  # 7
            "QN,Again,province,,,,",  # 8
            "X 5,Chi bộ,cell,QN,,,",  # 9
            "X6,Chi bộ,cell,QN,,,,extra",  # 10
        ]
    )
    found = reasons(text)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert found[3] == ["code is missing"]
    assert found[4] == ["name is missing"]
    assert "unknown kind 'chi bo'" in found[5][0]
    assert "valid_from" in found[6][0] and "yyyy-mm-dd" in found[6][0]
    assert found[7] == ["valid_to 2025-06-30 is before valid_from 2025-07-01"]
    assert found[8] == ["code 'QN' is already on line 2"]
    assert "no spaces" in found[9][0]
    assert "8 values for 7 columns" in found[10][0]


def test_a_row_can_have_several_problems() -> None:
    row, problems = check_row(5, {"code": "", "name": "", "kind": "x", "valid_to": "soon"})
    assert len(problems) == 4
    assert row.line == 5


def test_quoted_value_over_two_lines_keeps_the_starting_line() -> None:
    text = HEADER + 'QN,"Tỉnh ủy\nQuảng Ninh",province,,,,\nX1,,cell,QN,,,\n'
    assert reasons(text) == {4: ["name is missing"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("code,name,kind\nQN,Tỉnh,province\n", "lacks parent_code"),
        ("code;name;kind;parent_code\n", "';'"),
        ("code,name,kind,parent_code,colour\n", "Unknown column 'colour'"),
        ("code,name,kind,parent_code,name\n", "appears twice"),
    ],
)
def test_bad_header(text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        read_units_csv(text)


def rows(*specs: tuple[str, str, str | None]) -> list[UnitRow]:
    return [
        UnitRow(line, code, code, kind, parent)
        for line, (code, kind, parent) in enumerate(specs, start=2)
    ]


def test_parents_may_come_later_in_the_file_or_be_stored() -> None:
    file_rows = rows(("C1", "cell", "W"), ("W", "ward", "QN"))
    assert check_tree(file_rows, {"QN": Known("province", None)}) == []


def test_unknown_parent_and_successor() -> None:
    file_rows = [
        UnitRow(2, "W", "W", "ward", "NOPE"),
        UnitRow(3, "D", "D", "district", None, successor_code="GONE"),
        UnitRow(4, "E", "E", "district", None, successor_code="E"),
    ]
    errors = [str(error) for error in check_tree(file_rows, {})]
    assert errors == [
        "line 2: unknown parent 'NOPE'",
        "line 3: unknown successor 'GONE'",
        "line 4: a unit cannot be its own successor",
    ]


def test_cycle_within_the_file_names_every_line() -> None:
    file_rows = rows(("A", "commune", "B"), ("B", "commune", "C"), ("C", "commune", "A"))
    errors = check_tree(file_rows, {})
    assert sorted(error.line for error in errors) == [2, 3, 4]
    assert all("cycle of parents" in error.reason for error in errors)


def test_cycle_through_stored_units() -> None:
    # Stored: QN > W > C1. The file puts QN under C1's sibling committee W: QN > W > QN.
    stored = {"QN": Known("province", None), "W": Known("ward", "QN")}
    errors = check_tree(rows(("QN", "province", "W")), stored)
    assert [(e.line, e.reason) for e in errors] == [(2, "cycle of parents: QN → W → QN")]


def test_a_unit_is_its_own_parent() -> None:
    errors = check_tree(rows(("A", "commune", "A")), {})
    assert [e.reason for e in errors] == ["cycle of parents: A → A"]


def test_nothing_goes_under_a_cell() -> None:
    stored = {"QN": Known("province", None), "C1": Known("cell", "QN"), "W": Known("ward", "QN")}
    errors = check_tree(rows(("C2", "cell", "C1")), stored)
    assert [e.reason for e in errors] == ["parent 'C1' is a cell: a cell has no units"]
    stored["C3"] = Known("cell", "W")
    errors = check_tree(rows(("W", "cell", "QN")), stored)
    assert [e.reason for e in errors] == ["'W' cannot be a cell: 'C3' is under it"]


def test_find_cycles() -> None:
    assert find_cycles({1: None, 2: 1, 3: 2}) == []
    assert find_cycles({1: 2, 2: 1, 3: 1}) == [[1, 2]]
    assert find_cycles({1: 9}) == []  # an unknown parent ends the chain


def test_tree_paths_any_order_any_depth() -> None:
    parents = {5: 3, 3: 1, 1: None, 8: None}
    assert tree_paths(parents) == {1: ("1/", 0), 3: ("1/3/", 1), 5: ("1/3/5/", 2), 8: ("8/", 0)}
    chain = {n: n - 1 if n else None for n in range(5000)}
    assert tree_paths(chain)[4999][1] == 4999

"""The tree as `chibo units tree` prints it: counts below each unit, depth limits."""

from dataclasses import dataclass
from datetime import date

from bot.admin.tree import count_below, render_tree

TODAY = date(2025, 10, 20)


@dataclass
class U:
    id: int
    code: str
    kind: str
    parent_id: int | None
    path: str
    name: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: int | None = None


TREE = [
    U(1, "QN", "province", None, "1/", "Tỉnh ủy"),
    U(2, "W", "ward", 1, "1/2/", "Đảng ủy phường"),
    U(3, "W-2", "cell", 2, "1/2/3/", "Chi bộ khu phố 2"),
    U(4, "W-1", "cell", 2, "1/2/4/", "Chi bộ khu phố 1"),
    U(5, "W-0", "cell", 2, "1/2/5/", "Chi bộ cũ", valid_to=date(2025, 6, 30), successor_id=4),
    U(6, "D", "district", 1, "1/6/", "Huyện ủy", valid_to=date(2025, 6, 30), successor_id=2),
    U(7, "X", "commune", 1, "1/7/", "Đảng ủy xã", valid_from=date(2026, 1, 1)),
]


def test_counts_active_cells_and_distinct_people_in_each_subtree() -> None:
    holders = [(10, "1/2/3/"), (10, "1/2/4/"), (11, "1/2/"), (12, "1/")]
    counts = count_below(TREE, TODAY, holders)
    assert (counts[1].cells, counts[1].people) == (2, 3)  # the ended cell is not counted
    assert (counts[2].cells, counts[2].people) == (2, 2)  # person 10 counted once
    assert (counts[3].cells, counts[3].people) == (1, 1)
    assert (counts[6].cells, counts[6].people) == (0, 0)


def test_children_by_code_with_history_marked() -> None:
    lines, hidden = render_tree(TREE, count_below(TREE, TODAY, []), TODAY, None)
    assert hidden == 0
    codes = [line.split()[0] for line in lines]
    assert codes == ["QN", "D", "W", "W-0", "W-1", "W-2", "X"]
    assert lines[1] == "  D  Huyện ủy  [huyện ủy] · 0 cells · 0 people · ended 2025-06-30 → W"
    assert lines[3].endswith("· 0 people · ended 2025-06-30 → W-1")
    assert lines[4] == "    W-1  Chi bộ khu phố 1  [chi bộ] · 0 people"
    assert lines[6].endswith("· from 2026-01-01")


def test_depth_limit_counts_what_it_hides() -> None:
    counts = count_below(TREE, TODAY, [])
    lines, hidden = render_tree(TREE, counts, TODAY, 1)
    assert len(lines) == 4 and hidden == 3
    lines, hidden = render_tree(TREE, counts, TODAY, 0)
    assert len(lines) == 1 and hidden == 6


def test_a_subtree_starts_at_its_root() -> None:
    subtree = TREE[1:5]
    lines, _ = render_tree(subtree, count_below(subtree, TODAY, []), TODAY, None, {1: "QN"})
    assert lines[0].startswith("W  Đảng ủy phường  [đảng ủy phường] · 2 cells")
    assert lines[1].startswith("  W-0")

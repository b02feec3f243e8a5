"""`chibo units tree [CODE]`: the unit tree, with active cells and role holders under each unit."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, cast

from bot.admin import OK, command, named_unit, with_database
from bot.config import Settings
from bot.rules.org import CELL
from storage.db import Database
from storage.queries.units import all_units, codes_by_id, role_holder_paths

KIND_LABELS = {
    "province": "tỉnh ủy",
    "district": "huyện ủy",
    "commune": "đảng ủy xã",
    "ward": "đảng ủy phường",
    "special_zone": "đảng ủy đặc khu",
    "base": "đảng ủy cơ sở",
    "partial": "đảng bộ bộ phận",
    "cell": "chi bộ",
}
# Above this many units the tree is shown one level deep unless --depth or --all says otherwise
# (a province has about 1,500 cells: a page of committees reads better than a scroll of cells).
LARGE_TREE = 200


class TreeUnit(Protocol):
    id: int | None
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    valid_from: date | None
    valid_to: date | None
    successor_id: int | None


@dataclass
class Counts:
    cells: int = 0  # active cells in the subtree (a cell counts itself)
    people: int = 0  # distinct active people holding an active role in the subtree


def is_active_on(unit: TreeUnit, day: date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or unit.valid_to >= day
    )


def path_ids(path: str) -> list[int]:
    """The ids in a path ("1/7/93/" gives [1, 7, 93]): ancestors top first, then the unit."""
    return [int(part) for part in path.split("/") if part]


def count_below(
    units: Sequence[TreeUnit], today: date, holders: Iterable[tuple[int, str]]
) -> dict[int, Counts]:
    """Active cells and distinct role holders in each unit's subtree (one pass over each)."""
    counts = {unit.id: Counts() for unit in units}
    for unit in units:
        if unit.kind == CELL and is_active_on(unit, today):
            for ancestor in path_ids(unit.path):
                if ancestor in counts:
                    counts[ancestor].cells += 1
    people: dict[int, set[int]] = {}
    for person_id, path in holders:
        for ancestor in path_ids(path):
            if ancestor in counts:
                people.setdefault(ancestor, set()).add(person_id)
    for unit_id, persons in people.items():
        counts[unit_id].people = len(persons)
    return counts


def describe(unit: TreeUnit, counts: Counts, today: date, codes: dict[int, str]) -> str:
    label = KIND_LABELS.get(unit.kind, unit.kind)
    parts = [f"{unit.code}  {unit.name}  [{label}]"]
    if unit.kind != CELL:
        parts.append(f"{counts.cells:,} cells")
    parts.append(f"{counts.people:,} people")
    if unit.valid_to is not None and unit.valid_to < today:
        ended = f"ended {unit.valid_to.isoformat()}"
        if unit.successor_id is not None:
            ended += f" → {codes.get(unit.successor_id, f'#{unit.successor_id}')}"
        parts.append(ended)
    elif unit.valid_from is not None and unit.valid_from > today:
        parts.append(f"from {unit.valid_from.isoformat()}")
    return " · ".join(parts)


def render_tree(
    units: Sequence[TreeUnit],
    counts: dict[int, Counts],
    today: date,
    max_depth: int | None,
    codes: dict[int, str] | None = None,
) -> tuple[list[str], int]:
    """The lines of the tree (children by code, two spaces per level below the top units) and
    how many units lie deeper than `max_depth` levels below them (not shown)."""
    present = {unit.id for unit in units}
    children: dict[int | None, list[TreeUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in present else None
        children.setdefault(parent, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda unit: unit.code)
    codes = {**(codes or {}), **{unit.id: unit.code for unit in units}}

    lines: list[str] = []
    hidden = 0
    stack = [(unit, 0) for unit in reversed(children.get(None, []))]
    while stack:
        unit, level = stack.pop()
        if max_depth is not None and level > max_depth:
            hidden += 1
        else:
            lines.append("  " * level + describe(unit, counts[unit.id], today, codes))
        stack.extend((child, level + 1) for child in reversed(children.get(unit.id, [])))
    return lines, hidden


def register(units: argparse._SubParsersAction) -> None:
    parser = command(
        units,
        "tree",
        "Show the unit tree with the active cells and role holders under each unit.",
        cmd_tree,
    )
    parser.add_argument("code", nargs="?", metavar="CODE", help="start at this unit (default: all)")
    depth = parser.add_mutually_exclusive_group()
    depth.add_argument(
        "--depth",
        type=_depth,
        metavar="N",
        help=f"show N levels below the top (default: all, or 1 when over {LARGE_TREE} units)",
    )
    depth.add_argument("--all", action="store_true", help="show every level, however large")


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


@dataclass
class _Loaded:
    units: list[TreeUnit]
    holders: list[tuple[int, str]]
    outside_codes: dict[int, str]


def cmd_tree(settings: Settings, args: argparse.Namespace) -> int:
    async def work(db: Database) -> _Loaded:
        async with db.session() as session:
            root = await named_unit(session=session, code=args.code)
            units = await all_units(session=session, root=root)
            holders = await role_holder_paths(session=session, root=root)
            known = {unit.id for unit in units}
            # Successors outside the subtree are named by their codes too.
            outside = await codes_by_id(
                session=session,
                ids=(
                    u.successor_id for u in units if u.successor_id and u.successor_id not in known
                ),
            )
            # Core rows with the TreeUnit fields (storage.queries.units.UNIT_FIELDS)
            return _Loaded(cast(list[TreeUnit], units), holders, outside)

    loaded = with_database(settings, work)
    if not loaded.units:
        print(
            "No units yet: load them with `chibo units import FILE.csv` (see examples/units.csv)."
        )
        return OK
    today = datetime.now(settings.tz).date()
    max_depth = None if args.all else args.depth
    limited_by_default = max_depth is None and not args.all and len(loaded.units) > LARGE_TREE
    if limited_by_default:
        max_depth = 1
    counts = count_below(loaded.units, today, loaded.holders)
    lines, hidden = render_tree(loaded.units, counts, today, max_depth, loaded.outside_codes)
    print("\n".join(lines))
    if hidden:
        how = "add --depth N or --all" if args.code else "name a unit (`chibo units tree CODE`)"
        if not args.code:
            how += ", or add --depth N or --all"
        print(f"({hidden:,} units further down are not shown: to see them, {how}.)")
    return OK

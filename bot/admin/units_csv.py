"""`chibo units import FILE.csv`: load or update the unit tree from a spreadsheet, all or nothing.

The file: UTF-8 (a BOM is fine), a header line, columns code,name,kind,parent_code and optionally
valid_from,valid_to,successor_code (dates yyyy-mm-dd). A unit is matched by its code: a new code
creates a unit, a known one updates it (a new parent moves its whole subtree). An optional column
left out of the file keeps the stored values; present but empty, it clears them.

Reading and checking the rows are plain functions; `import_units` writes in bulk (a handful of
statements whatever the size of the file), in the caller's transaction.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Row
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.admin import OK, UsageError, cli_actor, command, with_database
from bot.config import Settings
from bot.rules.org import CELL, UNIT_KINDS
from storage.db import Database
from storage.models import utcnow
from storage.queries.audit import Change, record_many
from storage.queries.units import (
    UNIT_FIELDS,
    all_units,
    find_cycles,
    insert_units,
    tree_paths,
    update_units,
)

REQUIRED_COLUMNS = ("code", "name", "kind", "parent_code")
OPTIONAL_COLUMNS = ("valid_from", "valid_to", "successor_code")
HEADER_HINT = "code,name,kind,parent_code[,valid_from,valid_to,successor_code]"
CODE_MAX, NAME_MAX = 64, 255
_CODE = re.compile(r"^[\w.:-]+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CsvError(Exception):
    """The file as a whole cannot be read (encoding, header): one line for the administrator."""


@dataclass(frozen=True)
class UnitRow:
    """One data line of the file, as far as it could be read (bad dates are None)."""

    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: str | None = None


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class UnitsFile:
    rows: list[UnitRow]
    errors: list[RowError]
    columns: frozenset[str]  # the optional columns present: absent ones keep stored values


@dataclass(frozen=True)
class ImportResult:
    total: int
    created: int
    updated: int
    unchanged: int
    repathed: int  # units not in the file whose path changed (below a unit that moved)
    ids: dict[str, int] = field(default_factory=dict, repr=False)  # code -> id, every unit

    def summary(self) -> str:
        text = (
            f"Imported {self.total} units: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged."
        )
        if self.repathed:
            text += f" {self.repathed} units below moved units now have their new place."
        return text


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = sorted(errors)


# --- Pure checks ---------------------------------------------------------------------------------


def parse_iso_date(text: str) -> date:
    """A date written yyyy-mm-dd; ValueError (with a message for the administrator) otherwise."""
    text = text.strip()
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write yyyy-mm-dd, e.g. 2025-06-30")


def check_row(line: int, values: Mapping[str, str | None]) -> tuple[UnitRow, list[str]]:
    """Read one data line; the reasons it cannot be imported on its own (empty when it can)."""
    text = {key: (value or "").strip() for key, value in values.items()}
    reasons: list[str] = []
    code, name, kind = text.get("code", ""), text.get("name", ""), text.get("kind", "").lower()
    if not code:
        reasons.append("code is missing")
    elif len(code) > CODE_MAX:
        reasons.append(f"code {code[:20]!r}... is longer than {CODE_MAX} characters")
    elif not _CODE.match(code):
        reasons.append(f"code {code!r} may hold only letters, digits and . _ : - (no spaces)")
    if not name:
        reasons.append("name is missing")
    elif len(name) > NAME_MAX:
        reasons.append(f"name is longer than {NAME_MAX} characters")
    if kind not in UNIT_KINDS:
        shown = repr(kind) if kind else "(empty)"
        reasons.append(f"unknown kind {shown}; kinds are: {', '.join(UNIT_KINDS)}")
    dates: dict[str, date | None] = {}
    for column in ("valid_from", "valid_to"):
        dates[column] = None
        if text.get(column):
            try:
                dates[column] = parse_iso_date(text[column])
            except ValueError as exc:
                reasons.append(f"{column}: {exc}")
    if dates["valid_from"] and dates["valid_to"] and dates["valid_to"] < dates["valid_from"]:
        reasons.append(f"valid_to {dates['valid_to']} is before valid_from {dates['valid_from']}")
    row = UnitRow(
        line=line,
        code=code,
        name=name,
        kind=kind,
        parent_code=text.get("parent_code") or None,
        valid_from=dates["valid_from"],
        valid_to=dates["valid_to"],
        successor_code=text.get("successor_code") or None,
    )
    return row, reasons


def read_units_csv(text: str) -> UnitsFile:
    """Read the whole file and check each line on its own (codes unique within the file too)."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise CsvError(f"The file is empty: its first line must be the header {HEADER_HINT}")
    columns = [cell.strip().lower() for cell in header]
    _check_header(columns, header)

    rows: list[UnitRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for values in reader:
        # A quoted value may span lines: report the line the row starts on.
        line = reader.line_num - sum(value.count("\n") for value in values)
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(columns):
            errors.append(RowError(line, f"{len(values)} values for {len(columns)} columns"))
            continue
        row, reasons = check_row(line, dict(zip(columns, values, strict=False)))
        if row.code in first_line:
            reasons.append(f"code {row.code!r} is already on line {first_line[row.code]}")
        elif row.code:
            first_line[row.code] = line
            rows.append(row)
        errors.extend(RowError(line, reason) for reason in reasons)
    present = frozenset(column for column in OPTIONAL_COLUMNS if column in columns)
    return UnitsFile(rows=rows, errors=errors, columns=present)


def _check_header(columns: list[str], header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " (the file seems to use ';' between values: save it as CSV with commas)"
        raise CsvError(
            f"The header lacks {', '.join(missing)}{hint}; the header must be {HEADER_HINT}"
        )
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise CsvError(f"Unknown column {unknown[0]!r}; the header must be {HEADER_HINT}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise CsvError(f"Column {repeated[0]!r} appears twice in the header")


@dataclass(frozen=True)
class Known:
    """What the tree check needs of a unit already in the database."""

    kind: str
    parent_code: str | None


def check_tree(rows: Iterable[UnitRow], stored: Mapping[str, Known]) -> list[RowError]:
    """The problems of the tree the file would make with the stored units: unknown parents or
    successors, cycles, units under a cell."""
    rows = list(rows)
    errors: list[RowError] = []
    in_file = {row.code: row for row in rows}
    kind_of = {code: unit.kind for code, unit in stored.items()}
    parent_of: dict[str, str | None] = {code: unit.parent_code for code, unit in stored.items()}
    for row in rows:
        kind_of[row.code] = row.kind
        parent_of[row.code] = row.parent_code

    for row in rows:
        if row.parent_code and row.parent_code not in parent_of:
            errors.append(RowError(row.line, f"unknown parent {row.parent_code!r}"))
        elif row.parent_code and kind_of[row.parent_code] == CELL:
            errors.append(
                RowError(row.line, f"parent {row.parent_code!r} is a cell: a cell has no units")
            )
        if row.successor_code == row.code:
            errors.append(RowError(row.line, "a unit cannot be its own successor"))
        elif row.successor_code and row.successor_code not in parent_of:
            errors.append(RowError(row.line, f"unknown successor {row.successor_code!r}"))

    # A row that turns a unit into a cell while stored units stay under it.
    for code, parent in parent_of.items():
        if code not in in_file and parent in in_file and in_file[parent].kind == CELL:
            row = in_file[parent]
            errors.append(
                RowError(row.line, f"{row.code!r} cannot be a cell: {code!r} is under it")
            )

    # Unknown parents end a chain, so every cycle found is made of real units; the stored tree
    # has none, so each goes through at least one row of the file.
    for cycle in find_cycles(parent_of):
        text = " → ".join([*cycle, cycle[0]])
        errors.extend(
            RowError(in_file[code].line, f"cycle of parents: {text}")
            for code in cycle
            if code in in_file
        )
    return errors


# --- Writing -------------------------------------------------------------------------------------

_UPDATED = tuple(name for name in UNIT_FIELDS if name != "code")
_BATCH = 10_000


async def import_units(
    *, session: AsyncSession, units_file: UnitsFile, actor: str, now: datetime | None = None
) -> ImportResult:
    """Create or update every unit of the file, keep paths and depths right across the whole
    tree, and audit each unit written. Raises ImportRejected (nothing written) on any problem."""
    now = now or utcnow()
    stored = {unit.id: unit for unit in await all_units(session=session)}
    known = {
        unit.code: Known(unit.kind, stored[unit.parent_id].code if unit.parent_id else None)
        for unit in stored.values()
    }
    errors = units_file.errors + check_tree(units_file.rows, known)
    if errors:
        raise ImportRejected(errors)

    ids = {unit.code: unit_id for unit_id, unit in stored.items()}
    fresh = [row for row in units_file.rows if row.code not in ids]
    ids |= await insert_units(
        session=session,
        rows=[
            {
                "code": row.code,
                "name": row.name,
                "kind": row.kind,
                "valid_from": row.valid_from,
                "valid_to": row.valid_to,
            }
            for row in fresh
        ],
        now=now,
    )
    targets = _targets(units_file, ids, stored)

    writes: list[dict[str, Any]] = []
    changes: list[Change] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "repathed": 0}
    in_file = {ids[row.code] for row in units_file.rows}
    for unit_id, target in targets.items():
        before = stored[unit_id]._asdict() if unit_id in stored else None
        changed = [name for name in _UPDATED if before is None or target[name] != before[name]]
        if not changed:
            counts["unchanged"] += 1
            continue
        writes.append({"id": unit_id, **{name: target[name] for name in _UPDATED}})
        if before is None:
            counts["created"] += 1
            after = {name: target[name] for name in UNIT_FIELDS}
            changes.append(Change("unit.create", "unit", unit_id, None, after))
        else:
            counts["updated" if unit_id in in_file else "repathed"] += 1
            changes.append(
                Change(
                    "unit.update",
                    "unit",
                    unit_id,
                    {"code": before["code"], **{name: before[name] for name in changed}},
                    {"code": before["code"], **{name: target[name] for name in changed}},
                )
            )
        if len(writes) >= _BATCH:  # in batches: a country's tree would hold gigabytes at once
            await _write(session, writes, changes, actor, now)
    await _write(session, writes, changes, actor, now)
    return ImportResult(total=len(units_file.rows), **counts, ids=ids)


async def _write(
    session: AsyncSession,
    writes: list[dict[str, Any]],
    changes: list[Change],
    actor: str,
    now: datetime,
) -> None:
    await update_units(session=session, rows=writes)
    await record_many(session=session, actor=actor, changes=changes, now=now)
    writes.clear()
    changes.clear()


def _targets(
    units_file: UnitsFile, ids: Mapping[str, int], stored: Mapping[int, Row[Any]]
) -> dict[int, dict[str, Any]]:
    """The wanted values of every unit of the file, and of every stored unit whose path changes
    (it lies below a unit that moved), paths and depths included."""
    parent_of: dict[int, int | None] = {unit_id: unit.parent_id for unit_id, unit in stored.items()}
    targets: dict[int, dict[str, Any]] = {}
    for row in units_file.rows:
        unit_id = ids[row.code]
        is_new = unit_id not in stored
        target: dict[str, Any] = {"code": row.code} if is_new else stored[unit_id]._asdict()
        target |= {
            "name": row.name,
            "kind": row.kind,
            "parent_id": ids[row.parent_code] if row.parent_code else None,
        }
        # An optional column left out of the file keeps what is stored.
        if is_new or "valid_from" in units_file.columns:
            target["valid_from"] = row.valid_from
        if is_new or "valid_to" in units_file.columns:
            target["valid_to"] = row.valid_to
        if is_new or "successor_code" in units_file.columns:
            target["successor_id"] = ids[row.successor_code] if row.successor_code else None
        targets[unit_id] = target
        parent_of[unit_id] = target["parent_id"]

    for unit_id, (path, depth) in tree_paths(parent_of).items():
        if unit_id not in targets:
            unit = stored[unit_id]
            if (unit.path, unit.depth) == (path, depth):
                continue
            targets[unit_id] = unit._asdict()
        targets[unit_id] |= {"path": path, "depth": depth}
    return targets


# --- The command ---------------------------------------------------------------------------------


def register(units: argparse._SubParsersAction) -> None:
    parser = command(
        units,
        "import",
        "Create or update units from a CSV file (all rows or none).",
        cmd_import,
        epilog=(
            f"Header: {HEADER_HINT}. Kinds: {', '.join(UNIT_KINDS)}. Dates yyyy-mm-dd. "
            "Units are matched by code; a parent may come later in the file or be in the database "
            "already. An optional column left out keeps the stored values."
        ),
    )
    parser.add_argument("file", metavar="FILE.csv", type=Path, help="UTF-8 CSV file")


def read_file(path: Path) -> UnitsFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            f'{path} is not UTF-8 text: save it as "CSV UTF-8" and try again.'
        ) from None
    try:
        return read_units_csv(text)
    except CsvError as exc:
        raise UsageError(f"{path}: {exc}") from None


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    units_file = read_file(args.file)

    async def work(db: Database) -> ImportResult:
        async with db.session() as session:
            return await import_units(session=session, units_file=units_file, actor=cli_actor())

    try:
        result = with_database(settings, work)
    except ImportRejected as rejected:
        for error in rejected.errors:
            print(f"{args.file}: {error}", file=sys.stderr)
        lines = len({error.line for error in rejected.errors})
        raise UsageError(
            f"{lines} line(s) of {args.file} cannot be imported (see above); nothing was changed."
        ) from None
    print(result.summary())
    return OK

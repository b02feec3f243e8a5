"""Summary and export at scale: a generated province and a generated country, SQLite and PostgreSQL.

    .venv/bin/python bench/scale.py                      # both sizes, both backends
    .venv/bin/python bench/scale.py --size province --backend sqlite

The province: 50 commune-level committees, 1,565 cells, 60 months of reports, 10,000 problems;
the country: 34 provinces, 3,321 communes, 200,000 cells, 12 months of reports, 100,000
problems. Both have a secretary per cell (one in 200 unreachable). Rows are written in bulk
(SQLite: executemany on one connection; PostgreSQL: COPY), then ANALYZEd, as a live database
is by autovacuum.

Measured for each database, each in a fresh child process (so one size's memory does not hide
the other's), for the latest month as of the day after its deadline, on the root unit and on
one commune:
- the summary's queries as /summary and the summary job run them (`summary_and_chart` without
  the drawing): `month_summary` (counts by child, problems, unreachable people) and the chart's
  12-month `trend`, in one transaction; best and median of several runs, and the Python memory
  it took at its peak (tracemalloc, a separate run);
- drawing the chart (render_chart; the bot does it in a worker thread);
- the /export workbook (bot/render/xlsx.py) written as the handler writes it (a temporary file):
  time, Python peak memory (tracemalloc, a separate run) and the file's size.
Prints a Markdown table and writes the figures as JSON (--json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # bot, storage; tests/pg.py finds PostgreSQL

from bot.config import load_settings  # noqa: E402
from bot.rules.figures import Calendar, last_months, month_bounds, summary_at  # noqa: E402
from bot.rules.periods import Period, deadline_end  # noqa: E402
from bot.rules.problems import CATEGORIES  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.queries.units import tree_paths  # noqa: E402

LATEST = Period(2026, 10)  # the month summed up; the data ends with it
SEED = 7


@dataclass(frozen=True)
class Shape:
    name: str
    levels: tuple[tuple[str, int], ...]  # (kind, how many) under the root, level by level
    months: int
    problems: int


PROVINCE = Shape("province", (("commune", 50), ("cell", 1_565)), 60, 10_000)
COUNTRY = Shape("country", (("province", 34), ("commune", 3_321), ("cell", 200_000)), 12, 100_000)
SHAPES = {shape.name: shape for shape in (PROVINCE, COUNTRY)}


# --- generating ---------------------------------------------------------------------------------


@dataclass
class Generated:
    units: list[tuple]
    people: list[tuple]
    roles: list[tuple]
    reports: Iterator[tuple]
    problems: list[tuple]


UNIT_COLUMNS = (
    "id", "code", "name", "kind", "parent_id", "path", "depth", "valid_from", "valid_to",
    "created_at",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "telegram_id", "full_name", "language", "reachable", "active", "created_at",
)  # fmt: skip
ROLE_COLUMNS = ("id", "person_id", "unit_id", "role", "granted_at")
REPORT_COLUMNS = (
    "unit_id", "period", "status", "held", "not_held_reason", "meeting_date", "meeting_type",
    "topic", "members", "exempt", "present", "absent_excused", "absent_unexcused",
    "upper_attendee_name", "upper_attendee_position", "content", "conclusion", "candidates",
    "admissions", "full_memberships", "photos", "version", "submitted_by_id", "submitter_role",
    "first_submitted_at", "submitted_at",
)  # fmt: skip
PROBLEM_COLUMNS = (
    "unit_id", "handling_unit_id", "category", "title", "description", "raised_by", "urgency",
    "status", "photos", "escalation_level", "due_at", "created_at", "updated_at", "resolved_at",
)  # fmt: skip


def generate(shape: Shape, cal: Calendar) -> Generated:
    """The tree, people and problems as lists; the reports as a stream (millions of them)."""
    rng = random.Random(SEED)
    created = datetime(2020, 1, 1, tzinfo=UTC)
    periods = [LATEST]
    while len(periods) < shape.months:
        periods.insert(0, periods[0].previous())
    parent_of: dict[int, int | None] = {1: None}
    rows: dict[int, list[Any]] = {1: [1, shape.name.upper(), f"Đảng bộ {shape.name}", shape.name]}
    above = [1]
    for kind, count in shape.levels:
        level = []
        for n in range(count):
            unit_id = len(parent_of) + 1
            parent = above[n * len(above) // count]  # spread evenly, in order
            parent_of[unit_id] = parent
            rows[unit_id] = [unit_id, f"{rows[parent][1]}-{n + 1}", f"{kind} {n + 1}", kind]
            level.append(unit_id)
        above = level
    cells = above
    paths = tree_paths(parent_of)
    window_start = periods[0].first_day
    units = []
    for unit_id, (uid, code, name, kind) in rows.items():
        valid_from = valid_to = None
        if kind == "cell" and rng.random() < 0.01:  # a few founded or merged within the window
            day = window_start + timedelta(
                days=rng.randrange((LATEST.last_day - window_start).days)
            )
            valid_from, valid_to = (day, None) if rng.random() < 0.6 else (None, day)
        path, depth = paths[unit_id]
        units.append(
            (uid, code, name, kind, parent_of[unit_id], path, depth, valid_from, valid_to, created)
        )
    people = [
        (i + 1, 5_000_000_000 + i, f"Bí thư {i + 1}", "vi", rng.random() >= 0.005, True, created)
        for i in range(len(cells))
    ]
    roles = [(i + 1, i + 1, cell, "secretary", created) for i, cell in enumerate(cells)]
    problems = list(_problems(rng, shape, cal, cells, parent_of, periods))
    reports = _reports(random.Random(SEED + 1), cal, cells, periods)
    return Generated(units, people, roles, reports, problems)


def _reports(
    rng: random.Random, cal: Calendar, cells: Sequence[int], periods: Sequence[Period]
) -> Iterator[tuple]:
    content = "Đánh giá kết quả thực hiện nhiệm vụ tháng; triển khai nhiệm vụ tháng tới: " * 2
    conclusion = "Chi bộ thống nhất triển khai; giao đảng viên phụ trách nhóm hộ."
    deadlines = {p: deadline_end(p, cal.deadline_day, cal.tz) for p in periods}
    for person, cell in enumerate(cells, start=1):
        thematic_month = rng.randrange(3)
        for period in periods:
            if rng.random() < 0.08:
                continue  # missing
            held = rng.random() >= 0.03
            meeting = period.first_day + timedelta(days=rng.randrange(2, 25))
            if rng.random() < 0.85:
                submitted = deadlines[period] - timedelta(hours=rng.randrange(24, 300))
            else:
                submitted = deadlines[period] + timedelta(hours=rng.randrange(1, 250))
            members = rng.randrange(8, 60)
            exempt = rng.randrange(4)
            absent = rng.randrange((members - exempt) // 4 + 1)
            unexcused = 1 if absent and rng.random() < 0.1 else 0
            thematic = (period.month - 1) % 3 == thematic_month
            yield (
                cell, str(period), "submitted", held, None if held else "Bão lũ",
                meeting if held else None,
                ("thematic" if thematic else "regular") if held else None,
                "Chuyên đề học tập và làm theo tư tưởng" if held and thematic else None,
                members if held else None, exempt if held else None,
                members - exempt - absent if held else None,
                absent - unexcused if held else None, unexcused if held else None,
                "Nguyễn Văn Cấp" if held and rng.random() < 0.12 else None,
                None, content if held else None, conclusion if held else None,
                0, 0, 0, [], 1, person, "secretary", submitted, submitted,
            )  # fmt: skip


def _problems(
    rng: random.Random,
    shape: Shape,
    cal: Calendar,
    cells: Sequence[int],
    parent_of: dict[int, int | None],
    periods: Sequence[Period],
) -> Iterator[tuple]:
    start, _ = month_bounds(periods[0], cal)
    _, end = month_bounds(periods[-1], cal)
    span = (end - start).total_seconds()
    for _ in range(shape.problems):
        cell = rng.choice(cells)
        made = start + timedelta(seconds=rng.random() * span)
        age = (end - made).days
        settled = rng.random() < (0.2 if age < 15 else 0.6 if age < 60 else 0.9)
        status = (
            rng.choice(("resolved", "resolved", "rejected"))
            if settled
            else rng.choice(("new", "acknowledged", "in_progress"))
        )
        updated = made + (end - made) * rng.random()
        escalated = rng.random() < 0.1
        yield (
            cell, parent_of[parent_of[cell]] if escalated else parent_of[cell],
            rng.choice(CATEGORIES), "Đường liên thôn xuống cấp", "Cần cấp trên xem xét.",
            "cell", "urgent" if rng.random() < 0.1 else "normal", status, [],
            1 if escalated else 0, made + timedelta(days=15), made, updated,
            updated if status == "resolved" else None,
        )  # fmt: skip


# --- writing ------------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # as storage.models.UtcDateTime stores it on SQLite
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value)
    return value


def write_sqlite(path: str, data: Generated) -> None:
    connection = sqlite3.connect(path)
    try:
        for table, columns, rows in _tables(data):
            marks = ", ".join("?" * len(columns))
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            connection.executemany(
                statement, (tuple(_sqlite_value(v) for v in row) for row in rows)
            )
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


async def write_postgresql(url: str, data: Generated) -> None:
    import asyncpg
    from pg import asyncpg_dsn

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for table, columns, rows in _tables(data):
            for chunk in _chunks(rows, 50_000):
                records = [tuple(json.dumps(v) if isinstance(v, list) else v for v in row)
                           for row in chunk]  # fmt: skip
                await connection.copy_records_to_table(table, records=records, columns=columns)
        for table in ("units", "people", "role_assignments"):  # ids given: move the sequences on
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _tables(data: Generated) -> list[tuple[str, Sequence[str], Iterable[tuple]]]:
    return [
        ("units", UNIT_COLUMNS, data.units),
        ("people", PERSON_COLUMNS, data.people),
        ("role_assignments", ROLE_COLUMNS, data.roles),
        ("meeting_reports", REPORT_COLUMNS, data.reports),
        ("problems", PROBLEM_COLUMNS, data.problems),
    ]


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- measuring (in a child process) -------------------------------------------------------------


@dataclass
class Timing:
    best_ms: float
    median_ms: float
    runs: int


@dataclass
class Figures:
    backend: str
    size: str
    cells: int
    reports: int
    problems: int
    summary: Timing  # root: month_summary + trend
    summary_counts: Timing  # root: counts_by_child alone
    summary_peak_kib: float
    commune_summary: Timing
    chart_ms: float
    export: Timing
    export_peak_kib: float
    export_bytes: int
    export_rows: int


async def _timed(work: Callable[[], Awaitable[Any]], runs: int, warm: bool = True) -> Timing:
    if warm:
        await work()  # connections, statement caches, the database's pages
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return Timing(round(min(times), 1), round(statistics.median(times), 1), runs)


async def _peak_kib(work: Callable[[], Awaitable[Any]]) -> float:
    tracemalloc.start()
    try:
        await work()
        return round(tracemalloc.get_traced_memory()[1] / 1024, 1)
    finally:
        tracemalloc.stop()


async def measure(url: str, backend: str, size: str, runs: int, export_too: bool) -> Figures:
    from bot.jobs.summary import summary_and_chart  # noqa: F401  (imports as the bot does)
    from bot.render.chart import render_chart
    from bot.render.xlsx import write_export
    from storage.models import Unit
    from storage.queries.figures import (
        counts_by_child,
        month_summary,
        problem_rows,
        report_rows,
        trend,
    )

    settings = load_settings(_env_file=None, database_url=url)
    cal = Calendar.from_settings(settings)
    now = summary_at(LATEST, cal)
    deadlines = {m: deadline_end(m, cal.deadline_day, cal.tz) for m in last_months(LATEST)}
    db = Database(url)
    try:
        async with db.session() as session:
            root = await session.get(Unit, 1)
            commune = (await session.exec(_first_commune())).one()
            cells, reports, problems = (await session.exec(_counts())).one()

        async def summary(unit: Unit = root) -> Any:
            async with db.session() as session:
                figures = await month_summary(
                    session=session, root=unit, period=LATEST, now=now, cal=cal
                )
                return figures, await trend(session=session, root=unit, deadlines=deadlines)

        async def counts() -> Any:
            async with db.session() as session:
                return await counts_by_child(
                    session=session, root=root, period=LATEST, deadline=deadlines[LATEST]
                )

        rows_written = 0

        async def export() -> int:
            nonlocal rows_written
            start, end = month_bounds(LATEST, cal)
            async with db.session() as session:
                figures = await month_summary(
                    session=session, root=root, period=LATEST, now=now, cal=cal
                )
                reports_stream = report_rows(session=session, root=root, period=LATEST)

                async def counted() -> Any:
                    nonlocal rows_written
                    rows_written = 0
                    async for row in reports_stream:
                        rows_written += 1
                        yield row

                with tempfile.TemporaryFile() as workbook:  # as the /export handler writes it
                    await write_export(
                        workbook,
                        language="vi",
                        tz=cal.tz,
                        deadline_day=cal.deadline_day,
                        summary=figures,
                        reports=counted(),
                        problems=problem_rows(session=session, root=root, start=start, end=end),
                        month_end=end,
                    )
                    return workbook.tell()

        slow = size == "country"
        summary_timing = await _timed(summary, 3 if slow else runs)
        counts_timing = await _timed(counts, 3 if slow else runs)
        summary_peak = await _peak_kib(summary)
        commune_timing = await _timed(lambda: summary(commune), runs)
        figures, months = await summary()

        async def chart() -> None:
            render_chart("vi", figures, months, cal.tz)

        chart_ms = (await _timed(chart, 3)).median_ms
        sizes: list[int] = []

        async def export_sized() -> None:
            sizes.append(await export())

        export_timing, export_peak, size_bytes = Timing(0, 0, 0), 0.0, 0
        if export_too:
            export_timing = await _timed(export_sized, 1 if slow else 3, warm=not slow)
            export_peak = await _peak_kib(export)
            size_bytes = sizes[-1]
    finally:
        await db.dispose()
    return Figures(
        backend, size, cells, reports, problems, summary_timing, counts_timing, summary_peak,
        commune_timing, chart_ms, export_timing, export_peak, size_bytes, rows_written,
    )  # fmt: skip


def _first_commune() -> Any:
    from sqlmodel import col, select

    from storage.models import Unit

    return select(Unit).where(Unit.kind == "commune").order_by(col(Unit.id)).limit(1)


def _counts() -> Any:
    from sqlmodel import func, select

    from storage.models import MeetingReport, Problem, Unit

    return select(
        select(func.count()).where(Unit.kind == "cell").scalar_subquery(),
        select(func.count()).select_from(MeetingReport).scalar_subquery(),
        select(func.count()).select_from(Problem).scalar_subquery(),
    )


# --- the run ------------------------------------------------------------------------------------


def prepare(backend: str, shape: Shape, workdir: Path, server: Any) -> tuple[str, str]:
    """A migrated database filled with `shape`: (its URL, how to drop it)."""
    cal = Calendar.from_settings(load_settings(_env_file=None))
    started = time.perf_counter()
    if backend == "sqlite":
        path = workdir / f"bench_{shape.name}.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        write_sqlite(str(path), generate(shape, cal))
        handle = str(path)
    else:
        name = f"chibo_bench_{os.getpid()}_{shape.name}"
        server.drop_database(name)
        server.create_database(name)
        url = server.url_for(name)
        migrate.upgrade(url)
        asyncio.run(write_postgresql(url, generate(shape, cal)))
        handle = name
    print(f"  {backend} {shape.name}: generated in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    return url, handle


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    server = None
    if "postgresql" in args.backend:
        from pg import find_server

        server = find_server()
    results = []
    with tempfile.TemporaryDirectory(prefix="chibo-bench-") as tmp:
        try:
            for backend in args.backend:
                for size in args.size:
                    url, handle = prepare(backend, SHAPES[size], Path(tmp), server)
                    try:
                        command = [sys.executable, __file__, "--measure", url, backend, size,
                                   "--runs", str(args.runs)]  # fmt: skip
                        if args.no_export:
                            command.append("--no-export")
                        child = subprocess.run(command, check=True, capture_output=True, text=True)
                        results.append(json.loads(child.stdout))
                    finally:
                        if backend == "sqlite":
                            for suffix in ("", "-wal", "-shm"):
                                Path(handle + suffix).unlink(missing_ok=True)
                        elif not args.keep:
                            server.drop_database(handle)
                    print(f"  {backend} {size}: measured", file=sys.stderr)
        finally:
            if server is not None:
                server.stop()
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | size | cells | reports | problems | summary (best / median) | "
        "counts by child | summary peak | commune summary | chart | export | export peak | "
        "export file |",
        "|" + " --- |" * 13,
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['size']} | {r['cells']:,} | {r['reports']:,} | "
            f"{r['problems']:,} | {r['summary']['best_ms']:,} / {r['summary']['median_ms']:,} ms | "
            f"{r['summary_counts']['median_ms']:,} ms | {r['summary_peak_kib']:,.0f} KiB | "
            f"{r['commune_summary']['median_ms']:,} ms | {r['chart_ms']:,} ms | "
            f"{r['export']['median_ms']:,} ms ({r['export_rows']:,} rows) | "
            f"{r['export_peak_kib']:,.0f} KiB | {r['export_bytes'] / 1024:,.0f} KiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--size", nargs="+", choices=tuple(SHAPES), default=list(SHAPES))
    parser.add_argument("--runs", type=int, default=10, help="timed runs of the province")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--no-export", action="store_true", help="measure the summary only")
    parser.add_argument("--measure", nargs=3, metavar=("URL", "BACKEND", "SIZE"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.measure:
        url, backend, size = args.measure
        figures = asyncio.run(measure(url, backend, size, args.runs, not args.no_export))
        print(json.dumps(asdict(figures)))
        return
    results = run(args)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

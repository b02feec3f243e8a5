"""Reminder fan-out: 1,565 reminders through the fake Bot API server, paced as Telegram wants.

    .venv/bin/python bench/fanout.py                     # SQLite and PostgreSQL
    .venv/bin/python bench/fanout.py --backend sqlite --cells 300

A province of N cells (default 1,565), each with a secretary who has not reported for June 2025;
the fake server refuses with 429 any message beyond 30 within a sliding second (limit_rate).
The sender is `chibo jobs run reminders --at 2025-07-02T08:00` in a subprocess, exactly as an
administrator runs it (the bot's own AIORateLimiter, the outbox).

1. A full run: the time from the first message to the last, against N / 30 s; every secretary
   has exactly one message; how many 429s; the most messages any sliding second held.
2. A crash: a fresh database; the same command killed with SIGKILL once half the messages are
   out, then run again. The row the dead sender had claimed stays its own until the claim runs
   out (storage.queries.deliveries.LEASE, 5 minutes): the bench then drains as if that time had
   passed. Every secretary must have exactly one message: no duplicate, no gap. If the kill fell
   between Telegram accepting a message and the outbox marking it sent, that one message goes
   twice (the window the outbox documents): the bench reports it. With --crashes K, the kills
   fall at K moments spread evenly over the 1/30 s between two messages, so the share of
   crashes that sent one message twice estimates that window.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.telegram_server import FakeTelegramServer  # noqa: E402
from scale import Generated, write_postgresql, write_sqlite  # noqa: E402

from bot.config import load_settings  # noqa: E402
from storage import migrate  # noqa: E402
from storage.queries.units import tree_paths  # noqa: E402

TOKEN = "123456:BENCH-token"
AT = "2025-07-02T08:00"  # step -3 of June 2025's reminders (deadline 5 July)
RATE = 30  # Telegram's broadcast limit, messages a second
TELEGRAM_ID_BASE = 10_000_000
COMMUNES = 50


def province(cells: int) -> Generated:
    created = datetime(2020, 1, 1, tzinfo=UTC)
    parent_of: dict[int, int | None] = {1: None}
    for n in range(COMMUNES):
        parent_of[2 + n] = 1
    first_cell = 2 + COMMUNES
    for n in range(cells):
        parent_of[first_cell + n] = 2 + n * COMMUNES // cells
    paths = tree_paths(parent_of)
    units = []
    for unit_id, parent in parent_of.items():
        kind = "province" if parent is None else "commune" if parent == 1 else "cell"
        path, depth = paths[unit_id]
        units.append(
            (unit_id, f"U{unit_id}", f"Chi bộ {unit_id}", kind, parent, path, depth, None, None,
             created)
        )  # fmt: skip
    people = [
        (n + 1, TELEGRAM_ID_BASE + n, f"Bí thư {n + 1}", "vi", True, True, created)
        for n in range(cells)
    ]
    roles = [(n + 1, n + 1, first_cell + n, "secretary", created) for n in range(cells)]
    return Generated(units, people, roles, iter(()), [])


@dataclass
class Database:
    url: str
    drop: Any  # () -> None


def new_database(backend: str, cells: int, workdir: Path, server: Any, label: str) -> Database:
    if backend == "sqlite":
        path = workdir / f"fanout_{label}.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        write_sqlite(str(path), province(cells))
        return Database(url, lambda: None)
    name = f"chibo_bench_{os.getpid()}_fanout_{label}"
    server.drop_database(name)
    server.create_database(name)
    url = server.url_for(name)
    migrate.upgrade(url)
    asyncio.run(write_postgresql(url, province(cells)))
    return Database(url, lambda: server.drop_database(name))


def introduce(fake: FakeTelegramServer, cells: int) -> None:
    for n in range(cells):
        user = {"id": TELEGRAM_ID_BASE + n, "is_bot": False, "first_name": f"Bí thư {n + 1}"}
        fake.introduce(fake.private_chat(user))


def sender(fake: FakeTelegramServer, url: str, log: Path) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(log.parent),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.file_url,
        "DATABASE_URL": url,
    }
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "jobs", "run", "reminders", "--at", AT],
            cwd=log.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def sends(fake: FakeTelegramServer) -> list[Any]:
    with fake.lock:
        return [c for c in fake.calls if c.method == "sendMessage"]


def accepted(fake: FakeTelegramServer) -> int:
    with fake.lock:
        return sum(1 for c in fake.calls if c.method == "sendMessage" and c.ok)


@dataclass
class Outcome:
    messages: int
    recipients: int
    duplicates: int  # messages beyond the first to one secretary
    gaps: int  # secretaries with no message
    refused_429: int
    busiest_second: int
    first_to_last_s: float
    command_s: float
    gap_ms: tuple[float, float, float]  # between two messages: median, 95th percentile, longest


def outcome(fake: FakeTelegramServer, cells: int, command_s: float) -> Outcome:
    calls = sends(fake)
    ok = [c for c in calls if c.ok]
    per_chat = collections.Counter(c.params["chat_id"] for c in ok)
    times = sorted(c.at for c in ok)
    busiest, start = 0, 0
    for end, moment in enumerate(times):  # the most messages within any one second
        while times[start] <= moment - 1:
            start += 1
        busiest = max(busiest, end - start + 1)
    expected = {TELEGRAM_ID_BASE + n for n in range(cells)}
    return Outcome(
        messages=len(ok),
        recipients=len(per_chat),
        duplicates=sum(count - 1 for count in per_chat.values()),
        gaps=len(expected - set(per_chat)),
        refused_429=sum(1 for c in calls if c.error_code == 429),
        busiest_second=busiest,
        first_to_last_s=round(times[-1] - times[0], 2) if times else 0.0,
        command_s=round(command_s, 2),
        gap_ms=_gaps(times),
    )


def _gaps(times: list[float]) -> tuple[float, float, float]:
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(times))
    if not gaps:
        return (0.0, 0.0, 0.0)
    return (
        round(statistics.median(gaps), 1),
        round(gaps[int(len(gaps) * 0.95)], 1),
        round(gaps[-1], 1),
    )


def full_run(fake: FakeTelegramServer, db: Database, cells: int, log: Path) -> dict[str, Any]:
    started = time.monotonic()
    process = sender(fake, db.url, log)
    code = process.wait(timeout=cells / RATE * 3 + 60)
    assert code == 0, log.read_text()
    result = outcome(fake, cells, time.monotonic() - started)
    return {"outcome": result, "window_ms": asyncio.run(duplicate_window(db.url, fake))}


async def duplicate_window(url: str, fake: FakeTelegramServer) -> dict[str, float]:
    """How long each message stays "accepted by Telegram but not yet marked sent": from its
    arrival at the fake server to the sender stamping the row sent (the commit follows within
    a millisecond or two). A kill within it sends that message twice."""
    from storage.db import Database as Db
    from storage.queries.deliveries import deliveries

    db = Db(url)
    try:
        async with db.session() as session:
            rows = await deliveries(session=session, kind="reminder")
    finally:
        await db.dispose()
    arrived = {c.params["chat_id"]: c.at for c in sends(fake) if c.ok}
    gaps = sorted(
        (row.sent_at.timestamp() - arrived[row.chat_id]) * 1000
        for row in rows
        if row.sent_at and row.chat_id in arrived
    )
    if not gaps:
        return {}
    return {
        "median": round(statistics.median(gaps), 1),
        "p95": round(gaps[int(len(gaps) * 0.95)], 1),
        "share_of_cycle": round(statistics.median(gaps) / (1000 / RATE), 2),
    }


def crash_run(
    fake: FakeTelegramServer, db: Database, cells: int, log: Path, offset: float
) -> dict[str, Any]:
    """Kill the sender `offset` seconds after the N/2-th message reached the server."""
    started = time.monotonic()
    first = sender(fake, db.url, log)
    fake.wait_until(lambda: accepted(fake) >= cells // 2 or first.poll() is not None, 600)
    time.sleep(offset)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = accepted(fake)
    second = sender(fake, db.url, log)
    assert second.wait(timeout=cells / RATE * 3 + 60) == 0, log.read_text()
    after_restart = accepted(fake)
    leftover = asyncio.run(drain_after_claims_expire(db.url, fake))
    return {
        "killed_ms_after_a_message": round(offset * 1000, 1),
        "killed_after": at_kill,
        "after_restart": after_restart,
        "left_to_the_claims_expiry": leftover,
        "outcome": outcome(fake, cells, time.monotonic() - started),
        "statuses": asyncio.run(statuses(db.url)),
    }


async def drain_after_claims_expire(url: str, fake: FakeTelegramServer) -> dict[str, int]:
    """What `chibo run`'s outbox drain does once the dead sender's claim is over (5 minutes):
    sent now, with the clock moved on, instead of waiting."""
    from bot.app import build_application
    from bot.jobs.base import JobEnv
    from storage.models import utcnow
    from storage.queries.deliveries import LEASE

    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=url,
        telegram_api_base_url=fake.base_url,
        telegram_api_file_url=fake.file_url,
    )
    application = build_application(settings)
    async with application:
        env = JobEnv(
            settings,
            application.bot_data["db"],
            application.bot,
            clock=lambda: utcnow() + LEASE + timedelta(seconds=1),
        )
        tally = await env.sender.drain()
    await application.bot_data["db"].dispose()
    return dict(tally)


async def statuses(url: str) -> dict[str, int]:
    from storage.db import Database as Db
    from storage.queries.deliveries import counts_by_status

    db = Db(url)
    try:
        async with db.session() as session:
            return await counts_by_status(session=session, kinds=["reminder"])
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--cells", type=int, default=1_565)
    parser.add_argument("--only", choices=("full", "crash"), help="one of the two runs")
    parser.add_argument("--crashes", type=int, default=1, help="crash runs per backend")
    args = parser.parse_args()
    server = None
    if "postgresql" in args.backend:
        from pg import find_server

        server = find_server()
    ideal = args.cells / RATE
    print(f"N = {args.cells}, N / rate = {ideal:.2f} s (5% over: {ideal * 1.05:.2f} s)")
    try:
        with tempfile.TemporaryDirectory(prefix="chibo-fanout-") as tmp:
            for backend in args.backend:
                runs = ["full"] + ["crash"] * args.crashes
                for number, run in enumerate(runs):
                    if args.only and run != args.only:
                        continue
                    db = new_database(backend, args.cells, Path(tmp), server, f"{run}{number}")
                    try:
                        with FakeTelegramServer() as fake:
                            fake.limit_rate(RATE)
                            introduce(fake, args.cells)
                            log = Path(tmp) / f"{backend}-{run}.log"
                            if run == "full":
                                result: Any = full_run(fake, db, args.cells, log)
                                within = result["outcome"].first_to_last_s <= ideal * 1.05
                                print(f"{backend} full: {result} (within 5%: {within})")
                            else:
                                # A crash falls anywhere in the 1/30 s between two messages:
                                # the crash runs spread evenly over it.
                                offset = (number - 0.5) / args.crashes / RATE
                                result = crash_run(fake, db, args.cells, log, offset)
                                print(f"{backend} crash: {result}")
                            sys.stdout.flush()
                    finally:
                        db.drop()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()

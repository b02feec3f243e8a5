"""What the benchmarks share: the tests' fakes on the path, a throwaway database, the machine."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pg import PgServer  # tests/pg.py (see bench/__init__.py)

from storage import migrate

PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def database(backend: str, directory: Path, *, pg_admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """The URL of a fresh database at schema head: an SQLite file in `directory`, or a uniquely
    named PostgreSQL database made on `pg_admin_url`'s server and dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        migrate.upgrade(url)
        yield url
        return
    server = PgServer(admin_url=pg_admin_url, source="bench")
    name = f"chibo_bench_{os.getpid()}_{int(time.time())}"
    server.create_database(name)
    try:
        url = server.url_for(name)
        migrate.upgrade(url)
        yield url
    finally:
        server.drop_database(name)
        server.stop()


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1..99) of `values`, interpolated."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load() -> str:
    """The load averages (1, 5, 15 min): other work on the machine skews the figures."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> str:
    """One line about where the figures were measured."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    return (
        f"{date.today().isoformat()}, {len(os.sched_getaffinity(0))} CPUs ({model}), "
        f"{total_kib / 1024**2:.1f} GiB RAM, Python {platform.python_version()}"
    )


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """--db (repeatable), --pg-admin-url and --json, as every per-database benchmark takes."""
    parser.add_argument(
        "--db", action="append", choices=BACKENDS, help="repeat for both (default: both)"
    )
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")


def run_backends(
    args: argparse.Namespace,
    measure: Callable[[str], dict[str, Any]],
    show: Callable[[dict[str, Any]], None],
) -> None:
    """Measure and show each database of `args.db` in turn, with the load average around it;
    then write every result to `args.json` if asked."""
    results = []
    for backend in args.db or BACKENDS:
        before = load()
        result = measure(backend)
        result["load_average"] = {"before": before, "after": load()}
        results.append(result)
        show(result)
        print(f"  load average (1, 5, 15 min) before {before}, after {load()}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))

"""What the benchmarks share: the tests' fakes on the path, a throwaway database, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

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

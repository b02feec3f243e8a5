"""Start-up time and idle memory of `chibo run`, with the demo province loaded.

    .venv/bin/python -m bench.startup --runs 5 --db sqlite --db postgresql

`chibo demo seed` fills a fresh database (about 1,500 cells, four months of reports, a few
hundred problems); then `chibo run` starts, as an administrator starts it, in a subprocess
against the fake Bot API server (tests/fakes), `--runs` times. Measured: the time from starting
the process to its first getUpdates, and its resident memory (VmRSS in /proc) once it has
idled, long-polling, for `--idle` seconds. Targets: under 3 s and under 150 MB.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fakes.telegram_server import FakeTelegramServer

from bench.common import add_backend_options, database, machine, run_backends

TOKEN = "123456:BENCH-token"
CHIBO = str(Path(sys.executable).with_name("chibo"))
START_LIMIT, RSS_LIMIT_MB = 3.0, 150.0


def chibo_env(directory: Path, database_url: str, server: FakeTelegramServer | None) -> dict:
    """A clean environment (none of the developer's settings), as in tests/e2e/test_cli_run.py."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(directory),
        "LANG": "C.UTF-8",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
    }
    if server is not None:
        env["TELEGRAM_API_BASE_URL"] = server.base_url
        env["TELEGRAM_API_FILE_URL"] = server.file_url
    return env


def seed_demo(directory: Path, database_url: str) -> float:
    """`chibo demo seed` into the database; the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [CHIBO, "demo", "seed"],
        cwd=directory,
        env=chibo_env(directory, database_url, None),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def one_start(directory: Path, database_url: str, idle: float) -> dict[str, float]:
    """Start `chibo run`, time it to its first getUpdates, let it idle, read its memory."""
    with FakeTelegramServer() as server, (directory / "chibo.log").open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [CHIBO, "run"],
            cwd=directory,
            env=chibo_env(directory, database_url, server),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            polling = server.wait_until(
                lambda: server.calls_of("getUpdates") or process.poll() is not None, 60
            )
            seconds = time.perf_counter() - started
            if process.poll() is not None or not polling:
                raise SystemExit(
                    f"chibo run did not start:\n{(directory / 'chibo.log').read_text()}"
                )
            time.sleep(idle)  # a benchmark, not a test: idling is what is measured
            return {
                "start_s": round(seconds, 3),
                "rss_mb": round(rss_mb(process.pid), 1),
                "peak_rss_mb": round(rss_mb(process.pid, "VmHWM"), 1),
            }
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def bench(backend: str, runs: int, idle: float, pg_admin_url: str) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as folder,
        database(backend, Path(folder), pg_admin_url=pg_admin_url) as url,
    ):
        directory = Path(folder)
        seeded = seed_demo(directory, url)
        starts = [one_start(directory, url, idle) for _ in range(runs)]
    start = statistics.median(s["start_s"] for s in starts)
    rss = max(s["rss_mb"] for s in starts)
    return {
        "backend": backend,
        "demo_seed_s": round(seeded, 1),
        "runs": starts,
        "median_start_s": start,
        "max_idle_rss_mb": rss,
        "start_met": start < START_LIMIT,
        "rss_met": rss < RSS_LIMIT_MB,
    }


def show(result: dict[str, Any]) -> None:
    print(
        f"\n{result['backend']} (demo seeded in {result['demo_seed_s']} s): median start "
        f"{result['median_start_s']} s (target < {START_LIMIT} s: "
        f"{'met' if result['start_met'] else 'MISSED'}), idle RSS up to "
        f"{result['max_idle_rss_mb']} MB (target < {RSS_LIMIT_MB:.0f} MB: "
        f"{'met' if result['rss_met'] else 'MISSED'})"
    )
    for n, run in enumerate(result["runs"], 1):
        print(
            f"  run {n}: start {run['start_s']:.3f} s, idle RSS {run['rss_mb']} MB, "
            f"peak RSS {run['peak_rss_mb']} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before the RSS")
    add_backend_options(parser)
    args = parser.parse_args()
    print(f"Start-up benchmark, {args.runs} runs; {machine()}")
    run_backends(
        args, lambda backend: bench(backend, args.runs, args.idle, args.pg_admin_url), show
    )


if __name__ == "__main__":
    main()

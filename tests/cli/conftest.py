"""Fixtures for the administrator's command line, run as a user runs it (a subprocess).

The databases come from tests/conftest.py (`database_url`: SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


Chibo = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def chibo(tmp_path: Path, database_url: str) -> Chibo:
    """Run `python -m bot ARGS...` in tmp_path against `database_url`, as an administrator would."""

    def run(*args: str, env: dict[str, str] | None = None, url: str | None = None):
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))
        }
        environment |= {"DATABASE_URL": url or database_url, "PYTHONPATH": str(ROOT)}
        environment |= env or {}
        return subprocess.run(
            [sys.executable, "-m", "bot", *map(str, args)],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run

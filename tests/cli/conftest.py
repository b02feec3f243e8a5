"""Fixtures for the administrator's command line, run as a user runs it (a subprocess).

`database_url` is a fresh migrated database: SQLite always; PostgreSQL too when
CHIBO_TEST_POSTGRES_URL points at a server (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres),
where each test gets its own database chibo_admin_<random>, dropped afterwards.
(Stand-ins until the shared tests/conftest.py provides `db` and `database_url`.)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage import migrate
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("CHIBO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES else [])]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating takes about a second)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _off_loop(lambda: migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


async def _postgres(*statements: str) -> None:
    import asyncpg

    url = make_url(POSTGRES)
    connection = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port or 5432,
        database=url.database or "postgres",
    )  # fmt: skip
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _off_loop(work: Callable[[], object]) -> None:
    """Run blocking work that starts its own event loop, also from inside an async test."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(work).result()


@pytest.fixture(params=BACKENDS)
def make_database_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Makes fresh migrated databases of the test's backend; returns their URLs."""
    created: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            path = tmp_path / f"db{len(created)}.db"
            shutil.copy(sqlite_template, path)
            created.append(str(path))
            return f"sqlite+aiosqlite:///{path}"
        name = f"chibo_admin_{uuid.uuid4().hex[:12]}"
        url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
        created.append(name)
        _off_loop(lambda: asyncio.run(_postgres(f'CREATE DATABASE "{name}"')))
        _off_loop(lambda: migrate.upgrade(url))
        return url

    yield make
    if request.param == "postgresql":
        drops = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in created]
        _off_loop(lambda: asyncio.run(_postgres(*drops)))


@pytest.fixture
def database_url(make_database_url: Callable[[], str]) -> str:
    return make_database_url()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


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

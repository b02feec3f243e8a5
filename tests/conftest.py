"""Database fixtures: every storage test runs on SQLite and on a real PostgreSQL server.

Cheat-sheet (nothing here mocks the database):

- ``database_url``: URL of a fresh database at schema head, one per test. A test that uses it
  (directly or through ``db``) runs twice, ids ``[sqlite]`` and ``[postgresql]``.
- ``db``: a ``storage.db.Database`` on ``database_url``, disposed after the test.
- ``backend``: "sqlite" or "postgresql", the parameter behind the two fixtures above.
- ``empty_database_url``: like ``database_url`` but with no tables (for migration and
  ``chibo db upgrade`` tests); also runs on both backends.
- ``sqlite_url``: a fresh SQLite database at schema head, for tests that need one backend only.
- ``@pytest.mark.sqlite_only`` / ``@pytest.mark.postgresql_only`` (or ``pytestmark = ...`` in a
  module): the database fixtures of those tests run on that backend only.
- ``test_databases`` (session): ``.new(backend, migrated=True)`` makes one more database; all are
  dropped at the end of the session.

PostgreSQL comes from ``TEST_DATABASE_URL``, else 127.0.0.1:5432, else a throwaway cluster
(see tests/pg.py; ``CHIBO_TEST_PG=url|local|cluster|off`` forces a choice). When none can be
had, the PostgreSQL cases are skipped with the reason, except under CI (env ``CI`` set), where
they fail: CI must really test PostgreSQL.

Fast: the schema is migrated once per session into a template (an SQLite file, a PostgreSQL
``chibo_template_<pid>`` database) and each test gets a copy (file copy, ``CREATE DATABASE ...
TEMPLATE``), dropped when the test ends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from pg import PgServer, PgUnavailable, find_server
from sqlalchemy.engine import make_url

from bot import loop
from storage import migrate
from storage.db import Database

T = TypeVar("T")

BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: run this test's database fixtures on SQLite only"
    )
    config.addinivalue_line(
        "markers", "postgresql_only: run this test's database fixtures on PostgreSQL only"
    )


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Async tests run on the loop production runs on (bot.loop: uvloop where installed)."""
    return {"uvloop" if loop.uvloop is not None else "asyncio": loop.factory()}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that needs `backend` (through database_url, db, ...) runs once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = list(BACKENDS)
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = ["sqlite"]
    elif metafunc.definition.get_closest_marker("postgresql_only"):
        backends = ["postgresql"]
    metafunc.parametrize("backend", backends, ids=backends, indirect=True, scope="function")


def in_thread(function: Callable[[], T]) -> T:
    """Run blocking code that may call asyncio.run (Alembic) away from any running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


class TestDatabases:
    """Makes fresh databases from per-session templates and drops them."""

    __test__ = False  # not a test class

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._sqlite_template: Path | None = None
        self._pg: PgServer | None = None
        self._pg_error: str | None = None
        self._pg_template: str | None = None
        self._live: dict[str, tuple[str, str]] = {}  # url -> (backend, name or path)

    # --- public -------------------------------------------------------------------------------

    def new(self, backend: str, *, migrated: bool = True) -> str:
        """The URL of a new database: at schema head if `migrated`, else empty."""
        if backend == "sqlite":
            return self._new_sqlite(migrated)
        if backend == "postgresql":
            return self._new_postgresql(migrated)
        raise ValueError(f"unknown backend {backend!r}")

    def drop(self, url: str) -> None:
        backend, name = self._live.pop(url, ("", ""))
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(name + suffix).unlink(missing_ok=True)
        elif backend == "postgresql" and self._pg is not None:
            self._pg.drop_database(name)

    def close(self) -> None:
        for url in list(self._live):
            try:
                self.drop(url)
            except Exception as exc:  # a leftover is dropped by a later run
                print(f"could not drop test database: {exc}")
        if self._pg is not None:
            if self._pg_template:
                try:
                    self._pg.drop_database(self._pg_template)
                except Exception as exc:  # a leftover is dropped by a later run
                    print(f"could not drop template database: {exc}")
            self._pg.stop()
            self._pg = None

    @property
    def postgresql_source(self) -> str | None:
        return self._pg.source if self._pg else None

    # --- SQLite -------------------------------------------------------------------------------

    def _new_sqlite(self, migrated: bool) -> str:
        path = self.directory / f"chibo_test_{os.getpid()}_{next(self._counter)}.db"
        if migrated:
            shutil.copyfile(self._sqlite_template_path(), path)
        url = f"sqlite+aiosqlite:///{path}"
        self._live[url] = ("sqlite", str(path))
        return url

    def _sqlite_template_path(self) -> Path:
        with self._lock:
            if self._sqlite_template is None:
                path = self.directory / f"chibo_template_{os.getpid()}.db"
                in_thread(lambda: migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
                # One self-contained file to copy: fold the WAL back in and leave WAL mode.
                connection = sqlite3.connect(path)
                try:
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    connection.execute("PRAGMA journal_mode=DELETE")
                finally:
                    connection.close()
                self._sqlite_template = path
            return self._sqlite_template

    # --- PostgreSQL ---------------------------------------------------------------------------

    def _server(self) -> PgServer:
        with self._lock:
            if self._pg is None and self._pg_error is None:
                try:
                    self._pg = find_server()
                except PgUnavailable as exc:
                    self._pg_error = str(exc)
                else:
                    self._pg.drop_stale()
                    _used_postgresql.append(self._pg.source)
            if self._pg is None:
                if in_ci():
                    pytest.fail(f"CI must test PostgreSQL, but {self._pg_error}", pytrace=False)
                pytest.skip(f"PostgreSQL unavailable: {self._pg_error}")
            return self._pg

    def _template(self, server: PgServer) -> str:
        with self._lock:
            if self._pg_template is None:
                name = f"chibo_template_{os.getpid()}"
                server.drop_database(name)
                server.create_database(name)
                try:
                    in_thread(lambda: migrate.upgrade(server.url_for(name)))
                except BaseException:
                    server.drop_database(name)
                    raise
                self._pg_template = name
            return self._pg_template

    def _new_postgresql(self, migrated: bool) -> str:
        server = self._server()
        template = self._template(server) if migrated else None
        name = f"chibo_test_{os.getpid()}_{next(self._counter)}"
        server.create_database(name, template=template)
        url = server.url_for(name)
        self._live[url] = ("postgresql", name)
        return url


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    databases = TestDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test: "sqlite" or "postgresql" (parametrized)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(backend: str, test_databases: TestDatabases) -> Iterator[str]:
    """A fresh database at schema head, on `backend`; dropped after the test."""
    url = test_databases.new(backend)
    yield url
    test_databases.drop(url)


@pytest.fixture
def empty_database_url(backend: str, test_databases: TestDatabases) -> Iterator[str]:
    """A fresh database with no tables at all, on `backend`; dropped after the test."""
    url = test_databases.new(backend, migrated=False)
    yield url
    test_databases.drop(url)


@pytest.fixture
def sqlite_url(test_databases: TestDatabases) -> Iterator[str]:
    """A fresh SQLite database at schema head (no PostgreSQL run); deleted after the test."""
    url = test_databases.new("sqlite")
    yield url
    test_databases.drop(url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A Database on `database_url`, disposed after the test."""
    database = Database(database_url)
    yield database
    await database.dispose()


_used_postgresql: list[str] = []  # where PostgreSQL came from, for the summary


def pytest_report_header(config: pytest.Config) -> list[str]:
    mode = os.environ.get("CHIBO_TEST_PG", "auto")
    url = os.environ.get("TEST_DATABASE_URL")
    try:
        shown = make_url(url).render_as_string(hide_password=True) if url else "unset"
    except Exception:
        shown = "(not a URL)"
    return [f"chibo: CHIBO_TEST_PG={mode}, TEST_DATABASE_URL={shown}, CI={in_ci()}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for source in _used_postgresql:
        terminalreporter.write_line(f"chibo: PostgreSQL tests ran on {source}")

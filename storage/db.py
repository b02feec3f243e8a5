"""The engine and the one session helper everything uses."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

WAL_ATTEMPTS, WAL_RETRY_SECONDS = 100, 0.02  # up to two seconds for another connection's switch


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite, foreign keys on, WAL and a busy timeout for several writers."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        _use_wal(cursor)
        cursor.close()

    return engine


def _use_wal(cursor: Any) -> None:
    """WAL is stored in the file, so a file is switched once. Switching needs an exclusive lock
    that does not wait for the busy timeout: when other connections open a new file at the same
    moment (a second process, a command), the loser is told "database is locked"; it waits a
    little and looks again, by then the winner has switched it."""
    for attempt in range(WAL_ATTEMPTS):
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError, as the adapter raises it
            if "locked" not in str(exc).lower() or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(WAL_RETRY_SECONDS)  # only while a new file is being opened at once


def insert(session: AsyncSession, model: type) -> Any:
    """An INSERT for the session's database that takes `.on_conflict_do_nothing(...)`."""
    assert session.bind is not None  # Database.session() binds every session to its engine
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def safe_url(url: str) -> str:
    """The URL as it may appear in a log or an error: password hidden."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """Owns the engine; `session()` is the one way to talk to the database."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, for prebuilt Core statements on the hot path (who is
        speaking, a draft's step): no session, no unit of work. Committed when the block ends,
        rolled back on error."""
        async with self.engine.begin() as connection:
            yield connection

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()

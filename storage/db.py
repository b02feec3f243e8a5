"""The engine and the one session helper everything uses."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, registry, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLite through aiosqlite, one trip to its thread per statement (storage/sqlite.py), loaded
# only when a SQLite engine is made.
SQLITE_DRIVER = "chibo_aiosqlite"
registry.register(f"sqlite.{SQLITE_DRIVER}", "storage.sqlite", "Dialect")

WAL_ATTEMPTS, WAL_RETRY_SECONDS = 100, 0.02  # up to two seconds for another connection's switch
# Connections kept open: as many as updates handled at once (bot.processing), each of which holds
# one while it runs (Database.one_connection); a few more (jobs, a second session) open and close
# beyond them. SQLAlchemy's default keeps 5, and opening one costs far more than a step.
POOL_SIZE, POOL_OVERFLOW = 16, 8
PING_IDLE = 1.0  # seconds a pooled connection may idle before it is pinged (_ping_when_idle)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite, foreign keys on, WAL and a busy timeout for several writers."""
    # The most recently returned connection is handed out first (LIFO): few stay busy and are
    # never idle long enough to need a ping; the others idle, pinged if ever needed again.
    kwargs = {
        "pool_size": POOL_SIZE,
        "max_overflow": POOL_OVERFLOW,
        "pool_use_lifo": True,
        **kwargs,
    }
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, **kwargs)
        _ping_when_idle(engine)
        return engine
    if parsed.drivername == "sqlite+aiosqlite":  # one trip to aiosqlite's thread a statement
        parsed = parsed.set(drivername=f"sqlite+{SQLITE_DRIVER}")
    engine = create_async_engine(parsed, connect_args={"timeout": 30}, **kwargs)

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        _use_wal(cursor)
        cursor.close()

    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """A pooled connection is pinged before it is handed out only when it has been idle for more
    than PING_IDLE seconds (SQLAlchemy's pool_pre_ping pings each time: with asyncpg a BEGIN, a
    query and a ROLLBACK, ~0.2 ms of CPU, which every update paid). One that came back less than
    a second ago was working then; a server that restarted since was down for longer than that,
    so whatever was pooled before the restart is idle longer and pinged. A failed ping drops the
    connection and the pool takes another (DisconnectionError), as pool_pre_ping does."""
    pool, dialect = engine.sync_engine.pool, engine.sync_engine.dialect

    @sa.event.listens_for(pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned"] = time.monotonic()

    @sa.event.listens_for(pool, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned")  # none: connected just now
        if returned is None or time.monotonic() - returned <= PING_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the driver's Error, as SQLAlchemy's adapter raises it
            if dialect.is_disconnect(error, dbapi_connection, None):  # type: ignore[arg-type]
                raise sa.exc.DisconnectionError(str(error)) from error
            raise


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


class _Held:
    """The connection an update's transactions share (`Database.one_connection`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.connection: AsyncConnection | None = None
        self.busy = False  # a transaction is using it (another one at the same time gets its own)
        self.over = False  # the update is over (a task it started may live on: not with this)


_HELD: ContextVar[_Held | None] = ContextVar("chibo_held_connection", default=None)


class Database:
    """Owns the engine; `session()` is the one way to talk to the database (`connection()`, for
    the few prebuilt Core statements of the hot path)."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        async with self._held() as held:
            if held is None:
                async with self._sessions() as session, session.begin():
                    yield session
            else:
                async with (
                    AsyncSession(bind=held, expire_on_commit=False) as session,
                    session.begin(),
                ):
                    yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, for prebuilt Core statements on the hot path (who is
        speaking, a draft's step): no session, no unit of work. Committed when the block ends,
        rolled back on error."""
        async with self._held() as held:
            if held is None:
                async with self.engine.begin() as connection:
                    yield connection
            else:
                async with held.begin():
                    yield held

    @asynccontextmanager
    async def one_connection(self) -> AsyncIterator[None]:
        """The transactions of the block (one update: who is speaking, the step, the message
        that asked) take turns on one connection, checked out at the first and returned at the
        end, instead of one each from the pool: a checkout costs ~0.2 ms of CPU, and on
        PostgreSQL the pool's ping before it as much again (docs/BENCHMARKS.md). Each is still
        its own transaction, committed when its block ends; a transaction begun while another is
        open (nested, or a task of the update running beside it) gets its own connection, as
        without this block. The connection holds no transaction between them (no lock, no
        snapshot) while the update waits for Telegram."""
        held = _Held(self)
        token = _HELD.set(held)
        try:
            yield
        finally:
            _HELD.reset(token)
            held.over = True
            if held.connection is not None:
                await held.connection.close()

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[AsyncConnection | None]:
        """The update's shared connection if there is one free for this database, else None."""
        held = _HELD.get()
        if held is None or held.db is not self or held.busy or held.over:
            yield None
            return
        held.busy = True
        try:
            if held.connection is None:
                held.connection = await self.engine.connect()
            yield held.connection
        finally:
            held.busy = False

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()

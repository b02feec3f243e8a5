"""SQLite through aiosqlite, one trip to its thread per statement.

aiosqlite runs each SQLite call on a thread of its own; SQLAlchemy's adapter makes four calls
for one statement (make a cursor, execute, fetch the rows, close the cursor), each a hand-over
to that thread and back to the event loop (a queue, a future, the GIL). `Cursor` here does the
four in one call, with the same results for SQLAlchemy (rows, description, rowcount,
lastrowid). Measured with the conversation benchmark (docs/BENCHMARKS.md): a step makes three
statements and three commits.

`storage.db.make_engine` uses this dialect (registered there as `sqlite+chibo_aiosqlite`, and
imported only then) for `sqlite+aiosqlite` URLs; everything else is
SQLAlchemy's aiosqlite dialect as it is (server-side cursors, commit, rollback, the pool).
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

DRIVER = "chibo_aiosqlite"  # the URL's driver name (storage.db registers it)


class _Outcome:
    """What SQLAlchemy reads from a cursor after a statement; the real one is already closed."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def close(self) -> None:
        """Closed in aiosqlite's thread with the statement."""


def _run(connection: Any, many: bool, operation: Any, parameters: Any) -> tuple[Any, ...]:
    """In aiosqlite's thread: the whole statement, on a cursor of its own."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else None
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False  # nothing left to close

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Outcome()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._run(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._run(True, operation, seq_of_parameters)

    async def _run(self, many: bool, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            rows, description, rowcount, lastrowid = await connection._execute(
                _run, connection._conn, many, operation, parameters
            )
        outcome: Any = self._cursor  # an _Outcome (SQLAlchemy types it as the driver's cursor)
        outcome.description, outcome.rowcount, outcome.lastrowid = (
            description,
            rowcount,
            lastrowid,
        )
        if rows is not None:
            self._rows = collections.deque(rows)
        return outcome


class Connection(AsyncAdapt_aiosqlite_connection):
    """With no transaction open (a read: Python's sqlite3 begins one only before a write), a
    commit or rollback has nothing to do: no trip to the thread for it."""

    __slots__ = ()
    _cursor_cls = Cursor

    def commit(self) -> None:
        if self._open():
            super().commit()

    def rollback(self) -> None:
        if self._open():
            super().rollback()

    def _open(self) -> bool:
        # sqlite3 reads this flag without the thread check (sqlite3_get_autocommit).
        raw = self._connection._connection
        return raw is None or raw.in_transaction


class DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> Connection:
        adapted = super().connect(*arg, **kw)
        return Connection(self, adapted._connection)


class Dialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> DBAPI:
        import sqlite3

        import aiosqlite

        return DBAPI(aiosqlite, sqlite3)

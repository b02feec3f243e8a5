"""A PostgreSQL server for the tests: one we may CREATE DATABASE on, found or started.

Where it comes from, in order (``find_server``):

1. ``TEST_DATABASE_URL``: a ``postgresql+asyncpg://`` URL of a server where the user may
   CREATE DATABASE (its database is only used to connect);
2. the local server on 127.0.0.1:5432, user ``postgres``, trust auth, database ``test``;
3. a throwaway cluster made with ``initdb``/``pg_ctl`` (from PATH or /usr/lib/postgresql/*/bin)
   in a temporary folder, on a free port, stopped and deleted by ``PgServer.stop()``.

``CHIBO_TEST_PG`` forces one of them: ``url``, ``local``, ``cluster``, or ``off`` (none);
the default, ``auto``, tries them in the order above.

Administrative statements run on one connection owned by a background thread with its own
event loop, so they can be called from synchronous fixtures whether or not a test's event loop
exists. Names of databases carry the process id (``chibo_test_<pid>_<n>``) because several test
runs may share a server; each database made here is commented with its maker, so that a later
run can drop what a killed run left behind.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

T = TypeVar("T")

MODES = ("auto", "url", "local", "cluster", "off")
LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NAME = re.compile(r"^chibo_(?:template|test)_\d+(?:_\d+)?$")
STALE_AFTER = 24 * 3600  # a database left by a run that is surely over
MARK = "chibo-tests"
INITDB_OPTIONS = ("-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")


class PgUnavailable(Exception):
    """No PostgreSQL server could be had; the message says what was tried and how to get one."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def asyncpg_dsn(url: str | URL) -> str:
    """The asyncpg DSN of an SQLAlchemy ``postgresql+asyncpg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class _Loop:
    """An event loop running in a daemon thread, for calls from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pg-admin", daemon=True)
        self.thread.start()

    def run(self, factory: Callable[[], Awaitable[T]], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(_wrap(factory), self.loop).result(timeout)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def _wrap(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


@dataclass
class PgServer:
    """A server we may create databases on, through an administrative connection."""

    admin_url: str  # postgresql+asyncpg:// URL of the database we connect to for admin work
    source: str  # where it came from, for messages
    cluster: Cluster | None = None
    _loop: _Loop = field(default_factory=_Loop, repr=False)
    _conn: Any = field(default=None, repr=False)

    def url_for(self, database: str) -> str:
        """The URL of `database` on this server (same user, password, host and options)."""
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def _connect(self) -> asyncpg.Connection:
        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(asyncpg_dsn(self.admin_url), timeout=10)

        if self._conn is None or self._conn.is_closed():
            self._conn = self._loop.run(connect)
        return self._conn

    def execute(self, *statements: str) -> None:
        """Run statements one by one, outside any transaction (CREATE/DROP DATABASE need it)."""
        conn = self._connect()

        async def run() -> None:
            for statement in statements:
                await conn.execute(statement)

        self._loop.run(run)

    def fetch(self, query: str, *args: object) -> list[Any]:
        conn = self._connect()
        return self._loop.run(lambda: conn.fetch(query, *args))

    def create_database(self, name: str, template: str | None = None) -> None:
        """A new database (a copy of `template` if given), commented with who made it."""
        create = f"CREATE DATABASE {quote(name)}"
        if template:
            create += f" TEMPLATE {quote(template)}"
        comment = f"{MARK} host={socket.gethostname()} ns={_pid_namespace()} pid={os.getpid()}"
        comment += f" created={int(time.time())}"
        self.execute(create, f"COMMENT ON DATABASE {quote(name)} IS '{comment}'")

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing whatever connections a test left open to it."""
        self.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")

    def drop_stale(self) -> list[str]:
        """Drop the test databases that runs which are over left behind; their names."""
        rows = self.fetch(
            "SELECT datname, shobj_description(oid, 'pg_database') AS note FROM pg_database"
        )
        stale = [row["datname"] for row in rows if NAME.match(row["datname"]) and _stale(row)]
        for name in stale:
            with contextlib.suppress(asyncpg.PostgresError):
                self.drop_database(name)
        return stale

    def stop(self) -> None:
        """Close the admin connection; stop and delete the throwaway cluster if there is one."""
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(Exception):
                self._loop.run(self._conn.close, timeout=10)
        self._conn = None
        self._loop.close()
        if self.cluster is not None:
            self.cluster.stop()


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        return "?"


def _stale(row: Any) -> bool:
    """A database made by these tests whose maker is surely gone."""
    note = dict(part.split("=", 1) for part in (row["note"] or "").split() if "=" in part)
    if not (row["note"] or "").startswith(MARK):
        return False
    created = int(note.get("created", "0") or 0)
    if time.time() - created > STALE_AFTER:
        return True
    same_machine = note.get("host") == socket.gethostname() and note.get("ns") == _pid_namespace()
    if not same_machine or not note.get("pid", "").isdigit():
        return False
    try:
        os.kill(int(note["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# --- finding a server -------------------------------------------------------------------------


def find_server(mode: str | None = None) -> PgServer:
    """A server to create test databases on, or PgUnavailable saying what was tried."""
    mode = (mode or os.environ.get("CHIBO_TEST_PG") or "auto").strip().lower()
    if mode not in MODES:
        raise PgUnavailable(f"CHIBO_TEST_PG must be one of {', '.join(MODES)}")
    if mode == "off":
        raise PgUnavailable("PostgreSQL tests are turned off (CHIBO_TEST_PG=off)")
    tried: list[str] = []

    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if mode in ("auto", "url"):
        if url:
            # A URL given on purpose that does not work is an error, not a reason to look on.
            return _check(url, "TEST_DATABASE_URL")
        tried.append("TEST_DATABASE_URL is not set")

    if mode in ("auto", "local"):
        try:
            return _check(LOCAL_URL, "the local server at 127.0.0.1:5432")
        except PgUnavailable as exc:
            tried.append(str(exc))

    if mode in ("auto", "cluster"):
        try:
            cluster = Cluster.start()
        except PgUnavailable as exc:
            tried.append(str(exc))
        else:
            try:
                server = _check(cluster.url, f"a throwaway cluster ({cluster.directory})")
            except PgUnavailable:
                cluster.stop()
                raise
            server.cluster = cluster
            return server

    raise PgUnavailable(
        "no PostgreSQL server for the tests: "
        + "; ".join(tried)
        + ". Set TEST_DATABASE_URL=postgresql+asyncpg://user:password@host:5432/postgres "
        "(a server where the user may CREATE DATABASE), or install PostgreSQL "
        "(apt-get install postgresql) so that initdb and pg_ctl can start a throwaway cluster."
    )


def _check(url: str, source: str) -> PgServer:
    """A PgServer on `url` if it accepts us and lets us create databases."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise PgUnavailable(f"{source}: not a database URL") from exc
    if parsed.drivername != "postgresql+asyncpg":
        raise PgUnavailable(f"{source}: must be a postgresql+asyncpg:// URL")
    server = PgServer(admin_url=url, source=source)
    try:
        rows = server.fetch(
            "SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user"
        )
    except Exception as exc:
        server.stop()
        safe = parsed.render_as_string(hide_password=True)
        raise PgUnavailable(f"{source} ({safe}) did not answer: {type(exc).__name__}") from exc
    if not (rows and rows[0]["ok"]):
        server.stop()
        raise PgUnavailable(f"{source}: the user may not CREATE DATABASE")
    return server


# --- a throwaway cluster ----------------------------------------------------------------------


def find_binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl): from PATH, else the newest /usr/lib/postgresql/<version>/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl

    def version(path: str) -> tuple[int, ...]:
        parts = Path(path).parent.name.split(".")
        return tuple(int(p) for p in parts if p.isdigit())

    for bin_dir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        initdb, pg_ctl = os.path.join(bin_dir, "initdb"), os.path.join(bin_dir, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary folder, trust auth, listening on 127.0.0.1 only."""

    directory: Path
    port: int
    pg_ctl: str
    runas: list[str]  # prefix that runs a command as the cluster's owner (initdb refuses root)
    runas_shell: bool = False  # the prefix (su -c) takes the command as one shell string

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> Cluster:
        binaries = find_binaries()
        if binaries is None:
            raise PgUnavailable("no initdb/pg_ctl in PATH or /usr/lib/postgresql/*/bin")
        initdb, pg_ctl = binaries
        runas, shell, owner = _run_as_prefix()
        # As root the owner must reach the folder: /tmp rather than a TMPDIR under /root.
        base = os.environ.get("CHIBO_TEST_PG_DIR") or ("/tmp" if owner else None)
        directory = Path(tempfile.mkdtemp(prefix="chibo-pg-", dir=base))
        if owner:
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        cluster = cls(directory, 0, pg_ctl, runas, shell)
        try:
            cluster._run(initdb, "-D", str(directory / "data"), *INITDB_OPTIONS)
            for _attempt in range(3):
                cluster.port = free_port()
                if cluster._start():
                    atexit.register(cluster.stop)  # should the session end without teardown
                    return cluster
            raise PgUnavailable(f"the throwaway cluster did not start: {cluster._log_tail()}")
        except BaseException:
            cluster.stop()
            raise

    def _start(self) -> bool:
        options = (
            f"-p {self.port} -k {shlex.quote(str(self.directory))} "
            "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        try:
            data, log = str(self.directory / "data"), str(self.directory / "server.log")
            self._run(self.pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start")
        except PgUnavailable:
            return False
        return True

    def _run(self, *command: str) -> None:
        full = [*self.runas, shlex.join(command)] if self.runas_shell else [*self.runas, *command]
        try:
            subprocess.run(
                full,
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            output = getattr(exc, "stderr", "") or getattr(exc, "stdout", "") or str(exc)
            name = os.path.basename(command[0])
            raise PgUnavailable(f"{name} failed: {output.strip()[-500:]}") from exc

    def _log_tail(self) -> str:
        try:
            return (self.directory / "server.log").read_text(errors="replace")[-500:]
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if (self.directory / "data" / "postmaster.pid").exists():
            with contextlib.suppress(PgUnavailable):
                self._run(
                    self.pg_ctl, "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop"
                )
        shutil.rmtree(self.directory, ignore_errors=True)


def _run_as_prefix() -> tuple[list[str], bool, pwd.struct_passwd | None]:
    """How to run initdb/pg_ctl: as we are, or, as root, as `postgres` (else `nobody`)."""
    if os.geteuid() != 0:
        return [], False, None
    for name in ("postgres", "nobody"):
        try:
            owner = pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], False, owner
        if shutil.which("setpriv"):
            return (
                [
                    "setpriv",
                    f"--reuid={owner.pw_uid}",
                    f"--regid={owner.pw_gid}",
                    "--clear-groups",
                ],
                False,
                owner,
            )
        return ["su", name, "-s", "/bin/sh", "-c"], True, owner
    raise PgUnavailable("running as root and there is no 'postgres' or 'nobody' user for initdb")

"""Which bot process runs the scheduled jobs: the holder of the "jobs" lease.

Every process runs the same JobQueue; each scheduled callback first asks `Leadership.held()`
and does nothing in a process that does not lead. Every JOB_LEASE_SECONDS / 3 each process asks
for the lease (storage/queries/leases.py): the leader renews it, the others are refused until it
expires. A leader killed outright stops renewing, and another process takes over within one
lease time and runs every job once to catch up, as a process does when it starts. A clean stop
gives the lease up at once.

The lease is not what prevents a message going twice: a leader that stalls past its lease while
a job runs may overlap with the next one, and `chibo jobs run` ignores the lease. The outbox's
unique keys and claims (storage/queries/deliveries.py) stay the final guard; the lease keeps the
work in one place.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from storage.db import Database
from storage.models import utcnow
from storage.queries import leases

log = logging.getLogger(__name__)

NAME = "jobs"


def holder_id() -> str:
    """This process, recognisable in the table: host, pid, and a random part (pids are reused)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


class Leadership:
    """This process's view of the jobs' lease; `clock` is the real time."""

    def __init__(
        self,
        db: Database,
        ttl: timedelta,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.ttl, self.clock = db, ttl, clock
        self.holder = holder or holder_id()
        self.until: datetime | None = None  # the end of the lease this process holds

    @property
    def renew_every(self) -> timedelta:
        return self.ttl / 3

    def held(self) -> bool:
        """Whether this process leads now: it holds a lease that has not run out (a leader that
        could not renew stops acting when its lease ends, before anyone may take over)."""
        return self.until is not None and self.clock() < self.until

    async def renew(self) -> bool:
        """Take or renew the lease; True when this process has just become the leader."""
        was_leading = self.held()
        now = self.clock()
        try:
            async with self.db.session() as session:
                won = await leases.acquire(
                    session=session, name=NAME, holder=self.holder, now=now, ttl=self.ttl
                )
        except Exception:  # the database is away: keep what is left of the lease, ask again
            log.warning("Jobs lease: could not renew it", exc_info=True)
            return False
        if won:
            self.until = now + self.ttl
            if not was_leading:
                log.info("Jobs lease taken: this process (%s) runs the jobs", self.holder)
            return not was_leading
        if was_leading:
            log.warning("Jobs lease lost: another process runs the jobs")
        self.until = None
        return False

    async def release(self) -> None:
        """Give the lease up (on a clean stop): another process may lead at its next try."""
        if self.until is None:
            return
        self.until = None
        try:
            async with self.db.session() as session:
                await leases.release(session=session, name=NAME, holder=self.holder)
        except Exception:  # it will expire by itself
            log.warning("Jobs lease: could not give it up", exc_info=True)

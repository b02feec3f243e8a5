"""Two `chibo run --webhook` processes on one PostgreSQL database, as behind a load balancer.

One holds the jobs' lease and sends each reminder; the other sends nothing. Killed with SIGKILL,
the leader stops renewing: the other takes the lease over within its length, catches the jobs up
(nothing twice) and keeps sending, here a message recorded after the kill.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import make_person, make_tree
from fakes.telegram_server import FakeTelegramServer

from bot.jobs.delivery import message
from bot.jobs.leader import NAME
from e2e.harness import TelegramDriver, run_db
from e2e.test_cli_run import ChiboProcess, fake_server_env
from e2e.test_webhook import free_port, wait_healthy, webhook_settings
from storage.models import utcnow
from storage.queries import deliveries as outbox
from storage.queries import leases

LEASE_SECONDS = 3  # renewed every second; a dead leader's lease is over within 3 s
TAKEOVER_TIMEOUT = 15  # the lease, a bid, the catch-up: well within this


def step_today(tz: ZoneInfo) -> dict[str, str]:
    """A reminder step today at midnight (the real clock drives the JobQueue): the deadline is
    today, or the 28th and the step a few days after it."""
    today = datetime.now(tz).date()
    deadline = min(today.day, 28)
    return {
        "REPORT_DEADLINE_DAY": str(deadline),
        "REMINDER_DAYS": str(today.day - deadline),
        "REMINDER_HOUR": "0",
    }


@pytest.fixture
def pg_url(test_databases: Any) -> Iterator[str]:
    url = test_databases.new("postgresql")
    yield url
    test_databases.drop(url)


def start(tmp_path: Path, name: str, fake_tg: FakeTelegramServer, url: str) -> ChiboProcess:
    """`chibo run --webhook` in its own folder; waits until its /health answers."""
    folder = tmp_path / name
    folder.mkdir()
    port = free_port()
    env = fake_server_env(
        folder,
        fake_tg,
        url,
        **webhook_settings(port),
        JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        **step_today(ZoneInfo("Asia/Ho_Chi_Minh")),
    )
    process = ChiboProcess(folder, env, "run", "--webhook")
    wait_healthy(f"http://127.0.0.1:{port}/health", process.process, fake_tg)
    return process


def lease_holder_pid(url: str) -> int | None:
    async def read(session: Any) -> Any:
        return await leases.lease(session=session, name=NAME)

    row = run_db(url, read)
    return int(row.holder.split(":")[1]) if row else None


def test_two_processes_send_each_reminder_once_and_the_survivor_takes_over(
    tmp_path: Path, tg: TelegramDriver, fake_tg: FakeTelegramServer, pg_url: str
) -> None:
    async def people(session: Any) -> None:
        tree = await make_tree(session)
        for telegram_id, name, cell in (
            (1001, "Nguyễn Văn An", tree.cell_a1),
            (1002, "Trần Thị Bình", tree.cell_a2),
            (1003, "Hoàng Thị Ba", tree.cell_b1),
        ):
            await make_person(session, telegram_id, name, cell, "secretary")

    run_db(pg_url, people)
    secretaries = [tg.user(1001 + i, name) for i, name in enumerate(("An", "Bình", "Ba"))]
    lan = tg.user(1004, "Lan")  # someone the bot will write to after the kill
    for user in (*secretaries, lan):
        fake_tg.introduce(user.chat)

    processes: list[ChiboProcess] = []
    try:
        processes += [start(tmp_path, name, fake_tg, pg_url) for name in ("a", "b")]
        for user in secretaries:  # the leader's catch-up, a few seconds after its start
            assert "Nhắc nộp báo cáo" in user.wait_reply(timeout=TAKEOVER_TIMEOUT).text
        [leader] = [p for p in processes if p.process.pid == lease_holder_pid(pg_url)]
        [other] = [p for p in processes if p is not leader]
        assert "Jobs lease taken" not in other.stderr_path.read_text()  # it waited

        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(timeout=5)

        async def after_the_kill(session: Any) -> None:
            item = outbox.Outgoing(1004, "test", "after-kill", message("Sau khi dừng"))
            await outbox.record(session=session, items=[item], now=utcnow())

        run_db(pg_url, after_the_kill)
        assert lan.wait_reply(timeout=TAKEOVER_TIMEOUT).text == "Sau khi dừng"
        assert lease_holder_pid(pg_url) == other.process.pid
        tg.wait_idle()

        # Each message once: the survivor's catch-up recorded and sent nothing again.
        assert [len(user.messages()) for user in (*secretaries, lan)] == [1, 1, 1, 1]
        assert len(tg.calls("sendMessage")) == 4
        finished = other.stop()
        assert finished.code == 0, finished.output
        assert "Jobs lease taken" in finished.output and "Traceback" not in finished.output
        assert lease_holder_pid(pg_url) is None  # given up on a clean stop
    finally:
        for process in processes:
            if process.process.poll() is None:
                process.process.kill()
                process.process.wait()

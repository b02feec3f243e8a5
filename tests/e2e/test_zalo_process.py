"""`chibo run` for Zalo as an administrator starts it: a real process against the fake Zalo
server, by long polling with nothing but the Zalo settings, and as a webhook server that also
hands files to Zalo at signed links."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import make_tree
from fakes.zalo_driver import ZaloDriver, ZaloUser
from fakes.zalo_server import FakeZaloServer
from sqlmodel import select

from bot import i18n
from e2e.harness import run_db
from e2e.test_cli_run import START_TIMEOUT, ChiboProcess, chibo_env
from storage import migrate
from storage.models import MeetingReport, Unit, utcnow
from storage.queries.invites import create_invites

ZALO_TOKEN = "1122334455:zalo-process-secret-must-not-leak"
SECRET = "zalo-webhook-secret"


@pytest.fixture
def fake_zalo() -> Iterator[FakeZaloServer]:
    with FakeZaloServer(token=ZALO_TOKEN) as server:
        yield server


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"
    migrate.upgrade(url)
    run_db(url, make_tree)
    return url


def invite(database_url: str, unit_code: str, role: str) -> str:
    async def create(session: Any) -> str:
        unit = (await session.exec(select(Unit).where(Unit.code == unit_code))).one()
        (code,) = await create_invites(
            session=session, unit_id=unit.id, role=role, expires_at=utcnow() + timedelta(days=1)
        )
        return code

    return run_db(database_url, create)


def unit_code(database_url: str, name_part: str) -> str:
    async def find(session: Any) -> str:
        units = (await session.exec(select(Unit))).all()
        return next(u.code for u in units if name_part in u.name)

    return run_db(database_url, find)


def wait_started(process: ChiboProcess, server: FakeZaloServer, method: str) -> None:
    server.wait_until(
        lambda: server.calls_of(method) or process.process.poll() is not None, START_TIMEOUT
    )
    assert process.process.poll() is None and server.calls_of(method), (
        f"chibo run did not start:\n{process.stderr_path.read_text()}"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def typed_report(lan: ZaloUser, month: str) -> str:
    """A held report for `month` ("11/2026"), typed: the answers a secretary gives on Zalo. The
    process runs on the real clock: the meeting is dated the month's first day, never ahead."""
    for typed, expect in (
        ("1", "Bước 2/6"),
        ("01/" + month, "Bước 3/6"),
        ("thuong ky", "Tổng số đảng viên"),
        ("20", "miễn sinh hoạt"),
        ("khong co", "có mặt"),
        ("du ca 20", "Bước 5/6"),
        ("Học tập nghị quyết", "Bước 6/6"),
        ("Thống nhất", "Xem lại báo cáo"),
    ):
        lan.send(typed)
        lan.wait_for_text(expect, timeout=15)
    lan.send("gui bao cao")
    return lan.wait_for_text("Số tham chiếu", timeout=15).text


def test_chibo_run_with_only_the_zalo_settings_polls_zalo(
    tmp_path: Path, fake_zalo: FakeZaloServer, database_url: str
) -> None:
    env = chibo_env(
        tmp_path,
        ZALO_BOT_TOKEN=ZALO_TOKEN,
        ZALO_API_BASE_URL=fake_zalo.base_url,
        DATABASE_URL=database_url,
    )
    process = ChiboProcess(tmp_path, env)
    try:
        wait_started(process, fake_zalo, "getUpdates")
        zalo = ZaloDriver(fake_zalo)
        stranger = zalo.user("0a0b0c0d0e0f0a0b0c0d", "Người lạ")
        stranger.send("Xin chào")
        assert stranger.wait_reply(timeout=15).text == i18n.t("vi", "start.stranger")

        lan = zalo.user("a1b2c3d4e5f6a7b8c9d0", "Trần Thị Lan")
        lan.send(invite(database_url, unit_code(database_url, "Đồng Tâm"), "secretary"))
        assert "Trần Thị Lan" in lan.wait_reply(timeout=15).text
        lan.send("/report")
        first = lan.wait_for_text("Bước 1/6", timeout=15).text
        month = re.search(r"tháng (\d\d/\d{4})", first)
        assert month is not None, first
        assert "BC-" in typed_report(lan, month[1])
    finally:
        finished = process.stop()
    assert finished.code == 0, finished.output
    assert "zalo" in finished.output and "Traceback" not in finished.output
    assert ZALO_TOKEN.split(":", 1)[1] not in finished.output

    async def reports(session: Any) -> int:
        return len((await session.exec(select(MeetingReport))).all())

    assert run_db(database_url, reports) == 1
    assert fake_zalo.take_api_errors() == []


def test_chibo_run_webhook_takes_zalo_events_and_serves_files_at_signed_links(
    tmp_path: Path, fake_zalo: FakeZaloServer, database_url: str
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = chibo_env(
        tmp_path,
        ZALO_BOT_TOKEN=ZALO_TOKEN,
        ZALO_API_BASE_URL=fake_zalo.base_url,
        ZALO_WEBHOOK_SECRET=SECRET,
        PUBLIC_BASE_URL=public,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        DATABASE_URL=database_url,
    )
    process = ChiboProcess(tmp_path, env, "run", "--webhook")
    try:
        wait_started(process, fake_zalo, "setWebhook")
        assert fake_zalo.webhook_url == f"{public}/zalo" and fake_zalo.webhook_secret == SECRET
        zalo = ZaloDriver(fake_zalo)
        minh = zalo.user("f0e1d2c3b4a5f6e7d8c9", "Minh")
        minh.send(invite(database_url, unit_code(database_url, "Đông Ngũ"), "supervisor"))
        assert "Minh" in minh.wait_reply(timeout=15).text
        assert all(d.status == 200 for d in fake_zalo.webhook_deliveries)

        minh.send("/export 11/2026")
        link = minh.wait_for_text("/files/", timeout=30).text
        url = next(word for word in link.split() if word.startswith(public))
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.read(2) == b"PK"  # an XLSX workbook
        with pytest.raises(urllib.error.HTTPError) as forged:
            urllib.request.urlopen(url[:-4] + "0000", timeout=10)
        assert forged.value.code == 404
    finally:
        finished = process.stop()
    assert finished.code == 0, finished.output
    assert "Traceback" not in finished.output and SECRET not in finished.output

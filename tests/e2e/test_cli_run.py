"""`chibo run` as an administrator starts it: a real process against the fake Bot API server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes.telegram_server import FakeTelegramServer

from bot import i18n
from e2e.harness import TelegramDriver
from storage import migrate

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "987654:SECRET-cli-token-must-not-leak"
START_TIMEOUT = 30  # a cold interpreter imports PTB, SQLAlchemy and Alembic


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def chibo_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """A clean environment: none of the developer's settings, only these."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    return env | settings


def fake_server_env(
    tmp_path: Path, fake_tg: FakeTelegramServer, database_url: str, **settings: str
) -> dict[str, str]:
    """`chibo_env` for a bot that talks to the fake server, on `database_url`."""
    return chibo_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake_tg.base_url,
        TELEGRAM_API_FILE_URL=fake_tg.file_url,
        DATABASE_URL=database_url,
        **settings,
    )


def run_chibo(tmp_path: Path, env: dict[str, str], *args: str) -> Finished:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"


class ChiboProcess:
    """`chibo run` in a subprocess, its output in files (a pipe could fill up and block it)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *args: str) -> None:
        self.stdout_path, self.stderr_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *(args or ("run",))],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=err,
            )
        self.finished: Finished | None = None

    def wait_polling(self, server: FakeTelegramServer) -> None:
        """Wait until it asks the fake server for updates (or dies)."""
        server.wait_until(
            lambda: server.calls_of("getUpdates") or self.process.poll() is not None,
            START_TIMEOUT,
        )
        assert self.process.poll() is None and server.calls_of("getUpdates"), (
            f"chibo run did not start polling:\n{self.stderr_path.read_text()}"
        )

    def stop(self) -> Finished:
        """SIGINT, as Ctrl+C: PTB stops polling and shuts the application down."""
        if self.finished is None:
            self.process.send_signal(signal.SIGINT)
            try:
                code = self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
            self.finished = Finished(
                code, self.stdout_path.read_text(), self.stderr_path.read_text()
            )
        return self.finished


@pytest.fixture
def chibo(tmp_path: Path, fake_tg: FakeTelegramServer, database_url: str) -> Iterator[ChiboProcess]:
    """`chibo run` polling the fake server; stopped at the end if the test did not stop it."""
    process = ChiboProcess(tmp_path, fake_server_env(tmp_path, fake_tg, database_url))
    try:
        process.wait_polling(fake_tg)
        yield process
    finally:
        process.stop()


def test_chibo_run_upgrades_the_database_answers_in_vietnamese_and_hides_the_token(
    tg: TelegramDriver, fake_tg: FakeTelegramServer, chibo: ChiboProcess, database_url: str
):
    assert migrate.is_up_to_date(database_url)
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/start")

    assert an.wait_reply(timeout=10).text == i18n.t("vi", "start.stranger")
    assert tg.commands() and tg.commands("en")
    assert fake_tg.token == TOKEN  # the token was really used: it is in every request's URL
    finished = chibo.stop()
    assert finished.code == 0, finished.output
    assert "Chibo starting" in finished.output
    assert TOKEN.split(":", 1)[1] not in finished.output
    assert "Traceback" not in finished.output


def test_chibo_run_without_a_token_says_so_in_one_line(tmp_path: Path, database_url: str):
    finished = run_chibo(tmp_path, chibo_env(tmp_path, DATABASE_URL=database_url), "run")

    assert finished.code == 2
    [line] = finished.stderr.strip().splitlines()
    assert "TELEGRAM_BOT_TOKEN" in line


def test_chibo_run_with_an_unknown_time_zone_says_so_in_one_line(tmp_path: Path, database_url: str):
    env = chibo_env(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=database_url, TIMEZONE="Mars/X"
    )

    finished = run_chibo(tmp_path, env, "run")

    assert finished.code == 2
    [line] = finished.stderr.strip().splitlines()
    assert "TIMEZONE" in line
    assert "Traceback" not in finished.output and "Mars/X" not in line

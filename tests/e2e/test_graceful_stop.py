"""`chibo run` stopped with SIGTERM while updates are queued: the updates being handled finish,
the rest come again on the next start, and every update is handled exactly once."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from factories import make_person, make_tree
from fakes.telegram_server import FakeTelegramServer

from bot import i18n
from e2e.harness import TelegramDriver, TgUser, run_db
from e2e.test_cli_run import ChiboProcess, Finished, fake_server_env

USERS = 50
MESSAGES = ("/help", "xin chào", "/help", "xin chào")  # 50 x 4 = 200 updates, each one reply
TOTAL = USERS * len(MESSAGES)
REPLY_DELAY = 0.1  # seconds each sendMessage takes: the first run is stopped halfway
HANDLED_TIMEOUT = 30
NOT_LOGGED = ("Traceback", "destroyed", "Event loop is closed", "never awaited", "ERROR")


def stop_with_sigterm(process: ChiboProcess) -> Finished:
    process.process.send_signal(signal.SIGTERM)
    code = process.process.wait(timeout=20)  # the bounded wait (10 s) and the shutdown
    process.finished = Finished(
        code, process.stdout_path.read_text(), process.stderr_path.read_text()
    )
    return process.finished


def replies(fake_tg: FakeTelegramServer) -> int:
    return len(fake_tg.calls_of("sendMessage"))


def test_sigterm_while_200_updates_are_queued_handles_each_exactly_once(
    tmp_path: Path, tg: TelegramDriver, fake_tg: FakeTelegramServer, bot_db_url: str
) -> None:
    async def people(session: Any) -> None:
        tree = await make_tree(session)
        for n in range(USERS):
            await make_person(session, 2000 + n, f"Bí thư {n}", tree.cell_a1, "secretary")

    run_db(bot_db_url, people)
    users: list[TgUser] = [tg.user(2000 + n, f"Bí thư {n}") for n in range(USERS)]
    for text in MESSAGES:
        for user in users:
            user.send(text)
    fake_tg.slow_down("sendMessage", REPLY_DELAY)
    env = fake_server_env(tmp_path, fake_tg, bot_db_url)

    first = ChiboProcess(_folder(tmp_path, "first"), env)
    try:
        assert fake_tg.wait_until(lambda: replies(fake_tg) >= 10, HANDLED_TIMEOUT), (
            first.stderr_path.read_text()
        )
        finished = stop_with_sigterm(first)
    finally:
        _kill(first)
    handled_first = replies(fake_tg)
    assert finished.code == 0, finished.output
    assert not [word for word in NOT_LOGGED if word in finished.output], finished.output
    assert handled_first < TOTAL, "the stop came too late to leave updates for the next start"

    second = ChiboProcess(_folder(tmp_path, "second"), env)
    try:
        assert fake_tg.wait_until(lambda: replies(fake_tg) >= TOTAL, HANDLED_TIMEOUT), (
            f"{replies(fake_tg)} replies\n{second.stderr_path.read_text()}"
        )
        assert fake_tg.wait_until(lambda: fake_tg.all_fetched, HANDLED_TIMEOUT)
        finished = stop_with_sigterm(second)
    finally:
        _kill(second)
    assert finished.code == 0, finished.output
    assert not [word for word in NOT_LOGGED if word in finished.output], finished.output

    help_text, not_understood = None, i18n.t("vi", "fallback.not_understood")
    for user in users:
        texts = user.texts()
        assert len(texts) == len(MESSAGES), f"{user.name}: {texts}"
        help_text = help_text or texts[0]
        assert texts == [help_text, not_understood] * 2, f"{user.name}: {texts}"
    assert help_text != not_understood
    assert replies(fake_tg) == TOTAL


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _kill(process: ChiboProcess) -> None:
    if process.process.poll() is None:
        process.process.kill()
        process.process.wait()

"""Fixtures of the end-to-end tests: the fake Bot API server, a migrated database, the real bot.

    def test_stranger_gets_help(tg, bot):
        an = tg.user(1001, "Nguyễn Văn An")
        an.send("/start")
        assert "Chibo là trợ lý" in an.wait_reply().text

- ``fake_tg``: the FakeTelegramServer (fakes/telegram_server.py), one per test.
- ``tg``: the TelegramDriver over it (harness.py): users, groups, waits, recorded calls.
- ``bot_db_url``: a fresh migrated SQLite database file (a copy of a template migrated once).
- ``settings_overrides``: override in a module or test to change settings, e.g.
  ``@pytest.fixture\ndef settings_overrides(): return {"report_deadline_day": 10}``.
- ``settings``: Settings for the fake server, a fake token, the database; .env and the
  environment are ignored, so a developer's .env cannot change a test.
- ``bot``: the real application polling the fake server (harness.BotRunner): ``bot.restart()``,
  ``bot.call(fn)``, ``bot.take_errors()``.
- ``run_db``: ``run_db(fn)`` runs ``await fn(session)`` on the test's database, committed.

After a test that passed, two checks run: Telegram refused nothing the test did not take
(``tg.take_api_errors()``), and the bot logged no error the test did not take
(``bot.take_errors()``). A bot that fails quietly (an HTML mistake answered by the polite error
text) fails the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fakes.telegram_server import FakeTelegramServer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings, load_settings
from e2e.harness import BotRunner, TelegramDriver
from e2e.harness import run_db as _run_db
from storage import migrate

T = TypeVar("T")

TOKEN = "123456:TEST-token"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the test item, so teardown checks can skip failed tests."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _passed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.passed


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """Every PTB application makes two httpx clients, each loading the CA bundle (~30 ms, most
    of a bot's start-up). The fake server speaks plain HTTP: share one default context."""
    from httpx._transports import default as transports

    original = transports.create_ssl_context
    shared: list[Any] = []

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is not True or cert is not None or not trust_env:
            return original(verify=verify, cert=cert, trust_env=trust_env)
        if not shared:
            shared.append(original())
        return shared[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transports, "create_ssl_context", create_ssl_context)
        yield


@pytest.fixture
def fake_tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as server:
        yield server


@pytest.fixture
def tg(fake_tg: FakeTelegramServer, request: pytest.FixtureRequest) -> Iterator[TelegramDriver]:
    driver = TelegramDriver(fake_tg)
    yield driver
    if _passed(request):
        driver.assert_no_api_errors()


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "chibo.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def bot_db_url(_db_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "chibo.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{_db_template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(
    fake_tg: FakeTelegramServer,
    bot_db_url: str,
    settings_overrides: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    for name in list(os.environ):
        if name.lower() in Settings.model_fields:
            monkeypatch.delenv(name)
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "database_url": bot_db_url,
        "telegram_api_base_url": fake_tg.base_url,
        "telegram_api_file_url": fake_tg.file_url,
        **settings_overrides,
    }
    return load_settings(_env_file=None, **values)


@pytest.fixture
def bot(
    settings: Settings, tg: TelegramDriver, request: pytest.FixtureRequest
) -> Iterator[BotRunner]:
    runner = BotRunner(settings, tg).start()
    try:
        yield runner
    finally:
        runner.stop()
    if _passed(request):
        runner.assert_no_errors()


@pytest.fixture
def run_db(bot_db_url: str) -> Callable[[Callable[[AsyncSession], Awaitable[T]]], T]:
    """``run_db(fn)``: ``await fn(session)`` on the test's database in one transaction."""

    def run(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return _run_db(bot_db_url, fn)

    return run

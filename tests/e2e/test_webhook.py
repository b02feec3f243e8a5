"""`chibo run --webhook`: the secret token is required, /health answers, updates are handled
before they are answered."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from fakes.telegram_server import FakeTelegramServer

from bot import i18n
from e2e.harness import TelegramDriver
from e2e.test_cli_run import START_TIMEOUT, TOKEN, ChiboProcess, fake_server_env

SECRET = "webhook-secret-0123456789"


def webhook_settings(port: int) -> dict[str, str]:
    """`chibo run --webhook` on 127.0.0.1:`port`, with the test's secret."""
    return {
        "WEBHOOK_URL": "https://chibo.example.org/telegram",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_healthy(url: str, process: subprocess.Popen, server: FakeTelegramServer) -> dict:
    """The first /health answer once the server listens (it registers the webhook just before)."""
    server.wait_until(
        lambda: server.calls_of("setWebhook") or process.poll() is not None, START_TIMEOUT
    )
    deadline = time.monotonic() + START_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.02)  # the port opens a moment after setWebhook: retry, bounded
    raise AssertionError(f"webhook server did not answer {url} (exit code {process.poll()})")


def test_webhook_requires_the_secret_and_answers_health(
    tmp_path: Path, tg: TelegramDriver, fake_tg: FakeTelegramServer
):
    port = free_port()
    env = fake_server_env(
        tmp_path,
        fake_tg,
        f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}",
        **webhook_settings(port),
    )
    chibo = ChiboProcess(tmp_path, env, "run", "--webhook")
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_healthy(f"{base}/health", chibo.process, fake_tg) == {"status": "ok"}
        (registered,) = fake_tg.calls_of("setWebhook")
        assert registered.params["url"] == "https://chibo.example.org/telegram"
        assert registered.params["secret_token"] == SECRET

        an = tg.user(1001, "Nguyễn Văn An")
        an.send("/start")
        (update,) = fake_tg.take_updates()
        assert post(f"{base}/telegram", update, secret=None) == 403
        assert post(f"{base}/telegram", update, secret="wrong") == 403
        an.assert_no_reply()
        assert post(f"{base}/telegram", {"nonsense": True}, secret=SECRET) == 400
        assert post(f"{base}/telegram", update, secret=SECRET) == 200
        # Answered once handled (so Telegram sends this chat's next update only then).
        assert [call.params["text"] for call in fake_tg.calls_of("sendMessage")] == [
            i18n.t("vi", "start.stranger")
        ]
        assert an.wait_reply(timeout=10).text == i18n.t("vi", "start.stranger")
    finally:
        finished = chibo.stop()
    assert finished.code == 0, finished.output
    assert SECRET not in finished.output and TOKEN.split(":")[1] not in finished.output

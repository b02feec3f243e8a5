"""The Zalo client against the fake Zalo server (real HTTP): sends, refusals, polling variants,
the webhook, downloads; and the token never shows, in errors or in logs."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from fakes.zalo_server import FakeZaloServer, zalo_id

from bot.zalo.client import (
    DEFAULT_RETRY_AFTER,
    ZaloClient,
    ZaloError,
    ZaloNetworkError,
    ZaloRetryAfter,
)
from bot.zalo.events import IMAGE, TEXT, parse_event

USER = "e4ea2cd5189df1c3a88c"


@pytest.fixture
def server() -> Iterator[FakeZaloServer]:
    with FakeZaloServer(max_poll_timeout=0.3) as server:
        yield server


@pytest.fixture
async def client(server: FakeZaloServer) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(server.token, server.base_url) as client:
        yield client


@pytest.fixture
def known_user(server: FakeZaloServer) -> str:
    """A user who wrote to the bot (the event is left unfetched)."""
    server.user_says(USER, "xin chào")
    return USER


class Receiver:
    """The bot's side of a webhook: records each POST, answers `status`."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], Any]] = []
        self.status = 200
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append((dict(request.headers), await request.json()))
        self.arrived.set()
        return web.Response(status=self.status)

    async def next_post(self) -> tuple[dict[str, str], Any]:
        await asyncio.wait_for(self.arrived.wait(), 5)
        self.arrived.clear()
        return self.posts[-1]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/zalo", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/zalo"
    yield receiver
    await runner.cleanup()


# ---------------------------------------------------------------- sending


async def test_get_me(client: ZaloClient, server: FakeZaloServer):
    me = await client.get_me()
    assert me["id"] == server.token.split(":")[0]
    assert me["account_type"] == "BASIC"


async def test_send_message_returns_zalos_message_id(
    client: ZaloClient, server: FakeZaloServer, known_user: str
):
    message_id = await client.send_message(known_user, "Chào đồng chí")
    assert re.fullmatch(r"[0-9a-f]{20}", message_id)
    [sent] = server.messages(known_user)
    assert (sent.kind, sent.text, sent.message_id) == ("text", "Chào đồng chí", message_id)
    [call] = server.calls_of("sendMessage")
    assert call.body == {"chat_id": known_user, "text": "Chào đồng chí"}
    assert server.take_api_errors() == []


async def test_send_photo_by_a_url_the_server_can_fetch(
    client: ZaloClient, server: FakeZaloServer, known_user: str
):
    url = server.host_file(b"\xff\xd8chart\xff\xd9")
    await client.send_photo(known_user, url, caption="Biểu đồ tháng 11")
    await client.send_photo(known_user, url)
    first, second = server.messages(known_user)
    assert (first.kind, first.photo_url, first.caption) == ("photo", url, "Biểu đồ tháng 11")
    assert first.photo_bytes == b"\xff\xd8chart\xff\xd9"
    assert second.caption is None
    assert "caption" not in server.calls_of("sendPhoto")[1].body


@pytest.mark.parametrize(
    "photo", ["ftp://example.org/a.jpg", "/files/1.jpg", "MISSING"], ids=["ftp", "path", "404"]
)
async def test_a_photo_zalo_cannot_fetch_is_refused(
    client: ZaloClient, server: FakeZaloServer, known_user: str, photo: str
):
    url = f"{server.base_url}/files/none.jpg" if photo == "MISSING" else photo
    with pytest.raises(ZaloError) as refused:
        await client.send_photo(known_user, url)
    assert refused.value.code == 400 and not refused.value.unreachable
    assert server.messages(known_user) == []
    assert len(server.take_api_errors()) == 1


async def test_send_chat_action(client: ZaloClient, server: FakeZaloServer, known_user: str):
    await client.send_chat_action(known_user)
    assert server.calls_of("sendChatAction")[0].body == {"chat_id": known_user, "action": "typing"}


# ---------------------------------------------------------------- refusals


async def test_a_user_who_never_wrote_is_unreachable(client: ZaloClient, server: FakeZaloServer):
    with pytest.raises(ZaloError) as refused:
        await client.send_message(zalo_id(), "Nhắc họp chi bộ")
    assert refused.value.code == 400 and refused.value.unreachable
    [error] = server.take_api_errors()  # a refusal the test did not ask for: visible
    assert error.method == "sendMessage" and "chat not found" in (error.description or "")
    assert server.take_api_errors() == []  # taken


async def test_a_user_who_blocked_the_bot_is_unreachable(
    client: ZaloClient, server: FakeZaloServer, known_user: str
):
    server.block(known_user)
    with pytest.raises(ZaloError) as refused:
        await client.send_message(known_user, "Nhắc họp chi bộ")
    assert refused.value.code == 403 and refused.value.unreachable
    assert server.take_api_errors() == []  # asked for by the test
    server.block(known_user, blocked=False)
    await client.send_message(known_user, "Nhắc lại")


@pytest.mark.parametrize(
    "body",
    [
        {"text": "<b>Đậm</b>", "parse_mode": "HTML"},
        {"text": "Chọn", "reply_markup": {"inline_keyboard": []}},
        {"text": "Trả lời", "reply_to_message_id": "16f6366b3f02645a3d15"},
        {"text": ""},
        {"text": "   "},
        {"text": "ệ" * 2001},
        {"text": "👍" * 1001},  # 2,002 UTF-16 code units
    ],
    ids=["parse_mode", "reply_markup", "reply_to", "empty", "blank", "2001", "emoji"],
)
async def test_what_zalo_refuses_is_a_plain_error(
    client: ZaloClient, server: FakeZaloServer, known_user: str, body: dict[str, Any]
):
    with pytest.raises(ZaloError) as refused:
        await client.call("sendMessage", {"chat_id": known_user, **body})
    assert refused.value.code == 400 and not refused.value.unreachable
    [error] = server.take_api_errors()
    assert error.error_code == 400
    assert server.messages(known_user) == []


async def test_2000_characters_pass(client: ZaloClient, server: FakeZaloServer, known_user: str):
    await client.send_message(known_user, "ệ" * 2000)
    assert len(server.messages(known_user)) == 1


async def test_429_is_retry_after(client: ZaloClient, server: FakeZaloServer, known_user: str):
    server.inject_retry_after("sendMessage", 1.5)
    server.inject_retry_after("sendMessage", None)
    with pytest.raises(ZaloRetryAfter) as first:
        await client.send_message(known_user, "a")
    with pytest.raises(ZaloRetryAfter) as second:
        await client.send_message(known_user, "a")
    assert (first.value.code, first.value.retry_after) == (429, 1.5)
    assert second.value.retry_after == DEFAULT_RETRY_AFTER
    await client.send_message(known_user, "a")
    assert server.take_api_errors() == []


async def test_other_errors_keep_code_and_description(client: ZaloClient, server: FakeZaloServer):
    server.inject_error("getMe", 502, "Bad Gateway")
    with pytest.raises(ZaloError) as refused:
        await client.get_me()
    assert (refused.value.code, refused.value.description) == (502, "Bad Gateway")
    assert str(refused.value) == "Zalo getMe: 502 Bad Gateway"
    assert not refused.value.unreachable


@pytest.mark.parametrize(
    ("code", "description", "unreachable"),
    [
        (403, "Forbidden", True),
        (400, "Bad Request: chat not found", True),
        (404, "User not found", True),
        (400, "user has not interacted with the bot", True),
        (400, "The user blocked this bot", True),
        (400, "Recipient does not exist", True),
        (400, "Người dùng đã chặn bot", True),
        (400, "Bad Request: text is too long", False),
        (404, "Not Found", False),  # a wrong method name: a bug, not a person
        (429, "Too Many Requests", False),
        (500, "chat not found", False),
        (0, "timed out", False),
    ],
)
def test_unreachable_is_a_generous_guess(code: int, description: str, unreachable: bool):
    assert ZaloError(code, description).unreachable is unreachable


# ---------------------------------------------------------------- getUpdates


@pytest.mark.parametrize("empty", ["408", "empty", "null"])
async def test_nothing_yet_is_an_empty_list_in_every_variant(
    client: ZaloClient, server: FakeZaloServer, empty: Any
):
    server.empty = empty
    started = time.monotonic()
    assert await client.get_updates(timeout=5) == []
    assert 0.2 < time.monotonic() - started < 3  # it waited (capped by the fake), then gave up
    assert server.take_api_errors() == []


async def test_one_event_per_call_in_order(client: ZaloClient, server: FakeZaloServer):
    server.user_says(USER, "một", name="Trần Thị Bình")
    server.user_sends_photo(USER, caption="hai")
    [first] = await client.get_updates(timeout=1)
    [second] = await client.get_updates(timeout=1)
    assert (first.name, first.text, first.display_name) == (TEXT, "một", "Trần Thị Bình")
    assert (second.name, second.caption) == (IMAGE, "hai")
    assert await client.get_updates(timeout=0) == []
    assert server.calls_of("getUpdates")[0].body == {"timeout": 1}


async def test_long_polling_returns_as_soon_as_a_user_writes(
    client: ZaloClient, server: FakeZaloServer
):
    server.max_poll_timeout = 5
    threading.Timer(0.2, server.user_says, (USER, "đến rồi")).start()
    started = time.monotonic()
    [event] = await client.get_updates(timeout=5)
    assert event.text == "đến rồi" and time.monotonic() - started < 2
    assert server.pending_events() == 0


@pytest.mark.parametrize("photo_field", ["photo_url", "attachments"])
async def test_photos_in_both_variants_download(
    client: ZaloClient, server: FakeZaloServer, photo_field: Any
):
    server.photo_field = photo_field
    server.user_sends_photo(USER, b"\xff\xd8anh\xff\xd9", caption="Biên bản họp")
    [event] = await client.get_updates(timeout=1)
    assert event.caption == "Biên bản họp" and event.text is None
    assert event.photo_url is not None
    assert await client.download(event.photo_url) == b"\xff\xd8anh\xff\xd9"


async def test_a_list_result_and_unreadable_events(server: FakeZaloServer):
    """Zalo gives one event; a list (some sources) is read too, unreadable items dropped."""
    good = server.user_sends_raw({"event_name": TEXT, "message": {"chat": {"id": USER}}})

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": [good, {"junk": 1}, "x"]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = ZaloClient("1:t", "https://zalo.test", http=http)
        events = await client.get_updates()
        await client.aclose()
        assert not http.is_closed  # the caller's client stays the caller's
    assert [event.chat_id for event in events] == [USER]


async def test_an_unreadable_answer_is_an_error():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = ZaloClient("1:t", http=http)
        with pytest.raises(ZaloError) as refused:
            await client.get_me()
    assert refused.value.code == 502


async def test_a_408_answered_with_http_200_is_nothing_too():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": False, "error_code": 408, "description": "x"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        assert await ZaloClient("1:t", http=http).get_updates() == []


# ---------------------------------------------------------------- webhook


@pytest.mark.parametrize("wrapped", [False, True])
async def test_the_webhook_gets_each_event_with_the_secret(
    client: ZaloClient, server: FakeZaloServer, receiver: Receiver, wrapped: bool
):
    server.webhook_wrapped = wrapped
    server.user_says(USER, "trước khi có webhook")
    await client.set_webhook(receiver.url, "s3cret-token")
    assert (await client.get_webhook_info())["url"] == receiver.url

    headers, body = await receiver.next_post()  # the queued event, delivered
    assert headers["X-Bot-Api-Secret-Token"] == "s3cret-token"
    assert ("result" in body) is wrapped
    assert parse_event(body).text == "trước khi có webhook"  # type: ignore[union-attr]

    server.user_says(USER, "sau đó")
    _, body = await receiver.next_post()
    assert parse_event(body).text == "sau đó"  # type: ignore[union-attr]
    await asyncio.to_thread(server.wait_until, lambda: len(server.webhook_deliveries) == 2, 5)
    assert [d.status for d in server.webhook_deliveries] == [200, 200]


async def test_while_a_webhook_is_set_get_updates_fails(
    client: ZaloClient, server: FakeZaloServer, receiver: Receiver
):
    await client.set_webhook(receiver.url, "s3cret-token")
    with pytest.raises(ZaloError) as refused:
        await client.get_updates(timeout=1)
    assert refused.value.code == 409 and not refused.value.unreachable
    assert len(server.take_api_errors()) == 1

    await client.delete_webhook()
    assert (await client.get_webhook_info())["url"] == ""
    server.user_says(USER, "lại polling")
    [event] = await client.get_updates(timeout=1)
    assert event.text == "lại polling"


async def test_the_webhook_records_what_the_bot_answered(
    client: ZaloClient, server: FakeZaloServer, receiver: Receiver
):
    receiver.status = 403
    await client.set_webhook(receiver.url, "s3cret-token")
    server.user_says(USER, "x")
    await receiver.next_post()
    await asyncio.to_thread(server.wait_until, lambda: server.webhook_deliveries, 5)
    assert server.webhook_deliveries[0].status == 403


@pytest.mark.parametrize(
    ("url", "secret"),
    [("https://bot.example/zalo", "short"), ("https://bot.example/zalo", "x" * 257), ("", "s" * 8)],
)
async def test_set_webhook_refuses_a_bad_secret_or_url(
    client: ZaloClient, server: FakeZaloServer, url: str, secret: str
):
    with pytest.raises(ZaloError) as refused:
        await client.set_webhook(url, secret)
    assert refused.value.code == 400
    assert server.webhook_url == ""
    server.take_api_errors()


# ---------------------------------------------------------------- downloads and the network


async def test_download_refuses_too_big_missing_and_non_http(
    client: ZaloClient, server: FakeZaloServer
):
    url = server.host_file(b"x" * 2048)
    assert await client.download(url, max_bytes=2048) == b"x" * 2048
    with pytest.raises(ZaloError, match="too large"):
        await client.download(url, max_bytes=2047)
    with pytest.raises(ZaloError) as missing:
        await client.download(f"{server.base_url}/files/nothing.jpg")
    assert missing.value.code == 404
    with pytest.raises(ZaloError):
        await client.download("file:///etc/passwd")


async def test_a_server_that_is_gone_is_a_network_error(server: FakeZaloServer):
    base = server.base_url
    server.stop()
    async with ZaloClient(server.token, base) as client:
        with pytest.raises(ZaloNetworkError) as failed:
            await client.send_message(USER, "a")
    assert failed.value.code == 0 and not failed.value.unreachable


async def test_a_slow_answer_is_a_network_error(
    client: ZaloClient, server: FakeZaloServer, known_user: str
):
    server.slow_down("sendMessage", 1)
    with pytest.raises(ZaloNetworkError, match="timed out"):
        await client.call("sendMessage", {"chat_id": known_user, "text": "a"}, timeout=0.2)


# ---------------------------------------------------------------- the token stays secret


async def test_the_token_never_shows(server: FakeZaloServer, caplog, known_user: str):
    caplog.set_level(logging.DEBUG)
    token = server.token
    errors: list[ZaloError] = []
    async with ZaloClient(token, server.base_url) as client:
        await client.send_message(known_user, "a")
        server.inject_error("sendMessage", 400, f"Bad Request: token {token} is odd")
        server.inject_retry_after("sendMessage", 1)
        for _ in range(2):
            try:
                await client.send_message(known_user, "a")
            except ZaloError as exc:
                errors.append(exc)
        async with ZaloClient(token + "x", server.base_url) as wrong:
            try:
                await wrong.get_me()
            except ZaloError as exc:
                errors.append(exc)
                assert exc.code == 401
        for base in ("http://127.0.0.1:1", "http://127.0.0.1:1:1"):  # nobody there; no URL
            async with ZaloClient(token, base) as gone:
                try:
                    await gone.get_me()
                except ZaloError as exc:
                    errors.append(exc)
        assert token not in repr(client)
    assert len(errors) == 5
    assert [type(exc) for exc in errors[-2:]] == [ZaloNetworkError, ZaloError]
    for error in errors:
        shown = f"{error} {error!r}"
        assert token not in shown and server.base_url not in shown
    assert "***" in errors[0].description
    assert "HTTP Request" in caplog.text  # httpx did log the requests, with the token redacted
    assert token not in caplog.text

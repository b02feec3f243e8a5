"""bot.botapi and bot.loop: the Bot API's flood limit counts messages, not edits; the transport
sends form fields and files as PTB's default one did; everything runs on the production loop."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from fakes.telegram_server import FakeTelegramServer
from telegram import Bot, InputFile
from telegram.error import BadRequest

from bot import loop
from bot.botapi import AiohttpRequest, MessageRateLimiter


async def test_the_tests_run_on_the_production_loop() -> None:
    running = type(asyncio.get_running_loop())
    assert running is type(loop.new_event_loop()) or loop.uvloop is None
    if loop.uvloop is not None:
        assert running.__module__.startswith("uvloop")


async def _timed(limiter: MessageRateLimiter, endpoint: str, chat_id: int, count: int) -> float:
    async def call() -> bool:
        return True

    started = time.monotonic()
    await asyncio.gather(
        *(
            limiter.process_request(call, (), {}, endpoint, {"chat_id": chat_id}, None)
            for _ in range(count)
        )
    )
    return time.monotonic() - started


async def test_edits_in_private_chats_are_not_held_by_the_overall_bucket() -> None:
    limiter = MessageRateLimiter(overall_max_rate=5, overall_time_period=1)
    await limiter.initialize()
    assert await _timed(limiter, "editMessageReplyMarkup", 42, 20) < 0.5
    assert await _timed(limiter, "editMessageText", 42, 20) < 0.5
    # Messages are: 10 in a bucket of 5 a second wait about a second.
    assert await _timed(limiter, "sendMessage", 42, 10) > 0.5


async def test_edits_in_groups_keep_the_groups_limit() -> None:
    limiter = MessageRateLimiter(group_max_rate=5, group_time_period=1)
    await limiter.initialize()
    assert await _timed(limiter, "editMessageReplyMarkup", -100123, 10) > 0.5


@pytest.fixture
def server():
    with FakeTelegramServer() as fake:
        yield fake


async def test_the_transport_sends_fields_and_files(server: FakeTelegramServer) -> None:
    user = {"id": 7, "is_bot": False, "first_name": "An"}
    server.introduce(server.private_chat(user))
    request = AiohttpRequest(4)
    async with Bot("123:abc", base_url=server.base_url, request=request) as bot:
        sent = await bot.send_message(7, "Xin chào <b>đồng chí</b>", parse_mode="HTML")
        assert server.bot_messages(7)[-1].text == "Xin chào đồng chí"
        edited = await bot.edit_message_text("Đã sửa", 7, sent.message_id)
        assert not isinstance(edited, bool) and edited.text == "Đã sửa"
        workbook = io.BytesIO(b"PK\x03\x04 a workbook")
        workbook.read()  # at its end, as a file PTB sends again after a RetryAfter would be
        file = InputFile(workbook, filename="bao-cao.xlsx", read_file_handle=False)
        document = await bot.send_document(7, file)
        assert document.document is not None
        stored = server.files[document.document.file_id]
        assert stored.data == b"PK\x03\x04 a workbook"
        with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
            await bot.send_message(99, "nobody")

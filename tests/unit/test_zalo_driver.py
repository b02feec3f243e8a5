"""The story driver over the fake Zalo server, with a tiny echo bot polling in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from fakes.zalo_driver import ZaloDriver
from fakes.zalo_server import FakeZaloServer

from bot.zalo.client import ZaloClient, ZaloError
from bot.zalo.events import IMAGE, TEXT, ZaloEvent
from bot.zalo.text import split_text


class EchoBot:
    """Answers a text with "Bạn nói: <text>" (a text "dài" with a long reply in pieces, a text
    "im" with nothing), a photo with "Đã nhận ảnh: <caption>"; ignores the rest."""

    def __init__(self, server: FakeZaloServer) -> None:
        self.server = server
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)

    async def run(self) -> None:
        async with ZaloClient(self.server.token, self.server.base_url) as client:
            while not self.stopping.is_set():
                try:
                    events = await client.get_updates(timeout=1)
                except ZaloError:
                    await asyncio.sleep(0.05)
                    continue
                for event in events:
                    await self.answer(client, event)

    async def answer(self, client: ZaloClient, event: ZaloEvent) -> None:
        if event.name == TEXT and event.text == "dài":
            for piece in split_text("\n".join(f"dòng {n} " + "x" * 90 for n in range(40))):
                await client.send_message(event.chat_id, piece)
        elif event.name == TEXT and event.text != "im":
            await client.send_message(event.chat_id, f"Bạn nói: {event.text}")
        elif event.name == IMAGE:
            assert event.photo_url is not None
            await client.download(event.photo_url)
            await client.send_message(event.chat_id, f"Đã nhận ảnh: {event.caption}")


@pytest.fixture
def server() -> Iterator[FakeZaloServer]:
    with FakeZaloServer(max_poll_timeout=0.2) as server:
        bot = EchoBot(server)
        bot.thread.start()
        yield server
        bot.stopping.set()
        bot.thread.join(5)


def test_replies_come_one_by_one(server: FakeZaloServer):
    driver = ZaloDriver(server, quiet=0.2)
    an = driver.user("a1b2c3d4e5f6a7b8c9d0", "Nguyễn Văn An")
    an.send("một")
    assert an.wait_reply().text == "Bạn nói: một"
    an.send("dài")
    first, second = an.wait_reply(), an.wait_reply()
    assert first.text is not None and first.text.startswith("dòng 0 ")
    assert second.text is not None and second.text.startswith("dòng ")
    assert driver.user("a1b2c3d4e5f6a7b8c9d0", "x") is an
    assert [event["message"]["text"] for event in an.actions] == ["một", "dài"]


def test_wait_for_text_and_no_reply(server: FakeZaloServer):
    driver = ZaloDriver(server, quiet=0.2)
    binh = driver.user("b1b2c3d4e5f6a7b8c9d0", "Trần Thị Bình")
    binh.send_photo(caption="Biên bản")
    assert binh.wait_for_text("Đã nhận ảnh").text == "Đã nhận ảnh: Biên bản"
    binh.send("im")
    binh.assert_no_reply(timeout=5)
    binh.send_sticker()
    binh.assert_no_reply(timeout=5)
    assert binh.texts() == ["Đã nhận ảnh: Biên bản"]
    assert binh.last_text() == "Đã nhận ảnh: Biên bản"
    assert server.take_api_errors() == []


def test_assert_no_reply_sees_an_unexpected_reply(server: FakeZaloServer):
    calls: list[int] = []
    driver = ZaloDriver(server, idle=lambda: calls.append(1), quiet=0.2)
    chi = driver.user("c1b2c3d4e5f6a7b8c9d0", "Lê Văn Chí")
    chi.send("xin chào")
    with pytest.raises(AssertionError, match="unexpected reply"):
        chi.assert_no_reply(timeout=5)
    assert calls == [1]  # the runner's idle hook was asked


def test_wait_reply_fails_with_what_was_said(server: FakeZaloServer):
    dung = ZaloDriver(server).user("d1b2c3d4e5f6a7b8c9d0", "Phạm Dũng")
    dung.send("im")
    with pytest.raises(AssertionError, match="no reply to Phạm Dũng"):
        dung.wait_reply(timeout=0.5)

"""One person's slow update does not stall the others; each person's updates stay in order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from factories import make_person, make_tree
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.config import Settings
from e2e.harness import BotRunner, TelegramDriver

AN, BINH = 1001, 1002


class SlowFirstHelp:
    """Holds An's first /help before any handler runs, as a slow database would, until freed."""

    def __init__(self) -> None:
        self.freed = asyncio.Event()
        self.held = False

    async def __call__(self, update: Update, _context: object) -> None:
        message = update.effective_message
        if not self.held and message and message.text == "/help" and message.chat_id == AN:
            self.held = True
            await self.freed.wait()

    async def free(self, _application: object) -> None:
        self.freed.set()

    def build(self, settings: Settings) -> object:
        application = build_application(settings)
        application.add_handler(TypeHandler(Update, self), group=-1000)
        return application


@pytest.fixture
def slow() -> SlowFirstHelp:
    return SlowFirstHelp()


@pytest.fixture
def slow_bot(settings: Settings, tg: TelegramDriver, slow: SlowFirstHelp) -> Iterator[BotRunner]:
    runner = BotRunner(settings, tg, build=slow.build).start()
    yield runner
    runner.call(slow.free)  # a failed test must not leave the bot stuck on stop
    runner.stop()
    runner.assert_no_errors()


def test_others_are_answered_while_one_update_is_slow_and_its_sequel_waits(
    tg, slow_bot, slow, run_db
):
    async def register(session) -> None:
        tree = await make_tree(session)
        await make_person(session, AN, "Nguyễn Văn An", tree.cell_a1, "secretary")

    run_db(register)
    an, binh = tg.user(AN, "An"), tg.user(BINH, "Bình")

    an.send("/help")  # held
    an.send("/language")  # must wait for An's /help
    binh.send("/start")

    assert "Chibo là trợ lý" in binh.wait_reply().text  # Bình is not held up by An
    assert an.messages() == []  # An's /language did not overtake the held /help

    slow_bot.call(slow.free)
    assert "Các việc đồng chí có thể làm" in an.wait_reply().text
    assert "Chọn ngôn ngữ" in an.wait_reply().text

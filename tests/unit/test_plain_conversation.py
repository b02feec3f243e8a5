"""The monthly report through the plain-text renderer (messengers without buttons): the same
flow, answered by typing numbers, letters and option words without diacritics."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from factories import make_person, make_tree
from sqlmodel import select

from bot.app import build_application
from bot.clock import CLOCK
from bot.config import load_settings
from bot.context import ChiboContext, identify
from bot.flows import plain
from bot.flows.engine import Answer, Result
from bot.flows.telegram import ENGINE
from storage.db import Database
from storage.models import MeetingReport

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SECRETARY = 1001


class PlainChat:
    """One person talking to the engine with text only, reading what the plain renderer shows."""

    def __init__(self, db: Database, database_url: str) -> None:
        settings = load_settings(
            _env_file=None, telegram_bot_token="1:x", database_url=database_url
        )
        self.app = build_application(settings, db)
        self.app.bot_data[CLOCK] = lambda: NOW
        self.db, self.shown = db, ""

    async def _context(self) -> ChiboContext:
        context = ChiboContext(self.app)
        context.identity = await identify(self.db, SECRETARY, None)
        return context

    def _show(self, result: Result | None) -> str:
        assert result is not None
        self.shown = "\n\n".join(plain.render(out, "vi") for out in result.outs)
        return self.shown

    async def start(self, kind: str) -> str:
        context = await self._context()
        return self._show(await self.app.bot_data[ENGINE].start(context, kind))

    async def type(self, text: str) -> str:
        context = await self._context()
        return self._show(await self.app.bot_data[ENGINE].typed(context, Answer(text=text)))


async def test_a_report_by_typing_only(db: Database, database_url: str) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        await make_person(session, SECRETARY, "Nguyễn Văn An", tree.cell_a1, "secretary")
    chat = PlainChat(db, database_url)

    first = await chat.start("report")
    assert "Bước 1/6" in first and "1. ✅ Có họp\n2. ❌ Không họp" in first
    assert "<" not in first and "trả lời bằng số thứ tự" in first.lower()
    assert "Bước 2/6" in await chat.type("1")  # the number of the option
    dates = chat.shown
    assert "a. Hôm nay 25/11" in dates  # lettered: a typed number is a day of its own
    assert "Bước 3/6" in await chat.type("hom nay")  # the option's words, without diacritics
    assert "Tổng số đảng viên" in await chat.type("THUONG KY")
    assert "miễn sinh hoạt" in await chat.type("20")
    assert "có mặt" in await chat.type("khong co")  # "Không có (0)": nobody exempt
    assert "Bước 5/6" in await chat.type("du ca 20")  # everyone present
    assert "Bước 6/6" in await chat.type("Học tập nghị quyết")
    review = await chat.type("Thống nhất")
    assert "Xem lại báo cáo" in review and "1. 📨 Gửi báo cáo" in review
    assert max(len(text) for text in review.split("\n\n")) <= 400
    sent = await chat.type("gui bao cao")
    assert "Số tham chiếu" in sent

    async with db.session() as session:
        (report,) = (await session.exec(select(MeetingReport))).all()
    assert report.held and report.members == 20 and report.exempt == 0 and report.present == 20
    assert report.meeting_date == NOW.date() and report.meeting_type == "regular"

"""Helpers of the monthly report's end-to-end tests: an organisation, a clock, a usual report.

org = make_org(run_db)
set_clock(bot, NOW)
an = tg.user(SECRETARY_ID, "An")
fill_report(an)                 # from /report to the review (a usual month)
an.press("Gửi báo cáo")
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from factories import Tree, make_person, make_tree
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import CLOCK
from storage.models import MeetingReport, Person

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# 25 November 2026: only November is open (October's deadline and lock have passed).
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=HCM)
SECRETARY_ID, DEPUTY_ID, SUPERVISOR_ID = 1001, 1002, 2001


@dataclass
class Org:
    tree: Tree
    secretary: Person
    deputy: Person
    supervisor: Person


def make_org(run_db: Callable) -> Org:
    """Cell "Chi bộ thôn Đồng Tâm" with its secretary and deputy; commune A's supervisor."""

    async def create(session: AsyncSession) -> Org:
        tree = await make_tree(session)
        cell = tree.cell_a1
        secretary = await make_person(session, SECRETARY_ID, "Nguyễn Văn An", cell, "secretary")
        deputy = await make_person(session, DEPUTY_ID, "Trần Thị Bình", cell, "deputy")
        supervisor = await make_person(
            session, SUPERVISOR_ID, "Lê Văn Cường", tree.commune_a, "supervisor"
        )
        return Org(tree, secretary, deputy, supervisor)

    return run_db(create)


def set_clock(bot: Any, moment: datetime) -> None:
    """The bot's "now" (again after each restart: a restart builds a new application)."""
    bot.application.bot_data[CLOCK] = lambda: moment


def reports(run_db: Callable) -> list[MeetingReport]:
    async def load(session: AsyncSession) -> list[MeetingReport]:
        return list((await session.exec(select(MeetingReport))).all())

    return run_db(load)


def answer(user: Any, text: str, expect: str) -> Any:
    """Type `text`, wait for the bot's reply containing `expect`."""
    user.send(text)
    return user.wait_for_text(expect)


def press(user: Any, label: str, expect: str) -> Any:
    user.press(label)
    return user.wait_for_text(expect)


def fill_report(user: Any) -> Any:
    """A first report, from /report to the review (see `fill_answers`)."""
    user.send("/report")
    user.wait_for_text("Bước 1/6")
    return fill_answers(user)


def fill_answers(user: Any) -> Any:
    """From the first step to the review of a first report (no figures of last month): met on
    20/11, 45 members, 3 exempt, 40 present, 2 absent with reason; content and conclusion."""
    press(user, "Có họp", "Bước 2/6")
    answer(user, "20/11", "Bước 3/6")
    press(user, "Thường kỳ", "Tổng số đảng viên")
    answer(user, "45", "miễn sinh hoạt")
    answer(user, "3", "Số đảng viên có mặt")
    answer(user, "40", "vắng có lý do?")
    press(user, "Cả 2 đều có lý do", "vắng không lý do?")
    press(user, "0 đồng chí", "Bước 5/6")
    answer(user, "Triển khai kế hoạch tháng 12", "Bước 6/6")
    return answer(user, "Thống nhất kế hoạch", "Xem lại báo cáo")


def longest(user: Any) -> int:
    """The longest message the bot sent in the chat, as the person reads it."""
    return max(len(text) for text in user.texts())


def transcript(user: Any, since: int = 0) -> str:
    """The conversation in the chat since the user's action number `since` (0: all), both
    ways, as Markdown: each action of the person (numbered) and each message of the bot with
    its buttons, in order."""
    actions = user.history[since:]
    start = actions[0][0] if actions else 0
    lines: list[str] = []
    events = [e for e in user.server.events_since(start - 1, user.chat_id) if e.action == "sent"]
    merged = sorted(
        [(seq, 0, action) for seq, action in actions] + [(e.seq, 1, e) for e in events],
        key=lambda item: (item[0], item[1]),
    )
    number = 0
    for _, kind, item in merged:
        if kind == 0:
            number += 1
            lines.append(f"**{number}. Bí thư:** {_action(item)}\n")
            continue
        message = item.message
        text = (item.text or "").replace("\n", "  \n> ")
        lines.append(f"> 🤖 {text}" if message.kind == "text" else f"> 🤖 ({message.kind})")
        markup = message.request.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in markup.get("inline_keyboard", []):  # the buttons as sent
            lines.append(">  \n> " + " ".join(f"[{button['text']}]" for button in row))
        lines.append("")
    return "\n".join(lines)


def _action(action: str) -> str:
    if action.startswith("press "):
        return "bấm " + action.removeprefix("press ").replace("'", "«", 1)[:-1] + "»"
    if action == "send a photo":
        return "gửi ảnh trang biên bản"
    return "gõ «" + action.removeprefix("send ")[1:-1] + "»"

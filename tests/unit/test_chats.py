"""Which of a person's chats a message goes to, and how a typed answer on Zalo picks one of a
message's numbered choices."""

from __future__ import annotations

from dataclasses import dataclass

from bot.zalo.link import _chosen
from storage.chats import TELEGRAM, ZALO, ZALO_BASE, chat_of, chats, messenger_of, zalo_chat_id

Z = ZALO_BASE + 7


@dataclass
class P:
    telegram_id: int | None = None
    zalo_id: int | None = None
    reachable: bool = True
    zalo_reachable: bool = True
    messenger: str = TELEGRAM


def test_a_chat_number_tells_its_messenger() -> None:
    assert messenger_of(1001) == TELEGRAM and messenger_of(-100123) == TELEGRAM
    assert (
        messenger_of(zalo_chat_id(7)) == ZALO and messenger_of(zalo_chat_id(7, group=True)) == ZALO
    )


def test_the_messenger_used_last_comes_first_and_a_refusing_one_last() -> None:
    assert chats(P(1001, Z, messenger=ZALO)) == [Z, 1001]
    assert chats(P(1001, Z, messenger=TELEGRAM)) == [1001, Z]
    assert chats(P(1001, Z, messenger=ZALO, zalo_reachable=False)) == [1001, Z]
    assert chat_of(P(zalo_id=Z, messenger=ZALO)) == Z and chat_of(P()) is None


def test_a_typed_answer_picks_a_listed_choice_by_number_or_words() -> None:
    listed = [
        {"data": "sup:nudge:3:2026-11", "label": "🔔 Nhắc Chi bộ thôn Đồng Tâm"},
        {"text": "📝 Báo cáo tháng", "label": "📝 Báo cáo tháng"},
    ]
    assert _chosen(listed, "1") == listed[0]
    assert _chosen(listed, " 2 ") == listed[1]
    assert _chosen(listed, "bao cao thang") == listed[1]
    assert _chosen(listed, "3") is None and _chosen(listed, "Mưa bão") is None
    assert _chosen([], "1") is None

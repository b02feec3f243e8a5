"""What the committees get on schedule: the monthly summary (text, chart, button), the weekly
progress digest, escalations of overdue problems and the daily list of new problems; each
once, each to the unit's own group or supervisors."""

from __future__ import annotations

from typing import Any

import pytest
from figures_example import TZ, Example, build_example
from sqlmodel import select

from bot import i18n
from e2e.harness import TelegramDriver, TgUser
from e2e.test_scheduler import local, run_job
from storage.models import GroupLink, Problem
from storage.queries.problems import create_problem


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


@pytest.fixture
def example(run_db) -> Example:
    return run_db(build_example)


def reachable(tg: TelegramDriver, telegram_id: int, name: str) -> TgUser:
    user = tg.user(telegram_id, name)
    tg.server.introduce(user.chat)
    return user


def link_group(tg: TelegramDriver, run_db, unit_id: int, chat_id: int, title: str) -> Any:
    async def add(session: Any) -> None:
        session.add(GroupLink(chat_id=chat_id, unit_id=unit_id, title=title))

    run_db(add)
    group = tg.group(chat_id, title)
    tg.server.introduce(group.chat)
    return group


def test_the_monthly_summary_goes_to_each_committee_once(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    commune = reachable(tg, 9002, "Phạm Văn Xã")
    blocked = reachable(tg, 1201, "Hoàng Văn Chặn")
    group = link_group(tg, run_db, example.tree.province.id, -100777, "Tỉnh ủy QN")

    result = run_job(bot, "summary", "2025-07-06T07:00")

    text = group.wait_for_text("TỔNG HỢP THÁNG 06/2025")
    assert "Tỉnh ủy Quảng Ninh" in text.text and "Đã nộp: 3/4 chi bộ (75%)" in text.text
    assert text.buttons == [vi("summary.show_missing")]
    chart = group.wait_reply()
    assert chart.kind == "photo" and chart.file.data.startswith(b"\x89PNG")
    # the province has a group, and its supervisor still gets a private copy
    private = province.wait_for_text("TỔNG HỢP THÁNG 06/2025")
    assert private.text == text.text
    assert province.wait_reply().kind == "photo"
    # the commune's summary: its own cells only
    own = commune.wait_for_text("TỔNG HỢP THÁNG 06/2025")
    assert "Đảng ủy xã Đông Ngũ" in own.text and "Đã nộp: 2/2 chi bộ (100%)" in own.text
    assert "khu phố" not in own.text and "Hoàng Văn Chặn" not in own.text
    blocked.assert_no_reply()
    assert result.recorded == 6

    again = run_job(bot, "summary", "2025-07-06T09:00")
    tg.wait_idle()
    assert again.recorded == 0
    assert len(group.messages()) == 2 and len(commune.messages()) == 2
    assert len(province.messages()) == 2


def test_the_summary_lists_people_to_call(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    reachable(tg, 9002, "Phạm Văn Xã")
    run_job(bot, "summary", "2025-07-06T07:00")
    text = province.wait_for_text("Cần gọi điện").text
    assert "Hoàng Văn Chặn – Bí thư chi bộ – Chi bộ khu phố 3" in text


def test_no_summary_before_its_day(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    result = run_job(bot, "summary", "2025-07-05T07:00")
    tg.wait_idle()
    province.assert_no_reply()
    assert "no monthly summary" in result.note


def test_the_weekly_digest_shows_progress_during_the_window(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    commune = reachable(tg, 9002, "Phạm Văn Xã")
    run_job(bot, "digest", "2025-06-30T07:00")  # a Monday, June is being collected
    digest = province.wait_reply()
    assert "TIẾN ĐỘ BÁO CÁO THÁNG 06/2025" in digest.text
    assert "Còn 1 chi bộ chưa nộp" in digest.text
    assert digest.buttons == [vi("summary.show_missing")]
    assert "TIẾN ĐỘ" in commune.wait_reply().text
    run_job(bot, "digest", "2025-06-30T08:00")
    run_job(bot, "digest", "2025-07-01T07:00")  # Tuesday
    tg.wait_idle()
    assert len(province.messages()) == 1


def test_overdue_problems_climb_to_the_next_committee(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    commune = reachable(tg, 9002, "Phạm Văn Xã")

    # 30 June 09:00 was the due date of "Tranh chấp ranh giới đất" (handled by the commune).
    run_job(bot, "escalation", "2025-07-01T07:00")
    first = commune.wait_for_text("Tranh chấp ranh giới đất")
    assert "quá hạn xử lý 0 ngày" in first.text and "Chi bộ thôn Đồng Tâm" in first.text
    tg.wait_idle()
    assert not [m for m in province.messages() if "Tranh chấp" in (m.text or "")]

    run_job(bot, "escalation", "2025-07-03T10:00")  # three days on: the province hears of it
    above = province.wait_for_text("Tranh chấp ranh giới đất")
    assert "Đôn đốc" in above.text and "Đảng ủy xã Đông Ngũ" in above.text
    run_job(bot, "escalation", "2025-07-03T11:00")
    tg.wait_idle()
    assert len([m for m in commune.messages() if "Tranh chấp" in (m.text or "")]) == 1
    assert len([m for m in province.messages() if "Tranh chấp" in (m.text or "")]) == 1

    async def level(session: Any) -> int:
        problem = (
            await session.exec(select(Problem).where(Problem.title == "Tranh chấp ranh giới đất"))
        ).one()
        return problem.escalation_level

    assert run_db(level) == 2


def test_new_normal_problems_are_listed_once_the_next_day(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    commune = reachable(tg, 9002, "Phạm Văn Xã")
    tree = example.tree

    async def raise_two(session: Any) -> None:
        for title, urgency in (("Cống thoát nước bị tắc", "normal"), ("Sạt lở bờ kè", "urgent")):
            at = local("2025-06-25T10:00", TZ)
            problem = Problem(
                unit_id=tree.cell_a2.id,
                handling_unit_id=tree.commune_a.id,
                category="giao_thong_thuy_loi",
                title=title,
                urgency=urgency,
                created_at=at,
                updated_at=at,
                due_at=local("2025-07-10T10:00", TZ),
            )
            await create_problem(session=session, problem=problem)

    run_db(raise_two)
    run_job(bot, "escalation", "2025-06-26T07:30")
    digest = commune.wait_for_text("1 khó khăn, kiến nghị mới chờ tiếp nhận (từ 07:00 25/06/2025)")
    assert "Giao thông, thủy lợi: Cống thoát nước bị tắc – Chi bộ thôn Tân Tiến" in digest.text
    assert "Sạt lở" not in digest.text  # urgent ones went out at once
    # the ward handling "Trộm cắp vặt" (overdue) has no committee on Chibo: the province hears
    assert "Trộm cắp vặt" in province.wait_for_text("Trộm cắp vặt").text
    run_job(bot, "escalation", "2025-06-26T08:30")
    tg.wait_idle()
    assert len([m for m in commune.messages() if "chờ tiếp nhận" in (m.text or "")]) == 1

"""Summaries a committee can act on: a province with a linked group, a commune with its own
officer, a ward without one, and cells in every state (figures_example). The officer reads which
cells to chase, with their commune; the group and the supervisor each get every message once;
history before a cell started is not a failure; each problem figure keeps to its month."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from figures_example import TZ, Example, build_example
from openpyxl import load_workbook

from bot import i18n
from e2e.harness import TelegramDriver, TgGroup, TgUser
from e2e.test_scheduler import local, run_job
from storage.models import Problem
from storage.queries.problems import create_problem
from storage.queries.tree import add_unit

PB, XA = "Đảng ủy phường Hồng Gai", "Đảng ủy xã Đông Ngũ"
GROUP_ID = -100888


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


@pytest.fixture
def example(run_db, tg) -> Example:
    built = run_db(build_example)
    tg.server.introduce(tg.user(9002, "Phạm Văn Xã").chat)  # the commune's officer
    return built


def reachable(tg: TelegramDriver, telegram_id: int, name: str) -> TgUser:
    user = tg.user(telegram_id, name)
    tg.server.introduce(user.chat)
    return user


def linked_group(tg: TelegramDriver, province: TgUser) -> TgGroup:
    """The province officer links the province's group with /link, as in the chat."""
    group = tg.group(GROUP_ID, "Ban Tổ chức Tỉnh ủy")
    tg.server.introduce(group.chat)
    group.add(province, "administrator")
    group.send(province, "/link")
    group.wait_reply()
    group.press(province, "Tỉnh ủy Quảng Ninh")
    return group


def texts(chat: Any, fragment: str) -> list[str]:
    return [m.text for m in chat.messages() if m.text and fragment in m.text]


def test_after_link_group_and_supervisor_each_get_every_message_once(tg, bot, example) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    commune = reachable(tg, 9002, "Phạm Văn Xã")
    group = linked_group(tg, province)
    confirmation = group.wait_for_text("đã được liên kết")
    # the confirmation says what the group will receive, and that private copies go on
    assert "báo cáo tổng hợp tháng" in confirmation.text
    assert "vẫn nhận riêng" in confirmation.text
    assert confirmation.buttons == [vi("group.copies.on"), vi("group.copies.off")]

    run_job(bot, "digest", "2025-06-30T07:00")  # a Monday: June is being collected
    run_job(bot, "summary", "2025-07-06T07:00")
    run_job(bot, "escalation", "2025-07-01T07:00")  # the commune hears first
    run_job(bot, "escalation", "2025-07-03T10:00")  # then the province
    for name, at in (("digest", "2025-06-30T08:00"), ("summary", "2025-07-06T09:00")):
        run_job(bot, name, at)  # reruns send nothing
    run_job(bot, "escalation", "2025-07-03T11:00")
    tg.wait_idle()

    for chat in (group, province):
        assert len(texts(chat, "TIẾN ĐỘ BÁO CÁO THÁNG 06/2025")) == 1
        assert len(texts(chat, "TỔNG HỢP THÁNG 06/2025")) == 1
        assert len(texts(chat, "Tranh chấp ranh giới đất")) == 1
    assert len(texts(commune, "TỔNG HỢP THÁNG 06/2025")) == 1
    assert len(texts(commune, "Tranh chấp ranh giới đất")) == 1


def test_a_supervisor_may_stop_private_copies_and_the_group_still_gets_them(
    tg, bot, example
) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    group = linked_group(tg, province)
    group.wait_for_text("đã được liên kết")
    group.press(province, vi("group.copies.off"))
    assert group.wait_answer().text == vi("group.copies.done_off")

    run_job(bot, "summary", "2025-07-06T07:00")
    group.wait_for_text("TỔNG HỢP THÁNG 06/2025")
    tg.wait_idle()
    assert texts(province, "TỔNG HỢP") == []


def test_the_summary_names_each_cell_to_act_on_with_its_commune(tg, bot, example) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    commune = reachable(tg, 9002, "Phạm Văn Xã")

    run_job(bot, "summary", "2025-07-06T07:00")

    text = province.wait_for_text("TỔNG HỢP THÁNG 06/2025").text
    assert "Đã nộp: 3/4 chi bộ (75%)" in text  # the counts stay
    assert f"Chưa nộp báo cáo (1):\n• {PB}: Chi bộ khu phố 3" in text
    assert f"Không họp (1):\n• {XA}: Chi bộ thôn Tân Tiến (lý do: Mưa bão)" in text
    assert f"• {PB}: Chi bộ khu phố 7 (80%, vắng không lý do: 1)" in text
    # June ends the quarter: cells without a thematic meeting are named
    assert (
        f"Chưa sinh hoạt chuyên đề trong quý (2):\n• {PB}: Chi bộ khu phố 3; Chi bộ khu phố 7"
        in (text)
    )
    # cells nobody reports for on Chibo are a phone call, with the people Chibo cannot reach
    assert f"Chưa có ai dùng Chibo — cần gọi điện (1 chi bộ):\n• {XA}: Chi bộ thôn Tân Tiến" in text
    assert "Hoàng Văn Chặn – Bí thư chi bộ – Chi bộ khu phố 3 (Đảng ủy phường Hồng Gai)" in text
    # attendance is one defined, pooled rate: (17 + 8) present of (18 + 10) expected
    assert "Tỷ lệ dự sinh hoạt 89% (25/28 người)" in text
    assert "tổng số có mặt ÷ tổng số phải dự" in text

    # the commune's officer sees the commune only
    own = commune.wait_for_text("TỔNG HỢP THÁNG 06/2025").text
    assert "Chi bộ thôn Tân Tiến (lý do: Mưa bão)" in own
    assert "khu phố" not in own and "Hoàng Văn Chặn" not in own and PB not in own


def test_a_cell_imported_this_month_is_no_data_for_last_month(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")

    async def import_late(session: Any) -> None:
        cell = await add_unit(
            session=session,
            code="XA-05",
            name="Chi bộ thôn Mới Nhập",
            kind="cell",
            parent=example.tree.commune_a,
        )
        cell.created_at = datetime(2025, 7, 2, 3, 0, tzinfo=UTC)  # imported in July, no valid_from

    run_db(import_late)
    run_job(bot, "summary", "2025-07-06T07:00")

    text = province.wait_for_text("TỔNG HỢP THÁNG 06/2025").text
    assert "Đã nộp: 3/4 chi bộ (75%)" in text and "chưa nộp 1" in text
    assert "Mới Nhập" not in text


def test_each_problem_figure_keeps_to_its_month(tg, bot, example, run_db) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    tree = example.tree

    async def raise_more(session: Any) -> None:
        for title, created, resolved in (
            ("Đường ngập sau mưa", "2025-07-02T09:00", None),  # raised after June
            ("Thiếu nước sinh hoạt", "2025-06-20T09:00", "2025-07-02T09:00"),
        ):
            at = local(created, TZ)
            problem = Problem(
                unit_id=tree.cell_a2.id,
                handling_unit_id=tree.commune_a.id,
                category="giao_thong_thuy_loi",
                title=title,
                created_at=at,
                updated_at=local(resolved, TZ) if resolved else at,
                due_at=local("2025-07-25T10:00", TZ),
                status="resolved" if resolved else "new",
                resolved_at=local(resolved, TZ) if resolved else None,
            )
            await create_problem(session=session, problem=problem)

    run_db(raise_more)
    run_job(bot, "summary", "2025-07-06T07:00")

    text = province.wait_for_text("TỔNG HỢP THÁNG 06/2025").text
    # before: new 4, resolved 1, open at the end of June 3 (2 overdue then). The July problem
    # is in none of them; the one resolved on 2 July was open at the end of June.
    assert (
        "Phản ánh tháng 06/2025: mới 5 · đã giải quyết 1 · còn mở cuối tháng 4 (quá hạn 2)" in text
    )
    assert "Đang mở lúc" not in text  # "open now" belongs to on-demand views only


def test_the_escalation_opens_the_problem_and_names_the_commune(tg, bot, example) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    run_job(bot, "escalation", "2025-07-03T10:00")

    alert = province.wait_for_text("Tranh chấp ranh giới đất")
    assert "phản ánh #" in alert.text.lower() and "vấn đề số" not in alert.text.lower()
    assert f"Chi bộ thôn Đồng Tâm ({XA})" in alert.text
    number = re.search(r"phản ánh #(\d+)", alert.text.lower())[1]
    assert alert.buttons == [vi("escalation.open", number=number)]
    province.press(vi("escalation.open", number=number))
    card = province.wait_for_text(f"#{number}")
    assert "Tranh chấp ranh giới đất" in card.text and XA in card.text


def test_the_export_holds_the_same_names_and_figures_as_the_text(tg, bot, example) -> None:
    province = reachable(tg, 9001, "Lê Thị Tỉnh")
    province.send("/summary 06/2025")
    text = province.wait_for_text("TỔNG HỢP THÁNG 06/2025").text
    province.wait_reply()  # the chart

    province.send("/export 06/2025")
    document = province.wait_reply()
    book = load_workbook(io.BytesIO(document.file.data))
    rows = list(book["Chi bộ cần lưu ý"].iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    assert header == ("Danh sách", "Đảng ủy xã, phường", "Mã chi bộ", "Chi bộ", "Chi tiết")
    named = {(r[0], r[1], r[3]) for r in rows}
    assert named == {
        ("Chưa nộp báo cáo", PB, "Chi bộ khu phố 3"),
        ("Không họp", XA, "Chi bộ thôn Tân Tiến"),
        ("Tỷ lệ dự ≤85% hoặc có vắng không lý do", PB, "Chi bộ khu phố 7"),
        ("Chưa sinh hoạt chuyên đề trong quý", PB, "Chi bộ khu phố 3"),
        ("Chưa sinh hoạt chuyên đề trong quý", PB, "Chi bộ khu phố 7"),
        ("Chưa có ai dùng Chibo — cần gọi điện", XA, "Chi bộ thôn Tân Tiến"),
        ("Không nhận được tin nhắn — cần gọi điện", PB, "Chi bộ khu phố 3"),
    }
    for _, commune, cell in named:  # every name in the sheet is in the text, with its commune
        assert re.search(rf"• {re.escape(commune)}: [^\n]*{re.escape(cell)}", text) or (
            f"{cell} ({commune})" in text
        )
    assert ("Không họp", XA, "Chi bộ thôn Tân Tiến") in named
    assert next(r[4] for r in rows if r[0] == "Không họp") == "Mưa bão"
    units = list(book["Tỷ lệ theo đơn vị"].iter_rows(values_only=True))
    total = dict(zip(units[0], units[-1], strict=True))
    pooled = total["Tỷ lệ dự sinh hoạt (tổng có mặt ÷ tổng phải dự)"]
    assert f"Tỷ lệ dự sinh hoạt {round(100 * pooled)}%" in text
    assert (total["Phải nộp"], total["Đã nộp"]) == (4, 3)
    assert (total["Phản ánh mới trong tháng"], total["Còn mở cuối tháng"]) == (4, 3)
    assert "mới 4 · đã giải quyết 1 · còn mở cuối tháng 3 (quá hạn 2)" in text

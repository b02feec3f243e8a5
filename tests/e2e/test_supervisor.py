"""A supervisor's /summary, /missing (and its "Nhắc" buttons), /export, scoped to their subtree.

The summary's figures are checked against the hand-computed example of tests/figures_example.py
in the text, in the chart (the PNG carries its figures as JSON) and in the XLSX file.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from factories import Tree, make_person, make_tree
from figures_example import Example, build_example
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import select

from bot import i18n
from e2e.harness import TelegramDriver, TgUser
from storage.models import Delivery, GroupLink, MeetingReport, Unit
from storage.queries.tree import add_unit


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


def reachable(tg: TelegramDriver, telegram_id: int, name: str) -> TgUser:
    user = tg.user(telegram_id, name)
    tg.server.introduce(user.chat)
    return user


@pytest.fixture
def example(run_db) -> Example:
    return run_db(build_example)


# --- the hand-computed example ----------------------------------------------------------------

SUMMARY_TEXT = """\
📊 TỔNG HỢP THÁNG 06/2025
Tỉnh ủy Quảng Ninh
{as_of}

Đã nộp: 3/4 chi bộ (75%)
Đúng hạn: 2/4 (50%) · muộn 1 · chưa nộp 1
Đã họp: 2 · không họp: 1
Tỷ lệ dự sinh hoạt 89% (25/28 người) · ≤85%: 1 chi bộ · có vắng không lý do: 1
Đạt chất lượng (dự trên 85%, không vắng không lý do): 1/2 (50%)
Có cấp ủy cấp trên dự: 1 chi bộ
Sinh hoạt chuyên đề trong quý: 2/4 chi bộ

Phản ánh tháng 06/2025: mới 4 · đã giải quyết 1 · còn mở cuối tháng 3 (quá hạn 2)
• An ninh trật tự: mới 1 · giải quyết 0 · còn mở 1 (quá hạn 1)
• Đất đai: mới 1 · giải quyết 0 · còn mở 2 (quá hạn 1)
• Khác: mới 1 · giải quyết 0 · còn mở 0 (quá hạn 0)
• Môi trường: mới 1 · giải quyết 1 · còn mở 0 (quá hạn 0)
{open_now}

❗ Chưa nộp báo cáo (1):
• Đảng ủy phường Hồng Gai: Chi bộ khu phố 3

⛔ Không họp (1):
• Đảng ủy xã Đông Ngũ: Chi bộ thôn Tân Tiến (lý do: Mưa bão)

👥 Tỷ lệ dự ≤85% hoặc có vắng không lý do (1):
• Đảng ủy phường Hồng Gai: Chi bộ khu phố 7 (80%, vắng không lý do: 1)

📚 Chưa sinh hoạt chuyên đề trong quý (2):
• Đảng ủy phường Hồng Gai: Chi bộ khu phố 3; Chi bộ khu phố 7

Theo đơn vị (thấp nhất trước) · đã nộp · đúng hạn:
• Đảng ủy phường Hồng Gai: 1/2 (50%) · 0/2 (0%)
• Đảng ủy xã Đông Ngũ: 2/2 (100%) · 2/2 (100%)

📞 Cần gọi điện (2):
Chưa có ai dùng Chibo — cần gọi điện (1 chi bộ):
• Đảng ủy xã Đông Ngũ: Chi bộ thôn Tân Tiến
Không nhận được tin nhắn của Chibo (1 người):
• Hoàng Văn Chặn – Bí thư chi bộ – Chi bộ khu phố 3 (Đảng ủy phường Hồng Gai)

Tỷ lệ dự sinh hoạt = tổng số có mặt ÷ tổng số phải dự (đảng viên trừ miễn sinh hoạt), \
gộp mọi cuộc họp đã báo cáo."""

PB, XA = "Đảng ủy phường Hồng Gai", "Đảng ủy xã Đông Ngũ"
# name: (expected, received, on time, completeness %, timeliness %), worst first
BY_UNIT = {PB: (2, 1, 0, 50, 0), XA: (2, 2, 2, 100, 100)}
TOTAL = (4, 3, 2, 75, 50)
TREND = {"2025-04": (20, 20), "2025-05": (20, 20), "2025-06": (75, 50)}  # other months 0, 0


def text_figures(text: str) -> dict[str, Any]:
    """The figures a supervisor reads in the summary text."""
    units = {
        name: (int(e), int(r), int(o), int(c), int(t))
        for name, r, e, c, o, _, t in re.findall(
            r"• (.+?): (\d+)/(\d+) \((\d+)%\) · (\d+)/(\d+) \((\d+)%\)", text
        )
    }
    received, expected, completeness = re.search(
        r"Đã nộp: (\d+)/(\d+) chi bộ \((\d+)%\)", text
    ).groups()
    on_time, timeliness = re.search(r"Đúng hạn: (\d+)/\d+ \((\d+)%\)", text).groups()
    total = (int(expected), int(received), int(on_time), int(completeness), int(timeliness))
    return {"units": units, "total": total}


def test_the_summary_text_chart_and_export_hold_the_hand_computed_figures(
    tg, bot, example, run_db
) -> None:
    supervisor = reachable(tg, 9001, "Lê Thị Tỉnh")

    supervisor.send("/summary 06/2025")

    text = supervisor.wait_reply()
    lines = text.text.split("\n")
    assert lines[2].startswith("Số liệu đến ") and lines[2].endswith("· hạn nộp 05/07/2025")
    # on demand, the problems open now are added, dated: the month's figures keep their frame
    open_now = next(line for line in lines if line.startswith("Đang mở lúc "))
    assert open_now.endswith(": 3 phản ánh (quá hạn 2)")
    assert text.text == SUMMARY_TEXT.format(as_of=lines[2], open_now=open_now)
    assert text.buttons == [vi("summary.show_missing")]
    figures = text_figures(text.text)
    assert figures == {"units": BY_UNIT, "total": TOTAL}

    chart = supervisor.wait_reply()
    assert chart.kind == "photo" and chart.text == "Biểu đồ tháng 06/2025 – Tỉnh ủy Quảng Ninh"
    image = Image.open(io.BytesIO(chart.file.data))
    assert image.format == "PNG" and image.size[0] >= 600
    drawn = json.loads(image.info["Description"])
    assert {u["name"]: (u["completeness"], u["timeliness"]) for u in drawn["units"]} == {
        name: values[3:] for name, values in BY_UNIT.items()
    }
    assert [u["name"] for u in drawn["units"]] == [PB, XA]  # worst first, as in the text
    trend = {m["period"]: (m["completeness"], m["timeliness"]) for m in drawn["trend"]}
    assert len(trend) == 12 and trend["2024-07"] == (0, 0)
    assert {p: v for p, v in trend.items() if v != (0, 0)} == TREND
    assert trend["2025-06"] == TOTAL[3:]

    supervisor.send("/export 06/2025")
    document = supervisor.wait_reply()
    assert document.kind == "document" and document.file.filename == "chibo-2025-06-QN.xlsx"
    actions = [c.params.get("action") for c in tg.calls("sendChatAction")]
    assert "upload_document" in actions
    book = load_workbook(io.BytesIO(document.file.data))
    assert book.sheetnames == [
        "Báo cáo",
        "Khó khăn, kiến nghị",
        "Tỷ lệ theo đơn vị",
        "Chi bộ cần lưu ý",
    ]
    _check_units_sheet(book["Tỷ lệ theo đơn vị"])
    _check_reports_sheet(book["Báo cáo"])
    _check_problems_sheet(book["Khó khăn, kiến nghị"])


def _rows(sheet: Any) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _check_units_sheet(sheet: Any) -> None:
    rows = _rows(sheet)
    assert [r["Đơn vị"] for r in rows] == [PB, XA, "Tổng cộng"]
    found = {
        r["Đơn vị"]: (
            r["Phải nộp"],
            r["Đã nộp"],
            r["Đúng hạn"],
            round(100 * r["Tỷ lệ đã nộp"]),
            round(100 * r["Tỷ lệ đúng hạn"]),
        )
        for r in rows
    }
    assert found == {**BY_UNIT, "Tổng cộng": TOTAL}
    total = rows[-1]
    pooled = "Tỷ lệ dự sinh hoạt (tổng có mặt ÷ tổng phải dự)"
    assert (total["Đã họp"], total["Không họp"], round(100 * total[pooled])) == (2, 1, 89)
    assert (total["Dự ≤85%"], total["Đạt chất lượng"], total["Có vắng không lý do"]) == (1, 1, 1)
    assert (total["Có cấp trên dự"], total["Chuyên đề trong quý"]) == (1, 2)
    problems = (
        "Phản ánh mới trong tháng",
        "Còn mở cuối tháng",
        "Quá hạn cuối tháng",
        "Giải quyết trong tháng",
    )
    assert tuple(total[c] for c in problems) == (4, 3, 2, 1)
    assert tuple(rows[0][c] for c in problems) == (2, 2, 1, 1)  # PB
    assert sheet["E2"].number_format == "0%"


def _check_reports_sheet(sheet: Any) -> None:
    rows = _rows(sheet)
    assert {r["Đảng ủy xã, phường"] for r in rows} == {PB, XA}  # the commune, on every row
    assert [(r["Đơn vị"], r["Mã chi bộ"], r["Tình trạng"]) for r in rows] == [
        (PB, "PB-01", "Chưa nộp"),
        (PB, "PB-03", "Nộp muộn"),
        (XA, "XA-01", "Đúng hạn"),  # returned and sent again on 8 July: its first time counts
        (XA, "XA-02", "Đúng hạn"),
    ]
    b1, b3, a1, a2 = rows
    assert a1["Ngày họp"] == datetime(2025, 6, 12)  # a real date
    assert a1["Nộp lần đầu"] == datetime(2025, 7, 2, 10, 0)  # local time
    assert a1["Loại"] == "Chuyên đề" and a1["Cấp ủy cấp trên dự"] == "Trần Văn Bình (Đảng ủy viên)"
    assert round(a1["Tỷ lệ dự"], 3) == round(17 / 18, 3)
    assert (a2["Đã họp"], a2["Lý do không họp"]) == ("Không", "Mưa bão")
    assert b1["Đã họp"] is None and b1["Nộp lần đầu"] is None
    assert (b3["Có mặt"], b3["Vắng không lý do"], b3["Tỷ lệ dự"]) == (8, 1, 0.8)


def _check_problems_sheet(sheet: Any) -> None:
    rows = _rows(sheet)
    assert [(r["Nội dung"], r["Trạng thái"], r["Quá hạn cuối tháng"]) for r in rows] == [
        ("Cấp sổ đỏ chậm", "Đã tiếp nhận", "Không"),
        ("Trộm cắp vặt", "Mới gửi", "Có"),
        ("Tranh chấp ranh giới đất", "Đang xử lý", "Có"),
        ("Rác thải ven sông", "Đã giải quyết", "Không"),
        ("Xin thêm đèn đường", "Không giải quyết", "Không"),
    ]
    assert rows[0]["Lĩnh vực"] == "Đất đai" and rows[0]["Hạn xử lý"] == datetime(2099, 1, 1)
    assert rows[3]["Ngày giải quyết"] == datetime(2025, 6, 28, 9, 0)


# --- /missing and the nudge -------------------------------------------------------------------


@pytest.fixture
def tree(run_db) -> Tree:
    return run_db(make_tree)


def person(run_db, telegram_id: int, name: str, unit: Unit, role: str) -> None:
    async def add(session: Any) -> None:
        await make_person(session, telegram_id, name, unit, role)

    run_db(add)


def test_missing_lists_late_cells_and_a_nudge_sends_one_reminder_now(tg, bot, tree, run_db):
    person(run_db, 9002, "Phạm Văn Xã", tree.commune_a, "supervisor")
    person(run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    person(run_db, 1002, "Vũ Văn Phó", tree.cell_a1, "deputy")
    supervisor = reachable(tg, 9002, "Phạm Văn Xã")
    an, pho = reachable(tg, 1001, "Nguyễn Văn An"), reachable(tg, 1002, "Vũ Văn Phó")

    supervisor.send("/missing 06/2025")

    listing = supervisor.wait_reply()
    assert (
        "Đảng ủy xã Đông Ngũ" in listing.text
        and "2 chi bộ chưa nộp báo cáo tháng 06/2025" in listing.text
    )
    # the commune's own officer: no need to repeat the commune
    assert listing.buttons == ["🔔 Nhắc: Chi bộ thôn Đồng Tâm", "🔔 Nhắc: Chi bộ thôn Tân Tiến"]

    supervisor.press("Nhắc: Chi bộ thôn Đồng Tâm")
    assert supervisor.wait_answer().text == "Đã gửi nhắc nhở tới 2 người của Chi bộ thôn Đồng Tâm."
    reminder = an.wait_reply()
    assert "Nhắc nộp báo cáo tháng 06/2025" in reminder.text
    assert "Đảng ủy xã Đông Ngũ đề nghị đồng chí nộp sớm" in reminder.text
    assert "tháng 06/2025" in pho.wait_reply().text

    supervisor.press("Nhắc: Chi bộ thôn Đồng Tâm")  # twice the same day: once
    assert supervisor.wait_answer().text == "Hôm nay đã nhắc Chi bộ thôn Đồng Tâm rồi."
    supervisor.press("Nhắc: Chi bộ thôn Tân Tiến")  # nobody on Chibo there
    assert "chưa có bí thư, phó bí thư dùng Chibo" in supervisor.wait_answer().text
    tg.wait_idle()
    assert len(an.messages()) == 1

    async def nudges(session: Any) -> list[tuple[int, str]]:
        rows = await session.exec(select(Delivery).where(Delivery.kind == "nudge"))
        return sorted((d.chat_id, d.status) for d in rows)

    assert run_db(nudges) == [(1001, "sent"), (1002, "sent")]

    # The reminder's button opens the report conversation.
    an.press(vi("reminder.button"))
    an.wait_answer()
    assert an.wait_reply().text


def test_a_nudge_to_a_cell_that_has_reported_is_not_sent(tg, bot, tree, run_db) -> None:
    person(run_db, 9002, "Phạm Văn Xã", tree.commune_a, "supervisor")
    person(run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    supervisor, an = reachable(tg, 9002, "Phạm Văn Xã"), reachable(tg, 1001, "Nguyễn Văn An")
    supervisor.send("/missing 06/2025")
    supervisor.wait_reply()

    async def report(session: Any) -> None:
        session.add(MeetingReport(unit_id=tree.cell_a1.id, period="2025-06"))

    run_db(report)  # An reports while the list is on screen
    supervisor.press("Nhắc: Chi bộ thôn Đồng Tâm")
    assert (
        supervisor.wait_answer().text
        == "Chi bộ thôn Đồng Tâm đã nộp báo cáo tháng 06/2025, không cần nhắc."
    )
    tg.wait_idle()
    an.assert_no_reply()


def test_the_summarys_button_lists_missing_cells_a_page_at_a_time(tg, bot, tree, run_db) -> None:
    async def many(session: Any) -> None:
        commune = await session.get(Unit, tree.commune_a.id)
        for number in range(3, 15):
            await add_unit(
                session=session,
                code=f"XA-{number:02d}",
                name=f"Chi bộ thôn số {number:02d}",
                kind="cell",
                parent=commune,
                valid_from=date(2025, 1, 1),
            )
        await make_person(session, 9002, "Phạm Văn Xã", commune, "supervisor")

    run_db(many)
    supervisor = reachable(tg, 9002, "Phạm Văn Xã")
    supervisor.send("/summary 06/2025")
    supervisor.wait_reply(), supervisor.wait_reply()  # the text, the chart

    supervisor.press(vi("summary.show_missing"))
    supervisor.wait_answer()
    first = supervisor.wait_for_text("14 chi bộ chưa nộp")
    assert len(first.buttons) == 11 and first.buttons[-1] == "Sau ›"
    supervisor.press("Sau ›")
    supervisor.wait_answer()
    tg.wait_idle()
    page = supervisor.last_message()
    assert page.message_id == first.message_id and page.edit_count == 1  # edited in place
    assert page.buttons == [f"🔔 Nhắc: Chi bộ thôn số {n}" for n in range(11, 15)] + ["‹ Trước"]
    supervisor.press("‹ Trước")
    supervisor.wait_answer()
    tg.wait_idle()
    back = supervisor.last_message()
    assert back.message_id == first.message_id and back.edit_count == 2
    assert back.buttons[0] == "🔔 Nhắc: Chi bộ thôn Đồng Tâm" and back.buttons[-1] == "Sau ›"


# --- scope ------------------------------------------------------------------------------------


def test_in_a_group_only_the_groups_own_unit_is_shown(tg, bot, example, run_db) -> None:
    province, commune = reachable(tg, 9001, "Lê Thị Tỉnh"), reachable(tg, 9002, "Phạm Văn Xã")

    async def link(session: Any) -> None:
        session.add(GroupLink(chat_id=-100200, unit_id=example.tree.commune_a.id, title="Xã A"))

    run_db(link)
    group = tg.group(-100200, "Đảng ủy xã Đông Ngũ")
    group.add(province), group.add(commune)

    group.send(province, "/summary 06/2025")  # a province supervisor, in the commune's group
    text = group.wait_reply()
    assert "Đảng ủy xã Đông Ngũ" in text.text and "Đã nộp: 2/2 chi bộ (100%)" in text.text
    assert "Hồng Gai" not in text.text and "Hoàng Văn Chặn" not in text.text
    group.wait_reply()  # the chart

    # a forged button about the other ward is refused here
    group.press_data(province, f"sup:miss:{example.tree.commune_b.id}:2025-06:0")
    assert group.wait_answer().text == vi("button.expired")
    tg.wait_idle()
    assert len(group.messages()) == 2


def test_a_supervisor_sees_only_their_subtree(tg, bot, example, run_db) -> None:
    commune = reachable(tg, 9002, "Phạm Văn Xã")
    commune.send("/summary 06/2025")
    text = commune.wait_reply().text
    assert "Đảng ủy xã Đông Ngũ" in text and "Tỉnh ủy" not in text and "Hồng Gai" not in text
    commune.wait_reply()
    commune.press_data(f"sup:nudge:{example.tree.cell_b1.id}:2025-06")  # not theirs
    assert commune.wait_answer().text == vi("button.expired")


@pytest.mark.parametrize(
    "data", ["sup:nudge:12x:2025-06", "sup:nudge:12:2025-13", "sup:miss:1:2025-00:0"]
)
def test_a_garbled_button_is_answered_and_changes_nothing(tg, bot, example, run_db, data) -> None:
    supervisor = reachable(tg, 9001, "Lê Thị Tỉnh")
    supervisor.send("/missing 06/2025")
    supervisor.wait_reply()
    supervisor.press_data(data)
    assert supervisor.wait_answer().text == vi("button.expired")
    tg.wait_idle()
    supervisor.assert_no_reply()


def test_a_secretary_cannot_see_summaries(tg, bot, example, run_db) -> None:
    an = reachable(tg, 1101, "Nguyễn Văn An")
    an.send("/summary")
    assert an.wait_reply().text == vi("supervisor.not_allowed")


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("/summary 13/2025", "Tháng chưa đúng"),
        ("/missing tháng sáu", "Tháng chưa đúng"),
        ("/export 01/2099", "Tháng 01/2099 chưa tới"),
    ],
)
def test_a_wrong_month_gets_a_polite_answer(tg, bot, example, run_db, typed, answer) -> None:
    supervisor = reachable(tg, 9001, "Lê Thị Tỉnh")
    supervisor.send(typed)
    assert answer in supervisor.wait_reply().text

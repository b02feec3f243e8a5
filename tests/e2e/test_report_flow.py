"""The monthly report conversation as a secretary lives it: from /report to the reference."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from e2e.reporting import (
    NOW,
    SECRETARY_ID,
    answer,
    fill_report,
    make_org,
    press,
    reports,
    set_clock,
)

EXPIRED = "Nút này đã hết hạn"


@pytest.fixture
def an(tg, bot, run_db):
    make_org(run_db)
    set_clock(bot, NOW)
    return tg.user(SECRETARY_ID, "An")


def test_a_full_report_with_photos_from_report_to_its_reference(an, run_db):
    an.send("/report")
    first = an.wait_reply()
    assert "Bước 1/13" in first.text and "Chi bộ thôn Đồng Tâm" in first.text
    assert "11/2026" in first.text

    press(an, "Có họp", "Bước 2/13")
    assert "Hôm nay 25/11" in an.buttons() and "Hôm qua 24/11" in an.buttons()
    answer(an, "20/11", "Bước 3/13")
    press(an, "Chuyên đề", "Chủ đề sinh hoạt chuyên đề")
    answer(an, "Học tập Nghị quyết Đại hội", "Bước 4/13")
    answer(an, "45", "Bước 5/13")
    answer(an, "3", "phải dự: 42")
    answer(an, "38", "Bước 7/13")
    answer(an, "2", "Bước 8/13")
    press(an, "2 đồng chí", "Bước 9/13")
    answer(an, "Nguyễn Văn Bình", "Chức vụ của đồng chí Nguyễn Văn Bình")
    answer(an, "Phó Bí thư Đảng ủy xã", "Bước 10/13")
    answer(an, "Triển khai kế hoạch tháng 12 & <thu> quỹ", "Bước 11/13")
    answer(an, "Thống nhất kế hoạch", "Bước 12/13")
    answer(an, "2 0 1", "Bước 13/13")
    an.send_photo()
    assert "Đã nhận 1 ảnh" in an.wait_reply().text
    an.send_photo()
    assert "Đã nhận 2 ảnh" in an.wait_reply().text
    review = press(an, "Xong (2 ảnh)", "Xem lại báo cáo tháng 11/2026").text

    assert "Ngày họp: 20/11/2026" in review
    assert "Chuyên đề – chủ đề: Học tập Nghị quyết Đại hội" in review
    assert "Tỷ lệ dự: 90,5% ✅ trên 85%" in review
    assert "⚠️ 2 đảng viên vắng không lý do" in review
    assert "Cấp trên dự: Nguyễn Văn Bình – Phó Bí thư Đảng ủy xã" in review
    assert "Triển khai kế hoạch tháng 12 & <thu> quỹ" in review  # typed text shown as typed
    assert "quần chúng ưu tú 2, kết nạp 0, chuyển chính thức 1" in review
    assert "Ảnh biên bản: 2" in review

    an.press("Gửi báo cáo")
    confirmation = an.wait_reply().text
    [report] = reports(run_db)
    assert "Đã lưu báo cáo tháng 11/2026" in confirmation
    assert f"Số tham chiếu: BC-2611-{report.id:04d}" in confirmation
    assert (report.members, report.exempt, report.present) == (45, 3, 38)
    assert (report.absent_excused, report.absent_unexcused) == (2, 2)
    assert report.meeting_type == "thematic" and report.meeting_date == date(2026, 11, 20)
    assert len(report.photos) == 2 and report.submitter_role == "secretary"
    assert report.version == 1
    an.assert_no_reply()


def test_a_usual_month_takes_about_ten_taps_with_last_months_figures(an, run_db):
    fill_report(an)
    press(an, "Gửi báo cáo", "Số tham chiếu")
    assert len(reports(run_db)) == 1

    december = NOW + timedelta(days=20)  # 15 December: only December is open
    set_clock(an.tg.bot, december)
    an.send("/report")
    an.wait_for_text("Bước 1/13")
    press(an, "Có họp", "Bước 2/13")
    assert an.buttons() == ["Hôm nay 15/12", "Hôm qua 14/12"]  # the 20th is still to come
    press(an, "Hôm nay", "Bước 3/13")
    press(an, "Thường kỳ", "Bước 4/13")
    press(an, "45 (như tháng trước)", "Bước 5/13")
    press(an, "3 (như tháng trước)", "Bước 6/13")
    press(an, "Đủ cả 42", "Bước 9/13")  # everyone came: no absence to ask about
    press(an, "Bỏ qua", "Bước 10/13")
    answer(an, "Sơ kết năm", "Bước 11/13")
    answer(an, "Thống nhất", "Bước 12/13")
    press(an, "Bỏ qua", "Bước 13/13")
    review = press(an, "Bỏ qua", "Xem lại báo cáo tháng 12/2026").text
    assert "Tỷ lệ dự: 100,0% ✅" in review and "vắng không lý do: 0" in review
    press(an, "Gửi báo cáo", "BC-2612-")


def test_not_held_asks_the_reason_and_finishes(an, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/13")
    press(an, "Không họp", "Bước 2/2")
    review = answer(an, "Mưa bão, đường ngập", "Xem lại báo cáo").text
    assert "Không họp. Lý do: Mưa bão, đường ngập" in review
    assert "Ngày họp" not in review

    press(an, "Gửi báo cáo", "Số tham chiếu")
    [report] = reports(run_db)
    assert report.held is False and report.not_held_reason == "Mưa bão, đường ngập"
    assert report.members is None and report.photos == []


def test_each_invalid_answer_is_explained_at_its_step(an, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/13")
    answer(an, "hôm qua", "chọn một trong các ý")  # typed, but none of the options
    answer(an, "co hop", "Bước 2/13")  # typed without diacritics: the option "Có họp"
    for typed, reason in [
        ("hôm kia", "Chưa đúng dạng ngày"),
        ("31/10", "phải nằm trong tháng 11/2026"),
        ("26/11", "không được sau hôm nay (25/11/2026)"),
    ]:
        reply = answer(an, typed, reason).text
        assert "Bước 2/13" in reply  # still at the date
    answer(an, "20/11", "Bước 3/13")
    press(an, "Thường kỳ", "Bước 4/13")
    for typed, reason in [
        ("bốn lăm", "Cần gõ một số"),
        ("-5", "Số không được âm"),
        ("4.5", "Cần gõ một số"),
        ("0", "Số phải từ 1 trở lên"),
    ]:
        assert "Bước 4/13" in answer(an, typed, reason).text
    answer(an, "45", "Bước 5/13")
    assert "Bước 5/13" in answer(an, "45", "phải nhỏ hơn tổng số đảng viên (45)").text
    answer(an, "3", "Bước 6/13")
    assert "Bước 6/13" in answer(an, "43", "không được lớn hơn số phải dự (42)").text
    answer(an, "38", "Bước 7/13")
    assert "Bước 7/13" in answer(an, "5", "Chỉ có 4 đồng chí vắng").text
    answer(an, "2", "Bước 8/13")
    reply = answer(an, "3", "= 43, nhưng số phải dự là 42").text
    assert "Có mặt 38 + vắng có lý do 2 + vắng không lý do 3" in reply and "Bước 8/13" in reply
    answer(an, "2", "Bước 9/13")
    press(an, "Bỏ qua", "Bước 10/13")
    an.send_photo()
    assert "Bước 10/13" in an.wait_for_text("không gửi ảnh hay tệp").text
    reply = answer(an, "x" * 1001, "dài 1001 ký tự, quá giới hạn 1000").text
    assert "Bước 10/13" in reply
    answer(an, "Nội dung", "Bước 11/13")
    answer(an, "Kết luận", "Bước 12/13")
    assert "Bước 12/13" in answer(an, "2 0", "đúng 3 số").text
    press(an, "Bỏ qua", "Bước 13/13")
    an.send_document()
    assert "Bước 13/13" in an.wait_for_text("gửi biên bản dạng ảnh").text
    an.send("đây là ảnh")
    an.wait_for_text("hãy gửi ảnh biên bản")
    press(an, "Bỏ qua", "Xem lại báo cáo")
    assert reports(run_db) == []  # nothing is stored before "Gửi báo cáo"


def test_a_field_changed_from_the_review(an, run_db):
    review = fill_report(an).text
    assert "Ngày họp: 20/11/2026" in review
    press(an, "Ngày họp", "Bước 2/13")
    review = press(an, "Hôm qua 24/11", "Xem lại báo cáo").text  # straight back to the review
    assert "Ngày họp: 24/11/2026" in review

    press(an, "Số người dự", "Bước 4/13")
    answer(an, "46", "Bước 5/13")
    answer(an, "3", "Bước 6/13")
    review = press(an, "Đủ cả 43", "Xem lại báo cáo").text
    assert "Đảng viên: 46; miễn sinh hoạt: 3; phải dự: 43" in review

    press(an, "Gửi báo cáo", "Số tham chiếu")
    [report] = reports(run_db)
    assert report.meeting_date == date(2026, 11, 24) and report.present == 43


def test_a_restart_mid_conversation_loses_nothing(an, bot, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/13")
    press(an, "Có họp", "Bước 2/13")
    answer(an, "20/11", "Bước 3/13")
    press(an, "Thường kỳ", "Bước 4/13")

    bot.restart()
    set_clock(bot, NOW)

    answer(an, "45", "Bước 5/13")  # the typed answer goes on where it was
    an.send("/report")
    offer = an.wait_for_text("đang làm dở báo cáo tháng 11/2026 (bước 5/13)")
    assert "Làm tiếp" in offer.buttons[0]
    press(an, "Làm tiếp", "Bước 5/13")
    answer(an, "3", "Bước 6/13")

    bot.restart()
    set_clock(bot, NOW)

    press(an, "Đủ cả 42", "Bước 9/13")  # a button sent before the restart still works
    press(an, "Bỏ qua", "Bước 10/13")
    answer(an, "Nội dung", "Bước 11/13")
    answer(an, "Kết luận", "Bước 12/13")
    press(an, "Bỏ qua", "Bước 13/13")
    review = press(an, "Bỏ qua", "Xem lại báo cáo").text
    assert "Ngày họp: 20/11/2026" in review and "Đảng viên: 45" in review
    press(an, "Gửi báo cáo", "Số tham chiếu")
    assert len(reports(run_db)) == 1


def test_old_buttons_are_answered_as_expired_and_never_applied(an, run_db):
    an.send("/report")
    first = an.wait_for_text("Bước 1/13")
    held_yes, held_no = first.button_data("✅ Có họp"), first.button_data("❌ Không họp")
    press(an, "Có họp", "Bước 2/13")
    assert first.buttons == []  # an answered question keeps no buttons

    an.press_data(held_no, first)  # "Không họp", an old step (kept by a slow phone, say)
    answer = an.wait_answer()
    assert answer.show_alert and EXPIRED in answer.text
    an.assert_no_reply()

    an.send("/cancel")
    an.wait_for_text("Bỏ báo cáo tháng 11/2026 đang làm dở?")
    press(an, "Bỏ", "Đã bỏ")
    an.press_data(held_yes, first)  # from the discarded draft
    assert EXPIRED in an.wait_answer().text
    an.assert_no_reply()

    review = fill_report(an)
    send = review.button_data("📨 Gửi báo cáo")
    press(an, "Gửi báo cáo", "Số tham chiếu")
    an.press_data(send, review)  # the review's button once more: the draft is gone
    assert EXPIRED in an.wait_answer().text
    an.assert_no_reply()
    assert [r.version for r in reports(run_db)] == [1]


def test_cancel_asks_first_and_keeping_goes_on(an):
    an.send("/cancel")
    an.wait_for_text("không có việc gì đang làm dở")
    an.send("/report")
    an.wait_for_text("Bước 1/13")
    press(an, "Có họp", "Bước 2/13")
    an.send("/cancel")
    an.wait_for_text("Bỏ báo cáo tháng 11/2026 đang làm dở?")
    press(an, "Làm tiếp", "Bước 2/13")


def remind(bot, chat_id: int) -> None:
    """What the scheduler's reminder carries: a button with callback data "report:start"."""
    button = InlineKeyboardButton("Báo cáo ngay", callback_data="report:start")
    markup = InlineKeyboardMarkup([[button]])
    bot.call(lambda app: app.bot.send_message(chat_id, "Nhắc: sắp đến hạn", reply_markup=markup))


def test_the_reminders_button_begins_like_report(an, bot):
    an.send("/start")  # a member has talked to the bot before (joining)
    an.wait_reply()
    remind(bot, SECRETARY_ID)
    press(an, "Báo cáo ngay", "Bước 1/13")
    press(an, "Có họp", "Bước 2/13")
    remind(bot, SECRETARY_ID)
    press(an, "Báo cáo ngay", "đang làm dở báo cáo tháng 11/2026")
    press(an, "Bỏ, làm lại", "Bước 1/13")


def test_report_buttons_are_not_applied_in_a_group(tg, an, bot):
    group = tg.group(-100123, "Đảng ủy xã Đông Ngũ")
    group.add(an)
    group.add_bot(an)
    tg.wait_idle()
    remind(bot, group.chat_id)
    group.press(an, "Báo cáo ngay")
    assert "chỉ dùng khi nhắn riêng" in group.wait_answer().text
    group.assert_no_reply()


def test_a_stale_draft_expires_when_its_owner_comes_back(an, bot):
    an.send("/report")
    an.wait_for_text("Bước 1/13")
    press(an, "Có họp", "Bước 2/13")
    set_clock(bot, NOW + timedelta(days=8))  # still 3 December: November is open, late
    an.send("20/11")
    assert "hết hạn nên đã được bỏ" in an.wait_reply().text
    an.assert_no_reply()
    an.send("/report")
    fresh = an.wait_reply()  # a fresh start, no offer to resume
    assert "Báo cáo tháng nào?" in fresh.text
    assert fresh.buttons == ["Tháng 12/2026", "Tháng 11/2026"]

"""The monthly report conversation as a secretary lives it: from /report to the reference.

The stories count the secretary's actions (a message sent or a button pressed; /report and the
final send count) against the targets of issue 12, and the longest message they read."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from e2e.reporting import (
    HCM,
    NOW,
    SECRETARY_ID,
    SUPERVISOR_ID,
    answer,
    fill_answers,
    fill_report,
    longest,
    make_org,
    press,
    reports,
    set_clock,
)

EXPIRED = "Nút này đã hết hạn"
LIMIT = 400  # characters: the longest message a secretary may be shown
DECEMBER = NOW + timedelta(days=20)  # 15 December: only December is open
REPORTING_DAYS = datetime(2026, 12, 3, 9, 0, tzinfo=HCM)  # November is due by 5 December


@pytest.fixture
def an(tg, bot, run_db):
    make_org(run_db)
    set_clock(bot, NOW)
    return tg.user(SECRETARY_ID, "An")


def send_first_report(user) -> None:
    fill_report(user)
    press(user, "Gửi báo cáo", "Số tham chiếu")


def test_a_usual_month_takes_eight_actions(an, run_db):
    send_first_report(an)
    set_clock(an.tg.bot, DECEMBER)
    before = an.actions

    an.send("/report")
    first = an.wait_for_text("Bước 1/6")
    assert "12/2026" in first.text and first.buttons == ["✅ Có họp", "❌ Không họp"]
    press(an, "Có họp", "Bước 2/6")
    assert an.buttons() == ["Hôm nay 15/12", "Hôm qua 14/12"]  # the 20th is still to come
    press(an, "Hôm nay", "Bước 3/6")
    same = press(an, "Thường kỳ", "Bước 4/6")
    assert "Tháng trước chi bộ có 45 đảng viên, miễn sinh hoạt 3, phải dự 42" in same.text
    assert same.buttons == [
        "Như tháng trước, có mặt đủ 42",
        "Như tháng trước: có mặt 40, vắng 2",
        "Như tháng trước, có người vắng",
        "Có thay đổi",
    ]
    press(an, "có mặt đủ 42", "Bước 5/6")
    answer(an, "Sơ kết năm", "Bước 6/6")
    review = answer(an, "Thống nhất", "Xem lại báo cáo tháng 12/2026")
    assert "có mặt 42/42 (100,0% ✅)" in review.text
    assert review.buttons[0] == "📨 Gửi báo cáo"
    press(an, "Gửi báo cáo", "BC-2612-")

    assert an.actions - before == 8
    assert longest(an) <= LIMIT
    december = next(r for r in reports(run_db) if r.period == "2026-12")
    assert (december.members, december.exempt, december.present) == (45, 3, 42)
    assert december.upper_attendee_name is None and december.candidates is None


def test_a_usual_month_with_the_same_absences_takes_eight_actions(an, run_db):
    send_first_report(an)
    set_clock(an.tg.bot, DECEMBER)
    before = an.actions
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    press(an, "Có họp", "Bước 2/6")
    press(an, "Hôm nay", "Bước 3/6")
    press(an, "Thường kỳ", "Bước 4/6")
    press(an, "có mặt 40, vắng 2", "Bước 5/6")
    answer(an, "Sơ kết năm", "Bước 6/6")
    answer(an, "Thống nhất", "Xem lại báo cáo")
    press(an, "Gửi báo cáo", "BC-2612-")
    assert an.actions - before == 8
    december = next(r for r in reports(run_db) if r.period == "2026-12")
    assert (december.present, december.absent_excused, december.absent_unexcused) == (40, 2, 0)


def test_a_usual_month_with_a_photo_of_the_minutes_instead_of_typing(tg, an, run_db):
    send_first_report(an)
    set_clock(an.tg.bot, DECEMBER)
    before = an.actions
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    press(an, "Có họp", "Bước 2/6")
    press(an, "Hôm nay", "Bước 3/6")
    press(an, "Thường kỳ", "Bước 4/6")
    content = press(an, "có mặt đủ 42", "Bước 5/6")
    assert "gửi ảnh trang biên bản" in content.text
    an.send_photo()
    assert an.wait_reply().buttons == ["Xong (1 ảnh)"]
    review = press(an, "Xong", "Xem lại báo cáo").text
    assert "Nội dung: theo ảnh biên bản" in review and "Ảnh biên bản: 1" in review
    press(an, "Gửi báo cáo", "BC-2612-")
    assert an.actions - before == 8

    december = next(r for r in reports(run_db) if r.period == "2026-12")
    assert december.content is None and december.conclusion is None
    assert len(december.photos) == 1
    cuong = tg.user(SUPERVISOR_ID, "Cường")
    cuong.send("/reports 12/2026")
    cuong.wait_reply()
    view = press(cuong, "Chi bộ thôn Đồng Tâm", "Báo cáo tháng 12/2026")
    assert "🖼 Xem ảnh biên bản (1)" in view.buttons
    cuong.press("Xem ảnh biên bản (1)")
    assert cuong.wait_reply().kind == "photo"  # the supervisor opens the minutes


def test_a_first_report_ever_with_every_detail(an, run_db):
    an.send("/report")
    first = an.wait_reply()
    assert "Bước 1/6" in first.text and "Chi bộ thôn Đồng Tâm" in first.text
    assert "11/2026" in first.text

    press(an, "Có họp", "Bước 2/6")
    assert "Hôm nay 25/11" in an.buttons() and "Hôm qua 24/11" in an.buttons()
    answer(an, "20/11", "Bước 3/6")
    press(an, "Chuyên đề", "Chủ đề sinh hoạt chuyên đề")
    answer(an, "Học tập Nghị quyết Đại hội", "Tổng số đảng viên")
    answer(an, "45", "miễn sinh hoạt")
    answer(an, "3", "phải dự: 42")
    answer(an, "38", "vắng có lý do?")
    answer(an, "2", "vắng không lý do?")
    press(an, "2 đồng chí", "Bước 5/6")
    answer(an, "Triển khai kế hoạch tháng 12 & <thu> quỹ", "Bước 6/6")
    review = answer(an, "Thống nhất kế hoạch", "Xem lại báo cáo tháng 11/2026")
    assert an.actions == 12  # /report ... conclusion; the send makes 13 (target: at most 16)
    assert review.buttons[0] == "📨 Gửi báo cáo"

    # The optional details, from the review.
    press(an, "Cấp trên dự", "Có đồng chí cấp ủy cấp trên dự họp không?")
    answer(an, "Nguyễn Văn Bình", "Chức vụ của đồng chí Nguyễn Văn Bình")
    answer(an, "Phó Bí thư Đảng ủy xã", "Xem lại báo cáo")
    press(an, "Phát triển đảng", "gõ 3 số")
    answer(an, "2 0 1", "Xem lại báo cáo")
    press(an, "Ảnh biên bản", "Gửi ảnh biên bản")
    an.send_photo()
    assert "Đã nhận 1 ảnh" in an.wait_reply().text
    an.send_photo()
    assert "Đã nhận 2 ảnh" in an.wait_reply().text
    review = press(an, "Xong (2 ảnh)", "Xem lại báo cáo tháng 11/2026").text

    assert "Họp ngày 20/11/2026, Chuyên đề" in review
    assert "Chủ đề: Học tập Nghị quyết Đại hội" in review
    assert "có mặt 38/42 (90,5% ✅)" in review and "Vắng có lý do 2, không lý do 2" in review
    assert "Cấp trên dự: Nguyễn Văn Bình" in review
    assert "Triển khai kế hoạch tháng 12 & <th" in review  # as typed (cut to fit)
    assert "Ưu tú 2, kết nạp 0, chính thức 1" in review and "Ảnh biên bản: 2" in review
    assert len(review) <= LIMIT

    an.press("Gửi báo cáo")
    confirmation = an.wait_reply()
    [report] = reports(run_db)
    assert "Đã lưu báo cáo tháng 11/2026" in confirmation.text
    assert f"Số tham chiếu: BC-2611-{report.id:04d}" in confirmation.text
    assert confirmation.buttons == ["✏️ Sửa báo cáo"]
    assert (report.members, report.exempt, report.present) == (45, 3, 38)
    assert (report.absent_excused, report.absent_unexcused) == (2, 2)
    assert report.meeting_type == "thematic" and report.meeting_date == date(2026, 11, 20)
    assert report.upper_attendee_position == "Phó Bí thư Đảng ủy xã"
    assert (report.candidates, report.admissions, report.full_memberships) == (2, 0, 1)
    assert len(report.photos) == 2 and report.submitter_role == "secretary"
    assert report.version == 1
    assert longest(an) <= LIMIT
    an.assert_no_reply()


def test_a_first_report_takes_at_most_sixteen_actions(an, run_db):
    fill_report(an)
    press(an, "Gửi báo cáo", "Số tham chiếu")
    assert an.actions == 12 <= 16
    assert longest(an) <= LIMIT


def test_not_held_takes_four_actions(an, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    answer(an, "khong", "Bước 2/2")  # typed, without diacritics
    review = answer(an, "Mưa bão, đường ngập", "Xem lại báo cáo").text
    assert "Không họp. Lý do: Mưa bão, đường ngập" in review
    assert "Họp ngày" not in review
    assert an.buttons() == ["📨 Gửi báo cáo", "Hủy", "Có họp/không", "Lý do"]

    press(an, "Gửi báo cáo", "Số tham chiếu")
    assert an.actions == 4
    [report] = reports(run_db)
    assert report.held is False and report.not_held_reason == "Mưa bão, đường ngập"
    assert report.members is None and report.photos == []


def test_changing_one_figure_after_sending_takes_four_actions(an, run_db):
    send_first_report(an)
    before = an.actions
    review = press(an, "✏️ Sửa báo cáo", "đang sửa báo cáo đã gửi (bản lần 1)")
    assert "Vắng có lý do 2, không lý do 0" in review.text
    press(an, "Số vắng", "Gõ số vắng có lý do và số vắng không lý do")
    review = answer(an, "2 1", "Xem lại báo cáo").text
    assert "có mặt 39/42" in review and "Vắng có lý do 2, không lý do 1" in review
    press(an, "Gửi báo cáo", "Đã lưu bản sửa (lần 2)")
    assert an.actions - before == 4
    [report] = reports(run_db)
    assert (report.version, report.present, report.absent_unexcused) == (2, 39, 1)


def test_during_the_reporting_days_the_due_month_opens_directly(an, bot, run_db):
    set_clock(bot, REPORTING_DAYS)  # 3 December: November is due, December has begun
    an.send("/report")
    first = an.wait_reply()
    assert "Báo cáo tháng 11/2026" in first.text and "12/2026" not in first.text
    assert first.buttons == ["✅ Có họp", "❌ Không họp", "📅 Tháng khác"]  # no month to mistake
    choice = press(an, "Tháng khác", "Báo cáo tháng nào?")
    assert choice.buttons == ["Tháng 11/2026", "Tháng 12/2026"]  # oldest first
    press(an, "Tháng 11/2026", "Báo cáo tháng 11/2026")
    fill_answers(an)
    press(an, "Gửi báo cáo", "BC-2611-")

    an.send("/report")  # November sent: December opens, November is one choice away
    assert "Báo cáo tháng 12/2026" in an.wait_reply().text
    press(an, "Tháng khác", "Báo cáo tháng nào?")
    assert an.buttons() == ["Tháng 11/2026 (đã gửi, xem/sửa)", "Tháng 12/2026"]


def test_after_the_deadline_the_late_month_comes_first_marked_late(an, bot, run_db):
    set_clock(bot, datetime(2026, 12, 7, 9, 0, tzinfo=HCM))
    an.send("/report")
    first = an.wait_reply()
    assert "Báo cáo tháng 11/2026 (quá hạn)" in first.text
    fill_answers(an)
    sent = press(an, "Gửi báo cáo", "Số tham chiếu").text
    assert "nộp muộn (hạn nộp 05/12/2026)" in sent


def test_emoji_and_meaningless_text_are_refused(an, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    answer(an, "co", "Bước 2/6")  # typed "co": the option "Có họp"
    answer(an, "hom nay", "Bước 3/6")  # typed "hom nay": today
    press(an, "Thường kỳ", "Tổng số đảng viên")
    answer(an, "20", "miễn sinh hoạt")
    answer(an, "khong co", "Số đảng viên có mặt")  # "Không có (0)"
    answer(an, "du ca 20", "Bước 5/6")
    for typed in ("👍", "...", "aaaa"):
        reply = answer(an, typed, "chưa đọc được").text
        assert "Bước 5/6" in reply
    answer(an, "Học tập nghị quyết", "Bước 6/6")
    assert "Bước 6/6" in answer(an, "🙏", "chưa đọc được").text
    answer(an, "Thống nhất", "Xem lại báo cáo")
    assert reports(run_db) == []


def test_each_invalid_answer_is_explained_at_its_step(an, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    answer(an, "hôm qua", "chọn một trong các ý")  # typed, but none of the options
    answer(an, "co hop", "Bước 2/6")  # typed without diacritics: the option "Có họp"
    for typed, reason in [
        ("hôm kia", "Chưa đúng dạng ngày"),
        ("31/10", "phải nằm trong tháng 11/2026"),
        ("26/11", "không được sau hôm nay (25/11/2026)"),
    ]:
        reply = answer(an, typed, reason).text
        assert "Bước 2/6" in reply  # still at the date
    answer(an, "20/11", "Bước 3/6")
    press(an, "Thường kỳ", "Tổng số đảng viên")
    for typed, reason in [
        ("bốn lăm", "Cần gõ một số"),
        ("-5", "Số không được âm"),
        ("4.5", "Cần gõ một số"),
        ("0", "Số phải từ 1 trở lên"),
    ]:
        assert "Tổng số đảng viên" in answer(an, typed, reason).text
    answer(an, "45", "miễn sinh hoạt")
    answer(an, "45", "phải nhỏ hơn tổng số đảng viên (45)")
    answer(an, "3", "Số đảng viên có mặt")
    answer(an, "43", "không được lớn hơn số phải dự (42)")
    answer(an, "38", "vắng có lý do?")
    answer(an, "5", "Chỉ có 4 đồng chí vắng")
    answer(an, "2", "vắng không lý do?")
    reply = answer(an, "3", "= 43, nhưng số phải dự là 42").text
    assert "Có mặt 38 + vắng có lý do 2 + vắng không lý do 3" in reply
    answer(an, "2", "Bước 5/6")
    an.send_document()
    assert "Bước 5/6" in an.wait_for_text("gửi biên bản dạng ảnh").text
    reply = answer(an, "x" * 1001, "dài 1001 ký tự, quá giới hạn 1000").text
    assert "Bước 5/6" in reply
    answer(an, "Nội dung", "Bước 6/6")
    an.send_photo()
    assert "Bước 6/6" in an.wait_for_text("không gửi ảnh hay tệp").text
    answer(an, "Kết luận", "Xem lại báo cáo")
    press(an, "Phát triển đảng", "gõ 3 số")
    answer(an, "2 0", "đúng 3 số")
    press(an, "Bỏ qua", "Xem lại báo cáo")
    press(an, "Ảnh biên bản", "Gửi ảnh biên bản")
    an.send_document()
    an.wait_for_text("gửi biên bản dạng ảnh")
    an.send("đây là ảnh")
    an.wait_for_text("hãy gửi ảnh biên bản")
    press(an, "Bỏ qua", "Xem lại báo cáo")
    assert reports(run_db) == []  # nothing is stored before "Gửi báo cáo"


def test_a_field_changed_from_the_review(an, run_db):
    review = fill_report(an).text
    assert "Họp ngày 20/11/2026" in review
    press(an, "Ngày, hình thức", "Bước 2/6")
    press(an, "Hôm qua 24/11", "Bước 3/6")
    review = press(an, "Thường kỳ", "Xem lại báo cáo").text  # straight back to the review
    assert "Họp ngày 24/11/2026" in review

    press(an, "Số đảng viên", "Tổng số đảng viên")
    answer(an, "46", "miễn sinh hoạt")
    answer(an, "3", "Số đảng viên có mặt")
    review = press(an, "Đủ cả 43", "Xem lại báo cáo").text
    assert "Đảng viên 46, miễn 3; có mặt 43/43" in review

    press(an, "Gửi báo cáo", "Số tham chiếu")
    [report] = reports(run_db)
    assert report.meeting_date == date(2026, 11, 24) and report.present == 43


def test_a_restart_mid_conversation_loses_nothing(an, bot, run_db):
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    press(an, "Có họp", "Bước 2/6")
    answer(an, "20/11", "Bước 3/6")
    press(an, "Thường kỳ", "Tổng số đảng viên")

    bot.restart()
    set_clock(bot, NOW)

    answer(an, "45", "miễn sinh hoạt")  # the typed answer goes on where it was
    an.send("/report")
    offer = an.wait_for_text("đang làm dở báo cáo tháng 11/2026 (bước 4/6)")
    assert "Làm tiếp" in offer.buttons[0]
    press(an, "Làm tiếp", "miễn sinh hoạt")
    answer(an, "3", "Số đảng viên có mặt")

    bot.restart()
    set_clock(bot, NOW)

    press(an, "Đủ cả 42", "Bước 5/6")  # a button sent before the restart still works
    answer(an, "Nội dung", "Bước 6/6")
    review = answer(an, "Kết luận", "Xem lại báo cáo").text
    assert "Họp ngày 20/11/2026" in review and "Đảng viên 45" in review
    press(an, "Gửi báo cáo", "Số tham chiếu")
    assert len(reports(run_db)) == 1


def test_a_stale_press_says_what_to_do_now(an, run_db):
    an.send("/report")
    first = an.wait_for_text("Bước 1/6")
    held_yes, held_no = first.button_data("✅ Có họp"), first.button_data("❌ Không họp")
    press(an, "Có họp", "Bước 2/6")
    assert first.buttons == []  # an answered question keeps no buttons

    an.press_data(held_no, first)  # "Không họp", an old step (kept by a slow phone, say)
    alert = an.wait_answer()
    assert alert.show_alert and EXPIRED in alert.text
    where = an.wait_for_text("đang làm dở báo cáo tháng 11/2026")
    assert where.buttons == ["Làm tiếp"]
    press(an, "Làm tiếp", "Bước 2/6")  # the current question again, nothing changed

    an.send("/cancel")
    an.wait_for_text("Bỏ báo cáo tháng 11/2026 đang làm dở?")
    press(an, "Bỏ", "Đã bỏ")
    an.press_data(held_yes, first)  # from the discarded draft
    assert EXPIRED in an.wait_answer().text
    an.wait_for_text("gõ /report")
    an.assert_no_reply()
    assert reports(run_db) == []

    review = fill_report(an)
    send = review.button_data("📨 Gửi báo cáo")
    press(an, "Gửi báo cáo", "Số tham chiếu")
    [report] = reports(run_db)
    an.press_data(send, review)  # the review's button once more: the report was saved
    assert EXPIRED in an.wait_answer().text
    saved = an.wait_reply().text
    assert f"Báo cáo tháng 11/2026 đã được lưu, số tham chiếu BC-2611-{report.id:04d}" in saved
    an.assert_no_reply()
    assert [r.version for r in reports(run_db)] == [1]


def test_cancel_asks_first_and_keeping_goes_on(an):
    an.send("/cancel")
    an.wait_for_text("không có việc gì đang làm dở")
    an.send("/report")
    an.wait_for_text("Bước 1/6")
    press(an, "Có họp", "Bước 2/6")
    an.send("/cancel")
    an.wait_for_text("Bỏ báo cáo tháng 11/2026 đang làm dở?")
    press(an, "Làm tiếp", "Bước 2/6")


def remind(bot, chat_id: int) -> None:
    """What the scheduler's reminder carries: a button with callback data "report:start"."""
    button = InlineKeyboardButton("Báo cáo ngay", callback_data="report:start")
    markup = InlineKeyboardMarkup([[button]])
    bot.call(lambda app: app.bot.send_message(chat_id, "Nhắc: sắp đến hạn", reply_markup=markup))


def test_the_reminders_button_begins_like_report(an, bot):
    an.send("/start")  # a member has talked to the bot before (joining)
    an.wait_reply()
    remind(bot, SECRETARY_ID)
    press(an, "Báo cáo ngay", "Bước 1/6")
    press(an, "Có họp", "Bước 2/6")
    remind(bot, SECRETARY_ID)
    press(an, "Báo cáo ngay", "đang làm dở báo cáo tháng 11/2026")
    press(an, "Bỏ, làm lại", "Bước 1/6")


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
    an.wait_for_text("Bước 1/6")
    press(an, "Có họp", "Bước 2/6")
    set_clock(bot, NOW + timedelta(days=8))  # 3 December: November is still due
    an.send("20/11")
    assert "hết hạn nên đã được bỏ" in an.wait_reply().text
    an.assert_no_reply()
    an.send("/report")
    fresh = an.wait_reply()  # a fresh start, no offer to resume: the due month directly
    assert "Bước 1/6" in fresh.text and "11/2026" in fresh.text
    assert fresh.buttons == ["✅ Có họp", "❌ Không họp", "📅 Tháng khác"]

"""A sent report afterwards: amending until the lock, return for correction by a supervisor, a
deputy's submission, two people editing at once, the history, late months and several cells."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from factories import make_person
from sqlmodel import select

from e2e.reporting import (
    DEPUTY_ID,
    HCM,
    NOW,
    SECRETARY_ID,
    SUPERVISOR_ID,
    answer,
    fill_answers,
    fill_report,
    make_org,
    press,
    reports,
    set_clock,
)
from storage.models import MeetingReport, ReportRevision, Unit

LOCKED = datetime(2026, 12, 11, 9, 0, tzinfo=HCM)  # November locked: deadline 5/12 + 5 days


@pytest.fixture
def org(bot, run_db):
    made = make_org(run_db)
    set_clock(bot, NOW)
    return made


@pytest.fixture
def an(tg, org):
    user = tg.user(SECRETARY_ID, "An")
    user.send("/start")
    user.wait_reply()
    return user


@pytest.fixture
def binh(tg, org):
    user = tg.user(DEPUTY_ID, "Bình")
    user.send("/start")
    user.wait_reply()
    return user


@pytest.fixture
def cuong(tg, org):
    user = tg.user(SUPERVISOR_ID, "Cường")
    user.send("/start")
    user.wait_reply()
    return user


def send_usual_report(user) -> str:
    fill_report(user)
    return press(user, "Gửi báo cáo", "Số tham chiếu").text


def revisions(run_db) -> list[ReportRevision]:
    async def load(session):
        return list((await session.exec(select(ReportRevision))).all())

    return run_db(load)


def test_amend_before_the_lock_keeps_the_earlier_version(an, run_db):
    reference = send_usual_report(an).split("Số tham chiếu: ")[1]
    an.send("/report")
    review = an.wait_reply().text
    assert "đang sửa báo cáo đã gửi (bản lần 1)" in review and "Đảng viên 45" in review
    press(an, "Hủy", "báo cáo đã gửi vẫn giữ nguyên")
    press(an, "Làm tiếp", "đang sửa báo cáo đã gửi (bản lần 1)")
    press(an, "Nội dung", "Bước 5/6")
    answer(an, "Triển khai kế hoạch tháng 12, bổ sung", "Xem lại báo cáo")
    amended = press(an, "Gửi báo cáo", "Đã lưu bản sửa (lần 2)").text
    assert reference in amended

    [report] = reports(run_db)
    assert report.version == 2 and report.content.endswith("bổ sung")
    [earlier] = revisions(run_db)
    assert earlier.version == 1 and earlier.data["content"] == "Triển khai kế hoạch tháng 12"


def test_amending_is_refused_after_the_lock(an, bot, run_db):
    send_usual_report(an)
    set_clock(bot, LOCKED - timedelta(days=2))  # 9 December: late, but not locked yet
    an.send("/history")
    an.wait_for_text("Báo cáo 12 tháng gần đây")
    press(an, "11/2026", "Báo cáo tháng 11/2026")
    assert "✏️ Sửa báo cáo" in an.buttons()
    an.send("/report")  # November sent: December opens, November is one choice away
    assert "Báo cáo tháng 12/2026" in an.wait_reply().text
    press(an, "Tháng khác", "Báo cáo tháng nào?")
    assert an.buttons() == ["Tháng 11/2026 (đã gửi, xem/sửa)", "Tháng 12/2026"]
    press(an, "Tháng 11/2026", "đang sửa báo cáo đã gửi")  # an amendment begun before the lock

    set_clock(bot, LOCKED)
    press(an, "Gửi báo cáo", "đã khóa sổ từ 11/12/2026 nên không sửa được nữa")  # sent after
    an.press("✏️ Sửa báo cáo")  # the history's button, pressed after the lock
    an.wait_for_text("không sửa được nữa")
    an.send("/history")
    an.wait_for_text("Báo cáo 12 tháng gần đây")
    view = press(an, "11/2026", "Báo cáo tháng 11/2026")
    assert "🔒 Đã khóa sổ từ 11/12/2026" in view.text
    assert "✏️ Sửa báo cáo" not in view.buttons
    assert [r.version for r in reports(run_db)] == [1]
    assert revisions(run_db) == []


def test_return_for_correction_and_resubmission(an, binh, cuong, bot, run_db):
    send_usual_report(an)
    set_clock(bot, LOCKED + timedelta(days=9))  # 20 December: long locked

    cuong.send("/reports 11/2026")
    listing = cuong.wait_reply()
    assert "1 chi bộ đã gửi" in listing.text
    assert listing.buttons == ["Chi bộ thôn Đồng Tâm · ✅ đúng hạn"]
    press(cuong, "Chi bộ thôn Đồng Tâm", "Người gửi: Nguyễn Văn An (Bí thư chi bộ)")
    press(cuong, "Trả lại để bổ sung", "Gõ nội dung cần bổ sung")
    done = answer(cuong, "Thiếu ảnh biên bản <gấp>", "Đã trả lại báo cáo").text
    assert "báo cho: Nguyễn Văn An, Trần Thị Bình" in done

    for user in (an, binh):
        notice = user.wait_for_text("được cấp trên trả lại để bổ sung")
        assert "Ý kiến: Thiếu ảnh biên bản <gấp>" in notice.text
        assert notice.buttons == ["✏️ Sửa và gửi lại"]
    [report] = reports(run_db)
    assert report.status == "returned"

    review = press(an, "Sửa và gửi lại", "Xem lại báo cáo tháng 11/2026").text
    assert "Cấp trên trả lại để bổ sung: Thiếu ảnh biên bản <gấp>" in review
    press(an, "Ảnh biên bản", "Gửi ảnh biên bản")
    an.send_photo()
    an.wait_for_text("Đã nhận 1 ảnh")
    press(an, "Xong (1 ảnh)", "Ảnh biên bản: 1")
    press(an, "Gửi báo cáo", "Đã lưu bản sửa (lần 2)")
    cuong.wait_for_text("đã bổ sung và gửi lại báo cáo tháng 11/2026")
    press(cuong, "Xem báo cáo", "Ảnh biên bản: 1")
    cuong.press("Xem ảnh biên bản (1)")
    assert cuong.wait_reply().kind == "photo"  # the photo of the minutes the secretary sent
    assert "Trả lại để bổ sung" in cuong.messages()[-2].buttons[-1]  # may return it again

    [report] = reports(run_db)
    assert report.status == "submitted" and len(report.photos) == 1
    assert report.first_submitted_at == NOW  # timeliness counts from the first sending
    an.send("/history")
    assert "11/2026: ✅ đúng hạn" in an.wait_reply().text
    binh.press("Sửa và gửi lại")  # the deputy's notice, after the correction: locked again
    binh.wait_for_text("không sửa được nữa")


def test_only_supervisors_list_reports(an, cuong):
    an.send("/reports")
    assert "dành cho cán bộ cấp ủy" in an.wait_reply().text
    cuong.send("/reports 13/2026")
    assert "Tháng chưa đúng" in cuong.wait_reply().text
    cuong.send("/reports")
    assert "Tháng 11/2026 chưa có chi bộ nào gửi báo cáo" in cuong.wait_reply().text


def test_a_deputys_submission_records_who_sent_it(an, binh, run_db):
    send_usual_report(binh)
    [report] = reports(run_db)
    assert report.submitter_role == "deputy"
    an.send("/history")
    an.wait_for_text("Báo cáo 12 tháng gần đây")
    view = press(an, "11/2026", "Báo cáo tháng 11/2026").text
    assert "Người gửi: Trần Thị Bình (Phó Bí thư chi bộ)" in view


def test_the_second_to_send_is_told_and_shown_the_current_report(an, binh, run_db):
    send_usual_report(an)
    an.send("/report")
    an.wait_for_text("đang sửa báo cáo đã gửi (bản lần 1)")
    press(an, "Nội dung", "Bước 5/6")
    answer(an, "Bản của An", "Xem lại báo cáo")

    binh.send("/report")
    binh.wait_for_text("đang sửa báo cáo đã gửi (bản lần 1)")
    press(binh, "Nội dung", "Bước 5/6")
    answer(binh, "Bản của Bình", "Xem lại báo cáo")
    press(binh, "Gửi báo cáo", "Đã lưu bản sửa (lần 2)")

    an.press("Gửi báo cáo")
    warning = an.wait_reply().text
    assert "vừa được Trần Thị Bình gửi" in warning and "chưa được lưu" in warning
    assert "Nội dung: Bản của Bình" in an.wait_reply().text  # what is stored now
    review = an.wait_reply().text  # and An's own version, ready to send over it
    assert "Nội dung: Bản của An" in review and "bản lần 2" in review
    [report] = reports(run_db)
    assert (report.version, report.content) == (2, "Bản của Bình")

    press(an, "Gửi báo cáo", "Đã lưu bản sửa (lần 3)")
    [report] = reports(run_db)
    assert (report.version, report.content) == (3, "Bản của An")


def set_cell(run_db, cell_id: int, **fields) -> None:
    async def change(session):
        unit = await session.get(Unit, cell_id)
        for name, value in fields.items():
            setattr(unit, name, value)
        session.add(unit)

    run_db(change)


def test_history_shows_the_months_owed_and_opens_a_report(an, org, run_db):
    cell, person = org.tree.cell_a1.id, org.secretary.id
    set_cell(run_db, cell, valid_from=date(2025, 1, 1))

    def stored(period: str, sent: datetime, **fields) -> MeetingReport:
        return MeetingReport(
            unit_id=cell, period=period, submitted_by_id=person, submitter_role="secretary",
            first_submitted_at=sent, submitted_at=sent, **fields,
        )  # fmt: skip

    async def create(session):
        session.add_all(
            [
                stored("2026-10", datetime(2026, 11, 5, 23, 30, tzinfo=HCM), members=30,
                       exempt=0, present=30, absent_excused=0, absent_unexcused=0,
                       meeting_date=date(2026, 10, 3), meeting_type="regular",
                       content="Tháng mười", conclusion="Đồng ý"),
                stored("2026-09", datetime(2026, 10, 8, tzinfo=HCM)),
                stored("2026-08", datetime(2026, 9, 1, tzinfo=HCM), held=False,
                       not_held_reason="Bão"),
                stored("2026-07", datetime(2026, 8, 1, tzinfo=HCM), status="returned",
                       return_comment="Thiếu số liệu"),
            ]
        )  # fmt: skip

    run_db(create)
    an.send("/history")
    text = an.wait_reply().text
    for line in [
        "10/2026: ✅ đúng hạn",  # 23:30 on the deadline day
        "09/2026: 🕒 nộp muộn",
        "08/2026: ⭕ không họp",
        "07/2026: ↩️ trả lại",
        "11/2025: ❌ chưa nộp",
    ]:
        assert line in text
    assert "11/2026" not in text  # the current month, not due yet and not reported
    assert "10/2025" not in text  # twelve months
    view = press(an, "10/2026", "Báo cáo tháng 10/2026").text
    assert "Tỷ lệ dự: 100,0%" in view and "Nội dung: Tháng mười" in view


def test_history_of_a_cell_that_joined_this_month_shows_only_the_due_month(an, org, bot, run_db):
    set_clock(bot, datetime(2026, 12, 3, 9, 0, tzinfo=HCM))
    set_cell(run_db, org.tree.cell_a1.id, created_at=datetime(2026, 12, 1, 8, 0, tzinfo=HCM))
    an.send("/history")
    text = an.wait_reply().text
    assert "11/2026: ❌ chưa nộp" in text
    assert "12/2026" not in text and "10/2026" not in text
    assert text.count("❌") == 1


def test_an_overdue_month_is_still_accepted_until_the_lock_and_counted_late(an, bot, run_db):
    set_clock(bot, datetime(2026, 12, 7, 9, 0, tzinfo=HCM))
    an.send("/report")  # the late month first, marked late; no month to choose
    first = an.wait_reply()
    assert "Báo cáo tháng 11/2026 (quá hạn)" in first.text
    assert first.buttons == ["✅ Có họp", "❌ Không họp", "📅 Tháng khác"]
    fill_answers(an)
    sent = press(an, "Gửi báo cáo", "Số tham chiếu").text
    assert "nộp muộn (hạn nộp 05/12/2026)" in sent
    an.send("/history")
    assert "11/2026: 🕒 nộp muộn" in an.wait_reply().text


def test_a_secretary_of_two_cells_chooses_the_cell_first(an, org, run_db):
    async def second_cell(session):
        await make_person(session, SECRETARY_ID, "Nguyễn Văn An", org.tree.cell_a2, "secretary")

    run_db(second_cell)
    an.send("/report")
    choice = an.wait_reply()
    assert choice.buttons == ["Chi bộ thôn Đồng Tâm", "Chi bộ thôn Tân Tiến"]
    first = press(an, "Tân Tiến", "Bước 1/6").text
    assert "Chi bộ thôn Tân Tiến" in first
    fill_answers(an)
    press(an, "Gửi báo cáo", "Số tham chiếu")
    [report] = reports(run_db)
    assert report.unit_id == org.tree.cell_a2.id

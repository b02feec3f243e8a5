"""Problems, end to end: a secretary raises them, supervisors handle them, the reporter follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_person, make_tree
from sqlmodel import select

from bot import i18n
from e2e.reporting import longest, set_clock
from storage.models import GroupLink, MeetingReport, Problem, ProblemEvent, utcnow

AN, BINH, CUC, DUNG = 1001, 2001, 3001, 4001  # secretary, commune, province, other commune
GROUP = -100500


@pytest.fixture
def org(run_db):
    """Cell A1 under commune A under the province; commune B is another subtree."""

    async def setup(session):
        tree = await make_tree(session)
        await make_person(session, AN, "Nguyễn Văn An", tree.cell_a1, "secretary")
        await make_person(session, BINH, "Trần Văn Bình", tree.commune_a, "supervisor")
        await make_person(session, CUC, "Lê Thị Cúc", tree.province, "supervisor")
        await make_person(session, DUNG, "Phạm Văn Dũng", tree.commune_b, "supervisor")
        session.add(GroupLink(chat_id=GROUP, unit_id=tree.commune_a.id, title="Đảng ủy xã"))
        return tree

    return run_db(setup)


def people(tg, *ids: int):
    """The test's users, each of whom has written to the bot before (as after joining); the
    commune's group has the bot too."""
    names = {AN: "An", BINH: "Bình", CUC: "Cúc", DUNG: "Dũng"}
    users = {i: tg.user(i, name) for i, name in names.items()}
    for chat in [*(user.chat for user in users.values()), tg.group(GROUP, "Đảng ủy xã").chat]:
        tg.server.introduce(chat)
    return [users[i] for i in ids]


def problem_row(run_db, problem_id: int) -> Problem:
    async def get(session):
        return await session.get(Problem, problem_id)

    return run_db(get)


def start_problem(user, *, category="Môi trường", place="Cổng trường tiểu học") -> None:
    """/problem up to the title question: the category and the place."""
    user.send("/problem")
    user.wait_for_text("lĩnh vực nào")
    user.press(category)
    user.wait_for_text("Ở đâu?")
    user.send(place)
    user.wait_for_text("tiêu đề ngắn")


def raise_problem(
    user, *, category="Môi trường", place=None, title="Rác thải ven đường", urgent=False
):
    """Walk through /problem up to the review (no photos); no similar problem may be offered."""
    start_problem(user, category=category, **({"place": place} if place else {}))
    user.send(title)
    user.wait_for_text("nội dung cụ thể")
    user.send("Bãi rác tự phát cạnh trường học, hai tuần chưa được thu gom.")
    user.wait_for_text("ý kiến của ai")
    user.press("Nhân dân")
    user.wait_for_text("Mức độ")
    user.press("Khẩn" if urgent else "Bình thường")
    user.wait_for_text("gửi ảnh")
    user.press("Tiếp tục")
    while True:  # skip the edit that takes the buttons off the media question
        message = user.wait_reply()
        if "gửi ảnh" not in message.text:
            return message


def send_problem(user, **kwargs) -> int:
    review = raise_problem(user, **kwargs)
    assert "Kiểm tra lại" in review.text
    user.press("✅ Gửi")
    sent = user.wait_for_text("Đã gửi phản ánh")
    return int(sent.text.split("#")[1].split(":")[0])


def test_raise_handle_resolve_reopen(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    group = tg.group(GROUP, "Đảng ủy xã")
    an.send("/problem")
    an.wait_for_text("Bước 1/8")
    an.press("Môi trường")
    an.wait_for_text("Bước 2/8")
    an.send("x")  # too short: asked again
    assert "Ở đâu?" in an.wait_for_text("từ 2 đến 120 ký tự").text
    an.send("Cổng trường tiểu học")
    an.wait_for_text("tiêu đề ngắn")
    an.send("ab")  # too short: asked again (the warning above the question), nothing stored
    assert "tiêu đề ngắn" in an.wait_for_text("từ 3 đến 120 ký tự").text
    an.send("Rác thải ven đường")
    an.wait_for_text("nội dung cụ thể")
    an.send("Bãi rác tự phát cạnh trường học, hai tuần chưa được thu gom.")
    an.wait_for_text("ý kiến của ai")
    an.press("Nhân dân")
    an.wait_for_text("Mức độ")
    an.press("Khẩn")
    an.wait_for_text("gửi ảnh")
    an.send_photo()  # the question again, with what it has (its old copy loses its button)
    an.wait_for_text("1 ảnh")
    an.send_location(21.05, 107.31)
    an.wait_for_text("vị trí: có")
    an.press("Tiếp tục")
    review = an.wait_for_text("Kiểm tra lại")
    assert "Rác thải ven đường" in review.text and "Nhân dân" in review.text
    assert "Nơi xảy ra: Cổng trường tiểu học" in review.text
    assert "1 ảnh" in review.text
    an.press("✅ Gửi")
    confirmation = an.wait_for_text("Đã gửi phản ánh #1")
    assert "Đảng ủy xã Đông Ngũ" in confirmation.text  # the handling unit

    stored = problem_row(run_db, 1)
    assert stored.status == "new" and stored.urgency == "urgent"
    assert stored.place == "Cổng trường tiểu học"
    assert len(stored.photos) == 1 and stored.latitude == 21.05
    assert stored.due_at - stored.created_at == timedelta(days=10)  # moi_truong

    card = binh.wait_for_text("Phản ánh KHẨN")
    assert "Rác thải ven đường" in card.text and "Chi bộ thôn Đồng Tâm" in card.text
    assert "Cổng trường tiểu học" in card.text
    assert "Hạn xử lý" in card.text
    posted = group.wait_for_text("Phản ánh #1")
    assert posted.buttons == []  # information only in the group
    binh.press("Xem ảnh")
    tg.wait_idle()
    kinds = [m.kind for m in binh.messages()[-2:]]
    assert kinds == ["photo", "location"]

    def update_of(user, fragment):
        message = user.wait_for_text(fragment)
        # updates reply to the review the problem was sent from
        assert message.request["reply_parameters"]["message_id"] == review.message_id
        return message

    binh.press("Tiếp nhận")
    assert "Đã cập nhật" in binh.wait_answer().text
    update_of(an, "đã được Đảng ủy xã Đông Ngũ tiếp nhận")
    binh.press("Đang xử lý")
    binh.wait_answer()
    update_of(an, "đang được Đảng ủy xã Đông Ngũ xử lý")
    binh.press("Đã giải quyết")
    binh.wait_for_text("kết quả giải quyết")
    binh.send("Đã thu gom và đặt biển cấm đổ rác.")
    binh.wait_for_text("Đã ghi nhận: phản ánh #1 đã giải quyết")
    resolved = update_of(an, "đã được Đảng ủy xã Đông Ngũ giải quyết")
    assert "đặt biển cấm đổ rác" in resolved.text

    an.press("Chưa giải quyết")
    an.wait_for_text("vì sao phản ánh #1")
    an.send("Hôm nay lại có người đổ rác.")
    an.wait_for_text("Đã mở lại phản ánh #1")
    binh.wait_for_text("chưa được giải quyết")
    assert problem_row(run_db, 1).status == "in_progress"
    binh.press("Đã giải quyết")
    binh.wait_for_text("kết quả giải quyết")
    binh.send("Đã lắp camera.")
    binh.wait_for_text("Đã ghi nhận")
    update_of(an, "lắp camera")

    async def history(session):
        rows = await session.exec(select(ProblemEvent).where(ProblemEvent.problem_id == 1))
        return [(e.action, e.from_status, e.to_status, e.person_id is not None) for e in rows]

    assert run_db(history) == [
        ("raise", None, "new", True),
        ("acknowledge", "new", "acknowledged", True),
        ("start", "acknowledged", "in_progress", True),
        ("resolve", "in_progress", "resolved", True),
        ("reopen", "resolved", "in_progress", True),
        ("resolve", "in_progress", "resolved", True),
    ]
    an.send("/myproblems")
    assert "Đã giải quyết" in an.wait_for_text("Phản ánh đồng chí đã gửi").text


def test_forward_up(tg, bot, org, run_db) -> None:
    an, binh, cuc = people(tg, AN, BINH, CUC)
    send_problem(an, category="Đất đai", title="Tranh chấp ranh giới đất")
    binh.wait_for_text("Phản ánh mới")
    due_at_commune = problem_row(run_db, 1).due_at
    binh.press("Chuyển cấp trên")
    binh.wait_for_text("ý kiến khi chuyển cấp trên")
    binh.send("Vượt thẩm quyền của xã, cần tỉnh đo đạc lại.")
    binh.wait_for_text("Đã chuyển phản ánh #1 lên cấp trên")
    forwarded = cuc.wait_for_text("được Đảng ủy xã Đông Ngũ chuyển lên")
    assert "Tranh chấp ranh giới đất" in forwarded.text
    assert "cần tỉnh đo đạc lại" in forwarded.text  # the note goes up with it
    update = an.wait_for_text("chuyển lên Tỉnh ủy Quảng Ninh")
    assert "cần tỉnh đo đạc lại" in update.text
    stored = problem_row(run_db, 1)
    assert stored.status == "new" and stored.handling_unit_id == org.province.id
    assert stored.due_at > due_at_commune  # the province's own time, counted from now
    # the commune's card is out of date: its buttons are refused, the card refreshed
    binh.press_data("ph:1:1:ack")
    assert "không do đơn vị của đồng chí xử lý" in binh.wait_answer().text
    cuc.press("Tiếp nhận")
    cuc.wait_answer()
    an.wait_for_text("đã được Tỉnh ủy Quảng Ninh tiếp nhận")
    # nothing above the province
    cuc.press("Chuyển cấp trên")
    assert "Không có cấp trên" in cuc.wait_answer().text


def test_duplicate_suggestion_and_marking(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    first = send_problem(
        an, category="Giao thông", place="Đường liên thôn xóm 3", title="Sạt lở ta luy"
    )
    binh.wait_for_text("Phản ánh mới")

    # the same category at another place, with other words: not proposed, the steps go on
    start_problem(an, category="Giao thông", place="Cổng chợ")
    an.send("Cống thoát nước bị tắc")
    an.wait_for_text("nội dung cụ thể")
    assert not any("Có phải cùng vấn đề?" in text for text in an.texts())
    an.press("Hủy")
    an.wait_for_text("Đã hủy")
    # another category at the same place: not proposed either
    start_problem(an, category="An ninh", place="Đường liên thôn xóm 3")
    an.send("Mất trộm gia súc")
    an.wait_for_text("nội dung cụ thể")
    an.press("Hủy")
    an.wait_for_text("Đã hủy")

    # the same place, typed without diacritics: proposed right after the title, before the
    # details; adding to it ends there. Before, it came after the details, who raised it, the
    # urgency and the photos: 8 actions (/problem, category, title, details, raised by,
    # urgency, photos, add); now 5 (/problem, category, place, title, add).
    before = an.actions
    start_problem(an, category="Giao thông", place="duong lien thon xom 3")
    an.send("Đất đá tràn xuống mặt đường")
    suggestion = an.wait_for_text("Có phải cùng vấn đề?")
    assert f"#{first}" in suggestion.text and "Sạt lở ta luy" in suggestion.text
    assert "Đường liên thôn xóm 3" in suggestion.text
    an.press(f"Bổ sung vào phản ánh #{first}")
    an.wait_for_text(f"Đã bổ sung thông tin vào phản ánh #{first}")
    assert an.actions - before == 5
    added = binh.wait_for_text("vừa được bổ sung thông tin")
    assert "Đất đá tràn xuống mặt đường" in added.text  # the new text, in the history
    assert problem_row(run_db, 2) is None
    assert longest(an) <= 400

    # the same place, but another matter after all: the steps go on
    start_problem(an, category="Giao thông", place="Đường liên thôn, xóm 3")
    an.send("Sạt lở lần nữa")
    an.wait_for_text("Có phải cùng vấn đề?")
    an.press("Không, là phản ánh mới")
    an.wait_for_text("nội dung cụ thể")
    an.send("Đoạn khác của tuyến đường, cách chỗ cũ 1 km.")
    an.wait_for_text("ý kiến của ai")
    an.press("Nhân dân")
    an.wait_for_text("Mức độ")
    an.press("Bình thường")
    an.wait_for_text("gửi ảnh")
    an.press("Tiếp tục")
    an.wait_for_text("Kiểm tra lại")
    an.press("✅ Gửi")
    an.wait_for_text("Đã gửi phản ánh #2")
    binh.wait_for_text("Sạt lở lần nữa")
    binh.press("Trùng phản ánh khác")
    binh.wait_for_text("trùng với phản ánh số mấy")
    binh.send("2")
    binh.wait_for_text("chính nó")  # (the question's button taken off first: an edit)
    binh.send("99")
    binh.wait_for_text("Không tìm thấy phản ánh #99")
    binh.send(f"#{first}")
    binh.wait_for_text("Đã ghi nhận: phản ánh #2 trùng")
    an.wait_for_text(f"trùng với phản ánh #{first}")
    stored = problem_row(run_db, 2)
    assert (stored.status, stored.duplicate_of_id) == ("duplicate", first)


def test_a_location_near_an_open_problem_is_proposed(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    an.send("/problem")
    an.wait_for_text("lĩnh vực nào")
    an.press("Môi trường")
    an.wait_for_text("Ở đâu?")
    an.send_location(21.0500, 107.3100)  # the place's answer: on to the title
    an.wait_for_text("tiêu đề ngắn")
    an.send("Nước thải chảy tràn")
    an.wait_for_text("nội dung cụ thể")
    an.send("Nước thải từ trại lợn chảy ra mương.")
    an.wait_for_text("ý kiến của ai")
    an.press("Nhân dân")
    an.wait_for_text("Mức độ")
    an.press("Bình thường")
    review = an.wait_for_text("gửi ảnh")
    assert "vị trí: có" in review.text
    an.press("Tiếp tục")
    review = an.wait_for_text("Kiểm tra lại")
    assert "Nơi xảy ra: không nêu" in review.text
    an.press("✅ Gửi")
    an.wait_for_text("Đã gửi phản ánh #1")
    binh.wait_for_text("Phản ánh mới")

    # about 200 m away, other words: proposed
    an.send("/problem")
    an.wait_for_text("lĩnh vực nào")
    an.press("Môi trường")
    an.wait_for_text("Ở đâu?")
    an.send_location(21.0518, 107.3100)
    an.wait_for_text("tiêu đề ngắn")
    an.send("Mùi hôi bốc lên")
    assert "#1" in an.wait_for_text("Có phải cùng vấn đề?").text
    an.press("Bổ sung vào phản ánh #1")
    an.wait_for_text("Đã bổ sung thông tin vào phản ánh #1")

    # no place in particular, other words: not proposed
    an.send("/problem")
    an.wait_for_text("lĩnh vực nào")
    an.press("Môi trường")
    an.wait_for_text("Ở đâu?")
    an.press("Không có nơi cụ thể")
    an.wait_for_text("tiêu đề ngắn")
    an.send("Thiếu thùng rác công cộng")
    an.wait_for_text("nội dung cụ thể")


def test_other_subtree_cannot_see_or_act(tg, bot, org, run_db) -> None:
    an, binh, dung = people(tg, AN, BINH, DUNG)
    send_problem(an)
    binh.wait_for_text("Phản ánh mới")
    dung.assert_no_reply()  # not told
    dung.send("/problems")
    listing = dung.wait_reply()
    assert "Không có phản ánh nào" in listing.text and "#1" not in listing.text
    for data in ("pv:1", "pm:1", "ph:1:1:ack", "ph:1:1:res", "pr:1:1"):
        dung.press_data(data)
        answer = dung.wait_answer()
        assert answer.show_alert and "Không tìm thấy" in answer.text, data
    dung.assert_no_reply()
    assert problem_row(run_db, 1).status == "new"
    # the reporter's own cell sees it (without the handlers' buttons); the commune too
    an.send("/problems")
    assert "Rác thải ven đường" in an.wait_for_text("Có 1 phản ánh").text
    an.press("#1")
    assert "Tiếp nhận" not in " ".join(an.wait_for_text("Trạng thái").buttons)
    binh.send("/problems")
    listed = binh.wait_for_text("Có 1 phản ánh").text
    assert "Rác thải ven đường" in listed
    assert "Chi bộ thôn Đồng Tâm ·" in listed  # the commune's own cell: no commune named
    cuc = people(tg, CUC)[0]
    cuc.send("/problems")  # the province: village names repeat across communes
    assert "Chi bộ thôn Đồng Tâm (Đảng ủy xã Đông Ngũ)" in cuc.wait_for_text("Có 1 phản ánh").text


def test_invalid_transitions_refused(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    send_problem(an)
    card = binh.wait_for_text("Phản ánh mới")
    binh.press("Không giải quyết")
    binh.wait_for_text("lý do không giải quyết")
    binh.send("Việc này đã có kế hoạch của xã.")
    binh.wait_for_text("Đã ghi nhận")
    an.wait_for_text("không được Đảng ủy xã Đông Ngũ giải quyết")
    # a button of the card from before: refused as out of date, the card shown afresh
    binh.press_data(card.button_data("✅ Đã giải quyết"), card)
    assert "vừa được người khác cập nhật" in binh.wait_answer().text
    assert "Không giải quyết" in binh.wait_for_text("Trạng thái").text
    # resolving a rejected problem, even with the current version: refused
    binh.press_data("ph:1:2:res")
    assert "đã kết thúc" in binh.wait_answer().text
    binh.press_data("ph:1:2:ack")
    assert "đã kết thúc" in binh.wait_answer().text
    assert problem_row(run_db, 1).status == "rejected"
    # the reporter cannot reopen what was not resolved
    an.press_data("pr:1:2")
    assert "Chỉ báo «chưa giải quyết»" in an.wait_answer().text


def test_reopen_window_closes(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    start = datetime.now(UTC)
    set_clock(bot, start)
    send_problem(an)
    binh.wait_for_text("Phản ánh mới")
    binh.press("Đã giải quyết")
    binh.wait_for_text("kết quả giải quyết")
    binh.send("Đã xong.")
    an.wait_for_text("đã được Đảng ủy xã Đông Ngũ giải quyết")
    set_clock(bot, start + timedelta(days=14, minutes=1))
    an.press("Chưa giải quyết")
    assert "quá 14 ngày" in an.wait_answer().text
    assert problem_row(run_db, 1).status == "resolved"


def test_a_note_typed_too_late_is_not_applied(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    start = datetime.now(UTC)
    set_clock(bot, start)
    send_problem(an)
    binh.wait_for_text("Phản ánh mới")
    binh.press("Không giải quyết")
    binh.wait_for_text("lý do không giải quyết")
    set_clock(bot, start + timedelta(hours=13))
    binh.send("Đi họp về mới trả lời")
    binh.wait_for_text("hết hạn")  # (the question's button taken off first: an edit)
    assert problem_row(run_db, 1).status == "new"
    an.assert_no_reply()


def test_raise_survives_a_restart_and_old_buttons_expire(tg, bot, org, run_db) -> None:
    (an,) = people(tg, AN)
    an.send("/problem")
    first = an.wait_for_text("lĩnh vực nào")
    old_button = first.button_data("Môi trường")
    an.press("Đất đai")
    an.wait_for_text("Ở đâu?")
    an.send("Khu đất công cạnh nhà văn hóa")
    an.wait_for_text("tiêu đề ngắn")
    bot.restart()
    an.send("Cấp giấy chứng nhận chậm")
    an.wait_for_text("nội dung cụ thể")
    # a button of a step already answered
    an.press_data(old_button, first)
    assert "hết hạn" in an.wait_answer().text
    # a new /problem makes the old draft's buttons stale
    an.send("/problem")
    an.wait_for_text("lĩnh vực nào")
    an.press_data(old_button, first)
    assert "hết hạn" in an.wait_answer().text
    an.press("Hủy")
    an.wait_for_text("Đã hủy")


def test_note_survives_a_restart(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    send_problem(an)
    binh.wait_for_text("Phản ánh mới")
    binh.press("Đã giải quyết")
    binh.wait_for_text("kết quả giải quyết")
    bot.restart()
    binh.send("Đã thu gom xong.")
    binh.wait_for_text("Đã ghi nhận")
    assert problem_row(run_db, 1).status == "resolved"


def test_link_to_this_months_report(tg, bot, org, run_db) -> None:
    async def report(session):
        period = utcnow().strftime("%Y-%m")
        session.add(MeetingReport(unit_id=org.cell_a1.id, period=period))

    run_db(report)
    (an,) = people(tg, AN)
    offer = raise_problem(an)
    assert "Gắn phản ánh này vào báo cáo" in offer.text
    an.press("Có, gắn vào báo cáo")
    review = an.wait_for_text("Kiểm tra lại")
    assert "Gắn với báo cáo tháng" in review.text
    an.press("✅ Gửi")
    an.wait_for_text("Đã gửi phản ánh #1")
    assert problem_row(run_db, 1).report_id is not None


def test_lists_filter_and_page(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    send_problem(an, title="Rác thải ven đường")
    send_problem(an, title="Trộm cắp vặt", category="An ninh")
    binh.send("/problems")
    listing = binh.wait_for_text("Có 2 phản ánh")
    assert listing.text.index("Rác thải") < listing.text.index("Trộm cắp")  # oldest first
    binh.press("Lọc lĩnh vực")
    binh.wait_for_text("lĩnh vực nào")
    binh.press("An ninh trật tự")
    filtered = binh.wait_for_text("Có 1 phản ánh")
    assert "Trộm cắp" in filtered.text and "Rác thải" not in filtered.text
    binh.press("Lọc trạng thái")
    binh.wait_for_text("trạng thái nào")
    binh.press("Đã giải quyết")
    assert "Không có phản ánh nào" in binh.wait_for_text("Có 0 phản ánh").text
    an.send("/myproblems")
    mine = an.wait_for_text("Phản ánh đồng chí đã gửi (2)")
    assert mine.text.index("Trộm cắp") < mine.text.index("Rác thải")  # newest first
    an.press("#1")
    assert "Rác thải ven đường" in an.wait_for_text("Phản ánh #1").text


def test_menu_buttons_start_and_leave_the_conversation(tg, bot, org, run_db) -> None:
    (an,) = people(tg, AN)
    an.send("⚠️ Phản ánh")
    an.wait_for_text("lĩnh vực nào")
    an.press("Khác")
    an.wait_for_text("Ở đâu?")
    an.send("📋 Phản ánh đã gửi")  # a menu button, not a place
    assert "chưa gửi phản ánh nào" in an.wait_reply().text
    an.send("Giếng làng")  # the conversation is still there to answer
    an.wait_for_text("tiêu đề ngắn")


def test_cancel_keeps_or_drops_the_conversation(tg, bot, org, run_db) -> None:
    an, binh = people(tg, AN, BINH)
    an.send("/problem")
    an.wait_for_text("lĩnh vực nào")
    an.press("Đất đai")
    an.wait_for_text("Ở đâu?")
    an.send("Bãi đất ven sông")
    an.wait_for_text("tiêu đề ngắn")
    an.send("/cancel")
    assert "phản ánh đang soạn" in an.wait_reply().text
    an.press("Làm tiếp")
    an.wait_for_text("tiêu đề ngắn")  # asked again
    an.send("Lấn chiếm đất công")
    an.wait_for_text("nội dung cụ thể")
    an.send("/cancel")
    an.wait_reply()
    an.press("Bỏ")
    an.wait_for_text("Đã bỏ")
    an.send("Không phải câu trả lời")
    assert "chưa hiểu" in an.wait_reply().text

    send_problem(an)
    binh.wait_for_text("Phản ánh mới")
    binh.press("Đã giải quyết")
    binh.wait_for_text("kết quả giải quyết")
    binh.send("/cancel")
    assert "ghi chú cho phản ánh #1" in binh.wait_reply().text
    binh.press("Bỏ")
    binh.wait_for_text("Đã bỏ")
    assert problem_row(run_db, 1).status == "new"


def test_typed_answers_without_diacritics(tg, bot, org, run_db) -> None:
    """Every question can be answered by typing its option, without accents or capitals."""

    async def second_cell(session):
        await make_person(session, AN, "Nguyễn Văn An", org.cell_a2, "secretary")

    run_db(second_cell)
    an, binh = people(tg, AN, BINH)
    an.send("/problem")
    cells = an.wait_for_text("chi bộ nào")
    assert {"Chi bộ thôn Đồng Tâm", "Chi bộ thôn Tân Tiến"} <= set(cells.buttons)
    an.send("chi bo thon tan tien")
    an.wait_for_text("lĩnh vực nào")
    an.send("giao thong")  # one part of "Giao thông, thủy lợi"
    an.wait_for_text("Ở đâu?")
    an.send("bo qua")
    an.wait_for_text("tiêu đề ngắn")
    an.send("Cầu tràn bị ngập")
    an.wait_for_text("nội dung cụ thể")
    an.send("Mưa lớn, cầu tràn qua suối bị ngập, học sinh không qua được.")
    an.wait_for_text("ý kiến của ai")
    an.send("NHAN DAN")
    an.wait_for_text("Mức độ")
    an.send("khan")
    an.wait_for_text("gửi ảnh")
    an.send("tiep tuc")
    review = an.wait_for_text("Kiểm tra lại")
    assert "Chi bộ thôn Tân Tiến" in review.text and "Giao thông, thủy lợi" in review.text
    an.send(" gui ")
    an.wait_for_text("Đã gửi phản ánh #1")
    assert cells.buttons == [] and review.buttons == []  # answered questions keep no buttons

    stored = problem_row(run_db, 1)
    assert (stored.unit_id, stored.category, stored.raised_by, stored.urgency) == (
        org.cell_a2.id,
        "giao_thong_thuy_loi",
        "residents",
        "urgent",
    )
    binh.wait_for_text("Phản ánh KHẨN")


def test_a_forged_press_is_expired_and_changes_nothing(tg, bot, org, run_db) -> None:
    """A press carrying the draft's token and step but a value that was not offered (another
    category, another commune's problem to add to) is answered expired; the question stands."""

    async def elsewhere(session):
        moment = utcnow()
        problem = Problem(
            unit_id=org.cell_b1.id,
            handling_unit_id=org.commune_b.id,
            category="giao_thong_thuy_loi",
            title="Cầu yếu",
            due_at=moment + timedelta(days=10),
            created_at=moment,
            updated_at=moment,
        )
        session.add(problem)
        await session.flush()
        return problem.id

    other = run_db(elsewhere)
    an, binh = people(tg, AN, BINH)
    expired = i18n.t("vi", "button.expired")

    an.send("/problem")
    question = an.wait_for_text("lĩnh vực nào")
    offered = question.button_data("Môi trường")
    for value in ("ma_tuy", "dat_dai:1", "khac ", "9" * 30):
        an.press_data(offered.rsplit(":", 1)[0] + ":" + value, question)
        assert an.wait_answer().text == expired, value
    an.wait_for_text("«Làm tiếp»")  # then where the problem being written stands (issue 12)

    mine = send_problem(an, title="Đường liên thôn sạt lở", category="Giao thông")
    binh.wait_for_text("Phản ánh mới")
    start_problem(an, category="Giao thông")
    an.send("Sạt lở đường thôn")
    suggestion = an.wait_for_text("Có phải cùng vấn đề?")
    add = suggestion.button_data(i18n.t("vi", "problem.button.add_to", id=mine))
    assert add.endswith(f":add.{mine}")
    an.press_data(add.removesuffix(str(mine)) + str(other), suggestion)
    assert an.wait_answer().text == expired
    an.wait_for_text("«Làm tiếp»")
    binh.assert_no_reply()

    async def events_of(session):
        rows = await session.exec(select(ProblemEvent).where(ProblemEvent.problem_id == other))
        return [event.action for event in rows]

    assert run_db(events_of) == []
    assert problem_row(run_db, other).photos == []
    an.press("Không, là phản ánh mới")  # the question is still the current one
    an.wait_for_text("nội dung cụ thể")

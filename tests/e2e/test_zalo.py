"""Chibo on Zalo: the same conversations, typed, through the fake Zalo Bot API server.

One process serves both messengers (bot.app.build_applications): Telegram's application polls
the fake Telegram server, Zalo's the fake Zalo server. People join by sending their code,
answer numbered lists by number or words, and get reminders and summaries on the messenger
they use; a person on both gets each message once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import Tree, make_person, make_tree
from fakes.zalo_driver import ZaloDriver, ZaloUser
from fakes.zalo_server import FakeZaloServer
from sqlmodel import col, select

from bot import i18n
from bot.app import build_applications
from bot.clock import CLOCK
from bot.config import Settings, load_settings
from bot.jobs import runner
from bot.jobs.base import JobEnv
from bot.messengers import bots_of
from bot.rules.figures import Calendar
from bot.rules.periods import Period
from e2e.harness import BotRunner, TelegramDriver, TgUser
from storage.chats import ZALO_BASE
from storage.models import Delivery, MeetingReport, Person, Problem, utcnow
from storage.queries.invites import create_invites

ZALO_TOKEN = "9876543210:zalo-test-secret"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def fake_zalo(request: pytest.FixtureRequest) -> Iterator[FakeZaloServer]:
    variant = getattr(request, "param", {})  # the uncertain shapes of Zalo's answers
    with FakeZaloServer(token=ZALO_TOKEN, **variant) as server:
        yield server


@pytest.fixture
def both(settings: Settings, fake_zalo: FakeZaloServer, tmp_path) -> Settings:
    values = settings.model_dump()
    values.update(
        zalo_bot_token=ZALO_TOKEN,
        zalo_api_base_url=fake_zalo.base_url,
        telegram_bot_token=settings.token(),
        files_dir=str(tmp_path / "files"),
    )
    return load_settings(_env_file=None, **values)


@pytest.fixture
def runner_both(
    both: Settings, tg: TelegramDriver, request: pytest.FixtureRequest
) -> Iterator[BotRunner]:
    bot = BotRunner(both, tg, build=build_applications).start()
    for application in bot.applications:  # 25 November 2026: November's report is open
        application.bot_data[CLOCK] = lambda: NOW
    try:
        yield bot
    finally:
        bot.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.passed:
        bot.assert_no_errors()


@pytest.fixture
def zalo(
    fake_zalo: FakeZaloServer, runner_both: BotRunner, request: pytest.FixtureRequest
) -> Iterator[ZaloDriver]:
    yield ZaloDriver(fake_zalo, idle=runner_both.drain)
    report = getattr(request.node, "report_call", None)
    if report is not None and report.passed:
        assert fake_zalo.take_api_errors() == []  # Zalo refused nothing we sent


@pytest.fixture
def tree(run_db) -> Tree:
    return run_db(make_tree)


def code_for(run_db, unit_id: int, role: str) -> str:
    async def create(session: Any) -> str:
        (code,) = await create_invites(
            session=session, unit_id=unit_id, role=role, expires_at=utcnow() + timedelta(days=7)
        )
        return code

    return run_db(create)


def joined(zalo: ZaloDriver, run_db, tree_unit_id: int, role: str, uid: str, name: str) -> ZaloUser:
    user = zalo.user(uid, name)
    user.send(code_for(run_db, tree_unit_id, role))
    assert name in user.wait_reply().text
    return user


def answer(user: ZaloUser, text: str, expect: str) -> str:
    """Type `text` and return the bot's next message, which must contain `expect`."""
    user.send(text)
    reply = user.wait_for_text(expect).text
    return reply


def on_both(tg: TelegramDriver, zalo: ZaloDriver, tree: Tree, run_db) -> tuple[TgUser, ZaloUser]:
    """A secretary on Telegram who adds Zalo with /connect's one-time code; she writes from
    Zalo last."""
    run_db(lambda s: make_person(s, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary"))
    an_tg = tg.user(1001, "Nguyễn Văn An")
    an_tg.send("/connect")
    code = next(word for word in an_tg.wait_reply().text.split() if len(word) >= 16)
    an_zalo = zalo.user("abcdefabcdefabcdefab", "An")
    an_zalo.send(code)
    assert "Đã kết nối" in an_zalo.wait_reply().text
    return an_tg, an_zalo


def begin_problem(user: ZaloUser, category: str, place: str, title: str) -> str:
    """/problem typed up to its description; returns the question of the place."""
    answer(user, "/problem", "lĩnh vực")
    asked = answer(user, category, "Ở đâu")
    answer(user, place, "tiêu đề")
    answer(user, title, "nội dung")
    return asked


def finish_problem(user: ZaloUser, description: str, *, report_offered: bool = False) -> None:
    """The rest of /problem, typed: the people's view, normal, no more media, sent."""
    answer(user, description, "ý kiến của ai")
    answer(user, "nhan dan", "Mức độ")
    answer(user, "binh thuong", "gửi ảnh")
    if report_offered:  # the cell has reported this month: not attached to the report
        answer(user, "tiep tuc", "Gắn phản ánh")
        answer(user, "khong gan", "Kiểm tra lại")
    else:
        answer(user, "tiep tuc", "Kiểm tra lại")
    answer(user, "gui", "Đã gửi phản ánh")


def run_job(bot: BotRunner, name: str, at: str, period: Period | None = None) -> Any:
    async def go(app: Any) -> Any:
        settings = app.bot_data["settings"]
        env = JobEnv(settings, app.bot_data["db"], bots_of(app.bot_data))
        when = Calendar.from_settings(settings).tz
        return await runner(name)(env, datetime.fromisoformat(at).replace(tzinfo=when), period)

    return bot.call(go, timeout=30)


# --- joining ------------------------------------------------------------------------------


def test_a_stranger_gets_the_polite_answer_and_joins_by_sending_the_code(
    zalo: ZaloDriver, tree: Tree, run_db
) -> None:
    lan = zalo.user("a1b2c3d4e5f6a7b8c9d0", "Trần Thị Lan")
    lan.send("Xin chào")
    stranger = lan.wait_reply().text
    assert "mã mời" in stranger.lower() or "link mời" in stranger.lower()

    lan.send(code_for(run_db, tree.cell_a1.id, "secretary"))
    welcome = lan.wait_reply().text
    assert "Trần Thị Lan" in welcome and "Chi bộ" in welcome
    assert "1. 📝 Báo cáo tháng" in welcome  # the menu, as a numbered list
    assert "<b>" not in welcome  # no markup on Zalo

    lan.send("/start " + code_for(run_db, tree.cell_a1.id, "deputy"))  # /start CODE works too
    lan.wait_reply()

    async def person(session: Any) -> Person:
        return (await session.exec(select(Person))).one()

    found = run_db(person)
    assert found.telegram_id is None and found.zalo_id >= ZALO_BASE and found.messenger == "zalo"


def test_a_used_code_is_refused_politely(zalo: ZaloDriver, tree: Tree, run_db) -> None:
    code = code_for(run_db, tree.cell_a1.id, "secretary")
    zalo.user("11111111111111111111", "An").send(code)
    zalo.user("11111111111111111111", "An").wait_reply()
    other = zalo.user("22222222222222222222", "Bình")
    other.send(code)
    assert "đã được sử dụng" in other.wait_reply().text


# --- reporting by typing ---------------------------------------------------------------------


def test_a_held_report_by_typing_numbers_and_words(zalo: ZaloDriver, tree: Tree, run_db) -> None:
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    first = answer(lan, "1", "Bước 1/6")  # "1. 📝 Báo cáo tháng" from the menu's list
    assert "1. ✅ Có họp" in first and "2. ❌ Không họp" in first
    answer(lan, "1", "Bước 2/6")
    answer(lan, "25/11", "Bước 3/6")
    answer(lan, "thuong ky", "Tổng số đảng viên")
    answer(lan, "20", "miễn sinh hoạt")
    answer(lan, "khong co", "có mặt")
    answer(lan, "du ca 20", "Bước 5/6")
    answer(lan, "Học tập nghị quyết", "Bước 6/6")
    review = answer(lan, "Thống nhất", "Xem lại báo cáo")
    assert "📨 Gửi báo cáo" in review
    sent = answer(lan, "gui bao cao", "Số tham chiếu")
    assert "<" not in sent

    async def reports(session: Any) -> list[MeetingReport]:
        return list((await session.exec(select(MeetingReport))).all())

    (report,) = run_db(reports)
    assert report.held and report.members == 20 and report.present == 20
    assert all(len(m.text or "") <= 2000 for m in lan.messages())


def test_a_not_held_report_and_a_problem_with_a_photo(
    zalo: ZaloDriver, both: Settings, tree: Tree, run_db
) -> None:
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    answer(lan, "/report", "Bước 1/6")
    answer(lan, "khong hop", "lý do")
    review = answer(lan, "Mưa bão, đường ngập", "Xem lại báo cáo")
    assert "1. 📨 Gửi báo cáo" in review
    answer(lan, "1", "Số tham chiếu")

    place = begin_problem(lan, "giao thong", "Cổng chợ", "Cầu tràn sập")
    assert "📎" not in place  # no location to send on Zalo
    lan.send_photo(caption="Ảnh cầu")  # Zalo gives a URL: downloaded and kept at once
    lan.wait_for_text("1 ảnh")
    finish_problem(lan, "Nước cuốn trôi mặt cầu từ hôm qua", report_offered=True)

    async def stored(session: Any) -> tuple[MeetingReport, Problem]:
        report = (await session.exec(select(MeetingReport))).one()
        return report, (await session.exec(select(Problem))).one()

    report, problem = run_db(stored)
    assert not report.held and report.not_held_reason == "Mưa bão, đường ngập"
    assert problem.place == "Cổng chợ" and len(problem.photos) == 1
    kept = Path(both.files_dir) / problem.photos[0].removeprefix("zf:")
    assert kept.read_bytes() == zalo.server.files[next(iter(zalo.server.files))]


# --- messages nobody waits for ------------------------------------------------------------------


def test_a_reminder_reaches_a_secretary_who_is_only_on_zalo(
    zalo: ZaloDriver, runner_both: BotRunner, tree: Tree, run_db
) -> None:
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    result = run_job(runner_both, "reminders", "2026-12-02T08:00")
    assert result.outcomes["sent"] >= 1
    reminder = lan.wait_for_text("11/2026")
    assert "1. " in reminder.text  # its button, as a numbered choice
    again = run_job(runner_both, "reminders", "2026-12-02T08:00")
    assert again.recorded == 0


def test_a_person_on_both_messengers_gets_each_reminder_once(
    zalo: ZaloDriver, tg: TelegramDriver, runner_both: BotRunner, tree: Tree, run_db
) -> None:
    an_tg, an_zalo = on_both(tg, zalo, tree, run_db)

    run_job(runner_both, "reminders", "2026-12-02T08:00")
    run_job(runner_both, "reminders", "2026-12-02T08:00")
    tg.wait_idle()
    on_zalo = [m for m in an_zalo.messages() if "11/2026" in (m.text or "")]
    on_telegram = [m for m in an_tg.messages() if "11/2026" in (m.text or "")]
    assert len(on_zalo) == 1 and on_telegram == []  # where An wrote last, once

    async def rows(session: Any) -> list[Delivery]:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())

    assert len([d for d in run_db(rows) if d.kind == "reminder"]) == 1


def test_a_refusal_on_zalo_falls_back_to_telegram(
    zalo: ZaloDriver, tg: TelegramDriver, runner_both: BotRunner, tree: Tree, run_db
) -> None:
    an_tg, an_zalo = on_both(tg, zalo, tree, run_db)
    zalo.server.block(an_zalo.user_id)

    run_job(runner_both, "reminders", "2026-12-02T08:00")
    assert "11/2026" in an_tg.wait_for_text("11/2026").text

    async def person(session: Any) -> Person:
        return (await session.exec(select(Person))).one()

    assert run_db(person).zalo_reachable is False


# --- a committee officer on Zalo -------------------------------------------------------------


def test_a_supervisor_only_on_zalo_gets_the_summary_and_nudges_and_handles_by_typing(
    zalo: ZaloDriver, runner_both: BotRunner, tree: Tree, run_db
) -> None:
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    minh = joined(zalo, run_db, tree.commune_a.id, "supervisor", "f0e1d2c3b4a5f6e7d8c9", "Minh")

    run_job(runner_both, "summary", "2026-12-06T07:00")
    summary = minh.wait_for_text("11/2026").text
    assert "Chi bộ thôn Đồng Tâm" in summary  # names, not only counts
    assert "<b>" not in summary and all(len(m.text or "") <= 2000 for m in minh.messages())
    # No public address: the chart is described, not lost.
    minh.wait_for_text("Biểu đồ chưa gửi được qua Zalo")

    missing = answer(minh, "/missing 11/2026", "Chi bộ thôn Đồng Tâm")
    number = next(
        line.split(".")[0] for line in missing.splitlines() if "Đồng Tâm" in line and "." in line
    )
    minh.send(number)  # the cell's "Nhắc" choice
    assert "11/2026" in lan.wait_for_text("11/2026").text  # Lan is reminded on Zalo
    minh.wait_for_text("Đã gửi nhắc nhở")

    # Lan raises a problem; Minh is told on Zalo and handles it by typing the numbers.
    begin_problem(lan, "moi truong", "Bãi rác thôn", "Rác tồn đọng")
    finish_problem(lan, "Rác không được thu gom 2 tuần")
    card = minh.wait_for_text("Rác tồn đọng").text
    assert "1. " in card  # the card's actions, numbered
    acknowledge = next(line for line in card.splitlines() if "Tiếp nhận" in line)
    minh.send(acknowledge.split(".")[0])
    assert "Đã tiếp nhận" in minh.wait_for_text("Đã tiếp nhận").text  # the card, afresh
    lan.wait_for_text("tiếp nhận")  # the reporter hears of it, on Zalo

    async def status(session: Any) -> str:
        return (await session.exec(select(Problem))).one().status

    assert run_db(status) != "new"


def test_a_photo_sent_on_zalo_is_shown_to_a_supervisor_on_telegram(
    zalo: ZaloDriver, tg: TelegramDriver, tree: Tree, run_db
) -> None:
    run_db(lambda s: make_person(s, 9001, "Phạm Minh", tree.commune_a, "supervisor"))
    minh = tg.user(9001, "Phạm Minh")
    tg.server.introduce(minh.chat)
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    begin_problem(lan, "giao thong", "Cổng chợ", "Cầu tràn sập")
    lan.send_photo(data=b"\xff\xd8\xff\xe0 a photo of the bridge", caption="Ảnh cầu")
    lan.wait_for_text("1 ảnh")
    finish_problem(lan, "Nước cuốn trôi mặt cầu")

    card = minh.wait_for_text("Cầu tràn sập")  # on Telegram, with its buttons
    minh.press_data(card.button_data(i18n.t("vi", "problem.button.media")), card)
    tg.wait_idle()
    photos = [m for m in minh.messages() if m.kind == "photo"]
    assert photos and photos[-1].file.data == b"\xff\xd8\xff\xe0 a photo of the bridge"


@pytest.mark.parametrize(
    "fake_zalo",
    [{"empty": "empty", "photo_field": "attachments"}, {"empty": "null"}],
    indirect=True,
)
def test_zalos_other_answers_work_the_same(zalo: ZaloDriver, tree: Tree, run_db) -> None:
    """The shapes Zalo's notes are unsure of: an empty poll answered ok with nothing, a photo
    in an `attachments` list."""
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    begin_problem(lan, "giao thong", "Cổng chợ", "Cầu tràn sập")
    lan.send_photo(caption="Ảnh cầu")
    assert "1 ảnh" in lan.wait_for_text("1 ảnh").text


def test_stickers_unknown_events_and_group_chatter(
    zalo: ZaloDriver, fake_zalo: FakeZaloServer, tree: Tree, run_db
) -> None:
    stranger = zalo.user("99999999999999999999", "Khách")
    stranger.send_sticker()
    assert "mã mời" in stranger.wait_reply().text  # a stranger: how to join, whatever they send
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    lan.send_unsupported()
    assert "chưa hiểu" in lan.wait_reply().text
    lan.send_sticker()
    assert "chưa hiểu" in lan.wait_reply().text
    fake_zalo.group_user_says("g" * 20, "a1b2c3d4e5f6a7b8c9d0", "/summary")
    zalo.settle()
    assert fake_zalo.messages("g" * 20) == []  # a Zalo group is not linked: nothing said there


def test_a_usual_month_on_zalo_takes_eight_actions(zalo: ZaloDriver, tree: Tree, run_db) -> None:
    async def october(session: Any) -> None:
        session.add(
            MeetingReport(
                unit_id=tree.cell_a1.id,
                period="2026-10",
                meeting_type="regular",
                members=45,
                exempt=3,
                present=42,
                absent_excused=0,
                absent_unexcused=0,
            )
        )

    run_db(october)
    lan = joined(zalo, run_db, tree.cell_a1.id, "secretary", "a1b2c3d4e5f6a7b8c9d0", "Lan")
    before = len(lan.actions)
    answer(lan, "1", "Bước 1/6")  # "1. 📝 Báo cáo tháng", the menu's first line
    answer(lan, "1", "Bước 2/6")
    answer(lan, "hom nay", "Bước 3/6")
    same = answer(lan, "thuong ky", "Bước 4/6")
    assert "1. Như tháng trước, có mặt đủ 42" in same
    answer(lan, "1", "Bước 5/6")
    answer(lan, "Sơ kết năm", "Bước 6/6")
    answer(lan, "Thống nhất", "Xem lại báo cáo tháng 11/2026")
    answer(lan, "1", "BC-2611-")
    assert len(lan.actions) - before == 8
    # Every question under 400 characters; the review (the report itself, with its eleven
    # numbered choices) is the one longer message.
    asked = [m.text or "" for m in lan.messages()[1:] if "Xem lại báo cáo" not in (m.text or "")]
    assert max(len(text) for text in asked) <= 400

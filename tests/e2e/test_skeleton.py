"""The bot skeleton, end to end: strangers, the command menu, the polite error."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot import i18n
from bot.handlers import start
from e2e.harness import BotRunner, TelegramDriver
from storage.models import Person, RoleAssignment, Unit

STRANGER_VI = i18n.t("vi", "start.stranger")
ERROR_VI = i18n.t("vi", "error.generic")


def test_stranger_start_gets_the_vietnamese_introduction(tg: TelegramDriver, bot: BotRunner):
    an = tg.user(1001, "Nguyễn Văn An", language_code="vi")

    an.send("/start")

    reply = an.wait_reply()
    assert "Chibo là trợ lý" in reply.text
    assert reply.text == STRANGER_VI
    an.assert_no_reply()  # one answer, not two


def test_stranger_help_gets_the_introduction_too(tg: TelegramDriver, bot: BotRunner):
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/help")

    assert "Chibo là trợ lý" in an.wait_reply().text


def test_stranger_with_an_english_telegram_still_gets_vietnamese(
    tg: TelegramDriver, bot: BotRunner
):
    john = tg.user(1002, "John", language_code="en")

    john.send("/start")

    assert john.wait_reply().text == STRANGER_VI


@pytest.fixture
def secretary_an(run_db) -> Person:
    """Nguyễn Văn An, registered as the secretary of a cell (set up in the database)."""

    async def register(session) -> Person:
        cell = Unit(code="QN-HL-01", name="Chi bộ thôn 1", kind="cell")
        person = Person(telegram_id=1001, full_name="Nguyễn Văn An", language="vi")
        session.add_all([cell, person])
        await session.flush()
        session.add(RoleAssignment(person_id=person.id, unit_id=cell.id, role="secretary"))
        return person

    return run_db(register)


def test_a_member_is_welcomed_by_name(tg: TelegramDriver, bot: BotRunner, secretary_an, run_db):
    an = tg.user(1001, "An trên Telegram")

    an.send("/start")

    assert an.wait_for_text(i18n.t("vi", "start.welcome_back", name="Nguyễn Văn An"))
    an.send("/khongco")
    assert an.wait_reply().text == i18n.t("vi", "fallback.unknown_command")
    an.send("chào")
    assert an.wait_reply().text == i18n.t("vi", "fallback.not_understood")

    async def people(session):
        return (await session.exec(select(Person))).all()

    assert [p.full_name for p in run_db(people)] == ["Nguyễn Văn An"]  # nothing else stored


def test_command_menu_is_vietnamese_by_default_and_english_for_english_clients(
    tg: TelegramDriver, bot: BotRunner
):
    assert tg.commands() == [("start", "Bắt đầu"), ("help", "Hướng dẫn sử dụng")]
    assert tg.commands("en") == [("start", "Start"), ("help", "Help")]


@pytest.mark.parametrize(
    "act",
    [
        pytest.param(lambda user: user.send_photo(), id="photo"),
        pytest.param(lambda user: user.send("xin chào, tôi muốn báo cáo"), id="text"),
        pytest.param(lambda user: user.send("/report"), id="unknown-command"),
        pytest.param(lambda user: user.send_document(), id="document"),
        pytest.param(lambda user: user.send_location(21.0, 107.3), id="location"),
    ],
)
def test_stranger_gets_the_polite_stranger_message_whatever_they_send(
    tg: TelegramDriver, bot: BotRunner, act
):
    stranger = tg.user(1003, "Trần Thị Bình")

    act(stranger)

    assert stranger.wait_reply().text == STRANGER_VI
    stranger.assert_no_reply()


def test_the_bot_stays_quiet_on_chatter_in_a_group(tg: TelegramDriver, bot: BotRunner):
    an = tg.user(1001, "Nguyễn Văn An")
    group = tg.group(-100123, "Đảng ủy xã A", privacy=False)

    group.send(an, "Chào cả nhà")

    group.assert_no_reply()


def test_database_failure_gives_the_polite_error_and_nothing_else(
    tg: TelegramDriver, bot: BotRunner, monkeypatch: pytest.MonkeyPatch
):
    async def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("database is unreachable"))

    monkeypatch.setattr("storage.queries.speakers.speaker_by_chat", unreachable)
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/start")

    assert an.wait_reply().text == ERROR_VI
    an.assert_no_reply()  # not also the stranger text: a member must not be told they are none
    assert [r.getMessage() for r in bot.take_errors()] == ["Error while handling an update"]


def test_exception_in_a_handler_gives_the_polite_error(
    tg: TelegramDriver, bot: BotRunner, monkeypatch: pytest.MonkeyPatch
):
    async def broken(update, context):
        raise RuntimeError("boom")

    monkeypatch.setattr(start, "start", broken)
    bot.restart()  # handlers are bound when the application is built
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/start")

    reply = an.wait_reply()
    assert reply.text == ERROR_VI
    assert "boom" not in reply.text and "Traceback" not in reply.text
    assert len(bot.take_errors()) == 1


def test_restart_keeps_going_without_answering_twice(tg: TelegramDriver, bot: BotRunner):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/start")
    an.wait_reply()

    bot.restart()
    an.send("/help")

    assert an.wait_reply().text == STRANGER_VI
    an.assert_no_reply()
    assert len(an.texts()) == 2  # /start was not fetched and answered again after the restart


def test_flood_control_is_waited_out(tg: TelegramDriver, bot: BotRunner):
    tg.server.inject_retry_after("sendMessage", times=1, retry_after=0.05)
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/start")

    assert an.wait_reply().text == STRANGER_VI
    assert [call.error_code for call in tg.calls("sendMessage")] == [429, None]

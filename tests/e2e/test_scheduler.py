"""Reminders through the fake Bot API server: to the right cells, once, whatever happens.

Jobs run in the bot's own event loop (``bot.call``), as the JobQueue runs them, "as if" at a
chosen instant; the outbox clock can be moved to play a crashed sender's lease running out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from factories import Tree, make_person, make_tree
from sqlmodel import col, select

from bot import i18n
from bot.jobs import runner
from bot.jobs.base import JobEnv, JobResult
from bot.rules.periods import Period
from e2e.harness import BotRunner, TelegramDriver, TgUser
from storage.db import Database
from storage.models import Delivery, MeetingReport, Person, utcnow
from storage.queries.deliveries import LEASE

JUNE = Period(2025, 6)


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


def local(text: str, tz: Any) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


class Crash(BaseException):
    """The process dies (not an error the sender could catch)."""


class CrashingBot:
    """The application's bot, dying just before its `survive`+1-th message."""

    def __init__(self, bot: Any, survive: int) -> None:
        self._bot, self._left = bot, survive

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        if self._left == 0:
            raise Crash
        self._left -= 1
        return await self._bot.send_message(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)


def run_job(
    bot: BotRunner,
    name: str,
    at: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    crash_after: int | None = None,
    period: Period | None = None,
) -> JobResult:
    """Run job `name` in the bot's loop as if at `at` (local time, "2025-07-02T08:00")."""

    async def go(app: Any) -> JobResult:
        settings = app.bot_data["settings"]
        tg_bot = app.bot if crash_after is None else CrashingBot(app.bot, crash_after)
        env = JobEnv(settings, app.bot_data["db"], tg_bot, clock=clock)
        return await runner(name)(env, local(at, settings.tz), period)

    return bot.call(go, timeout=30)


def after_lease() -> datetime:
    """The real clock once a dead sender's lease has run out."""
    return utcnow() + LEASE + timedelta(seconds=1)


def report(unit_id: int, period: Period = JUNE) -> Callable[[Any], Any]:
    async def add(session: Any) -> None:
        session.add(MeetingReport(unit_id=unit_id, period=str(period)))

    return add


@pytest.fixture
def tree(run_db) -> Tree:
    return run_db(make_tree)


def member(tg: TelegramDriver, run_db, telegram_id: int, name: str, unit, role: str) -> TgUser:
    """A registered person who has opened a chat with the bot (so the bot can write to them)."""

    async def add(session: Any) -> None:
        await make_person(session, telegram_id, name, unit, role)

    run_db(add)
    user = tg.user(telegram_id, name)
    tg.server.introduce(user.chat)
    return user


def deliveries(run_db, kind: str = "reminder") -> list[tuple[int, str, str]]:
    async def read(session: Any) -> list[tuple[int, str, str]]:
        rows = await session.exec(
            select(Delivery).where(Delivery.kind == kind).order_by(col(Delivery.id))
        )
        return [(d.chat_id, d.ref, d.status) for d in rows]

    return run_db(read)


def texts(user: TgUser) -> list[str]:
    return [m.text for m in user.messages()]


# --- who gets a reminder ----------------------------------------------------------------------


def test_reminders_go_only_to_cells_without_a_report(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    pho = member(tg, run_db, 1002, "Vũ Văn Phó", tree.cell_a1, "deputy")
    binh = member(tg, run_db, 1003, "Trần Thị Bình", tree.cell_a2, "secretary")
    truong = member(tg, run_db, 1005, "Lý Văn Trưởng", tree.cell_a1, "village_head")
    run_db(report(tree.cell_a2.id))

    result = run_job(bot, "reminders", "2025-07-02T08:00")

    reminder = an.wait_reply()
    assert "Nhắc nộp báo cáo tháng 06/2025" in reminder.text
    assert "Chi bộ thôn Đồng Tâm" in reminder.text and "Hạn nộp: 05/07/2025" in reminder.text
    assert "Còn 3 ngày" in reminder.text
    assert reminder.button_data(vi("reminder.button")) == "report:start"
    assert "Chi bộ thôn Đồng Tâm" in pho.wait_reply().text  # the deputy too
    binh.assert_no_reply()  # reported
    truong.assert_no_reply()  # village heads do not report
    assert result.recorded == 2 and result.outcomes["sent"] == 2


def test_no_reminder_after_the_report_arrives(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    ba = member(tg, run_db, 1004, "Hoàng Thị Ba", tree.cell_b1, "secretary")
    run_job(bot, "reminders", "2025-07-02T08:00")
    an.wait_reply(), ba.wait_reply()

    run_db(report(tree.cell_a1.id))  # An reports
    run_job(bot, "reminders", "2025-07-05T08:00")

    assert "Hôm nay là hạn cuối" in ba.wait_reply().text
    tg.wait_idle()
    assert len(an.messages()) == 1

    # A report that arrives between the recording of a step and its sending stops it too.
    with pytest.raises(Crash):
        run_job(bot, "reminders", "2025-07-07T08:00", crash_after=0)
    run_db(report(tree.cell_b1.id))
    run_job(bot, "reminders", "2025-07-07T08:00", clock=after_lease)
    tg.wait_idle()
    assert len(ba.messages()) == 2
    assert deliveries(run_db)[-1][1:] == (f"{tree.cell_b1.id}:2025-06:2", "cancelled")


def test_a_cell_created_mid_month_gets_no_reminder_for_that_month(tg, bot, tree, run_db) -> None:
    async def new_cell(session: Any) -> Any:
        from storage.queries.tree import add_unit

        return await add_unit(
            session=session,
            code="XA-09",
            name="Chi bộ thôn Chín",
            kind="cell",
            parent=tree.commune_a,
            valid_from=date(2025, 6, 15),
        )

    cell = run_db(new_cell)
    chin = member(tg, run_db, 1009, "Đinh Văn Chín", cell, "secretary")
    run_job(bot, "reminders", "2025-07-02T08:00")
    tg.wait_idle()
    chin.assert_no_reply()
    run_job(bot, "reminders", "2025-08-02T08:00")  # July: expected
    assert "tháng 07/2025" in chin.wait_reply().text


# --- exactly once -----------------------------------------------------------------------------


def test_a_job_run_twice_sends_nothing_new(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    first = run_job(bot, "reminders", "2025-07-02T08:00")
    an.wait_reply()
    second = run_job(bot, "reminders", "2025-07-02T08:00")
    later = run_job(bot, "reminders", "2025-07-02T09:30")  # the same step, an hour on
    tg.wait_idle()
    assert len(an.messages()) == 1
    assert (first.recorded, second.recorded, later.recorded) == (1, 0, 0)
    assert len(tg.calls("sendMessage")) == 1


def test_a_restart_in_the_middle_of_a_fan_out_sends_no_duplicate_and_no_gap(
    tg, bot, tree, run_db
) -> None:
    cells = [tree.cell_a1, tree.cell_a2, tree.cell_b1]
    users = [
        member(tg, run_db, 1001 + i, f"Bí thư {i}", cell, role)
        for i, (cell, role) in enumerate(
            (cell, role) for cell in cells for role in ("secretary", "deputy")
        )
    ]

    with pytest.raises(Crash):  # dies before its third message
        run_job(bot, "reminders", "2025-07-02T08:00", crash_after=2)
    tg.wait_idle()
    assert sum(len(u.messages()) for u in users) == 2

    bot.restart()
    # At start the catch-up run finds the step recorded: nothing new, the rest sent; the row
    # the dead process had claimed goes once its lease is over.
    run_job(bot, "reminders", "2025-07-02T08:05")
    tg.wait_idle()
    assert sum(len(u.messages()) for u in users) == 5
    run_job(bot, "reminders", "2025-07-02T08:10", clock=after_lease)
    tg.wait_idle()
    assert [len(u.messages()) for u in users] == [1] * 6
    assert len(tg.calls("sendMessage")) == 6
    assert {status for _, _, status in deliveries(run_db)} == {"sent"}


def test_two_bot_processes_at_once_send_each_reminder_once(tg, bot, tree, run_db) -> None:
    users = [
        member(tg, run_db, 1001 + i, f"Bí thư {i}", cell, "secretary")
        for i, cell in enumerate([tree.cell_a1, tree.cell_a2, tree.cell_b1])
    ]

    async def two_processes(app: Any) -> None:
        settings = app.bot_data["settings"]
        other = Database(settings.database_url)  # another engine: another process's view
        at = local("2025-07-02T08:00", settings.tz)
        try:
            await asyncio.gather(
                runner("reminders")(JobEnv(settings, app.bot_data["db"], app.bot), at, None),
                runner("reminders")(JobEnv(settings, other, app.bot), at, None),
            )
        finally:
            await other.dispose()

    bot.call(two_processes, timeout=30)
    tg.wait_idle()
    assert [len(u.messages()) for u in users] == [1, 1, 1]


def test_a_step_missed_while_down_is_caught_up_once(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    # Down at 08:00 on 2 July; back at 15:00: step -3 is still in its 24-hour window.
    run_job(bot, "reminders", "2025-07-02T15:00")
    assert "Còn 3 ngày" in an.wait_reply().text
    run_job(bot, "reminders", "2025-07-02T16:00")  # running again: nothing
    run_job(bot, "reminders", "2025-07-03T09:00")  # past the window, no step due: nothing
    tg.wait_idle()
    assert len(an.messages()) == 1


def test_a_step_older_than_the_catch_up_window_is_not_sent_late(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    result = run_job(bot, "reminders", "2025-07-04T10:00")  # 50 hours after step -3
    tg.wait_idle()
    an.assert_no_reply()
    assert result.recorded == 0 and "no reminder step" in result.note


def test_a_recorded_reminder_not_sent_within_its_window_expires(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    with pytest.raises(Crash):
        run_job(bot, "reminders", "2025-07-02T08:00", crash_after=0)
    # The bot stays down two days: when it drains, the step -3 reminder is stale.
    run_job(bot, "reminders", "2025-07-04T10:00", clock=lambda: utcnow() + timedelta(days=2))
    tg.wait_idle()
    an.assert_no_reply()
    assert deliveries(run_db)[0][2] == "expired"


# --- Telegram's limits and refusals -----------------------------------------------------------


def test_a_user_who_blocked_the_bot_is_marked_unreachable_and_not_retried(
    tg, bot, tree, run_db
) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    ba = member(tg, run_db, 1004, "Hoàng Thị Ba", tree.cell_b1, "secretary")
    ba.block_bot()

    result = run_job(bot, "reminders", "2025-07-02T08:00")

    an.wait_reply()
    assert result.outcomes == {"sent": 1, "unreachable": 1}
    refused = [c for c in tg.calls("sendMessage") if not c.ok]
    assert [(c.params["chat_id"], c.error_code) for c in refused] == [(1004, 403)]

    async def reachable(session: Any) -> dict[int, bool]:
        return {p.telegram_id: p.reachable for p in await session.exec(select(Person))}

    assert run_db(reachable) == {1001: True, 1004: False}
    run_job(bot, "reminders", "2025-07-02T09:00", clock=after_lease)  # no retry
    tg.wait_idle()
    assert len(tg.calls("sendMessage")) == 2


def test_flood_control_is_waited_out_and_the_message_sent_once(tg, bot, tree, run_db) -> None:
    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    tg.server.inject_retry_after("sendMessage", times=1, retry_after=0.2)
    result = run_job(bot, "reminders", "2025-07-02T08:00")
    an.wait_reply()
    tg.wait_idle()
    assert len(an.messages()) == 1 and result.outcomes == {"sent": 1}
    assert [c.ok for c in tg.calls("sendMessage")] == [False, True]

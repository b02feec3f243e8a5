"""`chibo jobs list` and `chibo jobs run NAME [--at] [--period]`, as an administrator runs them:
the job sends through TELEGRAM_API_BASE_URL (here the fake Bot API server) with the same
exactly-once guarantee as the scheduled runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from factories import make_person, make_tree
from fakes.telegram_server import FakeTelegramServer

from bot import jobs
from bot.admin.jobs import parse_at
from bot.cli import main
from storage.db import Database
from storage.models import MeetingReport

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "123456:TEST-token"


@pytest.fixture
def fake_tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as server:
        yield server


@pytest.fixture
def telegram(fake_tg: FakeTelegramServer) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake_tg.base_url}


async def seed(db: Database, fake_tg: FakeTelegramServer) -> None:
    """Two cells' secretaries who have written to the bot; one cell has reported June."""
    async with db.session() as session:
        tree = await make_tree(session)
        for telegram_id, name, cell in ((1001, "Nguyễn Văn An", tree.cell_a1),
                                         (1003, "Trần Thị Bình", tree.cell_a2)):  # fmt: skip
            await make_person(session, telegram_id, name, cell, "secretary")
            user = {"id": telegram_id, "is_bot": False, "first_name": name}
            fake_tg.introduce(fake_tg.private_chat(user))
        session.add(MeetingReport(unit_id=tree.cell_a2.id, period="2025-06"))


def test_list_shows_each_jobs_next_run(chibo) -> None:
    listed = chibo("jobs", "list", env={"REMINDER_DAYS": "-3,0,2", "REMINDER_HOUR": "8"})
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for name in ("reminders", "digest", "summary", "escalation"):
        assert any(line.startswith(f"{name}  ") for line in lines), listed.stdout
    assert "next step:" in listed.stdout and "next monthly summary:" in listed.stdout
    assert listed.stdout.count("next run ") == 4


async def test_a_job_run_by_hand_sends_once_however_often_it_is_run(
    chibo, db, fake_tg, telegram
) -> None:
    await seed(db, fake_tg)
    args = ("jobs", "run", "reminders", "--at", "2025-07-02T08:00", "--period", "2025-06")

    first = chibo(*args, env=telegram)

    assert first.returncode == 0, first.stderr
    assert "reminders: 1 new messages recorded; sent now: 1 sent" in first.stdout
    (reminder,) = fake_tg.bot_messages(1001)
    assert "Nhắc nộp báo cáo tháng 06/2025" in reminder.text and "Còn 3 ngày" in reminder.text
    assert fake_tg.bot_messages(1003) == []  # reported
    assert fake_tg.token == TOKEN  # sent as the bot, through the configured API

    again = chibo(*args, env=telegram)
    assert again.returncode == 0, again.stderr
    assert "reminders: 0 new messages recorded; sent now: none" in again.stdout
    assert len(fake_tg.bot_messages(1001)) == 1


async def test_nothing_due_says_so(chibo, db, fake_tg, telegram) -> None:
    await seed(db, fake_tg)
    result = chibo("jobs", "run", "summary", "--at", "2025-07-03T08:00", env=telegram)
    assert result.returncode == 0, result.stderr
    assert "no monthly summary is due" in result.stdout
    assert fake_tg.bot_messages(1001) == []


@pytest.mark.sqlite_only
def test_bad_input_is_refused_in_one_line(chibo) -> None:
    bad_period = chibo("jobs", "run", "summary", "--period", "June")
    assert bad_period.returncode == 2 and "is not a month (YYYY-MM)" in bad_period.stderr
    unknown = chibo("jobs", "run", "coffee")
    assert unknown.returncode == 2 and "Unknown job 'coffee'" in unknown.stderr


def test_parse_at() -> None:
    assert parse_at("2025-10-06T08:00", HANOI) == datetime(2025, 10, 6, 8, 0, tzinfo=HANOI)
    moment = parse_at("2025-10-06 01:00+00:00", HANOI)
    assert moment.astimezone(HANOI).hour == 8
    with pytest.raises(ValueError, match="2025-10-06T08:00"):
        parse_at("monday", HANOI)


def test_a_registered_job_runs_at_the_given_time(monkeypatch, tmp_path, capsys) -> None:
    seen = []

    async def reminders(settings, at) -> None:
        """Remind late cells."""
        seen.append(at)

    monkeypatch.setitem(jobs.JOBS, "reminders", reminders)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.setattr("bot.cli.setup_logging", lambda *args, **kwargs: None)
    assert main(["jobs", "list"]) == 0
    assert "reminders  Remind late cells." in capsys.readouterr().out
    assert main(["jobs", "run", "reminders", "--at", "2025-10-06T08:00"]) == 0
    assert seen == [datetime(2025, 10, 6, 8, 0, tzinfo=HANOI)]
    assert main(["jobs", "run", "reminders", "--at", "soon"]) == 2

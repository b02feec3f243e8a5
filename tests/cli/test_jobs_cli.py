"""`chibo jobs`: a registry that later issues fill."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import jobs
from bot.admin.jobs import parse_at
from bot.cli import main

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_no_jobs_yet(chibo) -> None:
    listed = chibo("jobs", "list")
    assert listed.returncode == 0 and "No jobs are registered" in listed.stdout
    unknown = chibo("jobs", "run", "reminders")
    assert unknown.returncode == 2
    assert "Unknown job 'reminders'; known jobs: (none yet)" in unknown.stderr


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

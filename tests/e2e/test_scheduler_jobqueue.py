"""The jobs on PTB's JobQueue: registered from the settings at every start, run by the holder
of the jobs' lease, caught up once when it takes the lease.

The JobQueue's callbacks act at the real time, so the settings put a reminder step today.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import Tree, make_tree

from bot.jobs import NAMES, schedule
from bot.rules.periods import Period
from e2e.harness import BotRunner
from e2e.test_scheduler import member


@pytest.fixture
def tree(run_db) -> Tree:
    return run_db(make_tree)


def _step_today() -> dict[str, Any]:
    """Settings whose reminder step is today at midnight, whatever today is: the real clock
    drives the JobQueue's jobs."""
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    deadline = min(today.day, 28)
    return {
        "report_deadline_day": deadline,
        "reminder_days": str(today.day - deadline),
        "reminder_hour": 0,
    }


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return _step_today()


def test_jobs_are_registered_from_the_settings_at_start_and_catch_up(
    tg, settings, tree, run_db
) -> None:
    def build(settings):
        from bot.app import build_application

        application = build_application(settings)
        schedule(application)
        return application

    an = member(tg, run_db, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
    runner = BotRunner(settings, tg, build=build).start()
    try:
        queue = runner.application.job_queue
        names = sorted(job.name for job in queue.jobs())
        assert names == sorted(["deliveries", "lease", *NAMES])
        daily = queue.get_jobs_by_name("reminders")[0]
        assert daily.next_t.astimezone(settings.tz).hour == 0
        assert queue.get_jobs_by_name("summary")[0].next_t.astimezone(settings.tz).hour == 7

        runner.call(daily.run)  # before this process holds the jobs' lease: it does nothing
        tg.wait_idle()
        an.assert_no_reply()

        # What the JobQueue does a few seconds after start: bid for the lease, and once it is
        # held, run every job once to catch up.
        runner.call(queue.get_jobs_by_name("lease")[0].run)
        period = Period.of(datetime.now(settings.tz).date()).previous()
        assert f"tháng {period.label}" in an.wait_reply().text
        runner.call(daily.run)  # the daily run the same day: nothing new
        tg.wait_idle()
        assert len(an.messages()) == 1
    finally:
        runner.stop()
    runner.assert_no_errors()

"""Reminders to the secretary and deputy of every cell that has not reported, at each step.

Runs daily at REMINDER_HOUR (and once at start, to catch up): for each period with a step due
(rules.figures.reminders_due), every expected cell without a report gets one message per
reporter, keyed (chat, "reminder", "cell:period:step"). The sender checks again just before
sending, so a report that arrives mid-way stops the rest.
"""

from __future__ import annotations

from datetime import datetime

from bot.jobs.base import JobEnv, JobResult, expiry, record, send
from bot.rules.figures import reminder_step_at, reminders_due
from bot.rules.periods import Period
from bot.usecases import nudge as nudging
from storage.queries.audience import reminder_targets

KIND, NUDGE = "reminder", nudging.NUDGE
CHUNK = 1000  # cells' reporters rendered and recorded per transaction


async def run(env: JobEnv, at: datetime, period: Period | None = None) -> JobResult:
    result = JobResult("reminders")
    if period is None:
        steps = reminders_due(at, env.cal)
    else:  # asked for one period: its latest step that has come
        passed = [o for o in env.cal.reminder_offsets if reminder_step_at(period, o, env.cal) <= at]
        steps = [(period, max(passed))] if passed else []
    if not steps:
        result.note = "no reminder step is due"
        await send(env, result)  # still: rows left pending by a crash
        return result
    for due_period, step in steps:
        async with env.db.session() as session:
            targets = await reminder_targets(session=session, period=due_period)
        expires = expiry(env, reminder_step_at(due_period, step, env.cal), at)
        for start in range(0, len(targets), CHUNK):
            items = [
                nudging.reminder(
                    env.settings,
                    env.cal,
                    target,
                    due_period,
                    env.cal.local_date(at),
                    KIND,
                    str(step),
                    expires,
                )
                for target in targets[start : start + CHUNK]
            ]
            await record(env, result, items)
    await send(env, result)
    return result

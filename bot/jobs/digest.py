"""The weekly progress digest during a reporting window, to every supervising unit.

On DIGEST_WEEKDAY at SUMMARY_HOUR, for the open period with the nearest deadline (not on the
summary's day): how many cells have reported, how many have not, by child unit, with the
"show missing cells" button. Key: (chat, "digest", "unit:period:day").
"""

from __future__ import annotations

from datetime import datetime

from bot.jobs.base import JobEnv, JobResult, all_recorded, committees, record, send
from bot.jobs.delivery import message
from bot.render.summary import digest_text, summary_buttons
from bot.rules.figures import digest_due
from bot.rules.periods import Period
from storage.queries.figures import month_summary

KIND = "digest"


async def run(env: JobEnv, at: datetime, period: Period | None = None) -> JobResult:
    result = JobResult("digest")
    due = (period, env.cal.local_date(at)) if period else digest_due(at, env.cal)
    if due is None:
        result.note = "no progress digest is due"
        await send(env, result)  # still: rows left pending by a crash
        return result
    period, day = due
    for unit, chats in await committees(env):
        ref = f"{unit.id}:{period}:{day.isoformat()}"
        if await all_recorded(env, chats, (KIND,), ref):
            continue
        async with env.db.session() as session:
            summary = await month_summary(
                session=session, root=unit, period=period, now=at, cal=env.cal
            )
        items = []
        for chat in chats:
            language = env.language(chat)
            text = digest_text(language, summary, env.cal.tz)
            buttons = summary_buttons(language, unit.id, period)
            items.append(chat.outgoing(KIND, ref, message(text, buttons)))
        await record(env, result, items)
    await send(env, result)
    return result

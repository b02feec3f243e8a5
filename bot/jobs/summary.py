"""The monthly summary, the day after the deadline, to every supervising unit.

Each unit with supervisors or a linked group gets its own subtree's figures (never another
unit's), in its group chat(s) if linked, else in its supervisors' private chats: the text with a
"show missing cells" button, then the chart. Keys: (chat, "summary" / "summary_chart",
"unit:period"). A unit whose messages are all recorded already is not even computed again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from bot.jobs.base import JobEnv, JobResult, record, send
from bot.jobs.delivery import message, picture
from bot.render.chart import render_chart
from bot.render.summary import chart_caption, summary_buttons, summary_text
from bot.rules.figures import last_months, summary_due
from bot.rules.periods import Period, deadline_end
from storage.models import Unit
from storage.queries.audience import Chat, committee_chats, supervising_units
from storage.queries.deliveries import Outgoing, recorded_keys
from storage.queries.figures import MonthSummary, month_summary, trend

KIND, CHART_KIND = "summary", "summary_chart"


async def run(env: JobEnv, at: datetime, period: Period | None = None) -> JobResult:
    result = JobResult("summary")
    period = period or summary_due(at, env.cal)
    if period is None:
        result.note = "no monthly summary is due"
        await send(env, result)  # still: rows left pending by a crash
        return result
    for unit, chats in await committees(env):
        ref = f"{unit.id}:{period}"
        if await all_recorded(env, chats, (KIND, CHART_KIND), ref):
            continue
        language = env.language(chats[0])  # the chart's words: one picture for the unit
        summary, chart = await summary_and_chart(env, unit, period, at, language)
        items = []
        for chat in chats:
            language = env.language(chat)
            text = summary_text(language, summary, env.cal.tz)
            buttons = summary_buttons(language, unit.id, period)
            items.append(Outgoing(chat.chat_id, KIND, ref, message(text, buttons)))
            caption = chart_caption(language, summary)
            items.append(Outgoing(chat.chat_id, CHART_KIND, ref, picture(chart, caption)))
        await record(env, result, items)
    await send(env, result)
    return result


async def committees(env: JobEnv) -> list[tuple[Unit, list[Chat]]]:
    """Every supervising unit with the chats its messages go to."""
    async with env.db.session() as session:
        units = await supervising_units(session=session)
        chats = await committee_chats(session=session, unit_ids=[u.id for u in units])
    return [(unit, chats[unit.id]) for unit in units if unit.id in chats]


async def all_recorded(env: JobEnv, chats: Sequence[Chat], kinds: Sequence[str], ref: str) -> bool:
    keys = [(chat.chat_id, kind, ref) for chat in chats for kind in kinds]
    async with env.db.session() as session:
        return len(await recorded_keys(session=session, keys=keys)) == len(keys)


async def summary_and_chart(
    env: JobEnv, unit: Unit, period: Period, at: datetime, language: str
) -> tuple[MonthSummary, bytes]:
    """The figures as of `at` and their chart (drawn in a worker thread)."""
    months = last_months(period)
    async with env.db.session() as session:
        summary = await month_summary(
            session=session, root=unit, period=period, now=at, cal=env.cal
        )
        months_trend = await trend(
            session=session,
            root=unit,
            deadlines={m: deadline_end(m, env.cal.deadline_day, env.cal.tz) for m in months},
        )
    chart = await asyncio.to_thread(render_chart, language, summary, months_trend, env.cal.tz)
    return summary, chart

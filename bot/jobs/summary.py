"""The monthly summary, the day after the deadline, to every supervising unit.

Each unit with supervisors or a linked group gets its own subtree's figures (never another
unit's), in its group chat(s) and in its supervisors' private chats (unless one turned private
copies off): the text naming the cells to act on, with a "show missing cells" button (and a
"full list" one when the lists were cut), then the chart. Keys: (chat, "summary" / "summary_chart",
"unit:period"). A unit whose messages are all recorded already is not even computed again.
"""

from __future__ import annotations

from datetime import datetime

from bot.jobs.base import JobEnv, JobResult, all_recorded, committees, record, send
from bot.jobs.delivery import message, picture
from bot.render.summary import chart_caption, is_cut, summary_buttons, summary_text
from bot.rules.figures import summary_due
from bot.rules.periods import Period
from bot.usecases.summary import summary_and_chart as figures_and_chart
from storage.models import Unit
from storage.queries.figures import MonthSummary

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
            buttons = summary_buttons(language, unit.id, period, full=is_cut(summary))
            items.append(chat.outgoing(KIND, ref, message(text, buttons)))
            caption = chart_caption(language, summary)
            items.append(chat.outgoing(CHART_KIND, ref, picture(chart, caption)))
        await record(env, result, items)
    await send(env, result)
    return result


async def summary_and_chart(
    env: JobEnv, unit: Unit, period: Period, at: datetime, language: str, on_demand: bool = False
) -> tuple[MonthSummary, bytes]:
    """The figures as of `at` and their chart (bot.usecases.summary); `on_demand` adds what
    is open now (rules of storage.queries.figures.month_summary)."""
    return await figures_and_chart(env.db, env.cal, unit, period, at, language, on_demand)

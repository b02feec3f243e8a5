"""A unit's monthly figures and their chart: for /summary and the monthly summary job."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.render.chart import render_chart
from bot.rules.figures import Calendar, last_months
from bot.rules.periods import Period, deadline_end
from storage.db import Database
from storage.models import Unit
from storage.queries.figures import MonthSummary, month_summary, trend


async def summary_and_chart(
    db: Database,
    cal: Calendar,
    unit: Unit,
    period: Period,
    at: datetime,
    language: str,
    on_demand: bool = False,
) -> tuple[MonthSummary, bytes]:
    """The figures as of `at` and their chart (drawn in a worker thread); `on_demand` (/summary)
    adds what is open now (rules of storage.queries.figures.month_summary)."""
    months = last_months(period)
    async with db.session() as session:
        summary = await month_summary(
            session=session, root=unit, period=period, now=at, cal=cal, on_demand=on_demand
        )
        months_trend = await trend(
            session=session,
            root=unit,
            deadlines={m: deadline_end(m, cal.deadline_day, cal.tz) for m in months},
        )
    chart = await asyncio.to_thread(render_chart, language, summary, months_trend, cal.tz)
    return summary, chart

"""The summary's chart (a PNG made with matplotlib's Agg backend, no display needed):
completeness and timeliness by child unit, worst first, and the trend of the last 12 months
(from the first month with data: months before the cells started are left out, not 0%).

The figures drawn are also written into the PNG's "Description" text chunk as JSON, so that the
picture can be checked against the summary's text (tests do) without reading pixels.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot import i18n
from bot.render.summary import moment
from bot.rules.figures import with_data
from storage.queries.figures import MonthSummary, MonthTrend

MAX_UNITS = 20  # bars; the worst ones, since the list is worst first
COMPLETENESS_COLOUR, TIMELINESS_COLOUR = "#1f6fb2", "#f08c00"


def chart_data(summary: MonthSummary, trend: Sequence[MonthTrend]) -> dict[str, Any]:
    """What the chart shows, as numbers: percentages (None when nothing was expected)."""
    return {
        "unit": summary.unit.name,
        "period": str(summary.period),
        "units": [
            {
                "name": child.name,
                "completeness": child.counts.completeness,
                "timeliness": child.counts.timeliness,
            }
            for child in summary.children[:MAX_UNITS]
        ],
        "trend": [
            {
                "period": str(month.period),
                "completeness": month.counts.completeness,
                "timeliness": month.counts.timeliness,
            }
            for month in with_data(trend)
        ],
    }


def render_chart(
    language: str, summary: MonthSummary, trend: Sequence[MonthTrend], tz: ZoneInfo
) -> bytes:
    """The PNG. CPU-bound (a few hundred milliseconds): call it in a worker thread."""
    data = chart_data(summary, trend)
    units = data["units"]
    # matplotlib costs ~0.5 s and ~35 MB to import: only when a chart is drawn, not at start-up.
    from matplotlib.figure import Figure

    figure = Figure(
        figsize=(8, 3.2 + 0.32 * max(len(units), 1) + 2.8), dpi=100, layout="constrained"
    )
    top, bottom = figure.subplots(
        2, 1, gridspec_kw={"height_ratios": [max(len(units), 1) * 0.32 + 1.2, 2.8]}
    )
    figure.suptitle(
        i18n.t(
            language,
            "chart.title",
            period=summary.period.label,
            unit=summary.unit.name,
            moment=moment(summary.as_of, tz),
        ),
        fontsize=11,
    )
    _bars(language, top, units)
    _trend(language, bottom, data["trend"])
    # One legend for both plots (same colours), at the foot: never over the bars.
    figure.legend(*top.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", metadata={"Description": json.dumps(data, ensure_ascii=False)}
    )
    return buffer.getvalue()


def _bars(language: str, axes: Any, units: list[dict[str, Any]]) -> None:
    names = [unit["name"] for unit in units][::-1]  # worst at the top
    positions = range(len(names))
    completeness = [unit["completeness"] or 0 for unit in units][::-1]
    timeliness = [unit["timeliness"] or 0 for unit in units][::-1]
    height = 0.4
    for values, shift, colour, hatch, key in (
        (completeness, height / 2, COMPLETENESS_COLOUR, None, "chart.completeness"),
        (timeliness, -height / 2, TIMELINESS_COLOUR, "//", "chart.timeliness"),
    ):
        bars = axes.barh(
            [p + shift for p in positions],
            values,
            height,
            color=colour,
            hatch=hatch,
            label=i18n.t(language, key),
        )
        axes.bar_label(bars, fmt="%d%%", fontsize=7, padding=2)
    axes.set_yticks(list(positions), names, fontsize=8)
    axes.set_xlim(0, 112)
    axes.set_title(i18n.t(language, "chart.by_unit"), fontsize=10)
    axes.grid(axis="x", alpha=0.3)


def _trend(language: str, axes: Any, months: list[dict[str, Any]]) -> None:
    labels = [f"{m['period'][5:]}/{m['period'][2:4]}" for m in months]
    # Equal values must not hide a line: different markers, one line dashed and drawn on top.
    for key, colour, marker, style, size in (
        ("completeness", COMPLETENESS_COLOUR, "o", "-", 8),
        ("timeliness", TIMELINESS_COLOUR, "s", "--", 5),
    ):
        axes.plot(
            labels,
            [m[key] for m in months],
            marker=marker,
            markersize=size,
            linestyle=style,
            color=colour,
            label=i18n.t(language, f"chart.{key}"),
        )
    if not months:
        axes.text(0.5, 0.5, i18n.t(language, "chart.no_data"), ha="center", va="center")
    axes.set_ylim(0, 105)
    axes.set_title(i18n.t(language, "chart.trend"), fontsize=10)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(alpha=0.3)

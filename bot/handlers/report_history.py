"""/history: a cell's last 12 months (on time, late, not held, missing, returned), each month's
report, and the photos of its minutes. Read-only: amending starts from the report's button."""

from __future__ import annotations

from telegram import Update

from bot.access import Action, can
from bot.clock import today
from bot.context import ChiboContext
from bot.handlers.report_common import (
    Say,
    amendable,
    deliver,
    expired,
    report_text,
    viewable_cells,
)
from bot.payloads import HistoryCell, HistoryReport, ReportPhotos
from bot.render import report as render
from bot.replies import answer
from bot.rules.org import CELL, is_active_in
from bot.rules.periods import Period
from bot.rules.report import first_expected, history_periods, history_status
from storage.queries.reports import report_by_id, reports_by_period
from storage.queries.units import unit_by_id

MONTHS = 12
HISTORY = (HistoryCell, HistoryReport)  # the buttons of `on_button`; `photos_button`: ReportPhotos


async def history_command(update: Update, context: ChiboContext) -> None:
    cells = viewable_cells(context)
    if not cells:
        await update.effective_message.reply_text(context.t("history.not_allowed"))
    elif len(cells) > 1:
        text, markup = render.history_cells(context.lang, [(c.id, c.name) for c in cells])
        await update.effective_message.reply_text(text, reply_markup=markup)
    else:
        await deliver(update, context, [await _history(context, cells[0].id)])


async def on_button(update: Update, context: ChiboContext) -> None:
    """Buttons `HistoryCell` (a cell's months) and `HistoryReport` (one report); a cell or report
    that does not exist or is not the presser's to see is answered as expired."""
    query = update.callback_query
    cell = HistoryCell.unpack(query.data)
    if cell is not None:
        reply = await _history(context, cell.unit_id)
    else:
        reply = await _report(context, HistoryReport.unpack(query.data).report_id)
    if reply is None:
        await expired(update, context)
        return
    await answer(query)
    await deliver(update, context, [reply])


async def _history(context: ChiboContext, unit_id: int) -> Say | None:
    """The months the cell was expected to report (from the month it began, or was added to
    Chibo), up to the due month; the current month once it is reported."""
    settings = context.settings
    day = today(context)
    current = Period.of(day)
    recent = [current]
    while len(recent) <= MONTHS:
        recent.append(recent[-1].previous())
    async with context.db.session() as session:
        unit = await unit_by_id(session=session, unit_id=unit_id)
        if unit is None or unit.kind != CELL:
            return None
        if not can(context.identity.roles, Action.REPORT_VIEW, unit):
            return None
        reports = await reports_by_period(
            session=session, unit_id=unit.id, periods=map(str, recent)
        )
    created = unit.created_at.astimezone(settings.tz).date() if unit.created_at else None
    first = first_expected(unit.valid_from, created) or recent[-1]
    months = []
    for period in history_periods(day, first, frozenset(reports), MONTHS):
        if unit.valid_to is not None and not is_active_in(None, unit.valid_to, period):
            continue
        report = reports.get(str(period))
        status = history_status(report, period, settings.report_deadline_day, settings.tz)
        months.append((period, status, report.id if report else None))
    return Say(*render.history(context.lang, unit_name=unit.name, months=months))


async def _report(context: ChiboContext, report_id: int) -> Say | None:
    roles = context.identity.roles
    async with context.db.session() as session:
        report = await report_by_id(session=session, report_id=report_id)
        unit = await unit_by_id(session=session, unit_id=report.unit_id) if report else None
        if unit is None or not can(roles, Action.REPORT_VIEW, unit):
            return None
        text = await report_text(session, context, report, unit)
    can_edit = can(roles, Action.REPORT_SUBMIT, unit) and amendable(context, report)
    markup = render.report_buttons(
        context.lang, report_id=report.id, photos=len(report.photos), can_edit=can_edit
    )
    return Say(text, markup)


async def photos_button(update: Update, context: ChiboContext) -> None:
    """Button `ReportPhotos`: the photos of the minutes, one message each."""
    query = update.callback_query
    report_id = ReportPhotos.unpack(query.data).report_id
    photos: list[str] = []
    async with context.db.session() as session:
        report = await report_by_id(session=session, report_id=report_id)
        unit = await unit_by_id(session=session, unit_id=report.unit_id) if report else None
        if unit is not None and can(context.identity.roles, Action.REPORT_VIEW, unit):
            photos = list(report.photos)
    if not photos:
        await expired(update, context)
        return
    await answer(query)
    for ref in photos:
        await update.effective_chat.send_photo(context.photo(ref))

"""/summary, /missing, /export and their buttons: a supervisor's figures of their own subtree.

In a private chat they cover the speaker's scope (bot.access.scope); in a linked group chat,
only the group's own unit, and only for a speaker allowed to see it: a unit's details are never
posted in another unit's group. A "Nhắc" (nudge) button sends one reminder now, through the same
outbox as the scheduled ones (at most one nudge per cell and reporter a day).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import tempfile
from collections.abc import AsyncIterator

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

from bot.access import Action, can, is_within, scope
from bot.context import ChiboContext
from bot.outbox import Sender
from bot.payloads import MissingPage, Nudge, ShowFull, ShowMissing
from bot.render.keyboard import markup
from bot.render.summary import (
    chart_caption,
    full_lists_texts,
    is_cut,
    missing_buttons,
    missing_text,
    moment,
    summary_buttons,
    summary_text,
)
from bot.render.xlsx import write_export
from bot.replies import answer, edit
from bot.rules.figures import Calendar, month_bounds
from bot.rules.periods import Period, deadline_day
from bot.usecases.nudge import nudge_cell
from bot.usecases.summary import summary_and_chart
from storage.models import Unit, utcnow
from storage.queries.figures import missing_cells, month_summary, problem_rows, report_rows
from storage.queries.groups import group_link
from storage.queries.units import unit_by_id

BUTTONS = (ShowMissing, MissingPage, Nudge, ShowFull)  # registered by bot.app, handled by `press`
PAGE = 10  # late cells per /missing page: one button each
UPLOAD_PULSE = 4.0  # seconds between "sending a file…" chat actions while an export is built


# --- commands ---------------------------------------------------------------------------------


async def summary(update: Update, context: ChiboContext) -> None:
    period = await _period(update, context, "summary")
    roots = await _roots(update, context) if period else []
    cal = Calendar.from_settings(context.settings)
    for root in roots:
        await update.effective_chat.send_action(ChatAction.TYPING)
        figures, chart = await summary_and_chart(
            context.db, cal, root, period, utcnow(), context.lang, on_demand=True
        )
        buttons = summary_buttons(context.lang, root.id, period, full=is_cut(figures))
        await update.effective_message.reply_text(
            summary_text(context.lang, figures, cal.tz), reply_markup=markup(buttons)
        )
        await update.effective_message.reply_photo(
            chart, caption=chart_caption(context.lang, figures)
        )


async def missing(update: Update, context: ChiboContext) -> None:
    period = await _period(update, context, "missing")
    for root in await _roots(update, context) if period else []:
        text, buttons = await _missing_page(context, root, period, 0)
        await update.effective_message.reply_text(text, reply_markup=buttons)


async def export(update: Update, context: ChiboContext) -> None:
    period = await _period(update, context, "export")
    cal = Calendar.from_settings(context.settings)
    for root in await _roots(update, context) if period else []:
        now = utcnow()
        # On disk, not in memory: a country's workbook is megabytes; the upload streams it.
        with tempfile.TemporaryFile() as workbook:
            async with _uploading(update, context), context.db.session() as session:
                figures = await month_summary(
                    session=session, root=root, period=period, now=now, cal=cal
                )
                start, end = month_bounds(period, cal)
                await write_export(
                    workbook,
                    language=context.lang,
                    tz=cal.tz,
                    deadline_day=cal.deadline_day,
                    summary=figures,
                    reports=report_rows(session=session, root=root, period=period),
                    problems=problem_rows(session=session, root=root, start=start, end=end),
                    month_end=end,
                )
            await update.effective_message.reply_document(
                InputFile(workbook, filename=_filename(root, period), read_file_handle=False),
                caption=context.t(
                    "export.caption",
                    period=period.label,
                    unit=html.escape(root.name),
                    moment=moment(now, cal.tz),
                ),
            )


# --- buttons ----------------------------------------------------------------------------------


async def press(update: Update, context: ChiboContext) -> None:
    """sup:miss / sup:page / sup:nudge / sup:full (bot.payloads; anything else never gets
    here)."""
    button = None
    for kind in BUTTONS:
        button = button or kind.unpack(update.callback_query.data)
    unit_id = button.cell_id if isinstance(button, Nudge) else button.unit_id
    unit = await _allowed_unit(update, context, unit_id)
    if unit is None:
        return
    if isinstance(button, Nudge):
        await _press_nudge(update, context, unit, button.period)
    elif isinstance(button, ShowFull):
        await _show_full(update, context, unit, button.period)
    else:
        await _show_missing(update, context, unit, button)


async def _show_missing(
    update: Update, context: ChiboContext, unit: Unit, button: ShowMissing | MissingPage
) -> None:
    """The late cells of a unit: a new list (the summary's button), or another page of one."""
    query = update.callback_query
    await answer(query)
    text, buttons = await _missing_page(context, unit, button.period, button.offset)
    if isinstance(button, MissingPage):
        await edit(query, text, buttons)
    else:
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=buttons)


async def _show_full(update: Update, context: ChiboContext, unit: Unit, period: Period) -> None:
    """Every cell the summary names, without the cut (as many messages as it takes)."""
    await answer(update.callback_query)
    cal = Calendar.from_settings(context.settings)
    async with context.db.session() as session:
        figures = await month_summary(
            session=session, root=unit, period=period, now=utcnow(), cal=cal
        )
    for text in full_lists_texts(context.lang, figures):
        await context.bot.send_message(update.effective_chat.id, text)


async def _press_nudge(update: Update, context: ChiboContext, cell: Unit, period: Period) -> None:
    """Remind that cell's secretary and deputy now; say what happened in a pop-up. The press
    is answered once the nudge is sent (its outcome is the answer): a nudge is one or two
    messages, well within the time Telegram waits."""
    await answer(update.callback_query, await _nudge(context, cell, period), alert=True)


async def _nudge(context: ChiboContext, cell: Unit, period: Period) -> str:
    """Send the nudge; returns what to tell the supervisor."""
    nudged = await nudge_cell(
        context.db,
        context.settings,
        Sender(context.bots, context.db),
        cell,
        period,
        utcnow(),
        _nudger(context, cell),
    )
    values = {"cell": cell.name, "period": period.label}
    if nudged.outcome == "sent":
        return context.t("nudge.sent", count=nudged.sent, **values)
    return context.t(f"nudge.{nudged.outcome}", **values)


def _nudger(context: ChiboContext, cell: Unit) -> str | None:
    """The name of the speaker's unit that covers the cell (shown in the reminder)."""
    for root in scope(context.identity.roles, Action.SUMMARY_VIEW):
        if is_within(cell, root):
            return root.name
    return None


# --- helpers ----------------------------------------------------------------------------------


async def _period(update: Update, context: ChiboContext, command: str) -> Period | None:
    """The month typed after the command ("06/2025"), by default the month being collected (the
    previous one); None, after a polite answer, when it is not a month or has not come yet."""
    cal = Calendar.from_settings(context.settings)
    current = Period.of(cal.local_date(utcnow()))
    if not context.args:
        return current.previous()
    try:
        period = Period.parse(context.args[0])
    except ValueError:
        await update.effective_message.reply_text(
            context.t("supervisor.bad_month", command=command)
        )
        return None
    if period > current:
        await update.effective_message.reply_text(
            context.t("supervisor.future_month", period=period.label)
        )
        return None
    return period


async def _roots(update: Update, context: ChiboContext) -> list[Unit]:
    """The units whose figures the speaker may see here (see the module's docstring)."""
    if update.effective_chat.type == ChatType.PRIVATE:
        roots = scope(context.identity.roles, Action.SUMMARY_VIEW)
    else:
        unit = await _group_unit(update, context)
        if unit is None:
            await update.effective_message.reply_text(context.t("supervisor.group_not_linked"))
            return []
        roots = [unit] if can(context.identity.roles, Action.SUMMARY_VIEW, unit) else []
    if not roots:
        await update.effective_message.reply_text(context.t("supervisor.not_allowed"))
    return roots


async def _group_unit(update: Update, context: ChiboContext) -> Unit | None:
    async with context.db.session() as session:
        link = await group_link(session=session, chat_id=update.effective_chat.id)
        return await unit_by_id(session=session, unit_id=link.unit_id) if link else None


async def _allowed_unit(update: Update, context: ChiboContext, unit_id: int) -> Unit | None:
    """The unit a button is about, if the presser may see it here; else None, the press
    answered like an expired button (a unit that does not exist and another commune's are
    answered alike)."""
    async with context.db.session() as session:
        unit = await unit_by_id(session=session, unit_id=unit_id)
    allowed = unit is not None and can(context.identity.roles, Action.SUMMARY_VIEW, unit)
    if allowed and update.effective_chat.type != ChatType.PRIVATE:
        group_unit = await _group_unit(update, context)
        allowed = group_unit is not None and is_within(unit, group_unit)
    if not allowed:
        await answer(update.callback_query, context.t("button.expired"), alert=True)
        return None
    return unit


async def _missing_page(
    context: ChiboContext, unit: Unit, period: Period, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    cal = Calendar.from_settings(context.settings)
    async with context.db.session() as session:
        cells, total = await missing_cells(
            session=session, root=unit, period=period, limit=PAGE, offset=offset
        )
    text = missing_text(
        context.lang,
        unit.name,
        period,
        deadline_day(period, cal.deadline_day),
        total,
        offset,
    )
    buttons = missing_buttons(context.lang, unit.id, period, cells, offset, PAGE, total)
    return text, markup(buttons)


def _filename(unit: Unit, period: Period) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", unit.code).strip("-") or str(unit.id)
    return f"chibo-{period}-{code}.xlsx"


@contextlib.asynccontextmanager
async def _uploading(update: Update, context: ChiboContext) -> AsyncIterator[None]:
    """Show "sending a file…" until the block ends (Telegram clears it after 5 seconds)."""

    async def pulse() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await update.effective_chat.send_action(ChatAction.UPLOAD_DOCUMENT)
            await asyncio.sleep(UPLOAD_PULSE)

    task = asyncio.create_task(pulse())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

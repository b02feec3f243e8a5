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
from bot.jobs import env_of, reminders
from bot.jobs.delivery import keyboard
from bot.jobs.summary import summary_and_chart
from bot.render.summary import (
    FULL_PREFIX,
    MISSING_PREFIX,
    NUDGE_PREFIX,
    PAGE_PREFIX,
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
from bot.rules.figures import month_bounds
from bot.rules.org import is_active_in
from bot.rules.periods import STORED, Period, deadline_day
from storage.models import Unit, utcnow
from storage.queries import deliveries as outbox
from storage.queries.audience import has_reported, reminder_targets
from storage.queries.figures import missing_cells, month_summary, problem_rows, report_rows
from storage.queries.groups import group_link
from storage.queries.units import unit_by_id

PREFIX = "sup:"
PAGE = 10  # late cells per /missing page: one button each
UPLOAD_PULSE = 4.0  # seconds between "sending a file…" chat actions while an export is built


# --- commands ---------------------------------------------------------------------------------


async def summary(update: Update, context: ChiboContext) -> None:
    period = await _period(update, context, "summary")
    roots = await _roots(update, context) if period else []
    env = env_of(context.application)
    for root in roots:
        await update.effective_chat.send_action(ChatAction.TYPING)
        figures, chart = await summary_and_chart(
            env, root, period, utcnow(), context.lang, on_demand=True
        )
        buttons = summary_buttons(context.lang, root.id, period, full=is_cut(figures))
        await update.effective_message.reply_text(
            summary_text(context.lang, figures, env.cal.tz), reply_markup=keyboard(buttons)
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
    env = env_of(context.application)
    for root in await _roots(update, context) if period else []:
        now = utcnow()
        # On disk, not in memory: a country's workbook is megabytes; the upload streams it.
        with tempfile.TemporaryFile() as workbook:
            async with _uploading(update, context), context.db.session() as session:
                figures = await month_summary(
                    session=session, root=root, period=period, now=now, cal=env.cal
                )
                start, end = month_bounds(period, env.cal)
                await write_export(
                    workbook,
                    language=context.lang,
                    tz=env.cal.tz,
                    deadline_day=env.cal.deadline_day,
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
                    moment=moment(now, env.cal.tz),
                ),
            )


# --- buttons ----------------------------------------------------------------------------------


async def press(update: Update, context: ChiboContext) -> None:
    data = update.callback_query.data
    for prefix, pattern, handle in (
        (MISSING_PREFIX, rf"(\d+):({STORED}):(\d+)", _show_missing),
        (PAGE_PREFIX, rf"(\d+):({STORED}):(\d+)", _show_missing),
        (NUDGE_PREFIX, rf"(\d+):({STORED})", _press_nudge),
        (FULL_PREFIX, rf"(\d+):({STORED})", _show_full),
    ):
        match = (
            re.fullmatch(pattern, data.removeprefix(prefix)) if data.startswith(prefix) else None
        )
        if match:
            unit = await _allowed_unit(update, context, int(match[1]))
            if unit is not None:
                await handle(update, context, unit, Period.parse(match[2]), *match.groups()[2:])
            return
    await update.callback_query.answer(context.t("button.expired"), show_alert=True)


async def _show_missing(
    update: Update, context: ChiboContext, unit: Unit, period: Period, offset: str
) -> None:
    """The late cells of a unit: a new list (the summary's button), or another page of one."""
    query = update.callback_query
    await query.answer()
    text, buttons = await _missing_page(context, unit, period, int(offset))
    if query.data.startswith(PAGE_PREFIX):
        await query.edit_message_text(text, reply_markup=buttons)
    else:
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=buttons)


async def _show_full(update: Update, context: ChiboContext, unit: Unit, period: Period) -> None:
    """Every cell the summary names, without the cut (as many messages as it takes)."""
    await update.callback_query.answer()
    env = env_of(context.application)
    async with context.db.session() as session:
        figures = await month_summary(
            session=session, root=unit, period=period, now=utcnow(), cal=env.cal
        )
    for text in full_lists_texts(context.lang, figures):
        await context.bot.send_message(update.effective_chat.id, text)


async def _press_nudge(update: Update, context: ChiboContext, cell: Unit, period: Period) -> None:
    """Remind that cell's secretary and deputy now; say what happened in a pop-up."""
    await update.callback_query.answer(await _nudge(context, cell, period), show_alert=True)


async def _nudge(context: ChiboContext, cell: Unit, period: Period) -> str:
    """Send the nudge; returns what to tell the supervisor."""
    env = env_of(context.application)
    values = {"cell": cell.name, "period": period.label}
    if not is_active_in(cell.valid_from, cell.valid_to, period):
        return context.t("nudge.not_expected", **values)
    async with context.db.session() as session:
        if await has_reported(session=session, unit_id=cell.id, period=period):
            return context.t("nudge.reported", **values)
        targets = await reminder_targets(session=session, period=period, unit_ids=[cell.id])
    if not targets:
        return context.t("nudge.nobody", **values)
    today = env.cal.local_date(utcnow())
    by = _nudger(context, cell)
    items = [
        reminders.reminder(env, t, period, today, reminders.NUDGE, today.isoformat(), None, by)
        for t in targets
    ]
    async with context.db.session() as session:
        new = await outbox.record(session=session, items=items, now=env.clock())
    if not new:
        return context.t("nudge.already", **values)
    outcomes = await env.sender.drain(only=new)
    if not outcomes[outbox.SENT]:
        return context.t("nudge.unreachable", **values)
    return context.t("nudge.sent", count=outcomes[outbox.SENT], **values)


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
    env = env_of(context.application)
    current = Period.of(env.cal.local_date(utcnow()))
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
    """The unit a button is about, if the presser may see it here; else answered and None."""
    async with context.db.session() as session:
        unit = await unit_by_id(session=session, unit_id=unit_id)
    allowed = unit is not None and can(context.identity.roles, Action.SUMMARY_VIEW, unit)
    if allowed and update.effective_chat.type != ChatType.PRIVATE:
        group_unit = await _group_unit(update, context)
        allowed = group_unit is not None and is_within(unit, group_unit)
    if not allowed:
        await update.callback_query.answer(context.t("supervisor.not_allowed"), show_alert=True)
        return None
    return unit


async def _missing_page(
    context: ChiboContext, unit: Unit, period: Period, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    env = env_of(context.application)
    async with context.db.session() as session:
        cells, total = await missing_cells(
            session=session, root=unit, period=period, limit=PAGE, offset=offset
        )
    text = missing_text(
        context.lang,
        unit.name,
        period,
        deadline_day(period, env.cal.deadline_day),
        total,
        offset,
    )
    buttons = missing_buttons(context.lang, unit.id, period, cells, offset, PAGE, total)
    return text, keyboard(buttons)


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

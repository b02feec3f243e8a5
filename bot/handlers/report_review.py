"""Supervisors and the cells' reports: /reports [MM/YYYY] lists the month's reports of their
subtree, a report opens with "Trả lại để bổ sung", and the comment typed next returns it (the
conversation bot.flows.report_return, on the engine).
"""

from __future__ import annotations

from telegram import Update

from bot.access import Action, can, scope
from bot.clock import now
from bot.context import ChiboContext
from bot.flows import report_return
from bot.flows import telegram as flows_telegram
from bot.handlers.report_common import Say, deliver, expired, reference, report_text
from bot.payloads import ReviewPage, ReviewReturn, ReviewView
from bot.render import report as render
from bot.replies import answer
from bot.rules.periods import Period, open_periods
from bot.rules.report import STATUS_RETURNED, history_status
from bot.usecases import Actor
from bot.usecases.reports import report_and_unit, returnable
from storage.queries.reports import reports_in_subtrees

BUTTONS = (ReviewPage, ReviewView, ReviewReturn)  # registered by bot.app, handled by on_button
PAGE_SIZE = 8


async def reports_command(update: Update, context: ChiboContext) -> None:
    """/reports [MM/YYYY]: the month's reports under the supervisor's units."""
    message = update.effective_message
    if not scope(context.identity.roles, Action.REPORT_RETURN):
        await message.reply_text(context.t("reports.not_allowed"))
        return
    if context.args:
        try:
            period = Period.parse(context.args[0])
        except ValueError:
            await message.reply_text(context.t("reports.bad_month"))
            return
    else:
        settings = context.settings
        period = open_periods(now(context), settings.report_deadline_day, settings.tz)[-1]
    await deliver(update, context, [await _page(context, period, 1)])


async def on_button(update: Update, context: ChiboContext) -> None:
    """Buttons `ReviewPage`, `ReviewView` and `ReviewReturn`; a report that does not exist or
    is not under the presser's units is answered as expired."""
    query = update.callback_query
    page, view = ReviewPage.unpack(query.data), ReviewView.unpack(query.data)
    if page is not None:
        reply = await _page(context, page.period, page.page)
    elif view is not None:
        reply = await _view(context, view.report_id)
    else:
        await _ask_comment(update, context, ReviewReturn.unpack(query.data))
        return
    if reply is None:
        await expired(update, context)
        return
    await answer(query)
    await deliver(update, context, [reply])


async def _page(context: ChiboContext, period: Period, page: int) -> Say | None:
    roots = scope(context.identity.roles, Action.REPORT_RETURN)
    if not roots or page < 1:
        return None
    settings = context.settings
    async with context.db.session() as session:
        found = await reports_in_subtrees(
            session=session,
            roots=roots,
            period=str(period),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    rows = [
        (
            report.id,
            unit.name,
            context.t(
                "history.status."
                + history_status(report, period, settings.report_deadline_day, settings.tz)
            ),
        )
        for report, unit in found.rows
    ]
    pages = max(1, -(-found.total // PAGE_SIZE))
    return Say(
        *render.supervisor_list(
            context.lang, period=period, rows=rows, page=page, pages=pages, total=found.total
        )
    )


async def _view(context: ChiboContext, report_id: int) -> Say | None:
    roles = context.identity.roles
    async with context.db.session() as session:
        report, unit = await report_and_unit(session, report_id)
        if unit is None or not can(roles, Action.REPORT_VIEW, unit):
            return None
        text = await report_text(session, context, report, unit)
    may_return = can(roles, Action.REPORT_RETURN, unit) and report.status != STATUS_RETURNED
    markup = render.report_buttons(
        context.lang,
        report_id=report.id,
        photos=len(report.photos),
        can_edit=False,
        return_version=report.version if may_return else None,
    )
    return Say(text, markup)


async def _ask_comment(update: Update, context: ChiboContext, button: ReviewReturn) -> None:
    """Check the press (read only), answer it, then ask for the comment (a flow's draft)."""
    actor = Actor(context.identity.person, context.identity.roles)
    async with context.db.session() as session:
        found = await returnable(session, actor, button.report_id, button.version)
    if found is None:
        await expired(update, context)
        return
    await answer(update.callback_query)
    report, unit = found
    result = await flows_telegram.engine(context).start(
        context,
        report_return.KIND,
        report_id=report.id,
        version=report.version,
        reference=reference(report),
        unit=unit.name,
    )
    await flows_telegram.deliver(update, context, result, keep_pressed=True)

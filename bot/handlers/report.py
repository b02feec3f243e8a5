"""The monthly report feature: what bot.app registers, in one place.

- bot.flows.report: /report, the reminders' `ReportStart` button, the answers, review and
  sending, amending and correcting (`CorrectReport`); its entry points are here.
- report_history: /history, a month's report, the photos of its minutes.
- report_review: supervisors' /reports, and returning a report for correction (the comment is
  the flow bot.flows.report_return).
"""

from __future__ import annotations

from telegram import Update

from bot.access import Action, can
from bot.context import ChiboContext
from bot.flows import report as report_flow
from bot.flows import telegram as flows
from bot.handlers import report_history, report_review
from bot.handlers.report_common import expired, private_only
from bot.payloads import CorrectReport, ReportPhotos, ReportStart
from storage.queries.reports import report_by_id


async def report_command(update: Update, context: ChiboContext) -> None:
    """/report, the menu button and the reminders' `ReportStart` button."""
    await flows.start(update, context, report_flow.KIND)


async def correct_button(update: Update, context: ChiboContext) -> None:
    """Amend a sent report, or correct one returned for correction: only a report of a cell the
    presser reports for; one that does not exist or is another cell's is answered as expired."""
    button = CorrectReport.unpack(update.callback_query.data)
    async with context.db.session() as session:
        report = await report_by_id(session=session, report_id=button.report_id)
    unit = context.identity.unit(report.unit_id) if report else None
    if unit is None or not can(context.identity.roles, Action.REPORT_SUBMIT, unit):
        await expired(update, context)
        return
    await flows.start(update, context, report_flow.KIND, correct_id=button.report_id)


COMMANDS = (
    ("report", report_command),
    ("history", report_history.history_command),
    ("reports", report_review.reports_command),
)

# (payload classes, handler): registered with each class's `matches` as the pattern.
BUTTONS = tuple(
    (kinds, private_only(callback))
    for kinds, callback in (
        ((ReportStart,), report_command),
        ((CorrectReport,), correct_button),
        (report_history.HISTORY, report_history.on_button),
        ((ReportPhotos,), report_history.photos_button),
        (report_review.BUTTONS, report_review.on_button),
    )
)

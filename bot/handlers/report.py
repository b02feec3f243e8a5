"""The monthly report feature: what bot.app registers, in one place.

- bot.flows.report: /report, the reminders' "report:start" button, the answers, review and
  sending, amending and correcting ("rc:<report id>"); its entry points are here.
- report_history: /history, a month's report, the photos of its minutes.
- report_review: supervisors' /reports, and returning a report for correction.
Typed answers reach the flows through bot.drafts (the engine's, and "report_return").
"""

from __future__ import annotations

from telegram import Update

from bot.context import ChiboContext
from bot.drafts import Flow
from bot.flows import report as report_flow
from bot.flows import telegram as flows
from bot.handlers import report_history, report_review
from bot.handlers.report_common import private_only
from bot.render.report import START, CorrectButton


async def report_command(update: Update, context: ChiboContext) -> None:
    """/report, the menu button and the reminders' "report:start" button."""
    await flows.start(update, context, report_flow.KIND)


async def correct_button(update: Update, context: ChiboContext) -> None:
    """Amend a sent report, or correct one returned for correction."""
    button = CorrectButton.unpack(update.callback_query.data)
    await flows.start(update, context, report_flow.KIND, correct_id=button.report_id)


COMMANDS = (
    ("report", report_command),
    ("history", report_history.history_command),
    ("reports", report_review.reports_command),
)

BUTTONS = tuple(
    (prefix, private_only(callback))
    for prefix, callback in (
        (f"{START}$", report_command),
        (f"{CorrectButton.prefix}:", correct_button),
        (report_history.HISTORY_PREFIX, report_history.on_button),
        (report_history.PHOTOS_PREFIX, report_history.photos_button),
        (report_review.PREFIX, report_review.on_button),
    )
)

FLOWS: dict[str, Flow] = {report_review.KIND: report_review.FLOW}

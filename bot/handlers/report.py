"""The monthly report feature: what bot.app registers, in one place.

- report_flow: /report, the reminders' "report:start" button, the answers, review and sending,
  amending and correcting (`CorrectReport`).
- report_history: /history, a month's report, the photos of its minutes.
- report_review: supervisors' /reports, and returning a report for correction (the comment is
  the flow bot.flows.report_return).
Typed answers reach the report conversation through bot.drafts (kind "report").
"""

from __future__ import annotations

from telegram import Update

from bot.access import Action, can
from bot.context import ChiboContext
from bot.drafts import Flow
from bot.handlers import report_flow, report_history, report_review
from bot.handlers.report_common import Callback, expired, private_only
from bot.payloads import CorrectReport, ReportPhotos, ReportStart
from storage.queries.reports import report_by_id


def own_report(callback: Callback) -> Callback:
    """A `CorrectReport` press goes on only for a report of a cell the presser reports for;
    one that does not exist or is another cell's is answered as expired (in an alert)."""

    async def guarded(update: Update, context: ChiboContext) -> None:
        button = CorrectReport.unpack(update.callback_query.data)
        async with context.db.session() as session:
            report = await report_by_id(session=session, report_id=button.report_id)
        unit = context.identity.unit(report.unit_id) if report else None
        if unit is None or not can(context.identity.roles, Action.REPORT_SUBMIT, unit):
            await expired(update, context)
            return
        await callback(update, context)

    return guarded


COMMANDS = (
    ("report", report_flow.report_command),
    ("history", report_history.history_command),
    ("reports", report_review.reports_command),
)

# (payload classes, handler): registered with each class's `matches` as the pattern.
BUTTONS = tuple(
    (kinds, private_only(callback))
    for kinds, callback in (
        ((ReportStart,), report_flow.start_button),
        ((CorrectReport,), own_report(report_flow.correct_button)),
        (report_history.HISTORY, report_history.on_button),
        ((ReportPhotos,), report_history.photos_button),
        (report_review.BUTTONS, report_review.on_button),
    )
)

# Buttons of the report conversation not yet on the engine: (prefix, handler).
LEGACY_BUTTONS = ((report_flow.ANSWER_PREFIX, private_only(report_flow.on_button)),)

FLOWS: dict[str, Flow] = {
    report_flow.KIND: report_flow.FLOW,
}

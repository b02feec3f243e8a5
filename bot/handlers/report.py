"""The monthly report feature: what bot.app registers, in one place.

- report_flow: /report, the reminders' "report:start" button, the answers, review and sending,
  amending and correcting ("rc:<report id>").
- report_history: /history, a month's report, the photos of its minutes.
- report_review: supervisors' /reports, and returning a report for correction.
Typed answers reach the flows through bot.drafts (kinds "report" and "report_return").
"""

from __future__ import annotations

from bot.drafts import Flow
from bot.handlers import report_flow, report_history, report_review
from bot.handlers.report_common import private_only

COMMANDS = (
    ("report", report_flow.report_command),
    ("history", report_history.history_command),
    ("reports", report_review.reports_command),
)

BUTTONS = tuple(
    (prefix, private_only(callback))
    for prefix, callback in (
        (f"{report_flow.START}$", report_flow.start_button),
        (report_flow.ANSWER_PREFIX, report_flow.on_button),
        (report_flow.CORRECT_PREFIX, report_flow.correct_button),
        (report_history.HISTORY_PREFIX, report_history.on_button),
        (report_history.PHOTOS_PREFIX, report_history.photos_button),
        (report_review.PREFIX, report_review.on_button),
    )
)

FLOWS: dict[str, Flow] = {
    report_flow.KIND: report_flow.FLOW,
    report_review.KIND: report_review.FLOW,
}

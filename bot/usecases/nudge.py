"""Reminding a cell to report: the reminder a reporter gets (the reminders job's steps), and a
supervisor's nudge that sends one now through the same outbox (at most one a day per cell and
reporter: the outbox's key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.config import Settings
from bot.outbox import Sender, message
from bot.render.summary import reminder_buttons, reminder_text
from bot.rules.figures import Calendar
from bot.rules.org import is_active_in
from bot.rules.periods import Period, deadline_day
from storage.db import Database
from storage.models import Unit
from storage.queries import deliveries as outbox
from storage.queries.audience import ReminderTarget, has_reported, reminder_targets
from storage.queries.deliveries import Outgoing

NUDGE = "nudge"  # the outbox kind of a nudge (a scheduled step's is "reminder")


def reminder(
    settings: Settings,
    cal: Calendar,
    target: ReminderTarget,
    period: Period,
    today: date,
    kind: str,
    step: str,
    expires: str | None = None,
    nudged_by: str | None = None,
) -> Outgoing:
    """One reporter's reminder for one cell; `step` ends the key (a step, or a nudge's day)."""
    language = target.chat.language or settings.default_language
    payload = message(
        reminder_text(
            language,
            target.unit_name,
            period,
            deadline_day(period, cal.deadline_day),
            today,
            nudged_by,
        ),
        reminder_buttons(language),
    )
    payload["unless_report"] = [target.unit_id, str(period)]
    if expires:
        payload["expires_at"] = expires
    return target.chat.outgoing(kind, f"{target.unit_id}:{period}:{step}", payload)


@dataclass(frozen=True)
class Nudged:
    """How a nudge went: "not_expected", "reported", "nobody", "already", "unreachable" or
    "sent" (with how many messages)."""

    outcome: str
    sent: int = 0


async def nudge_cell(
    db: Database,
    settings: Settings,
    sender: Sender,
    cell: Unit,
    period: Period,
    at: datetime,
    by: str | None,
) -> Nudged:
    """Remind the cell's secretary and deputy now, unless there is nothing to remind of."""
    if not is_active_in(cell.valid_from, cell.valid_to, period):
        return Nudged("not_expected")
    async with db.session() as session:
        if await has_reported(session=session, unit_id=cell.id, period=period):
            return Nudged("reported")
        targets = await reminder_targets(session=session, period=period, unit_ids=[cell.id])
    if not targets:
        return Nudged("nobody")
    cal = Calendar.from_settings(settings)
    today = cal.local_date(at)
    items = [
        reminder(settings, cal, t, period, today, NUDGE, today.isoformat(), None, by)
        for t in targets
    ]
    async with db.session() as session:
        new = await outbox.record(session=session, items=items, now=sender.clock())
    if not new:
        return Nudged("already")
    outcomes = await sender.drain(only=new)
    if not outcomes[outbox.SENT]:
        return Nudged("unreachable")
    return Nudged("sent", outcomes[outbox.SENT])

"""The monthly report conversation: /report (or the reminders' button), the answers step by step,
the review, and sending; amending and correcting a sent report go through the same review.

State lives in the person's draft (kind "report"): `step` and `data`, see bot.rules.report_steps.
Every button carries the draft's token and the step it answers; any other press is expired.
Replies are prepared inside the transaction and sent after it is committed.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update

from bot import i18n
from bot.access import Action, can
from bot.clock import now, today
from bot.context import ChiboContext
from bot.drafts import Flow, cancel_question, is_stale
from bot.handlers.report_common import (
    Say,
    amendable,
    deliver,
    expired,
    reference,
    report_text,
    reporting_cells,
    submitter_role,
)
from bot.render import report as render
from bot.rules import report_steps as st
from bot.rules.periods import Period, deadline_day, lock_end
from bot.rules.report import (
    STATUS_RETURNED,
    AnswerError,
    is_overdue,
    reportable_periods,
)
from storage.models import Draft, MeetingReport, Person, Unit
from storage.queries.drafts import delete_draft, get_draft, save_draft, start_draft
from storage.queries.reports import (
    ReportConflict,
    last_held_report,
    person_by_id,
    report_by_id,
    report_for,
    reports_by_period,
    snapshot,
    submit_report,
)

KIND = "report"
CONTROL = "ctl"
START = render.START
ANSWER_PREFIX, CORRECT_PREFIX = "r:", "rc:"


# --- entry points -----------------------------------------------------------------------------


async def report_command(update: Update, context: ChiboContext) -> None:
    """/report and the menu button."""
    await deliver(update, context, await _begin(context, correct_id=None))


async def start_button(update: Update, context: ChiboContext) -> None:
    """The "report:start" button of the reminders: like /report."""
    await update.callback_query.answer()
    await deliver(update, context, await _begin(context, correct_id=None))


async def correct_button(update: Update, context: ChiboContext) -> None:
    """Button "rc:<report id>": amend a sent report, or correct one returned for correction."""
    try:
        report_id = int(update.callback_query.data.removeprefix(CORRECT_PREFIX))
    except ValueError:
        await expired(update, context)
        return
    await update.callback_query.answer()
    await deliver(update, context, await _begin(context, correct_id=report_id))


async def _begin(context: ChiboContext, correct_id: int | None) -> list[Say]:
    cells = reporting_cells(context)
    if not cells:
        return [Say(context.t("report.not_reporter"))]
    replies = []
    async with context.db.session() as session:
        draft = context.draft(session, KIND)
        if draft is not None and _stale(context, draft):
            await delete_draft(session=session, draft=draft)
            replies.append(Say(context.t("draft.expired", days=context.settings.draft_expiry_days)))
            draft = None
        if draft is not None and draft.step not in (st.CELL, st.PERIOD):
            drop = f"drop.{correct_id}" if correct_id else "drop"
            month = Period.parse(draft.period).label
            stage = render.stage_label(context.lang, draft.step, draft.data)
            replies.append(Say(*render.resume_offer(context.lang, draft.token, month, stage, drop)))
        elif correct_id is not None:
            replies += await _open_report(session, context, correct_id)
        else:
            replies += await _choose_cell(session, context, cells)
    return replies


def _stale(context: ChiboContext, draft: Draft) -> bool:
    return is_stale(draft.updated_at, now(context), context.settings.draft_expiry_days)


async def _choose_cell(
    session: AsyncSession, context: ChiboContext, cells: list[Unit]
) -> list[Say]:
    if len(cells) == 1:
        return await _choose_period(session, context, cells[0])
    draft = await _start(session, context, st.CELL, data={"_cells": [c.id for c in cells]})
    return [Say(*render.cell_choice(context.lang, draft.token, [(c.id, c.name) for c in cells]))]


def _reportable(context: ChiboContext) -> list[Period]:
    settings = context.settings
    return reportable_periods(
        now(context), settings.report_deadline_day, settings.report_lock_grace_days, settings.tz
    )


async def _choose_period(session: AsyncSession, context: ChiboContext, cell: Unit) -> list[Say]:
    periods = _reportable(context)
    if len(periods) == 1:
        return await _open(session, context, cell, periods[0])
    sent = await reports_by_period(session=session, unit_id=cell.id, periods=map(str, periods))
    notes = [
        (p, "sent" if str(p) in sent else "late" if _overdue(context, p) else None) for p in periods
    ]
    draft = await _start(
        session, context, st.PERIOD, unit_id=cell.id, data={"_periods": [str(p) for p in periods]}
    )
    return [Say(*render.period_choice(context.lang, draft.token, notes))]


def _overdue(context: ChiboContext, period: Period) -> bool:
    settings = context.settings
    return is_overdue(period, now(context), settings.report_deadline_day, settings.tz)


async def _open_report(session: AsyncSession, context: ChiboContext, report_id: int) -> list[Say]:
    report = await report_by_id(session=session, report_id=report_id)
    unit = await context.unit(session, report.unit_id) if report else None
    if unit is None or not can(context.identity.roles, Action.REPORT_SUBMIT, unit):
        return [Say(context.t("report.not_reporter"))]
    return await _open(session, context, unit, Period.parse(report.period))


async def _open(
    session: AsyncSession, context: ChiboContext, cell: Unit, period: Period
) -> list[Say]:
    """Begin the month: a new report from the first step, or the review of the sent one."""
    report = await report_for(session=session, unit_id=cell.id, period=str(period))
    if report is None:
        if period not in _reportable(context):
            await _drop(session, context)
            return [Say(context.t("report.period_closed", month=period.label))]
        last = await last_held_report(session=session, unit_id=cell.id, before=str(period))
        data = {"_mode": "new", "_last": _usual_figures(last)}
        draft = await _start(session, context, st.HELD, unit_id=cell.id, period=period, data=data)
        return [Say(*_question(context, draft, cell))]
    if not amendable(context, report):
        await _drop(session, context)
        return await _locked(session, context, report, cell)
    data = {
        **st.draft_data(snapshot(report)),
        "_mode": "correct" if report.status == STATUS_RETURNED else "amend",
        "_report_id": report.id,
        "_comment": report.return_comment,
        "_last": _usual_figures(report),
    }
    draft = await _start(
        session, context, st.REVIEW, unit_id=cell.id, period=period, data=data,
        base_version=report.version,
    )  # fmt: skip
    return [Say(*_question(context, draft, cell))]


async def _locked(
    session: AsyncSession, context: ChiboContext, report: MeetingReport, cell: Unit
) -> list[Say]:
    settings, period = context.settings, Period.parse(report.period)
    end = lock_end(
        period, settings.report_deadline_day, settings.report_lock_grace_days, settings.tz
    )
    text = context.t("report.locked", month=period.label, date=render.day(end.date()))
    view = await report_text(session, context, report, cell)
    return [Say(text), Say(view, render.report_buttons(
        context.lang, report_id=report.id, photos=len(report.photos), can_edit=False
    ))]  # fmt: skip


def _usual_figures(report: MeetingReport | None) -> dict[str, Any]:
    """Figures that rarely change, offered as one-tap answers next time."""
    if report is None or not report.held:
        return {}
    return {
        "members": report.members,
        "exempt": report.exempt,
        "day": report.meeting_date.day if report.meeting_date else None,
    }


async def _start(
    session: AsyncSession,
    context: ChiboContext,
    step: str,
    *,
    data: dict[str, Any],
    unit_id: int | None = None,
    period: Period | None = None,
    base_version: int | None = None,
) -> Draft:
    return await start_draft(
        session=session,
        person_id=context.identity.person.id,
        kind=KIND,
        step=step,
        now=now(context),
        data=data,
        unit_id=unit_id,
        period=str(period) if period else None,
        base_version=base_version,
    )


async def _drop(session: AsyncSession, context: ChiboContext) -> None:
    draft = await get_draft(session=session, person_id=context.identity.person.id, kind=KIND)
    if draft is not None:
        await delete_draft(session=session, draft=draft)


# --- answers ----------------------------------------------------------------------------------


async def on_button(update: Update, context: ChiboContext) -> None:
    """Button "r:<token>:<step>:<value>": applied only to the current draft at that step."""
    query = update.callback_query
    parsed = render.parse_answer_data(query.data)
    person = context.identity.person
    replies: list[Say] | None = None
    if parsed is not None and person is not None:
        token, step, value = parsed
        async with context.db.session() as session:
            draft = context.draft(session, KIND)
            if draft is not None and _stale(context, draft):
                await delete_draft(session=session, draft=draft)
            elif draft is not None and draft.token == token and step in (CONTROL, draft.step):
                replies = await _choice(session, context, draft, step, value)
    if replies is None:
        await expired(update, context)
        return
    await query.answer()
    await deliver(update, context, replies)


async def _choice(
    session: AsyncSession, context: ChiboContext, draft: Draft, step: str, value: str
) -> list[Say] | None:
    """A button's value at `step`; None when the value is not one that was offered."""
    if step == CONTROL:
        return await _control(session, context, draft, value)
    if step == st.CELL:
        cells = {c.id: c for c in reporting_cells(context) if c.id in draft.data["_cells"]}
        cell = cells.get(int(value)) if value.isdigit() else None
        return await _choose_period(session, context, cell) if cell else None
    if step == st.PERIOD:
        if value not in draft.data["_periods"]:
            return None
        cell = await context.unit(session, draft.unit_id)
        return await _open(session, context, cell, Period.parse(value))
    if step == st.REVIEW:
        return await _review_action(session, context, draft, value)
    return await _answer(session, context, draft, st.Answer(choice=value))


async def _control(
    session: AsyncSession, context: ChiboContext, draft: Draft, value: str
) -> list[Say] | None:
    if value == "resume":
        return [Say(*await _current_question(session, context, draft))]
    if value == "drop":
        return await _choose_cell(session, context, reporting_cells(context))
    if value.startswith("drop.") and value[5:].isdigit():
        return await _open_report(session, context, int(value[5:]))
    return None


async def _review_action(
    session: AsyncSession, context: ChiboContext, draft: Draft, value: str
) -> list[Say] | None:
    if value == "send":
        return await _send(session, context, draft)
    if value == "cancel":
        return [Say(*cancel_question(context, draft, describe(context, draft)))]
    group = value.removeprefix("e.")
    if not value.startswith("e.") or group not in st.GROUPS:
        return None
    draft.step = st.edit_start(group)
    draft.data = {**draft.data, "_editing": True}
    await save_draft(session=session, draft=draft, now=now(context))
    return [Say(*await _current_question(session, context, draft))]


async def typed_answer(update: Update, context: ChiboContext) -> None:
    """A text, photo or file while the person's latest draft is a report (see bot.drafts)."""
    answer = _answer_of(update.effective_message)
    async with context.db.session() as session:
        draft = context.draft(session, KIND)
        if draft is None:
            return
        if draft.step in (st.CELL, st.PERIOD, st.REVIEW):
            replies = [Say(context.t("report.error.press_button"))]
        else:
            replies = await _answer(session, context, draft, answer)
    await deliver(update, context, replies)


def _answer_of(message: Message) -> st.Answer:
    if message.photo:
        return st.Answer(photo=message.photo[-1].file_id)
    if message.text is not None:
        return st.Answer(text=message.text)
    return st.Answer(document=message.document is not None)


async def _answer(
    session: AsyncSession, context: ChiboContext, draft: Draft, answer: st.Answer
) -> list[Say]:
    """Validate the answer at the draft's step; stay there with the reason, or move on."""
    unit = await context.unit(session, draft.unit_id)
    period = Period.parse(draft.period)
    try:
        outcome = st.apply_answer(
            draft.step, answer, draft.data, period=period, today=today(context)
        )
    except AnswerError as error:
        return [Say(*_question(context, draft, unit, error=context.t(error.key, **error.values)))]
    data = outcome.data
    if outcome.advance:
        draft.step = st.next_step(draft.step, data)
        if draft.step == st.REVIEW:
            data.pop("_editing", None)
    draft.data = data
    await save_draft(session=session, draft=draft, now=now(context))
    if not outcome.advance:
        return [Say(*render.photo_received(context.lang, draft.token, len(data["photos"])))]
    return [Say(*_question(context, draft, unit))]


def _question(
    context: ChiboContext, draft: Draft, unit: Unit, error: str | None = None
) -> tuple[str, Any]:
    """The prompt of the draft's step, or the review."""
    period = Period.parse(draft.period)
    if draft.step == st.REVIEW:
        return render.review(
            context.lang,
            token=draft.token,
            data=draft.data,
            period=period,
            unit_name=unit.name,
            version=draft.base_version,
            comment=draft.data.get("_comment"),
        )
    return render.prompt(
        context.lang,
        token=draft.token,
        step=draft.step,
        data=draft.data,
        period=period,
        unit_name=unit.name,
        today=today(context),
        error=error,
    )


async def _current_question(
    session: AsyncSession, context: ChiboContext, draft: Draft
) -> tuple[str, Any]:
    unit = await context.unit(session, draft.unit_id)
    return _question(context, draft, unit)


# --- sending ----------------------------------------------------------------------------------


async def _send(session: AsyncSession, context: ChiboContext, draft: Draft) -> list[Say]:
    """Store the report (a new one, or a new version), then confirm with its reference."""
    unit = await context.unit(session, draft.unit_id)
    if not can(context.identity.roles, Action.REPORT_SUBMIT, unit):
        await delete_draft(session=session, draft=draft)
        return [Say(context.t("report.not_reporter"))]
    missing = st.first_missing(draft.data)
    if missing is not None:  # cannot happen through the buttons; never send a gap
        draft.step = missing
        await save_draft(session=session, draft=draft, now=now(context))
        return [Say(*_question(context, draft, unit))]
    period = Period.parse(draft.period)
    current = await report_for(session=session, unit_id=unit.id, period=draft.period)
    if current is not None and not amendable(context, current):
        await delete_draft(session=session, draft=draft)
        return await _locked(session, context, current, unit)
    if current is None and period not in _reportable(context):
        await delete_draft(session=session, draft=draft)
        return [Say(context.t("report.period_closed", month=period.label))]
    was_returned = current is not None and current.status == STATUS_RETURNED
    try:
        report = await submit_report(
            session=session,
            unit_id=unit.id,
            period=draft.period,
            values=st.report_values(draft.data),
            person_id=context.identity.person.id,
            role=submitter_role(context, unit),
            base_version=draft.base_version,
            now=now(context),
            actor=context.actor["actor"],
        )
    except ReportConflict as conflict:
        return await _conflict(session, context, draft, unit, conflict.current)
    await delete_draft(session=session, draft=draft)
    replies = [Say(_confirmation(context, report, unit))]
    if was_returned and report.returned_by_id is not None:
        supervisor = await person_by_id(session=session, person_id=report.returned_by_id)
        if supervisor is not None:
            replies.append(_resubmitted_notice(context, supervisor, report, unit))
    return replies


async def _conflict(
    session: AsyncSession,
    context: ChiboContext,
    draft: Draft,
    unit: Unit,
    current: MeetingReport,
) -> list[Say]:
    """Someone sent or changed the report meanwhile: keep the draft, based on the current
    version, show what is stored now and let the person decide to send theirs over it."""
    draft.base_version = current.version
    draft.data = {
        **draft.data,
        "_mode": "correct" if current.status == STATUS_RETURNED else "amend",
        "_report_id": current.id,
        "_comment": current.return_comment,
    }
    await save_draft(session=session, draft=draft, now=now(context))
    sender = await person_by_id(session=session, person_id=current.submitted_by_id)
    warning = context.t(
        "report.conflict",
        month=Period.parse(current.period).label,
        name=render.esc(sender.full_name if sender else ""),
        time=render.moment(current.submitted_at, context.settings.tz),
    )
    view = await report_text(session, context, current, unit)
    return [Say(warning), Say(view), Say(*_question(context, draft, unit))]


def _confirmation(context: ChiboContext, report: MeetingReport, unit: Unit) -> str:
    settings, period = context.settings, Period.parse(report.period)
    key = "report.sent" if report.version == 1 else "report.amended"
    text = context.t(
        key,
        month=period.label,
        unit=render.esc(unit.name),
        reference=reference(report),
        version=report.version,
    )
    if is_overdue(period, report.first_submitted_at, settings.report_deadline_day, settings.tz):
        deadline = deadline_day(period, settings.report_deadline_day)
        text += "\n" + context.t("report.sent_late", deadline=render.day(deadline))
    return text


def _resubmitted_notice(
    context: ChiboContext, supervisor: Person, report: MeetingReport, unit: Unit
) -> Say:
    lang = i18n.normalise(supervisor.language or context.settings.default_language)
    text = i18n.t(
        lang,
        "report.resubmitted_notice",
        reference=reference(report),
        unit=render.esc(unit.name),
        month=Period.parse(report.period).label,
        version=report.version,
    )
    markup = render.keyboard([[(i18n.t(lang, "reports.btn.view"), f"rs:v:{report.id}")]])
    return Say(text, markup, chat_id=supervisor.telegram_id)


# --- for bot.drafts ---------------------------------------------------------------------------


async def reprompt(update: Update, context: ChiboContext, draft: Draft) -> None:
    """After "keep going" on /cancel: ask the current step again."""
    async with context.db.session() as session:
        if draft.step in (st.CELL, st.PERIOD):
            replies = await _choose_cell(session, context, reporting_cells(context))
        else:
            replies = [Say(*await _current_question(session, context, draft))]
    await deliver(update, context, replies)


def describe(context: ChiboContext, draft: Draft) -> str:
    if not draft.period:
        return context.t("report.describe_new")
    month = Period.parse(draft.period).label
    if draft.data.get("_mode") in ("amend", "correct"):  # the sent report itself stays
        return context.t("report.describe_amend", month=month)
    return context.t("report.describe", month=month)


FLOW = Flow(typed=typed_answer, reprompt=reprompt, describe=describe)

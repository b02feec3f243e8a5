"""Supervisors and the cells' reports: /reports [MM/YYYY] lists the month's reports of their
subtree, a report opens with "Trả lại để bổ sung", and the comment typed next returns it.

Returning writes the report (status "returned", comment, who, when) before anyone is told; the
secretary and deputies are then notified with a button that opens the report pre-filled.
The comment is typed in a draft of kind "report_return" (step "comment").
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from bot import i18n
from bot.access import Action, can, scope
from bot.clock import now
from bot.context import ChiboContext
from bot.drafts import Flow
from bot.handlers.report_common import Say, deliver, expired, reference, report_text
from bot.render import report as render
from bot.rules.periods import Period, open_periods
from bot.rules.report import STATUS_RETURNED, TEXT_LIMITS, AnswerError, history_status, parse_text
from storage.models import Draft, MeetingReport, Unit
from storage.queries.drafts import delete_draft, start_draft
from storage.queries.reports import (
    ReportConflict,
    report_by_id,
    reporters_of,
    reports_in_subtrees,
    return_report,
)
from storage.queries.units import unit_by_id

KIND = "report_return"
PREFIX = "rs:"
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
    """Buttons "rs:p:<YYYY-MM>:<page>", "rs:v:<report id>", "rs:r:<report id>:<version>"."""
    query = update.callback_query
    parts = query.data.removeprefix(PREFIX).split(":")
    reply = None
    try:
        if parts[0] == "p" and len(parts) == 3:
            reply = await _page(context, Period.parse(parts[1]), int(parts[2]))
        elif parts[0] == "v" and len(parts) == 2:
            reply = await _view(context, int(parts[1]))
        elif parts[0] == "r" and len(parts) == 3:
            reply = await _ask_comment(context, int(parts[1]), int(parts[2]))
    except ValueError:
        reply = None
    if reply is None:
        await expired(update, context)
        return
    await query.answer()
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
        report, unit = await _report_and_unit(session, report_id)
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


async def _report_and_unit(
    session: AsyncSession, report_id: int
) -> tuple[MeetingReport | None, Unit | None]:
    report = await report_by_id(session=session, report_id=report_id)
    unit = await unit_by_id(session=session, unit_id=report.unit_id) if report else None
    return report, unit


async def _ask_comment(context: ChiboContext, report_id: int, version: int) -> Say | None:
    async with context.db.session() as session:
        report, unit = await _report_and_unit(session, report_id)
        if unit is None or not can(context.identity.roles, Action.REPORT_RETURN, unit):
            return None
        if report.version != version or report.status == STATUS_RETURNED:
            return None
        await start_draft(
            session=session,
            person_id=context.identity.person.id,
            kind=KIND,
            step="comment",
            now=now(context),
            data={"report_id": report.id, "version": version, "reference": reference(report)},
        )
    return Say(_comment_question(context, reference(report), unit.name))


def _comment_question(context: ChiboContext, ref: str, unit_name: str) -> str:
    return context.t(
        "reports.ask_comment",
        reference=ref,
        unit=render.esc(unit_name),
        limit=TEXT_LIMITS["return_comment"],
    )


async def typed_comment(update: Update, context: ChiboContext) -> None:
    """The comment of a return: the report is returned, then its cell is told."""
    text = update.effective_message.text
    async with context.db.session() as session:
        draft = context.draft(session, KIND)
        if draft is None:
            return
        try:
            comment = parse_text(text or "", limit=TEXT_LIMITS["return_comment"])
        except AnswerError as error:
            replies = [Say(context.t(error.key, **error.values))]
        else:
            replies = await _return(session, context, draft, comment)
    await deliver(update, context, replies)


async def _return(
    session: AsyncSession, context: ChiboContext, draft: Draft, comment: str
) -> list[Say]:
    report, unit = await _report_and_unit(session, draft.data["report_id"])
    await delete_draft(session=session, draft=draft)
    if unit is None or not can(context.identity.roles, Action.REPORT_RETURN, unit):
        return [Say(context.t("reports.not_allowed"))]
    try:
        report = await return_report(
            session=session,
            report_id=report.id,
            version=draft.data["version"],
            by_id=context.identity.person.id,
            comment=comment,
            now=now(context),
            actor=str(context.actor["actor"]),
        )
    except ReportConflict as conflict:
        view = await report_text(session, context, conflict.current, unit)
        return [Say(context.t("reports.changed")), Say(view)]
    people = await reporters_of(session=session, unit_id=unit.id)
    replies = [_returned_notice(context, person.language, person.telegram_id, report, unit)
               for person, _ in people]  # fmt: skip
    names = ", ".join(render.esc(person.full_name) for person, _ in people)
    key = "reports.returned" if people else "reports.returned_nobody"
    replies.append(
        Say(context.t(key, reference=reference(report), unit=render.esc(unit.name), names=names))
    )
    return replies


def _returned_notice(
    context: ChiboContext, language: str | None, chat_id: int, report: MeetingReport, unit: Unit
) -> Say:
    lang = i18n.normalise(language or context.settings.default_language)
    text = i18n.t(
        lang,
        "report.returned_notice",
        month=Period.parse(report.period).label,
        unit=render.esc(unit.name),
        reference=reference(report),
        comment=render.esc(report.return_comment or ""),
    )
    return Say(text, render.correct_button(lang, report.id), chat_id=chat_id)


async def reprompt(update: Update, context: ChiboContext, draft: Draft) -> None:
    async with context.db.session() as session:
        _, unit = await _report_and_unit(session, draft.data["report_id"])
    name = unit.name if unit else ""
    await update.effective_chat.send_message(
        _comment_question(context, draft.data["reference"], name)
    )


def describe(context: ChiboContext, draft: Draft) -> str:
    return context.t("reports.describe", reference=draft.data["reference"])


FLOW = Flow(typed=typed_comment, reprompt=reprompt, describe=describe)

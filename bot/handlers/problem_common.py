"""Shared by raising and handling problems: drafts that expire, cards, and notifications."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest

from bot import i18n
from bot.config import Settings
from bot.context import ChiboContext
from bot.notify import send_quietly
from bot.render import problems as render
from bot.rules import problems as rules
from storage.models import Draft, GroupLink, MeetingReport, Person, Problem, utcnow
from storage.queries.problems import delete_draft, get_draft, recent_events, state_version
from storage.queries.units import unit_by_id

RAISE_KIND, NOTE_KIND = "problem", "problem_note"
KINDS = (RAISE_KIND, NOTE_KIND)
# A note asked for by an action is typed at once; left longer, a later message must not
# silently become, say, the result of resolving a problem.
NOTE_LIFETIME = timedelta(hours=12)


def new_token() -> str:
    return secrets.token_hex(4)


def is_expired(draft: Draft, settings: Settings, now: datetime) -> bool:
    if draft.kind == NOTE_KIND:
        return draft.updated_at < now - NOTE_LIFETIME
    return draft.updated_at < now - timedelta(days=settings.draft_expiry_days)


async def drop_pending_note(context: ChiboContext) -> None:
    """A problem command leaves a note that was asked for and not typed."""
    async with context.db.session() as session:
        await delete_draft(session=session, person_id=context.identity.person.id, kind=NOTE_KIND)


async def edit_quietly(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Show `text` in the pressed message; pressing twice, or a refresh to what is already
    shown, is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def refuse_stranger(update: Update, context: ChiboContext) -> bool:
    """Buttons pressed in a group reach here from anyone: only members get further."""
    if context.identity.is_member:
        return False
    await update.callback_query.answer(context.t("problem.expired"), show_alert=True)
    return True


async def live_draft(
    session: AsyncSession, settings: Settings, person_id: int, kind: str, now: datetime
) -> Draft | None:
    """The person's draft of `kind`, unless it was left too long (then it is dropped)."""
    draft = await get_draft(session=session, person_id=person_id, kind=kind)
    if draft is not None and is_expired(draft, settings, now):
        await delete_draft(session=session, person_id=person_id, kind=kind)
        return None
    return draft


def person_language(person: Person | None, settings: Settings) -> str:
    """The language to write to someone other than the speaker in."""
    if person is not None and person.language:
        return i18n.normalise(person.language)
    return settings.default_language


async def load_card(session: AsyncSession, problem: Problem, events: int = 5) -> render.Card:
    report = await session.get(MeetingReport, problem.report_id) if problem.report_id else None
    return render.Card(
        problem=problem,
        unit=await unit_by_id(session=session, unit_id=problem.unit_id),
        handling_unit=await unit_by_id(session=session, unit_id=problem.handling_unit_id),
        reporter=await session.get(Person, problem.reporter_id) if problem.reporter_id else None,
        version=await state_version(session=session, problem_id=problem.id),
        events=await recent_events(session=session, problem_id=problem.id, limit=events),
        report_period=_period_label(report.period) if report else None,
    )


def _period_label(period: str) -> str:
    year, month = period.split("-")
    return f"{month}/{year}"


async def notify_handlers(
    context: ChiboContext,
    card: render.Card,
    recipients: list[Person],
    groups: list[GroupLink],
    kind: str,
    **values: object,
) -> None:
    """Tell the handling unit's supervisors (with the action buttons) and its linked groups
    (information only) about the problem; `kind` picks the first line (new, urgent, ...)."""
    now, tz, settings = utcnow(), context.settings.tz, context.settings
    actions = rules.allowed_actions(card.problem.status)
    speaker = context.identity.person
    for person in recipients:
        if speaker is not None and person.id == speaker.id:
            continue
        lang = person_language(person, settings)
        header = render.handler_header(lang, kind, **values)
        await send_quietly(
            context.bot,
            context.db,
            person.telegram_id,
            render.card_text(lang, card, now, tz, header),
            reply_markup=render.card_keyboard(lang, card, actions, reopen=False),
        )
    for group in groups:
        lang = settings.default_language
        header = render.handler_header(lang, kind, **values)
        text = render.card_text(lang, card, now, tz, header)
        await send_quietly(context.bot, context.db, group.chat_id, text)


async def notify_reporter(
    context: ChiboContext, card: render.Card, action: str, note: str | None
) -> None:
    """Tell the reporter what happened to their problem, as a reply to the message that
    confirmed it when that is known; a resolved problem comes with "not resolved"."""
    problem, reporter = card.problem, card.reporter
    speaker = context.identity.person
    if reporter is None or problem.reporter_chat_id is None:
        return
    if speaker is not None and reporter.id == speaker.id:
        return
    lang = person_language(reporter, context.settings)
    text = render.reporter_update(
        lang, problem, action, note, card.handling_unit, context.settings.problem_reopen_days
    )
    markup = None
    if problem.status == rules.RESOLVED:
        markup = render.reopen_keyboard(lang, problem, card.version)
    reply = None
    if problem.reporter_message_id:
        reply = ReplyParameters(
            message_id=problem.reporter_message_id, allow_sending_without_reply=True
        )
    await send_quietly(
        context.bot,
        context.db,
        problem.reporter_chat_id,
        text,
        reply_markup=markup,
        reply_parameters=reply,
    )

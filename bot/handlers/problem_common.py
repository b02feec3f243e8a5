"""Shared by raising and handling problems: drafts that expire, cards, and notifications."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest

from bot import i18n
from bot.clock import now
from bot.config import Settings
from bot.context import ChiboContext
from bot.drafts import is_stale
from bot.notify import send_quietly
from bot.render import problems as render
from bot.rules import problems as rules
from storage.models import Draft, GroupLink, MeetingReport, Person, Problem
from storage.queries.drafts import delete_draft, get_draft, save_draft
from storage.queries.problems import recent_events, state_version
from storage.queries.units import unit_by_id

RAISE_KIND, NOTE_KIND = "problem", "problem_note"
# A note asked for by an action is typed at once; left longer, a later message must not
# silently become, say, the result of resolving a problem.
NOTE_LIFETIME = timedelta(hours=12)


def _is_stale(draft: Draft, context: ChiboContext) -> bool:
    if draft.kind == NOTE_KIND:
        return now(context) - draft.updated_at >= NOTE_LIFETIME
    return is_stale(draft.updated_at, now(context), context.settings.draft_expiry_days)


async def own_draft(session: AsyncSession, context: ChiboContext, kind: str) -> Draft | None:
    """The speaker's draft of `kind`, unless it was left too long (then it is dropped)."""
    draft = context.draft(session, kind)
    if draft is not None and _is_stale(draft, context):
        await delete_draft(session=session, draft=draft)
        return None
    return draft


async def update_draft(
    session: AsyncSession,
    context: ChiboContext,
    draft: Draft,
    step: str | None = None,
    **data: object,
) -> None:
    """Move the draft to `step` (if given) with `data` merged in, and save it."""
    if step is not None:
        draft.step = step
    draft.data.update(data)
    await save_draft(session=session, draft=draft, now=now(context))


async def drop_pending_note(context: ChiboContext) -> None:
    """A problem command leaves a note that was asked for and not typed."""
    async with context.db.session() as session:
        draft = await get_draft(
            session=session, person_id=context.identity.person.id, kind=NOTE_KIND
        )
        if draft is not None:
            await delete_draft(session=session, draft=draft)


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


def person_language(person: Person | None, settings: Settings) -> str:
    """The language to write to someone other than the speaker in."""
    if person is not None and person.language:
        return i18n.normalise(person.language)
    return settings.default_language


async def load_card(session: AsyncSession, problem: Problem, events: int = 5) -> render.Card:
    report = await session.get(MeetingReport, problem.report_id) if problem.report_id else None
    unit = await unit_by_id(session=session, unit_id=problem.unit_id)
    parent = await unit_by_id(session=session, unit_id=unit.parent_id) if unit.parent_id else None
    return render.Card(
        problem=problem,
        commune=parent.name if parent else "",
        unit=unit,
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
    moment, tz, settings = now(context), context.settings.tz, context.settings
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
            render.card_text(lang, card, moment, tz, header),
            reply_markup=render.card_keyboard(lang, card, actions, reopen=False),
        )
    for group in groups:
        lang = settings.default_language
        header = render.handler_header(lang, kind, **values)
        text = render.card_text(lang, card, moment, tz, header)
        await send_quietly(context.bot, context.db, group.chat_id, text)


async def notify_first_reporter(context: ChiboContext, card: render.Card) -> None:
    """An addition to a problem: its first reporter hears of it too (unless they added it)."""
    problem, reporter = card.problem, card.reporter
    speaker = context.identity.person
    if reporter is None or problem.reporter_chat_id is None:
        return
    if speaker is not None and reporter.id == speaker.id:
        return
    lang = person_language(reporter, context.settings)
    text = render.handler_header(lang, "supplement_reporter", id=problem.id, title=problem.title)
    await send_quietly(context.bot, context.db, problem.reporter_chat_id, text)


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

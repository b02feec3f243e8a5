"""Shared by the problem handlers: who acts, a pending note, cards, and notifications."""

from __future__ import annotations

from telegram import ReplyParameters

from bot.clock import now
from bot.context import ChiboContext
from bot.flows.problem_note import KIND as NOTE_KIND
from bot.notify import send_quietly
from bot.render import problems as render
from bot.render.keyboard import markup
from bot.usecases import Actor
from bot.usecases.problems import load_card
from storage.models import GroupLink, Person
from storage.queries.drafts import delete_draft, get_draft

__all__ = ["NOTE_KIND", "load_card"]


def actor(context: ChiboContext) -> Actor:
    return Actor(context.identity.person, context.identity.roles)


async def drop_pending_note(context: ChiboContext) -> None:
    """A problem command leaves a note that was asked for and not typed."""
    async with context.db.session() as session:
        draft = await get_draft(
            session=session, person_id=context.identity.person.id, kind=NOTE_KIND
        )
        if draft is not None:
            await delete_draft(session=session, draft=draft)


async def send_notices(context: ChiboContext, notices: list[render.Notice]) -> None:
    """Send notifications after the change they tell of is committed."""
    for notice in notices:
        reply = None
        if notice.reply_to:
            reply = ReplyParameters(message_id=notice.reply_to, allow_sending_without_reply=True)
        await send_quietly(
            context.bot,
            context.db,
            notice.chat_id,
            notice.text,
            reply_markup=markup(notice.rows),
            reply_parameters=reply,
        )


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
    speaker = context.identity.person
    notices = render.handler_notices(
        card,
        recipients,
        groups,
        kind,
        speaker_id=speaker.id if speaker else None,
        default_language=context.settings.default_language,
        now=now(context),
        tz=context.settings.tz,
        **values,
    )
    await send_notices(context, notices)

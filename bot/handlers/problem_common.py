"""Shared by the problem handlers: who acts, a pending note, cards, and notifications."""

from __future__ import annotations

from telegram import ReplyParameters

from bot.context import ChiboContext
from bot.flows.problem_note import KIND as NOTE_KIND
from bot.notify import send_quietly
from bot.render import problems as render
from bot.render.keyboard import markup
from bot.usecases import Actor
from bot.usecases.problems import load_card
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
            context.bots,
            context.db,
            notice.chat_id,
            notice.text,
            reply_markup=markup(notice.rows),
            reply_parameters=reply,
        )

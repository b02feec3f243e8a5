"""The problem features' typed answers: text, photos and locations go to the person's problem
draft (raising one, or a note an action asked for) when that is their latest conversation."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, filters

from bot import menu
from bot.context import ChiboContext
from bot.handlers import problem_handle, problem_raise
from bot.handlers.problem_common import KINDS, RAISE_KIND, is_expired
from storage.models import utcnow
from storage.queries.problems import latest_draft

# New private messages that can answer a step: not commands, not the menu's buttons, not edits
# (a live location keeps editing its message).
ANSWERS = (filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE) & (
    (filters.TEXT & ~filters.COMMAND & ~filters.Text(menu.all_labels()))
    | filters.PHOTO
    | filters.LOCATION
)


async def answer(update: Update, context: ChiboContext) -> None:
    """Runs before the features' group: takes the message (and stops there) only when the
    person's most recent draft is a problem draft; otherwise lets the other features have it."""
    person = context.identity.person
    if person is None or not context.identity.is_member:
        return
    async with context.db.session() as session:
        draft = await latest_draft(session=session, person_id=person.id)
    if draft is None or draft.kind not in KINDS or is_expired(draft, context.settings, utcnow()):
        return
    if draft.kind == RAISE_KIND:
        await problem_raise.on_input(update, context)
    else:
        await problem_handle.on_note(update, context)
    raise ApplicationHandlerStop

"""Linking a group chat to a unit, so that the unit's summaries go there.

A supervisor types /link in the group and answers the question of the group_link conversation
(bot.flows.group_link), which only they may answer; the link is to a unit of their own subtree.
/unlink undoes it.
"""

from __future__ import annotations

import html

from telegram import Update

from bot.access import Action, can
from bot.context import ChiboContext
from bot.flows import group_link
from bot.flows import telegram as flows_telegram
from storage.queries.audit import record
from storage.queries.groups import group_link as linked_unit
from storage.queries.groups import unlink_group
from storage.queries.units import unit_by_id


async def link(update: Update, context: ChiboContext) -> None:
    """Ask the supervisor which of their units this group serves (gate: supervisors only)."""
    chat = update.effective_chat
    await flows_telegram.start(
        update, context, group_link.KIND, chat_id=chat.id, title=chat.title or ""
    )


async def unlink(update: Update, context: ChiboContext) -> None:
    chat_id = update.effective_chat.id
    async with context.db.session() as session:
        current = await linked_unit(session=session, chat_id=chat_id)
        unit = await unit_by_id(session=session, unit_id=current.unit_id) if current else None
        if unit is None:
            text = context.t("group.not_linked")
        elif not can(context.identity.roles, Action.GROUP_LINK, unit):
            text = context.t("invite.not_allowed_unit")
        else:
            await unlink_group(session=session, chat_id=chat_id)
            await record(
                session=session,
                **context.actor,
                action="group.unlink",
                entity="group",
                entity_id=chat_id,
                before={"unit_id": unit.id},
            )
            text = context.t("group.unlinked", unit=html.escape(unit.name))
    await update.effective_message.reply_text(text)

"""Linking a group chat to a unit, so that the unit's summaries go there.

A supervisor types /link in the group and answers the question of the group_link conversation
(bot.flows.group_link), which only they may answer; the link is to a unit of their own subtree.
/unlink undoes it. The group then receives what the unit's supervisors receive (summaries,
digests, escalations); each supervisor keeps a private copy unless they turn it off with the
buttons under the confirmation (`PrivateCopies`: any supervisor may press them, the setting is
the presser's own).
"""

from __future__ import annotations

import html

from telegram import Update

from bot.access import Action, can, scope
from bot.context import ChiboContext
from bot.flows import group_link
from bot.flows import telegram as flows_telegram
from bot.payloads import PrivateCopies
from bot.replies import answer
from storage.queries.audience import set_private_copies
from storage.queries.audit import record
from storage.queries.groups import group_link as linked_unit
from storage.queries.groups import unlink_group
from storage.queries.units import unit_by_id

BUTTONS = PrivateCopies  # registered by bot.app, handled by `copies`


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


async def copies(update: Update, context: ChiboContext) -> None:
    """`PrivateCopies`: the presser's own private copies, remembered for all their units."""
    query = update.callback_query
    button = PrivateCopies.unpack(query.data)
    person = context.identity.person
    if person is None or not scope(context.identity.roles, Action.GROUP_LINK):
        await answer(query, context.t("group.not_your_button"), alert=True)
        return
    async with context.db.session() as session:
        former = await set_private_copies(session=session, person_id=person.id, on=button.on)
        await record(
            session=session,
            **context.actor,
            action="person.private_copies",
            entity="person",
            entity_id=person.id,
            before={"private_copies": former},
            after={"private_copies": button.on},
        )
    await answer(query, context.t(f"group.copies.done_{'on' if button.on else 'off'}"), alert=True)

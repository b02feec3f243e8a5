"""Linking a group chat to a unit, so that the unit's summaries go there.

A supervisor types /link in the group and confirms with a button that only they may press; the
link is to a unit of their own subtree. /unlink undoes it.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.access import Action, can, scope
from bot.context import ChiboContext
from storage.queries.audit import record
from storage.queries.groups import group_link, link_group, unlink_group
from storage.queries.units import unit_by_id

PREFIX = "grp:"


async def link(update: Update, context: ChiboContext) -> None:
    """Ask the supervisor which of their units this group serves (gate: supervisors only)."""
    user_id = update.effective_user.id
    rows = [
        [InlineKeyboardButton(unit.name, callback_data=f"{PREFIX}{unit.id}:{user_id}")]
        for unit in scope(context.identity.roles, Action.GROUP_LINK)
    ]
    rows.append(
        [InlineKeyboardButton(context.t("group.cancel"), callback_data=f"{PREFIX}0:{user_id}")]
    )
    await update.effective_message.reply_text(
        context.t("group.confirm_link"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def confirm(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    unit_id, _, asker = query.data.removeprefix(PREFIX).partition(":")
    if asker != str(update.effective_user.id):
        await query.answer(context.t("group.not_your_button"), show_alert=True)
        return
    if unit_id == "0":
        await query.answer()
        await query.edit_message_text(context.t("group.cancelled"))
        return
    async with context.db.session() as session:
        unit = (
            await unit_by_id(session=session, unit_id=int(unit_id)) if unit_id.isdigit() else None
        )
        if unit is None or not can(context.identity.roles, Action.GROUP_LINK, unit):
            await query.answer(context.t("invite.not_allowed_unit"), show_alert=True)
            return
        person = context.identity.person
        chat = update.effective_chat
        _, former = await link_group(
            session=session,
            chat_id=chat.id,
            unit_id=unit.id,
            title=chat.title or "",
            person_id=person.id,
        )
        await record(
            session=session,
            **context.actor,
            action="group.link",
            entity="group",
            entity_id=chat.id,
            before={"unit_id": former} if former else None,
            after={"unit_id": unit.id},
        )
    await query.answer()
    await query.edit_message_text(context.t("group.linked", unit=html.escape(unit.name)))


async def unlink(update: Update, context: ChiboContext) -> None:
    chat_id = update.effective_chat.id
    async with context.db.session() as session:
        current = await group_link(session=session, chat_id=chat_id)
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

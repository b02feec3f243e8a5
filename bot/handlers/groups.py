"""Linking a group chat to a unit, so that the unit's summaries go there.

A supervisor types /link in the group and confirms with a button that only they may press; the
link is to a unit of their own subtree. /unlink undoes it. The group then receives what the
unit's supervisors receive (summaries, digests, escalations); each supervisor keeps a private
copy unless they turn it off with the buttons under the confirmation (any supervisor may press
them: the setting is the presser's own).
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.access import Action, can, scope
from bot.context import ChiboContext
from storage.queries.audience import set_private_copies
from storage.queries.audit import record
from storage.queries.groups import group_link, link_group, unlink_group
from storage.queries.units import unit_by_id

PREFIX = "grp:"
COPIES = "c"  # grp:c<on|off>:<user>: private copies of what the group receives


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
    if query.data.startswith(PREFIX + COPIES):
        await copies(update, context)
        return
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
    await query.edit_message_text(
        context.t("group.linked", unit=html.escape(unit.name))
        + "\n\n"
        + context.t("group.will_receive"),
        reply_markup=_copies_keyboard(context, update.effective_user.id),
    )


def _copies_keyboard(context: ChiboContext, user_id: int) -> InlineKeyboardMarkup:
    """The presser's own setting: keep receiving privately what the group receives, or not."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.t(f"group.copies.{value}"),
                    callback_data=f"{PREFIX}{COPIES}{value}:{user_id}",
                )
            ]
            for value in ("on", "off")
        ]
    )


async def copies(update: Update, context: ChiboContext) -> None:
    """grp:c<on|off>:<user>: the supervisor's private copies, remembered for every unit."""
    query = update.callback_query
    value, _, _ = query.data.removeprefix(PREFIX + COPIES).partition(":")
    person = context.identity.person
    if (
        value not in ("on", "off")
        or person is None
        or not scope(context.identity.roles, Action.GROUP_LINK)
    ):
        await query.answer(context.t("group.not_your_button"), show_alert=True)
        return
    async with context.db.session() as session:
        former = await set_private_copies(session=session, person_id=person.id, on=value == "on")
        await record(
            session=session,
            **context.actor,
            action="person.private_copies",
            entity="person",
            entity_id=person.id,
            before={"private_copies": former},
            after={"private_copies": value == "on"},
        )
    await query.answer(context.t(f"group.copies.done_{value}"), show_alert=True)


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

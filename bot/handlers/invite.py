"""/invite: a supervisor picks a unit of their subtree and a role, and gets a one-time link.

Every button carries the whole choice so far (unit id, page, role) and every press is checked
again against bot.access: a forged button for a unit outside the subtree is refused.
"""

from __future__ import annotations

import html
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.access import Action, can, can_invite, scope
from bot.context import ChiboContext
from bot.rules.org import ROLES
from storage.models import Unit, utcnow
from storage.queries.audit import record
from storage.queries.invites import create_invites
from storage.queries.tree import children_page
from storage.queries.units import unit_by_id

PREFIX = "inv:"
PAGE_SIZE = 8
VALID_FOR = timedelta(days=7)


async def start(update: Update, context: ChiboContext) -> None:
    roots = scope(context.identity.roles, Action.INVITE_CREATE)
    if not roots:
        await update.effective_message.reply_text(context.t("invite.not_allowed"))
        return
    if len(roots) == 1:
        text, markup = await _browse(context, roots[0], 0)
    else:
        text = context.t("invite.pick_unit")
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(u.name, callback_data=f"{PREFIX}u:{u.id}:0")] for u in roots]
        )
    await update.effective_message.reply_text(text, reply_markup=markup)


async def press(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    kind, *values = query.data.removeprefix(PREFIX).split(":")
    unit = await _unit(context, values[0] if values else "")
    if unit is None or not can(context.identity.roles, Action.INVITE_CREATE, unit):
        await query.answer(context.t("invite.not_allowed_unit"), show_alert=True)
        return
    await query.answer()
    if kind == "u" and len(values) == 2 and values[1].isdigit():
        text, markup = await _browse(context, unit, int(values[1]))
        await query.edit_message_text(text, reply_markup=markup)
    elif kind == "p":
        text, markup = _roles(context, unit)
        await query.edit_message_text(text, reply_markup=markup)
    elif kind == "r" and len(values) == 2 and can_invite(context.identity.roles, unit, values[1]):
        await query.edit_message_text(await _create(context, unit, values[1]))
    else:
        await query.edit_message_text(context.t("button.expired"))


async def _unit(context: ChiboContext, raw: str) -> Unit | None:
    if not raw.isdigit():
        return None
    async with context.db.session() as session:
        return await unit_by_id(session=session, unit_id=int(raw))


async def _browse(context: ChiboContext, unit: Unit, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the unit's children, with "choose this unit" and the way up."""
    async with context.db.session() as session:
        children, total = await children_page(
            session=session, parent_id=unit.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    rows = [
        [
            InlineKeyboardButton(
                context.t("invite.choose_this", unit=unit.name),
                callback_data=f"{PREFIX}p:{unit.id}",
            )
        ]
    ]
    for child, has_children in children:
        data = f"{PREFIX}u:{child.id}:0" if has_children else f"{PREFIX}p:{child.id}"
        rows.append(
            [InlineKeyboardButton(child.name + (" ›" if has_children else ""), callback_data=data)]
        )
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                context.t("nav.previous"), callback_data=f"{PREFIX}u:{unit.id}:{page - 1}"
            )
        )
    if (page + 1) * PAGE_SIZE < total:
        nav.append(
            InlineKeyboardButton(
                context.t("nav.next"), callback_data=f"{PREFIX}u:{unit.id}:{page + 1}"
            )
        )
    if unit.parent_id:
        nav.append(
            InlineKeyboardButton(context.t("nav.up"), callback_data=f"{PREFIX}u:{unit.parent_id}:0")
        )
    if nav:
        rows.append(nav)
    text = context.t("invite.browse", unit=html.escape(unit.name), count=total)
    return text, InlineKeyboardMarkup(rows)


def _roles(context: ChiboContext, unit: Unit) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [
            InlineKeyboardButton(
                context.t(f"role.{role}"), callback_data=f"{PREFIX}r:{unit.id}:{role}"
            )
        ]
        for role in ROLES
        if can_invite(context.identity.roles, unit, role)
    ]
    if not buttons:
        return context.t("invite.no_role_here", unit=html.escape(unit.name)), InlineKeyboardMarkup(
            []
        )
    return context.t("invite.pick_role", unit=html.escape(unit.name)), InlineKeyboardMarkup(buttons)


async def _create(context: ChiboContext, unit: Unit, role: str) -> str:
    person = context.identity.person
    expires_at = utcnow() + VALID_FOR
    async with context.db.session() as session:
        (code,) = await create_invites(
            session=session,
            unit_id=unit.id,
            role=role,
            expires_at=expires_at,
            created_by_id=person.id,
        )
        await record(
            session=session,
            **context.actor,
            action="invite.create",
            entity="unit",
            entity_id=unit.id,
            after={"role": role},
        )
    return context.t(
        "invite.created",
        role=context.t(f"role.{role}"),
        unit=html.escape(unit.name),
        link=f"https://t.me/{context.bot.username}?start={code}",
        expires=expires_at.astimezone(context.settings.tz).strftime("%d/%m/%Y %H:%M"),
    )

"""/start (with or without an invite code), /help, and the menu buttons."""

from __future__ import annotations

import html

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.constants import ChatType

from bot import menu
from bot.context import ChiboContext, identify
from bot.menu import show_menu
from storage.models import Invite, Person, utcnow
from storage.queries.audit import record
from storage.queries.invites import claim_invite, find_invite
from storage.queries.people import active_roles, ensure_person, grant_role
from storage.queries.units import unit_by_id


async def start(update: Update, context: ChiboContext) -> None:
    if context.args:
        await _join(update, context, context.args[0])
    elif context.identity.is_member:
        await show_menu(update, context, context.t("start.welcome_back", name=_name(context)))
    else:
        await update.effective_message.reply_text(context.t("start.stranger"))


async def help_command(update: Update, context: ChiboContext) -> None:
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(context.t("group.help"))
        return
    await update.effective_message.reply_text(menu.help_text(context.lang, context.my_commands))


async def _join(update: Update, context: ChiboContext, code: str) -> None:
    """Bind this Telegram account to the invite's role and unit, once."""
    user = update.effective_user
    async with context.db.session() as session:
        lookup = await find_invite(session=session, code=code[:64], now=utcnow())
        invite = lookup.invite
        problem = lookup.problem
        if problem is None:
            person = await ensure_person(
                session=session,
                telegram_id=user.id,
                full_name=user.full_name,
                username=user.username,
            )
            held = {
                (a.unit_id, a.role)
                for a, _ in await active_roles(session=session, person_id=person.id)
            }
            if person.active and (invite.unit_id, invite.role) in held:
                problem = "already"
            elif await claim_invite(
                session=session, invite=invite, person_id=person.id, now=utcnow()
            ):
                await _grant(session, person, invite)
            else:
                problem = "used"
        unit = await unit_by_id(session=session, unit_id=invite.unit_id) if invite else None
    if problem is not None:
        await _refuse(update, context, problem)
        return
    context.identity = await identify(context.db, user.id, user.language_code)
    text = context.t(
        "start.joined",
        name=_name(context),
        role=context.t(f"role.{invite.role}"),
        unit=html.escape(unit.name),
    )
    await show_menu(update, context, text)


async def _grant(session: AsyncSession, person: Person, invite: Invite) -> None:
    before = {"active": person.active}
    person.active = True
    assignment = await grant_role(
        session=session,
        person=person,
        unit_id=invite.unit_id,
        role=invite.role,
        invite_id=invite.id,
    )
    await record(
        session=session,
        actor=f"telegram:{person.telegram_id}",  # not yet a member: context.actor is empty
        actor_id=person.id,
        action="role.grant",
        entity="role_assignment",
        entity_id=assignment.id,
        before=before,
        after={
            "person_id": person.id,
            "unit_id": invite.unit_id,
            "role": invite.role,
            "invite_id": invite.id,
        },
    )


async def _refuse(update: Update, context: ChiboContext, problem: str) -> None:
    text = context.t(f"invite.{problem}")
    if context.identity.is_member:
        await show_menu(update, context, text)
    else:
        await update.effective_message.reply_text(text)


def _name(context: ChiboContext) -> str:
    return html.escape(context.identity.person.full_name if context.identity.person else "")


async def menu_button(update: Update, context: ChiboContext) -> None:
    """A press on the menu keyboard: run the command it stands for, as if typed."""
    command = menu.command_of_label(update.effective_message.text or "")
    callback = context.application.bot_data["commands"].get(command)
    if callback is None or command not in context.my_commands:
        await update.effective_message.reply_text(context.t("fallback.not_understood"))
        return
    context.args = []
    await callback(update, context)

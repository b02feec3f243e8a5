"""/start (with or without an invite code), /help, and the menu buttons."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.constants import ChatType

from bot import menu
from bot.context import ChiboContext, actor_of, identify
from bot.menu import show_menu
from bot.usecases.invites import deep_link, telegram_username
from storage.chats import ZALO
from storage.models import Invite, Person, utcnow
from storage.queries.audit import record
from storage.queries.invites import claim_invite, create_invites, find_invite
from storage.queries.people import (
    active_roles,
    add_chat,
    ensure_person,
    grant_role,
    person_by_chat,
)
from storage.queries.units import unit_by_id

# A code alone, or after /start: what new_code makes (22 URL-safe characters), give or take.
CODE = re.compile(r"(?:/start\s+)?([A-Za-z0-9_-]{16,64})")
CONNECT = "connect"  # an invite's role: the code adds a messenger to its creator, no role
CONNECT_VALID = timedelta(hours=24)


async def start(update: Update, context: ChiboContext) -> None:
    if context.args:
        await join(update, context, context.args[0])
    elif context.identity.is_member:
        await show_menu(update, context, context.t("start.welcome_back", name=_name(context)))
    else:
        await update.effective_message.reply_text(context.t("start.stranger"))


async def help_command(update: Update, context: ChiboContext) -> None:
    if update.effective_chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(context.t("group.help"))
        return
    await update.effective_message.reply_text(menu.help_text(context.lang, context.my_commands))


def typed_code(text: str) -> str | None:
    """The invite (or connect) code a message is, typed or pasted alone: on Zalo, joining is
    sending the code, with or without /start."""
    found = CODE.fullmatch(text.strip())
    return found[1] if found else None


async def join(update: Update, context: ChiboContext, code: str) -> None:
    """Use an invite code: a role on a unit (`_join`), or this chat added to its person."""
    async with context.db.session() as session:
        lookup = await find_invite(session=session, code=code[:64], now=utcnow())
    if lookup.invite is not None and lookup.invite.role == CONNECT:
        await _connect(update, context, code)
    else:
        await _join(update, context, code)


async def _join(update: Update, context: ChiboContext, code: str) -> None:
    """Bind this account (Telegram's or Zalo's) to the invite's role and unit, once."""
    user = update.effective_user
    async with context.db.session() as session:
        lookup = await find_invite(session=session, code=code[:64], now=utcnow())
        invite = lookup.invite
        problem = lookup.problem
        if problem is None:
            person = await ensure_person(
                session=session,
                chat_id=user.id,
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


async def _connect(update: Update, context: ChiboContext, code: str) -> None:
    """Add this chat (the other messenger's) to the person who asked for the code, once."""
    chat = update.effective_user.id
    async with context.db.session() as session:
        lookup = await find_invite(session=session, code=code[:64], now=utcnow())
        owner = await session.get(Person, lookup.invite.created_by_id or 0)
        holder = await person_by_chat(session=session, chat_id=chat)
        problem = lookup.problem
        if owner is None:
            problem = "unknown"
        elif holder is not None and holder.id == owner.id:
            problem = problem or "already"
        elif holder is not None:
            problem = "taken"
        if problem is None and await claim_invite(
            session=session, invite=lookup.invite, person_id=owner.id, now=utcnow()
        ):
            before = {"telegram_id": owner.telegram_id, "zalo_id": owner.zalo_id}
            add_chat(owner, chat)
            after = {"telegram_id": owner.telegram_id, "zalo_id": owner.zalo_id}
            await record(
                session=session,
                **actor_of(owner),
                action="person.connect",
                entity="person",
                entity_id=owner.id,
                before=before,
                after=after,
            )
        elif problem is None:
            problem = "used"
    if problem is not None:
        key = "connect.taken" if problem == "taken" else f"invite.{problem}"
        await update.effective_message.reply_text(context.t(key))
        return
    context.identity = await identify(context.db, chat, update.effective_user.language_code)
    await show_menu(update, context, context.t("connect.linked"))


async def connect(update: Update, context: ChiboContext) -> None:
    """/connect: a one-time code that adds the other messenger to the speaker."""
    person = context.identity.person
    if not context.identity.is_member:
        await update.effective_message.reply_text(context.t("connect.not_member"))
        return
    async with context.db.session() as session:
        [code] = await create_invites(
            session=session,
            unit_id=context.identity.roles[0][1].id,
            role=CONNECT,
            expires_at=utcnow() + CONNECT_VALID,
            created_by_id=person.id,
        )
    if context.messenger == ZALO:
        link = deep_link(telegram_username(context.bots), code)
        text = context.t("connect.code_for_telegram", code=code, link=link)
    else:
        zalo = context.bots.get(ZALO)
        text = context.t("connect.code_for_zalo", code=code, zalo=zalo.username if zalo else "Zalo")
    await update.effective_message.reply_text(text)


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
        **actor_of(person),  # not yet a member: context.actor is empty
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

"""Invites as a use case: one-time codes for a role on a unit, with their audit records, for the
command line (`chibo invite create`) and the bot's /invite conversation alike."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messengers import Bots
from storage.chats import TELEGRAM
from storage.models import Invite, Unit
from storage.queries.audit import Change, record_many
from storage.queries.invites import create_invites, hash_code


async def issue_invites(
    *,
    session: AsyncSession,
    unit: Unit,
    role: str,
    expires_at: datetime,
    actor: str,
    actor_id: int | None = None,
    count: int = 1,
    created_by_id: int | None = None,
) -> list[str]:
    """Create `count` one-time invites for `role` on `unit`, each with its audit record
    ("invite.create" on the invite: unit, role, expiry), in the caller's transaction; returns
    the codes, the only time they exist in clear. Whether `role` may be given there is the
    caller's check (bot.access.can_invite, or `role_problem` here); the command line and the
    bot's /invite conversation (bot.flows.invite) both come here."""
    codes = await create_invites(
        session=session,
        unit_id=unit.id,
        role=role,
        expires_at=expires_at,
        count=count,
        created_by_id=created_by_id,
    )
    hashes = [hash_code(code) for code in codes]
    invite_ids = await session.exec(
        select(Invite.id).where(col(Invite.code_hash).in_(hashes)).order_by(col(Invite.id))
    )
    await record_many(
        session=session,
        actor=actor,
        actor_id=actor_id,
        changes=[
            Change(
                "invite.create",
                "invite",
                invite_id,
                None,
                {"unit": unit.code, "role": role, "expires_at": expires_at},
            )
            for invite_id in invite_ids.all()
        ],
    )
    return codes


PLACEHOLDER = "<bot username>"  # in links printed where the bot's username is not known


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


def telegram_username(bots: Bots) -> str:
    """The Telegram bot's username for links (a placeholder when Telegram is not served)."""
    telegram = bots.get(TELEGRAM)
    return telegram.username if telegram is not None else PLACEHOLDER

"""One-time invites: a high-entropy code is shown once; only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Invite

CODE_BYTES = 16  # 128 bits; 22 URL-safe characters, within Telegram's 64 for /start payloads


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


async def create_invites(
    *,
    session: AsyncSession,
    unit_id: int,
    role: str,
    expires_at: datetime,
    count: int = 1,
    created_by_id: int | None = None,
) -> list[str]:
    """Create `count` invites and return their codes (the only time the codes exist in clear)."""
    codes = [new_code() for _ in range(count)]
    session.add_all(
        Invite(
            code_hash=hash_code(code),
            unit_id=unit_id,
            role=role,
            expires_at=expires_at,
            created_by_id=created_by_id,
        )
        for code in codes
    )
    await session.flush()
    return codes


@dataclass(frozen=True)
class InviteLookup:
    invite: Invite | None
    problem: str | None  # None when usable; else "unknown", "used" or "expired"


async def find_invite(*, session: AsyncSession, code: str, now: datetime) -> InviteLookup:
    """The invite behind a code, locked for update, and whether it can still be used."""
    invite = (
        await session.exec(
            select(Invite).where(Invite.code_hash == hash_code(code)).with_for_update()
        )
    ).first()
    if invite is None:
        return InviteLookup(None, "unknown")
    if invite.used_at is not None:
        return InviteLookup(invite, "used")
    if invite.expires_at <= now:
        return InviteLookup(invite, "expired")
    return InviteLookup(invite, None)


async def claim_invite(
    *, session: AsyncSession, invite: Invite, person_id: int, now: datetime
) -> bool:
    """Mark the invite used by `person_id`; False when someone else used it first.

    A conditional UPDATE rather than read-then-write, so two people opening the same link at
    once cannot both join (SQLite has no row locks).
    """
    result = await session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_by_id=person_id, used_at=now)
    )
    return result.rowcount == 1

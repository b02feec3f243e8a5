"""Conversations in progress (drafts): one per person and kind, kept across restarts."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Draft


def new_token() -> str:
    """8 URL-safe characters: short enough for callback data, never ":"."""
    return secrets.token_urlsafe(6)


async def get_draft(*, session: AsyncSession, person_id: int, kind: str) -> Draft | None:
    result = await session.exec(
        select(Draft).where(Draft.person_id == person_id, Draft.kind == kind)
    )
    return result.first()


async def draft_by_token(*, session: AsyncSession, person_id: int, token: str) -> Draft | None:
    result = await session.exec(
        select(Draft).where(Draft.person_id == person_id, Draft.token == token)
    )
    return result.first()


async def draft_owner(*, session: AsyncSession, token: str) -> int | None:
    """Whose conversation a token belongs to (a press in a group by someone else), if any."""
    result = await session.exec(select(Draft.person_id).where(Draft.token == token))
    return result.first()


async def drafts_of(*, session: AsyncSession, person_id: int) -> list[Draft]:
    """The person's drafts (one per kind), the most recently touched first."""
    result = await session.exec(
        select(Draft)
        .where(Draft.person_id == person_id)
        .order_by(col(Draft.updated_at).desc(), col(Draft.id).desc())
    )
    return list(result.all())


async def start_draft(
    *,
    session: AsyncSession,
    person_id: int,
    kind: str,
    step: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    unit_id: int | None = None,
    period: str | None = None,
    base_version: int | None = None,
) -> Draft:
    """A fresh draft with a new token, replacing the person's draft of that kind if any."""
    await session.exec(
        delete(Draft).where(col(Draft.person_id) == person_id, col(Draft.kind) == kind)
    )
    draft = Draft(
        person_id=person_id,
        kind=kind,
        step=step,
        token=new_token(),
        unit_id=unit_id,
        period=period,
        base_version=base_version,
        data=dict(data or {}),
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def save_draft(*, session: AsyncSession, draft: Draft, now: datetime) -> None:
    """Write the draft's step, data and prompt (JSON marked changed even if mutated in place)."""
    draft.updated_at = now
    flag_modified(draft, "data")
    flag_modified(draft, "prompt")
    session.add(draft)
    await session.flush()


async def set_message(*, session: AsyncSession, draft_id: int, token: str, message_id: int) -> None:
    """Remember the message that asked the draft's question (unless the draft moved on)."""
    await session.exec(
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.token) == token)
        .values(message_id=message_id)
    )


async def delete_draft(*, session: AsyncSession, draft: Draft) -> None:
    await session.delete(draft)
    await session.flush()

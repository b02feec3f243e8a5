"""Conversations in progress (drafts): one per person and kind, kept across restarts.

Writing a draft is part of every step of a conversation, so the writes (`start_draft`,
`save_draft`, `set_message`, `delete_draft`) are prebuilt Core statements on the session's
connection, not the ORM's unit of work (measured: half the CPU of an ORM flush or an ORM-enabled
UPDATE, docs/BENCHMARKS.md). The draft objects they take are plain holders of the values, as
`storage.queries.speakers` builds them (detached); one a session holds is left consistent too.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Draft, table_of
from storage.queries.speakers import built

DRAFTS = table_of(Draft)
# What a step may change (the token, kind and person stay: a new token is a new draft).
CHANGING = ("unit_id", "period", "step", "base_version", "data", "prompt", "message_id")

_DELETE_KIND = DRAFTS.delete().where(
    DRAFTS.c.person_id == sa.bindparam("b_person_id"), DRAFTS.c.kind == sa.bindparam("b_kind")
)
_INSERT = DRAFTS.insert().returning(DRAFTS.c.id)
_SAVE = (
    DRAFTS.update()
    .where(DRAFTS.c.id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(name) for name in (*CHANGING, "updated_at")})
)
_SET_MESSAGE = (
    DRAFTS.update()
    .where(DRAFTS.c.id == sa.bindparam("b_id"), DRAFTS.c.token == sa.bindparam("b_token"))
    .values(message_id=sa.bindparam("message_id"))
)
_DELETE = DRAFTS.delete().where(DRAFTS.c.id == sa.bindparam("b_id"))


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
    """A fresh draft with a new token, replacing the person's draft of that kind if any. The
    draft returned is detached (see the module doc)."""
    connection = await _connection(session)
    await connection.execute(_DELETE_KIND, {"b_person_id": person_id, "b_kind": kind})
    values: dict[str, Any] = {
        "person_id": person_id,
        "kind": kind,
        "step": step,
        "token": new_token(),
        "unit_id": unit_id,
        "period": period,
        "base_version": base_version,
        "data": dict(data or {}),
        "prompt": {},
        "message_id": None,
        "created_at": now,
        "updated_at": now,
    }
    draft_id = (await connection.execute(_INSERT, values)).scalar_one()
    return built(Draft, DRAFTS, [draft_id if c.name == "id" else values[c.name] for c in DRAFTS.c])


async def save_draft(*, session: AsyncSession, draft: Draft, now: datetime) -> None:
    """Write the draft's step, data, prompt, message and month (all of what a step may change).
    A draft deleted meanwhile (another process ended the conversation) raises StaleDataError,
    as the ORM's flush did."""
    draft.updated_at = now
    values = {name: getattr(draft, name) for name in CHANGING}
    for name in ("data", "prompt"):  # plain JSON, whatever the holder's type
        values[name] = dict(values[name] or {})
    connection = await _connection(session)
    result = await connection.execute(_SAVE, {"b_id": draft.id, "updated_at": now, **values})
    if result.rowcount != 1:
        raise StaleDataError(f"draft {draft.id} was not saved: it is gone")
    _written(draft, {**values, "updated_at": now})


async def set_message(*, session: AsyncSession, draft_id: int, token: str, message_id: int) -> None:
    """Remember the message that asked the draft's question (unless the draft moved on)."""
    connection = await _connection(session)
    params = {"b_id": draft_id, "b_token": token, "message_id": message_id}
    await connection.execute(_SET_MESSAGE, params)


async def delete_draft(*, session: AsyncSession, draft: Draft) -> None:
    connection = await _connection(session)
    await connection.execute(_DELETE, {"b_id": draft.id})
    if sa.inspect(draft).session is not None:  # a session's own copy: not to be flushed again
        session.expunge(draft)


async def _connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, in its transaction, for a Core statement."""
    return await session.connection()


def _written(draft: Draft, values: dict[str, Any]) -> None:
    """The values now stored: the draft holds them as loaded (a session holding it has nothing
    of them left to flush)."""
    for name, value in values.items():
        set_committed_value(draft, name, value)

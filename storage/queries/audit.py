"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent, table_of, utcnow


@dataclass(frozen=True)
class Change:
    """One audited change, for `record_many`."""

    action: str
    entity: str
    entity_id: str | int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Dates and times as ISO text, so that a snapshot fits a JSON column on every backend."""
    if values is None:
        return None
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in values.items()
    }


async def record(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> AuditEvent:
    """Log one change in the caller's transaction (it lands or not with the change itself)."""
    event = AuditEvent(
        actor_id=actor_id,
        actor=actor[:64],
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=jsonable(before),
        after=jsonable(after),
    )
    session.add(event)
    await session.flush()
    return event


async def record_many(
    *,
    session: AsyncSession,
    actor: str,
    changes: Iterable[Change],
    actor_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Log many changes with one bulk insert (imports of thousands of units); returns the count."""
    when = now or utcnow()
    rows = [
        {
            "actor_id": actor_id,
            "actor": actor[:64],
            "action": change.action,
            "entity": change.entity,
            "entity_id": str(change.entity_id),
            "before": jsonable(change.before),
            "after": jsonable(change.after),
            "created_at": when,
        }
        for change in changes
    ]
    if rows:
        await session.exec(sa.insert(table_of(AuditEvent)), params=rows)
    return len(rows)

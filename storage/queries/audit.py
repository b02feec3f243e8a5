"""The audit trail: every change of roles, units, reports and problems, with who and when."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent


async def record(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> None:
    """Add one audit event in the caller's transaction (so it lands with the change or not at all).

    `actor` names who did it for readers of the trail: "cli", "telegram:<user id>", "job:<name>".
    """
    session.add(
        AuditEvent(
            actor=actor,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )

"""Group chats linked to units: where a unit's summaries go."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import GroupLink


async def link_group(
    *, session: AsyncSession, chat_id: int, unit_id: int, title: str, person_id: int
) -> tuple[GroupLink, int | None]:
    """Link the chat to the unit (a chat serves one unit); returns the link and the former unit."""
    link = (await session.exec(select(GroupLink).where(GroupLink.chat_id == chat_id))).first()
    former = link.unit_id if link else None
    if link is None:
        link = GroupLink(chat_id=chat_id, unit_id=unit_id, title=title, linked_by_id=person_id)
        session.add(link)
    else:
        link.unit_id, link.title, link.linked_by_id = unit_id, title, person_id
    await session.flush()
    return link, former


async def group_link(*, session: AsyncSession, chat_id: int) -> GroupLink | None:
    return (await session.exec(select(GroupLink).where(GroupLink.chat_id == chat_id))).first()


async def unlink_group(*, session: AsyncSession, chat_id: int) -> GroupLink | None:
    link = await group_link(session=session, chat_id=chat_id)
    if link is not None:
        await session.delete(link)
    return link


async def groups_of_unit(*, session: AsyncSession, unit_id: int) -> list[GroupLink]:
    return list((await session.exec(select(GroupLink).where(GroupLink.unit_id == unit_id))).all())

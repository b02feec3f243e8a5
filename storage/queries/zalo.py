"""Zalo chats: their numbers (storage/chats.py) and the choices their last message listed."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.chats import zalo_chat_id, zalo_row_id
from storage.db import insert
from storage.models import ZaloChat, utcnow


async def chat_number(*, session: AsyncSession, zalo_id: str, group: bool, name: str) -> int:
    """The number of this Zalo chat, given on first sight (safe between processes)."""
    await session.exec(
        insert(session, ZaloChat)
        .values(zalo_id=zalo_id, is_group=group, name=name[:255], choices=[], created_at=utcnow())
        .on_conflict_do_nothing()
    )
    found = await session.exec(select(ZaloChat.id).where(ZaloChat.zalo_id == zalo_id))
    row_id = found.one()
    assert row_id is not None  # a primary key
    return zalo_chat_id(row_id, group=group)


async def zalo_id_of(*, session: AsyncSession, chat_id: int) -> str | None:
    found = await session.exec(select(ZaloChat.zalo_id).where(ZaloChat.id == zalo_row_id(chat_id)))
    return found.first()


async def remember_choices(
    *, session: AsyncSession, chat_id: int, choices: list[dict[str, Any]], message_id: int | None
) -> None:
    """What a typed number chooses in this chat from now on (nothing, for an empty list: then
    no row is written unless it listed something, most messages having no list)."""
    statement = update(ZaloChat).where(col(ZaloChat.id) == zalo_row_id(chat_id))
    if not choices:
        statement = statement.where(col(ZaloChat.choices_message).is_not(None))
        message_id = None
    await session.exec(statement.values(choices=choices, choices_message=message_id))


async def forget_choices(*, session: AsyncSession, chat_id: int, listed_by: int) -> None:
    """The message `listed_by` lost its buttons: its list, if still the chat's, chooses nothing."""
    await session.exec(
        update(ZaloChat)
        .where(col(ZaloChat.id) == zalo_row_id(chat_id), col(ZaloChat.choices_message) == listed_by)
        .values(choices=[], choices_message=None)
    )


async def choices_of(
    *, session: AsyncSession, chat_id: int
) -> tuple[list[dict[str, Any]], int | None]:
    found = await session.exec(
        select(ZaloChat.choices, ZaloChat.choices_message).where(
            ZaloChat.id == zalo_row_id(chat_id)
        )
    )
    row = found.first()
    return (list(row[0] or []), row[1]) if row else ([], None)

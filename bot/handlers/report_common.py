"""What the report handlers share: replies prepared inside a transaction and sent after it,
the speaker's reporting cells, and how a stored report is shown."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import wraps
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.constants import ChatType

from bot import notify
from bot.clock import now
from bot.context import ChiboContext
from bot.replies import answer
from bot.usecases import reports
from storage.models import MeetingReport, Unit

Callback = Callable[[Update, ChiboContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Say:
    """A message to send once the transaction is committed (confirm only what is stored)."""

    text: str
    markup: Any = None
    chat_id: int | None = None  # None: the speaker's chat; else a notification to that chat


async def deliver(update: Update, context: ChiboContext, replies: list[Say]) -> None:
    for reply in replies:
        if reply.chat_id is None:
            await update.effective_chat.send_message(reply.text, reply_markup=reply.markup)
        else:
            await notify.send_quietly(
                context.bots, context.db, reply.chat_id, reply.text, reply_markup=reply.markup
            )


def private_only(callback: Callback) -> Callback:
    """A button of the report pressed outside the private chat (a forwarded message in a group)
    is answered with an alert and not applied: reports are made in private."""

    @wraps(callback)
    async def guarded(update: Update, context: ChiboContext) -> None:
        if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
            await answer(update.callback_query, context.t("group.private_only"), alert=True)
            return
        await callback(update, context)

    return guarded


async def expired(update: Update, context: ChiboContext) -> None:
    """An old or foreign button: say so in an alert, apply nothing."""
    await answer(update.callback_query, context.t("button.expired"), alert=True)


def reporting_cells(context: ChiboContext) -> list[Unit]:
    return reports.reporting_cells(context.identity.roles)


def viewable_cells(context: ChiboContext) -> list[Unit]:
    return reports.viewable_cells(context.identity.roles)


def amendable(context: ChiboContext, report: MeetingReport) -> bool:
    return reports.amendable(context.settings, now(context), report)


reference = reports.reference


async def report_text(
    session: AsyncSession, context: ChiboContext, report: MeetingReport, unit: Unit
) -> str:
    """The stored report as the cell and its supervisors read it."""
    return await reports.report_text(
        session, context.settings, context.lang, now(context), report, unit
    )

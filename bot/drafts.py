"""Where typed answers go, and /cancel: the person's conversation in progress is a draft row.

Conversations keep their state in the `drafts` table (storage.queries.drafts), never in memory, so
that a restart of the bot continues where the person was. Each conversation kind registers a
`Flow`; `DraftRouter` gives a private text, photo or file to the flow of the person's most
recently touched draft (or to the fallback when there is none), and runs /cancel for all kinds:
it asks for confirmation, then deletes the draft.

The confirmation's buttons: `bot.payloads.DraftCancel` ("dx:<token>:yes" / "dx:<token>:no").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.clock import now
from bot.context import ChiboContext
from bot.flows import telegram as flows_telegram
from bot.payloads import DraftCancel
from bot.render.keyboard import markup
from bot.replies import answer
from storage.models import Draft
from storage.queries.drafts import delete_draft, draft_by_token

Callback = Callable[[Update, ChiboContext], Awaitable[None]]


@dataclass(frozen=True)
class Flow:
    """One conversation kind: how it takes typed input, asks its step again, names itself."""

    typed: Callback  # a private message while this kind's draft is the latest
    reprompt: Callable[[Update, ChiboContext, Draft], Awaitable[None]]  # after "keep going"
    describe: Callable[[ChiboContext, Draft], str]  # "báo cáo tháng 11/2026", for /cancel


def is_stale(updated_at: datetime, at: datetime, expiry_days: int) -> bool:
    """A draft untouched for `expiry_days` is dropped when its owner comes back."""
    return at - updated_at >= timedelta(days=expiry_days)


class DraftRouter:
    def __init__(self, flows: dict[str, Flow], fallback: Callback) -> None:
        self.flows = flows
        self.fallback = fallback

    def handlers(self) -> list[BaseHandler]:
        """The typed-answer handler (register it just before the fallback) and the /cancel
        confirmation buttons; register `cancel` as the /cancel command."""
        typed = filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL
        return [
            CallbackQueryHandler(self.cancel_answer, pattern=DraftCancel.matches),
            MessageHandler(typed, self.typed),
        ]

    async def _latest(self, context: ChiboContext) -> tuple[Draft | None, bool]:
        """The person's live latest draft, and whether a stale one was just dropped."""
        draft = context.identity.draft(self.flows)
        if draft is None or not is_stale(
            draft.updated_at, now(context), context.settings.draft_expiry_days
        ):
            return draft, False
        async with context.db.session() as session:
            await delete_draft(session=session, draft=draft)
        return None, True

    async def typed(self, update: Update, context: ChiboContext) -> None:
        if self._engine_latest(context):
            await flows_telegram.typed(update, context)
            return
        draft, dropped = await self._latest(context)
        if dropped:
            await update.effective_message.reply_text(
                context.t("draft.expired", days=context.settings.draft_expiry_days)
            )
        elif draft is None:
            await self.fallback(update, context)
        else:
            await self.flows[draft.kind].typed(update, context)

    def _engine_latest(self, context: ChiboContext) -> bool:
        """Whether the speaker's latest conversation runs on the engine (bot.flows)."""
        drafts = context.identity.drafts
        return bool(drafts) and drafts[0].kind in flows_telegram.engine(context).flows

    async def cancel(self, update: Update, context: ChiboContext) -> None:
        if self._engine_latest(context):
            await flows_telegram.cancel(update, context)
            return
        draft, _ = await self._latest(context)
        if draft is None:
            await update.effective_message.reply_text(context.t("draft.nothing"))
            return
        text, markup = cancel_question(
            context, draft, self.flows[draft.kind].describe(context, draft)
        )
        await update.effective_message.reply_text(text, reply_markup=markup)

    async def cancel_answer(self, update: Update, context: ChiboContext) -> None:
        """`DraftCancel`: known from the identity's drafts (no query), answered, then applied."""
        query = update.callback_query
        button = DraftCancel.unpack(query.data)
        draft = next((d for d in context.identity.drafts if d.token == button.token), None)
        if draft is None or draft.kind not in self.flows:
            await answer(query, context.t("button.expired"), alert=True)
            return
        await answer(query)
        if button.choice == "yes":
            async with context.db.session() as session:
                current = await draft_by_token(
                    session=session, person_id=draft.person_id, token=draft.token
                )
                if current is not None:
                    await delete_draft(session=session, draft=current)
            await update.effective_message.reply_text(context.t("draft.cancelled"))
        else:
            await self.flows[draft.kind].reprompt(update, context, draft)


def cancel_question(
    context: ChiboContext, draft: Draft, what: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Whether to throw away `draft` (also asked by a flow's own "Hủy" button)."""
    buttons = [
        (context.t("draft.btn.discard"), DraftCancel(draft.token, "yes")),
        (context.t("draft.btn.keep"), DraftCancel(draft.token, "no")),
    ]
    return context.t("draft.cancel_ask", what=what), markup([buttons])

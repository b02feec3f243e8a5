"""What no feature took: unknown commands, unexpected text or media, strangers."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import ChiboContext
from bot.handlers import start
from bot.replies import answer


async def anything_else(update: Update, context: ChiboContext) -> None:
    message = update.effective_message
    if message is None or update.effective_chat.type != ChatType.PRIVATE:
        return  # groups: stay quiet unless addressed by a known command
    code = start.typed_code(message.text or "")
    if code is not None:  # an invite or connect code sent alone (how one joins on Zalo)
        await start.join(update, context, code)
    elif not context.identity.is_member:
        await message.reply_text(context.t("start.stranger"))
    elif message.text and message.text.startswith("/"):
        await message.reply_text(context.t("fallback.unknown_command"))
    else:
        await message.reply_text(context.t("fallback.not_understood"))


async def stale_button(update: Update, context: ChiboContext) -> None:
    """A button no feature recognises (from an old message, or forged): say so, apply nothing."""
    await answer(update.callback_query, context.t("button.expired"), alert=True)

"""/start and /help."""

from __future__ import annotations

from telegram import Update

from bot.context import ChiboContext


async def start(update: Update, context: ChiboContext) -> None:
    if not context.identity.is_member:
        await update.effective_message.reply_text(context.t("start.stranger"))
        return
    await update.effective_message.reply_text(
        context.t("start.welcome_back", name=context.identity.person.full_name)
    )


async def help_command(update: Update, context: ChiboContext) -> None:
    if not context.identity.is_member:
        await update.effective_message.reply_text(context.t("start.stranger"))
        return
    await update.effective_message.reply_text(context.t("help.text"))

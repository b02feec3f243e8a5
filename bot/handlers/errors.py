"""The one error handler: log the failure, then tell the user politely instead of going silent."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import ChiboContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: ChiboContext) -> None:
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await context.bot.send_message(update.effective_chat.id, context.t("error.generic"))
    except Forbidden:
        log.info("Chat %s has blocked the bot", update.effective_chat.id)
    except TelegramError:
        log.warning("Could not tell chat %s about the error", update.effective_chat.id)
    # One failure ends the update: later handler groups would run on a half-done state (an
    # identity that failed to load makes a member look like a stranger, a second reply).
    raise ApplicationHandlerStop

"""The application factory: settings in, a ready PTB Application out, every handler in order."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.commands import publish_menu
from bot.config import Settings
from bot.context import ChiboApplication, ChiboContext, load_identity
from bot.handlers import errors, fallback, start
from storage.db import Database

# Handler groups run in this order; within a group the first matching handler wins, so the
# fallback is the last handler of the features' group.
IDENTITY, FEATURES = -100, 0


def build_application(settings: Settings, db: Database | None = None) -> ChiboApplication:
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .context_types(ContextTypes(context=ChiboContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if settings.telegram_api_file_url:
        builder = builder.base_file_url(settings.telegram_api_file_url)
    application = builder.build()
    application.bot_data["settings"] = settings
    application.bot_data["db"] = db or Database(settings.database_url)
    _register(application)
    return application


def _register(app: ChiboApplication) -> None:
    app.add_handler(TypeHandler(Update, load_identity), group=IDENTITY)

    app.add_handler(CommandHandler("start", start.start), group=FEATURES)
    app.add_handler(CommandHandler("help", start.help_command), group=FEATURES)

    app.add_handler(MessageHandler(filters.ALL, fallback.anything_else), group=FEATURES)
    app.add_error_handler(errors.on_error)


async def _post_init(app: ChiboApplication) -> None:
    await publish_menu(app.bot)


async def _post_shutdown(app: ChiboApplication) -> None:
    await app.bot_data["db"].dispose()

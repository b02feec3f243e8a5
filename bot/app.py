"""The application factory: settings in, a ready PTB Application out, every handler in order."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import menu, polling
from bot.botapi import AiohttpRequest, MessageRateLimiter
from bot.buttons import Payload
from bot.commands import publish_menu
from bot.config import Settings
from bot.context import ChiboApplication, ChiboContext, load_identity
from bot.files import FileStore
from bot.flows import FLOWS, invite, language
from bot.flows import telegram as flows_telegram
from bot.flows.engine import Engine, FlowButton
from bot.handlers import (
    errors,
    fallback,
    gate,
    groups,
    problems,
    report,
    start,
    supervisor,
)
from bot.messengers import BOTS, Bots
from bot.polling import ReceivedQueue
from bot.processing import PerChatUpdateProcessor
from bot.zalo.client import ZaloClient
from bot.zalo.link import ZaloLink
from bot.zalo.request import ZaloRequest
from storage.chats import TELEGRAM, ZALO
from storage.db import Database

# Handler groups run in this order; within a group the first matching handler wins, so the
# fallback is the last handler of the features' group.
IDENTITY, GATE, FEATURES = -100, -90, 0

Callback = Callable[[Update, ChiboContext], Coroutine[Any, Any, None]]


def build_applications(settings: Settings, db: Database | None = None) -> list[ChiboApplication]:
    """One application per messenger whose token is set (Telegram first), sharing the
    database and each other's bots (a message goes by the messenger of its chat)."""
    db = db or Database(settings.database_url)
    bots = Bots()
    messengers = [
        m for m, token in ((TELEGRAM, settings.token()), (ZALO, settings.zalo_token())) if token
    ]
    return [build_application(settings, db, messenger=m, bots=bots) for m in messengers]


def build_application(
    settings: Settings,
    db: Database | None = None,
    *,
    messenger: str = TELEGRAM,
    bots: Bots | None = None,
) -> ChiboApplication:
    """The application of one messenger: Telegram's, or Zalo's (the same handlers, its bot's
    requests carried out on Zalo by bot/zalo)."""
    db = db or Database(settings.database_url)
    processor = PerChatUpdateProcessor()  # chats at once, each one in order
    builder = (
        ApplicationBuilder()
        .context_types(ContextTypes(context=ChiboContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        # PTB's bucket (30 messages a second overall, 20 a minute per group), retrying a
        # RetryAfter; notifications are also paced one per 1/30 s (bot.notify), replies are not.
        .rate_limiter(MessageRateLimiter(max_retries=3))
        .concurrent_updates(processor)
        .update_queue(ReceivedQueue(processor))  # stopping, to know what was not handled
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    files = FileStore(settings)
    link = zalo_link(settings, db, files) if messenger == ZALO else None
    if link is not None:
        builder = builder.token(settings.zalo_token()).request(ZaloRequest(link))
        builder = builder.get_updates_request(ZaloRequest(link, read_timeout=None))
        link.before_fetch = processor.wait_handled  # Zalo cannot give an event twice
    else:
        builder = _telegram(builder, settings)
    application = builder.build()
    polling.install(application)
    processor.scope = db.one_connection  # an update's transactions share one connection
    bots = bots or Bots()
    bots.add(messenger, application.bot)
    if link is not None:
        link.bots = bots
    application.bot_data.update(
        {
            "settings": settings,
            "db": db,
            "commands": {},
            "messenger": messenger,
            "files": files,
            "zalo": link,
            BOTS: bots,
            flows_telegram.ENGINE: Engine(FLOWS),
        }
    )
    _register(application)
    return application


def _telegram(builder: Any, settings: Settings) -> Any:
    builder = builder.token(settings.token())
    builder = builder.request(AiohttpRequest())  # over aiohttp (bot.botapi: half the CPU)
    # Stopping, PTB confirms the fetched updates with one more getUpdates while the long poll
    # it cancelled may still hold its connection: a second one spares that call a pool
    # timeout (logged as an error, and the confirmation lost).
    builder = builder.get_updates_request(AiohttpRequest(2))
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if settings.telegram_api_file_url:
        builder = builder.base_file_url(settings.telegram_api_file_url)
    return builder


def zalo_link(settings: Settings, db: Database, files: FileStore) -> ZaloLink:
    client = ZaloClient(settings.zalo_token(), settings.zalo_api_base_url)
    return ZaloLink(client, db, files, settings.default_language)


def add_command(
    app: ChiboApplication, name: str, callback: Callback, *, private: bool = True
) -> None:
    """Register a command (and its menu button, see bot.menu). Private-chat only unless said."""
    chats = filters.ChatType.PRIVATE if private else filters.ALL
    app.add_handler(CommandHandler(name, callback, filters=chats), group=FEATURES)
    app.bot_data["commands"][name] = callback


def add_buttons(
    app: ChiboApplication, kinds: type[Payload] | Iterable[type[Payload]], callback: Callback
) -> None:
    """Register the inline buttons of these payload classes (bot.buttons): a press reaches
    `callback` only when its data decodes as one of them, anything else falls to the fallback
    (answered as an expired button)."""
    for kind in (kinds,) if isinstance(kinds, type) else kinds:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches), group=FEATURES)


def _register(app: ChiboApplication) -> None:
    app.add_handler(TypeHandler(Update, load_identity), group=IDENTITY)
    app.add_handler(TypeHandler(Update, gate.gate), group=GATE)

    # Menu buttons first: pressing one leaves any conversation, never counts as its answer.
    menu_labels = filters.ChatType.PRIVATE & filters.Text(menu.all_labels())
    app.add_handler(MessageHandler(menu_labels, start.menu_button), group=FEATURES)
    add_command(app, "start", start.start)
    add_command(app, "help", start.help_command, private=False)
    add_command(app, "language", flows_telegram.starter(language.KIND))
    add_command(app, "invite", flows_telegram.starter(invite.KIND))
    add_command(app, "connect", start.connect)
    add_command(app, "link", groups.link, private=False)
    add_command(app, "unlink", groups.unlink, private=False)
    add_buttons(app, groups.BUTTONS, groups.copies)
    for name, callback in (*report.COMMANDS, *problems.COMMANDS):
        add_command(app, name, callback)
    for kinds, callback in (*report.BUTTONS, *problems.BUTTONS):
        add_buttons(app, kinds, callback)
    add_command(app, "summary", supervisor.summary, private=False)
    add_command(app, "missing", supervisor.missing, private=False)
    add_command(app, "export", supervisor.export)
    add_buttons(app, supervisor.BUTTONS, supervisor.press)

    app.add_handler(
        CallbackQueryHandler(flows_telegram.press, pattern=FlowButton.matches), group=FEATURES
    )
    # Typed answers go to the person's conversation in progress (a draft), else to the fallback.
    add_command(app, "cancel", flows_telegram.cancel)
    typed = filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(typed, _typed), group=FEATURES)

    app.add_handler(CallbackQueryHandler(fallback.stale_button), group=FEATURES)
    app.add_handler(MessageHandler(filters.ALL, fallback.anything_else), group=FEATURES)
    app.add_error_handler(errors.on_error)


async def _typed(update: Update, context: ChiboContext) -> None:
    if not await flows_telegram.typed(update, context):
        await fallback.anything_else(update, context)


async def _post_init(app: ChiboApplication) -> None:
    await publish_menu(app.bot)


async def _post_shutdown(app: ChiboApplication) -> None:
    link = app.bot_data.get("zalo")
    if link is not None:
        await link.client.aclose()
    await app.bot_data["db"].dispose()

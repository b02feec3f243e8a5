"""Webhook mode: a small Tornado server in front of the applications (Telegram's, Zalo's).

PTB's own webhook server has no room for more paths, so this one serves:
POST /telegram (Telegram's updates; its secret token header is required), POST /zalo (Zalo's
events; its `X-Bot-Api-Secret-Token` header is required), GET /files/<name> (charts and
exports for Zalo, at signed links that expire: bot/files.py) and GET /health (for the load
balancer: 200 when the database answers, 503 when it does not). Behind a reverse proxy,
terminate TLS there and forward these paths to WEBHOOK_LISTEN:WEBHOOK_PORT.

On SIGINT/SIGTERM the updates being handled finish (bot.processing, "Stopping"); an update that
comes meanwhile, or that was refused, is answered 503, so the messenger delivers it again.

An update is answered once it has been handled, not on receipt: Telegram sends a chat's next
update only after the previous one was answered, so one person's quick answers stay in order
even when several processes share the load. A slow update (a country's export) is answered
after `ANSWER_WITHIN` seconds and goes on: Telegram would otherwise take the delivery as
failed and send the update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import mimetypes
from typing import Any

import sqlalchemy as sa
import tornado.httpserver
import tornado.web
from telegram import Update

from bot import loop
from bot.config import Settings
from bot.context import ChiboApplication
from bot.files import FileStore
from bot.processing import STOP_GRACE, PerChatUpdateProcessor
from bot.zalo.events import parse_event
from storage.chats import ZALO

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
ANSWER_WITHIN = 10.0  # seconds


class TelegramUpdates(tornado.web.RequestHandler):
    header = SECRET_HEADER

    def initialize(self, bot_app: ChiboApplication, secret: str) -> None:
        self.bot_app = bot_app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(self.header, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            data = await self.update_data(json.loads(self.request.body))
            update = Update.de_json(data, self.bot_app.bot) if data else None
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        if update is None:
            return  # nothing to handle (an event of no interest): taken
        await self.handle(update)

    async def update_data(self, body: Any) -> dict[str, Any] | None:
        return body if isinstance(body, dict) else None

    async def handle(self, update: Update) -> None:
        app = self.bot_app
        processor = app.update_processor
        assert isinstance(processor, PerChatUpdateProcessor)
        if processor.stopping or not app.running:
            self.set_status(503)  # stopping: Telegram sends it again, to this or another process
            return
        processor.expect(update)
        handled = app.create_task(
            processor.process_update(update, app.process_update(update)), update
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(handled), ANSWER_WITHIN)
        self.set_status(503 if processor.refused(update) else 200)

    def log_exception(self, *args: object) -> None:  # never log request bodies or headers
        log.error("Webhook request failed")


class ZaloUpdates(TelegramUpdates):
    """Zalo's events, as the Telegram updates the Zalo application handles (bot/zalo/link.py)."""

    header = ZALO_SECRET_HEADER

    async def update_data(self, body: Any) -> dict[str, Any] | None:
        event = parse_event(body)
        if event is None:
            return None
        return await self.bot_app.bot_data["zalo"].update_of(event)


class Files(tornado.web.RequestHandler):
    """A kept file at its signed link (bot/files.py); anything else is not found."""

    def initialize(self, store: FileStore) -> None:
        self.store = store

    async def get(self, name: str) -> None:
        expires, signature = self.get_query_argument("e", ""), self.get_query_argument("s", "")
        path = self.store.path(name)
        if path is None or not self.store.allowed(name, expires, signature):
            self.set_status(404)
            return
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.set_header("Content-Type", kind)
        self.write(path.read_bytes())


class Health(tornado.web.RequestHandler):
    def initialize(self, bot_app: ChiboApplication) -> None:
        self.bot_app = bot_app

    async def get(self) -> None:
        try:
            async with self.bot_app.bot_data["db"].session() as session:
                await session.exec(sa.text("SELECT 1"))
        except Exception:
            log.warning("Health check: database unreachable")
            self.set_status(503)
            self.write({"status": "database unreachable"})
            return
        self.write({"status": "ok"})


def make_server(
    applications: list[ChiboApplication], settings: Settings
) -> tornado.httpserver.HTTPServer:
    routes: list[Any] = []
    for application in applications:
        if application.bot_data["messenger"] == ZALO:
            secret = settings.zalo_webhook_secret
            handler: type[TelegramUpdates] = ZaloUpdates
        else:
            secret, handler = settings.webhook_secret, TelegramUpdates
        assert secret is not None  # cmd_run refuses --webhook without it
        path = "/" + application.bot_data["messenger"]
        routes.append(
            (path, handler, {"bot_app": application, "secret": secret.get_secret_value()})
        )
    first = applications[0]
    routes.append((r"/files/([^/]+)", Files, {"store": first.bot_data["files"]}))
    routes.append(("/health", Health, {"bot_app": first}))
    return tornado.httpserver.HTTPServer(
        tornado.web.Application(routes), max_body_size=MAX_BODY, xheaders=True
    )


async def serve(applications: list[ChiboApplication], settings: Settings) -> None:
    """Register the webhooks (Telegram's, Zalo's) and serve until SIGINT/SIGTERM."""
    stop = loop.stop_requested()
    async with contextlib.AsyncExitStack() as stack:
        for application in applications:
            # run_polling/run_webhook would call the post_* hooks themselves
            await stack.enter_async_context(application)
            if application.post_init:
                await application.post_init(application)
            await _set_webhook(application, settings)
            await application.start()
        server = make_server(applications, settings)
        server.listen(settings.webhook_port, address=settings.webhook_listen)
        log.info("Webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        await stop.wait()
        server.stop()  # no new connection; a request on an open one is answered 503
        await asyncio.gather(*(_finish(application) for application in applications))
    for application in applications:
        if application.post_shutdown:
            await application.post_shutdown(application)


async def _set_webhook(application: ChiboApplication, settings: Settings) -> None:
    if application.bot_data["messenger"] == ZALO:
        assert settings.zalo_webhook_secret is not None and settings.public_base_url is not None
        await application.bot_data["zalo"].client.set_webhook(
            f"{settings.public_base_url}/zalo", settings.zalo_webhook_secret.get_secret_value()
        )
        return
    assert settings.webhook_secret is not None and settings.webhook_url is not None
    await application.bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )


async def _finish(application: ChiboApplication) -> None:
    processor = application.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    await processor.stop(STOP_GRACE)  # the updates being handled finish (bounded)
    await application.stop()
    if application.post_stop:  # as run_polling does (the jobs' lease is given up there)
        await application.post_stop(application)

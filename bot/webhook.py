"""Webhook mode: a small Tornado server in front of the application.

PTB's own webhook server has no room for a health endpoint, so this one serves two paths:
POST /telegram (Telegram's updates; the secret token header is required) and GET /health (for the
load balancer: 200 when the database answers, 503 when it does not). Behind a reverse proxy,
terminate TLS there and forward /telegram and /health to WEBHOOK_LISTEN:WEBHOOK_PORT.

On SIGINT/SIGTERM the updates being handled finish (bot.processing, "Stopping"); an update that
comes meanwhile, or that was refused, is answered 503, so Telegram delivers it again.

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
import signal

import sqlalchemy as sa
import tornado.httpserver
import tornado.web
from telegram import Update

from bot.config import Settings
from bot.context import ChiboApplication
from bot.processing import STOP_GRACE, PerChatUpdateProcessor

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
ANSWER_WITHIN = 10.0  # seconds


class TelegramUpdates(tornado.web.RequestHandler):
    def initialize(self, bot_app: ChiboApplication, secret: str) -> None:
        self.bot_app = bot_app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.bot_app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
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


def make_server(application: ChiboApplication, secret: str) -> tornado.httpserver.HTTPServer:
    routes = tornado.web.Application(
        [
            ("/telegram", TelegramUpdates, {"bot_app": application, "secret": secret}),
            ("/health", Health, {"bot_app": application}),
        ]
    )
    return tornado.httpserver.HTTPServer(routes, max_body_size=MAX_BODY, xheaders=True)


async def serve(application: ChiboApplication, settings: Settings) -> None:
    """Register the webhook with Telegram and serve until SIGINT/SIGTERM."""
    # cmd_run refuses --webhook without both settings
    assert settings.webhook_secret is not None and settings.webhook_url is not None
    secret = settings.webhook_secret.get_secret_value()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:  # run_polling/run_webhook would call the post_* hooks themselves
        if application.post_init:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        server = make_server(application, secret)
        server.listen(settings.webhook_port, address=settings.webhook_listen)
        log.info("Webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        await stop.wait()
        server.stop()  # no new connection; a request on an open one is answered 503
        processor = application.update_processor
        assert isinstance(processor, PerChatUpdateProcessor)
        await processor.stop(STOP_GRACE)  # the updates being handled finish (bounded)
        await application.stop()
        if application.post_stop:  # as run_polling does (the jobs' lease is given up there)
            await application.post_stop(application)
    if application.post_shutdown:
        await application.post_shutdown(application)

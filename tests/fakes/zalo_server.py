"""A fake Zalo Bot API server for tests: real HTTP, so the bot's own client code is exercised.

An aiohttp app runs in a background thread with its own event loop on a free 127.0.0.1 port;
point the bot at it with ``ZaloClient(server.token, server.base_url)``.

It plays Zalo on both sides:
- users: ``user_says``, ``user_sends_photo`` (the picture is hosted at
  ``{base_url}/files/<n>.jpg`` by this same server), ``user_sends_sticker``,
  ``user_sends_unsupported``, ``user_sends_raw``, ``group_user_says``. Events look like Zalo's
  (string ids, 20 hex digits for message ids, ``date`` in milliseconds). A chat is known, so the
  bot may write to it, once its user wrote;
- getUpdates: long polling (the wait is capped by ``max_poll_timeout``, small so tests and
  stops are quick); ONE event per call, ``{"ok": true, "result": <event>}``, consumed when
  given (no offset, as at Zalo). With nothing to give, by the variant ``empty``: ``"408"``
  answers ``{"ok": false, "error_code": 408, "description": "Request timeout"}`` (HTTP 408),
  ``"empty"`` answers ``{"ok": true, "result": {}}``, ``"null"`` ``{"ok": true, "result": null}``.
  While a webhook is set getUpdates fails with 409 "Conflict: can't use getUpdates method
  while webhook is active; use deleteWebhook to delete the webhook first" (Telegram's words:
  Zalo's are unknown);
- the webhook: ``setWebhook`` (url http(s), secret_token 8 to 256 characters) makes every
  queued and later event a POST to that url, one at a time, as JSON (wrapped as
  ``{"ok": true, "result": event}`` with ``webhook_wrapped``) with the header
  ``X-Bot-Api-Secret-Token``; the bot's HTTP status is kept (``webhook_deliveries``, 0 when it
  did not answer). A failed delivery is not retried. ``deleteWebhook`` clears it;
- the bot's side: every call is recorded (``calls``); sendMessage, sendPhoto, sendSticker and
  sendChatAction refuse (400) what Zalo refuses: a key that is not documented (``parse_mode``,
  ``reply_markup``, ``reply_to_message_id``, ...), a text empty or over 2,000 characters
  (UTF-16 code units, as bot.zalo.text counts), a chat that never wrote ("chat not found"), a
  photo that is not an http(s) URL or that cannot be fetched: sendPhoto FETCHES the URL and
  needs a 200, so a test proves the link works. ``block`` makes sends to a user fail with 403.
  Sent messages are kept per chat (``messages``);
- trouble on demand: ``inject_error``, ``inject_retry_after`` (429, with or without
  ``parameters.retry_after``), ``slow_down``; a wrong token gets 401.

Refusals a test did not ask for are bugs: ``take_api_errors`` hands them over (a 408 "nothing
yet" and a refusal for a blocked user count as asked for).

Thread model: all state sits behind one ``threading.RLock``; ``changed``, a Condition on it, is
notified after every change, so tests wait with ``wait_until`` instead of sleeping.
``pending_events()`` (queued, not yet fetched or POSTed) and ``in_flight()`` (bot requests being
answered, long polls excluded, plus webhook POSTs under way) tell a driver when the bot is idle.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

__all__ = [
    "ApiError",
    "Call",
    "FakeZaloServer",
    "SentMessage",
    "UserEvent",
    "WebhookDelivery",
    "zalo_id",
]

EmptyAnswer = Literal["408", "empty", "null"]
PhotoField = Literal["photo_url", "attachments"]

BOT_ID = "2847196305512436719"
TOKEN = f"{BOT_ID}:fAkEzAlOsEcReT0123456789abcdefXYZ"
MAX_TEXT = 2000  # UTF-16 code units of a text or a caption
SECRET_TOKEN_LENGTH = (8, 256)
DEFAULT_NAME = "Nguyễn Văn An"
# Enough of a JPEG for anyone who looks at the first bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
JPEG += b"\xff\xd9"

# The documented body keys of each method (lower-cased names); anything else is refused.
METHOD_KEYS: dict[str, frozenset[str]] = {
    "getme": frozenset(),
    "getupdates": frozenset({"timeout"}),
    "setwebhook": frozenset({"url", "secret_token"}),
    "deletewebhook": frozenset(),
    "getwebhookinfo": frozenset(),
    "sendmessage": frozenset({"chat_id", "text"}),
    "sendphoto": frozenset({"chat_id", "photo", "caption"}),
    "sendsticker": frozenset({"chat_id", "sticker"}),
    "sendchataction": frozenset({"chat_id", "action"}),
}
CHAT_ACTIONS = frozenset({"typing"})  # the only one documented
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def zalo_id() -> str:
    """An id as Zalo gives them: 20 hex digits."""
    return secrets.token_hex(10)


def now_ms() -> int:
    return int(time.time() * 1000)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """A refusal in the Bot API's shape; `injected`: the test asked for it (no bug)."""

    def __init__(
        self,
        code: int,
        description: str,
        parameters: dict | None = None,
        *,
        injected: bool = False,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters
        self.injected = injected


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One request of the bot, with the outcome."""

    seq: int
    method: str
    body: dict[str, Any]
    at: float  # time.time()
    error_code: int | None = None
    description: str | None = None
    injected: bool = False  # the refusal was asked for by the test, or taken by it

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass
class SentMessage:
    """A message the bot sent into a chat."""

    chat_id: str
    message_id: str
    kind: str  # text, photo, sticker
    date: int  # milliseconds
    seq: int = 0  # the server's change counter when it was sent
    text: str | None = None
    photo_url: str | None = None
    caption: str | None = None
    sticker: str | None = None
    photo_bytes: bytes | None = None  # what the fake fetched from photo_url

    def __str__(self) -> str:
        if self.kind == "text":
            return repr(self.text)
        return f"<{self.kind}> {self.caption or ''}".rstrip()


@dataclass
class UserEvent:
    """An event a user caused (what getUpdates or the webhook gives the bot)."""

    seq: int
    event: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.event.get("event_name", ""))

    @property
    def message(self) -> dict[str, Any]:
        message = self.event.get("message")
        return message if isinstance(message, dict) else {}

    @property
    def chat_id(self) -> str:
        chat = self.message.get("chat")
        return str(chat.get("id", "")) if isinstance(chat, dict) else ""

    @property
    def text(self) -> str | None:
        return self.message.get("text")


@dataclass
class WebhookDelivery:
    """One event POSTed to the bot's webhook, and the HTTP status it answered (0: none)."""

    event: dict[str, Any]
    body: dict[str, Any]  # what was POSTed (the event, or it wrapped)
    secret_token: str
    status: int
    at: float = field(default_factory=time.time)


class FakeZaloServer:
    """See the module docstring. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        empty: EmptyAnswer = "408",
        photo_field: PhotoField = "photo_url",
        webhook_wrapped: bool = False,
        max_poll_timeout: float = 1.0,
    ) -> None:
        self.token = token
        self.empty: EmptyAnswer = empty
        self.photo_field: PhotoField = photo_field
        self.webhook_wrapped = webhook_wrapped
        self.max_poll_timeout = max_poll_timeout
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.last_seq = 0  # grows with every change; cursors of the driver compare to it
        self._seq = itertools.count(1)
        self._file_numbers = itertools.count(1)
        self.calls: list[Call] = []
        self.user_events: list[UserEvent] = []
        self.sent: list[SentMessage] = []
        self.files: dict[str, bytes] = {}  # name under /files/ -> bytes
        self.known: set[str] = set()  # chats whose user wrote: the bot may write to them
        self.blocked: set[str] = set()
        self.names: dict[str, str] = {}  # user id -> display name
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_updated_at = 0
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._queue: list[dict[str, Any]] = []  # events not yet fetched nor POSTed
        self._poll_waiters: set[asyncio.Future] = set()
        self._in_flight = 0
        self._failures: dict[str, list[ApiError]] = {}
        self._delays: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._deliver_wakeup: asyncio.Event | None = None
        self._deliverer: asyncio.Task | None = None
        self._closing = False
        self.port = 0

    # ---------------------------------------------------------------- life cycle

    @property
    def base_url(self) -> str:
        """The API's base: the bot calls ``{base_url}/bot{token}/{method}``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeZaloServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-zalo", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(sock), self._loop).result(10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self.lock:
            self._closing = True
        self._wake_pollers()
        asyncio.run_coroutine_threadsafe(self._cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeZaloServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/files/{name}", self._serve_file)
        # handler_cancellation: a long poll the bot gives up (on stop) ends at once.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._session = aiohttp.ClientSession()
        self._deliver_wakeup = asyncio.Event()
        self._deliverer = asyncio.create_task(self._deliver_loop())

    async def _cleanup(self) -> None:
        if self._deliverer is not None:
            self._deliverer.cancel()
            await asyncio.gather(self._deliverer, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # ---------------------------------------------------------------- waiting

    def wait_until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait, without polling, until predicate() is truthy (it is checked under the lock after
        each change); return its value, or its last falsy value when `timeout` runs out."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def _changed(self) -> int:
        """Call with the lock held, after a change; returns the new sequence number."""
        self.last_seq = next(self._seq)
        self.changed.notify_all()
        return self.last_seq

    def pending_events(self) -> int:
        """Events queued for the bot, not yet fetched by getUpdates nor POSTed to the webhook."""
        with self.lock:
            return len(self._queue)

    def in_flight(self) -> int:
        """Bot requests being answered (long polls excluded) and webhook POSTs under way."""
        with self.lock:
            return self._in_flight

    def is_idle(self) -> bool:
        with self.lock:
            return not self._queue and not self._in_flight

    # ---------------------------------------------------------------- what users do

    def user_says(self, user_id: str, text: str, name: str | None = None) -> dict[str, Any]:
        """The user writes `text` to the bot in their private chat; returns the event."""
        return self._user_event(user_id, name, "message.text.received", {"text": text})

    def user_sends_photo(
        self,
        user_id: str,
        data: bytes | None = None,
        caption: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a picture (`data`, a tiny JPEG by default), hosted by this server; the
        event carries its URL as the variant `photo_field` says (with ``attachments`` the
        caption is the message's ``text``, as in Zalo's Official Account API)."""
        url = self.host_file(JPEG if data is None else data)
        with self.lock:
            field_name = self.photo_field
        content: dict[str, Any]
        if field_name == "attachments":
            payload = {"url": url, "thumbnail": url}
            content = {"attachments": [{"type": "image", "payload": payload}]}
            if caption is not None:
                content["text"] = caption
        else:
            content = {"photo_url": url}
            if caption is not None:
                content["caption"] = caption
        return self._user_event(user_id, name, "message.image.received", content)

    def user_sends_sticker(
        self, user_id: str, sticker: str | None = None, name: str | None = None
    ) -> dict[str, Any]:
        content = {"sticker": sticker or zalo_id()}
        return self._user_event(user_id, name, "message.sticker.received", content)

    def user_sends_unsupported(self, user_id: str, name: str | None = None) -> dict[str, Any]:
        """Something Zalo does not pass on to bots (a voice message, a file, a location)."""
        return self._user_event(user_id, name, "message.unsupported.received", {})

    def group_user_says(
        self, group_id: str, user_id: str, text: str, name: str | None = None
    ) -> dict[str, Any]:
        """A user writes in a group the bot is in (groups were "coming soon" in 2025)."""
        content = {"text": text}
        return self._user_event(
            user_id, name, "message.text.received", content, chat=(group_id, "GROUP")
        )

    def user_sends_raw(self, event: dict[str, Any]) -> dict[str, Any]:
        """Queue `event` as it is (any shape, for the parser's sake); its chat, if it names one,
        becomes known."""
        event = copy.deepcopy(event)
        message = event.get("message") if isinstance(event, dict) else None
        chat = message.get("chat") if isinstance(message, dict) else None
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        self._push(event, str(chat_id) if chat_id else None)
        return event

    def host_file(self, data: bytes, suffix: str = "jpg") -> str:
        """Serve `data` at a new ``{base_url}/files/<n>.<suffix>``; returns that URL."""
        with self.lock:
            name = f"{next(self._file_numbers)}.{suffix}"
            self.files[name] = data
        return f"{self.base_url}/files/{name}"

    def block(self, user_id: str, blocked: bool = True) -> None:
        """The user blocks the bot: what the bot sends them gets 403."""
        with self.lock:
            (self.blocked.add if blocked else self.blocked.discard)(user_id)

    def _user_event(
        self,
        user_id: str,
        name: str | None,
        event_name: str,
        content: dict[str, Any],
        chat: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        chat_id, chat_type = chat or (user_id, "PRIVATE")
        with self.lock:
            if name is not None:
                self.names[user_id] = name
            display_name = self.names.setdefault(user_id, DEFAULT_NAME)
        event = {
            "event_name": event_name,
            "message": {
                "message_id": zalo_id(),
                "date": now_ms(),
                "chat": {"id": chat_id, "chat_type": chat_type},
                "from": {"id": user_id, "display_name": display_name, "is_bot": False},
                **content,
            },
        }
        self._push(event, chat_id)
        return event

    def _push(self, event: dict[str, Any], chat_id: str | None) -> None:
        with self.lock:
            if chat_id:
                self.known.add(chat_id)
            self._queue.append(event)
            self.user_events.append(UserEvent(self._changed(), event))
        self._wake_pollers()
        self._wake_deliverer()

    # ---------------------------------------------------------------- trouble on demand

    def inject_error(self, method: str, code: int, description: str, times: int = 1) -> None:
        """The next `times` calls of `method` fail so (e.g. 502, "Bad Gateway")."""
        error = ApiError(code, description, injected=True)
        with self.lock:
            self._failures.setdefault(method.lower(), []).extend([error] * times)

    def inject_retry_after(self, method: str, seconds: float | None = 1.0, times: int = 1) -> None:
        """The next `times` calls of `method` get 429; ``parameters.retry_after`` is `seconds`,
        absent when None (Zalo's rate limits are not documented)."""
        parameters = None if seconds is None else {"retry_after": seconds}
        description = "Too Many Requests" + (f": retry after {seconds}" if seconds else "")
        error = ApiError(429, description, parameters, injected=True)
        with self.lock:
            self._failures.setdefault(method.lower(), []).extend([error] * times)

    def slow_down(self, method: str, seconds: float) -> None:
        """Each later call of `method` is answered after `seconds` (a slow network)."""
        with self.lock:
            self._delays[method.lower()] = seconds

    # ---------------------------------------------------------------- what the bot did

    def messages(self, chat_id: str) -> list[SentMessage]:
        """The bot's messages in a chat, oldest first."""
        with self.lock:
            return [message for message in self.sent if message.chat_id == chat_id]

    def messages_since(self, seq: int, chat_id: str | None = None) -> list[SentMessage]:
        with self.lock:
            return [
                message
                for message in self.sent
                if message.seq > seq and (chat_id is None or message.chat_id == chat_id)
            ]

    def seq_of(self, event: dict[str, Any]) -> int:
        """The sequence number at which `event` (as returned by user_says, ...) was queued."""
        with self.lock:
            for user_event in reversed(self.user_events):
                if user_event.event is event:
                    return user_event.seq
        raise KeyError("not an event of this server")

    def calls_of(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if method is None or c.method.lower() == method.lower()]

    def api_errors(self, *, injected: bool = False) -> list[Call]:
        """Calls refused; by default only those the test neither asked for nor took."""
        with self.lock:
            return [c for c in self.calls if not c.ok and (injected or not c.injected)]

    def take_api_errors(self) -> list[Call]:
        """The unexpected refusals so far, acknowledged (a later check will not see them)."""
        with self.lock:
            errors = self.api_errors()
            for call in errors:
                call.injected = True
            return errors

    # ---------------------------------------------------------------- HTTP: the Bot API

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        name = method.lower()
        body, problem = await _read_body(request)
        polling = name == "getupdates"
        with self.lock:
            call = Call(0, method, body, time.time())
            self.calls.append(call)
            self._in_flight += 0 if polling else 1
            delay = self._delays.get(name, 0.0)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if problem:
                raise bad_request(problem)
            self._refuse_unknown(name, body)
            if delay:
                await asyncio.sleep(delay)
            result = await self._answer(name, body)
            return web.json_response({"ok": True, "result": result})
        except ApiError as error:
            with self.lock:
                call.error_code, call.description = error.code, error.description
                call.injected = error.injected
            return _error_response(error)
        finally:
            with self.lock:
                self._in_flight -= 0 if polling else 1
                call.seq = self._changed()

    def _refuse_unknown(self, name: str, body: dict[str, Any]) -> None:
        """Injected failures first, then a method or a key Zalo does not have."""
        with self.lock:
            failures = self._failures.get(name)
            if failures:
                raise failures.pop(0)
        if name not in METHOD_KEYS:
            raise ApiError(404, "Not Found: method not found")
        unknown = sorted(set(body) - METHOD_KEYS[name])
        if unknown:
            raise bad_request(f"unknown parameter {unknown[0]}")

    async def _answer(self, name: str, body: dict[str, Any]) -> Any:
        if name == "getme":
            return {
                "id": self.token.split(":", 1)[0],
                "account_name": "bot.chibo_test",
                "account_type": "BASIC",
                "can_join_groups": False,
            }
        if name == "getupdates":
            return await self._get_updates(body)
        if name in ("setwebhook", "deletewebhook", "getwebhookinfo"):
            return self._webhook_method(name, body)
        if name == "sendchataction":
            self._chat_of(body)
            if body.get("action") not in CHAT_ACTIONS:
                raise bad_request("action is invalid")
            return True
        return await self._send(name, body)

    # ---------------------------------------------------------------- getUpdates

    async def _get_updates(self, body: dict[str, Any]) -> Any:
        timeout = body.get("timeout", 0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0:
            raise bad_request("timeout must be a non-negative number")
        waiter = None
        with self.lock:
            if self.webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)
            if not self._queue and timeout > 0 and not self._closing:
                waiter = asyncio.get_running_loop().create_future()
                self._poll_waiters.add(waiter)
        if waiter is not None:
            try:
                await asyncio.wait_for(waiter, min(timeout, self.max_poll_timeout))
            except TimeoutError:
                pass
            finally:
                with self.lock:
                    self._poll_waiters.discard(waiter)
        with self.lock:
            if self._queue and not self.webhook_url:
                return self._queue.pop(0)
            if self.empty == "408":
                raise ApiError(408, "Request timeout", injected=True)
            return {} if self.empty == "empty" else None

    def _wake_pollers(self) -> None:
        with self.lock:
            waiters = list(self._poll_waiters)
        if self._loop is not None:
            for waiter in waiters:
                self._loop.call_soon_threadsafe(_resolve, waiter)

    # ---------------------------------------------------------------- sending

    async def _send(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """sendMessage, sendPhoto, sendSticker: checked, then kept as a SentMessage."""
        chat_id = self._chat_of(body)
        message = SentMessage(chat_id, zalo_id(), "text", now_ms())
        if name == "sendmessage":
            message.text = _checked_text(body.get("text"), "text")
        elif name == "sendphoto":
            message.kind = "photo"
            message.photo_url = _checked_url(body.get("photo"), "photo")
            if body.get("caption") is not None:
                message.caption = _checked_text(body.get("caption"), "caption")
            message.photo_bytes = await self._fetch_photo(message.photo_url)
        else:
            message.kind = "sticker"
            message.sticker = _checked_text(body.get("sticker"), "sticker")
        with self.lock:
            self._chat_of(body)  # still reachable after the fetch
            self.sent.append(message)
            message.seq = self._changed()
        return {"message_id": message.message_id, "date": message.date}

    def _chat_of(self, body: dict[str, Any]) -> str:
        chat_id = body.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise bad_request("chat_id must be a non-empty string")
        with self.lock:
            if chat_id not in self.known:
                raise bad_request("chat not found")
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: the user has blocked the bot", injected=True)
        return chat_id

    async def _fetch_photo(self, url: str) -> bytes:
        assert self._session is not None
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with self._session.get(url, timeout=timeout) as response:
                if response.status != 200:
                    raise bad_request(f"photo could not be fetched (HTTP {response.status})")
                return await response.read()
        except (aiohttp.ClientError, TimeoutError):
            raise bad_request("photo could not be fetched") from None

    # ---------------------------------------------------------------- the webhook

    def _webhook_method(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if name == "setwebhook":
                url = _checked_url(body.get("url"), "url")
                self.webhook_secret = _checked_secret(body.get("secret_token"))
                self.webhook_url = url
            elif name == "deletewebhook":
                self.webhook_url = self.webhook_secret = ""
            if name != "getwebhookinfo":
                self.webhook_updated_at = now_ms()
            answer = {"url": self.webhook_url, "updated_at": self.webhook_updated_at}
        self._wake_deliverer()
        return answer

    def _wake_deliverer(self) -> None:
        loop, wakeup = self._loop, self._deliver_wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wakeup.set)

    async def _deliver_loop(self) -> None:
        """POSTs queued events to the webhook, one at a time, while one is set."""
        assert self._deliver_wakeup is not None
        while True:
            await self._deliver_wakeup.wait()
            self._deliver_wakeup.clear()
            while (taken := self._take_for_webhook()) is not None:
                event, url, secret = taken
                body = {"ok": True, "result": event} if self.webhook_wrapped else event
                status = await self._post_event(url, secret, body)
                with self.lock:
                    self.webhook_deliveries.append(WebhookDelivery(event, body, secret, status))
                    self._in_flight -= 1
                    self._changed()

    def _take_for_webhook(self) -> tuple[dict[str, Any], str, str] | None:
        with self.lock:
            if not self.webhook_url or not self._queue or self._closing:
                return None
            self._in_flight += 1
            event = self._queue.pop(0)
            self._changed()
            return event, self.webhook_url, self.webhook_secret

    async def _post_event(self, url: str, secret: str, body: dict[str, Any]) -> int:
        assert self._session is not None
        headers = {"X-Bot-Api-Secret-Token": secret}
        try:
            timeout = aiohttp.ClientTimeout(total=10)
            async with self._session.post(url, json=body, headers=headers, timeout=timeout) as r:
                await r.read()
                return r.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    # ---------------------------------------------------------------- HTTP: files

    async def _serve_file(self, request: web.Request) -> web.Response:
        with self.lock:
            data = self.files.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="image/jpeg")


async def _read_body(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """The JSON object the bot sent, and what is wrong with it (None: nothing)."""
    raw = await request.read()
    if not raw.strip():
        return {}, None
    try:
        body = json.loads(raw)
    except ValueError:
        return {}, "the body is not JSON"
    if not isinstance(body, dict):
        return {}, "the body is not a JSON object"
    return body, None


def _error_response(error: ApiError) -> web.Response:
    answer: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.parameters:
        answer["parameters"] = error.parameters
    return web.json_response(answer, status=error.code)


def _checked_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} is empty")
    if utf16_len(value) > MAX_TEXT:
        raise bad_request(f"{name} is too long (over {MAX_TEXT} characters)")
    return value


def _checked_url(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
        raise bad_request(f"{name} must be an http(s) URL")
    return value


def _checked_secret(value: object) -> str:
    low, high = SECRET_TOKEN_LENGTH
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise bad_request(f"secret_token must be {low} to {high} characters")
    return value


def _resolve(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)

"""A fake Telegram Bot API server for tests: real HTTP, so PTB's own client code is exercised.

An aiohttp app runs in a background thread with its own event loop on a free 127.0.0.1 port;
point PTB at it with ``base_url=server.base_url`` and ``base_file_url=server.file_url``.

It plays Telegram on both sides:
- users and groups: ``receive_message`` / ``receive_callback`` turn what a user does into
  updates, served by ``getUpdates`` (long polling: returns at once when an update arrives,
  honours ``offset`` and ``timeout``; an update stays until an offset past it confirms it);
- the bot: every call is recorded (``calls``); messages it sends are kept per chat with their
  files, edits and deletions (``bot_messages``, ``events_since``); the methods and Telegram's
  refusals, in Telegram's words, are in telegram_methods.py;
- trouble on demand: ``slow_down`` a method, ``block`` a chat (403), ``inject_retry_after``
  (429 flood control), ``inject_error`` (anything else), ``limit_rate`` (429 for a message
  beyond Telegram's 30 a second, over a sliding second: proof that the bot paces itself).

Thread model: all state sits behind one ``threading.RLock``; ``changed``, a Condition on it, is
notified after every change, so tests wait with ``wait_until`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from fakes.telegram_html import utf16_len
from fakes.telegram_methods import METHODS
from fakes.telegram_model import (
    ApiError,
    Call,
    CallbackAnswer,
    Chat,
    ChatEvent,
    StoredFile,
    StoredMessage,
    Upload,
    bad_request,
)

__all__ = [
    "ApiError",
    "Call",
    "CallbackAnswer",
    "Chat",
    "ChatEvent",
    "FakeTelegramServer",
    "StoredFile",
    "StoredMessage",
]

BOT_USERNAME = "chibo_test_bot"

# Parameters that are always plain strings: never JSON-decoded (a text "123" stays a text).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "language_code",
        "action",
        "title",
        "description",
        "short_description",
        "url",
        "file_id",
        "inline_message_id",
        "name",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "question",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "address",
        "custom_title",
    }
)
# What Telegram's broadcast limit counts: messages sent into chats.
SENDING_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation", "copymessage"}
)
MEDIA_KINDS = ("location", "photo", "document", "audio", "video", "voice", "sticker", "contact")


class FakeTelegramServer:
    """See the module docstring. Use as a context manager, or call start() and stop()."""

    def __init__(self, *, bot_username: str = BOT_USERNAME) -> None:
        self.bot_username = bot_username
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.last_seq = 0  # grows with every change; cursors of the test driver compare to it
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self.token = ""  # the bot token of the last request
        self.chats: dict[int, Chat] = {}  # the chats the bot can reach: they wrote to it
        self._all_chats: dict[int, Chat] = {}  # every chat a test made
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.events: list[ChatEvent] = []
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.callback_answers: dict[str, CallbackAnswer | None] = {}
        self._next_message_id: dict[int, int] = {}
        self._pending: list[dict] = []  # updates not yet confirmed by a getUpdates offset
        self._next_update_id = 1
        self._poll_waiters: set[asyncio.Future] = set()
        self._in_flight = 0  # bot requests being answered, getUpdates excluded
        self._failures: dict[str, list[ApiError]] = {}
        self._rate_limit = 0  # messages a sliding second may hold; 0: no limit
        self._delays: dict[str, float] = {}  # method -> seconds each call takes
        self._recent_sends: collections.deque[float] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # ---------------------------------------------------------------- life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> FakeTelegramServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-telegram", daemon=True
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

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # handler_cancellation: a long poll the bot gives up (on stop) ends at once.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- waiting

    def wait_until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait, without polling, until predicate() is truthy (it is checked under the lock after
        each change); return its value, or its last falsy value when `timeout` runs out."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def record(self, action: str, message: StoredMessage) -> None:
        """The bot sent, edited or deleted `message` (lock held)."""
        self._changed()
        message.seq = self.last_seq
        self.events.append(ChatEvent(self.last_seq, action, message, message.text))

    def _changed(self) -> None:
        """Call with the lock held, after a change."""
        self.last_seq = next(self._seq)
        self.changed.notify_all()

    @property
    def all_fetched(self) -> bool:
        """The bot asked for updates past the last one given, so it has received them all."""
        with self.lock:
            return not self._pending

    @property
    def in_flight(self) -> int:
        with self.lock:
            return self._in_flight

    # ---------------------------------------------------------------- what users do

    def private_chat(self, user: dict) -> Chat:
        """The private chat with `user` (a User dict). The bot can reach it once `user` writes;
        before that, sending to it is refused ("chat not found")."""
        with self.lock:
            chat = Chat(id=user["id"], type="private", user=user)
            return self._all_chats.setdefault(user["id"], chat)

    def group_chat(self, chat_id: int, title: str, *, privacy: bool = True) -> Chat:
        """A group; the bot can reach it once someone writes there or adds the bot."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        with self.lock:
            chat = Chat(id=chat_id, type=kind, title=title, privacy=privacy)
            return self._all_chats.setdefault(chat_id, chat)

    def introduce(self, chat: Chat) -> None:
        """From now on the bot can reach `chat` (done when a user writes in it)."""
        with self.lock:
            self.chats.setdefault(chat.id, chat)

    def add_member(self, chat_id: int, user: dict, status: str = "member") -> None:
        """status: creator, administrator, member, left, kicked (for getChatMember)."""
        with self.lock:
            self._all_chats[chat_id].members[user["id"]] = (user, status)
            self._changed()

    def receive_message(self, chat: Chat, sender: dict, **content: Any) -> StoredMessage:
        """A user sends a message (text=..., photo=[...], document={...}, location={...}, ...).

        It is stored (the bot may reply to it) and given to the bot as an update, unless a
        group's privacy mode hides it. A command gets its bot_command entity, as Telegram does."""
        with self.lock:
            self.introduce(chat)
            message_id = self.new_message_id(chat.id)
            raw: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat.to_dict(),
                "from": sender,
                **content,
            }
            text = content.get("text")
            if text and text.startswith("/") and "entities" not in content:
                length = utf16_len(text.split()[0])
                raw["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            message = StoredMessage(
                chat_id=chat.id,
                message_id=message_id,
                from_bot=False,
                date=raw["date"],
                kind=next((k for k in ("text", *MEDIA_KINDS) if k in content), "other"),
                sender=sender,
                text=text if text is not None else content.get("caption"),
                raw=raw,
            )
            self.messages[(chat.id, message_id)] = message
            if chat.type != "private":
                chat.members.setdefault(sender["id"], (sender, "member"))
            if self._visible_to_bot(chat, raw):
                self.add_update({"message": raw})
            else:
                self._changed()
            return message

    def receive_callback(self, sender: dict, message: StoredMessage, data: str) -> str:
        """A user presses an inline button (or a forged one) on `message`; returns the query id."""
        with self.lock:
            query_id = f"cbq-{next(self._ids)}"
            self.callback_answers[query_id] = None
            query = {
                "id": query_id,
                "from": sender,
                "message": message.to_dict(self.chats[message.chat_id]),
                "chat_instance": f"ci{message.chat_id}",
                "data": data,
            }
            self.add_update({"callback_query": query})
            return query_id

    def add_update(self, fields: dict) -> int:
        """Queue a raw update ({"message": ...}, {"my_chat_member": ...}); returns its id."""
        with self.lock:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._pending.append({"update_id": update_id, **fields})
            self._changed()
        self._wake_pollers()
        return update_id

    def take_updates(self) -> list[dict]:
        """Hand the queued updates over, as Telegram would to a webhook (not to getUpdates)."""
        with self.lock:
            updates, self._pending = self._pending, []
            self._changed()
        return updates

    def add_file(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        folder: str = "documents",
    ) -> StoredFile:
        """Keep a file (sent by a user, or uploaded by the bot) for getFile and download."""
        with self.lock:
            number = next(self._ids)
            extension = f".{filename.rsplit('.', 1)[-1]}" if filename and "." in filename else ""
            stored = StoredFile(
                file_id=f"file-{number}-{folder}",
                file_unique_id=f"u{number}",
                data=data,
                filename=filename,
                mime_type=mime_type,
                path=f"{folder}/file_{number}{extension}",
            )
            self.files[stored.file_id] = stored
            return stored

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot: what the bot sends to the chat gets 403 Forbidden."""
        with self.lock:
            self._all_chats[chat_id].blocked = blocked

    def inject_retry_after(self, method: str, times: int = 1, retry_after: float = 1) -> None:
        """The next `times` calls of `method` get 429 flood control. Real Telegram sends whole
        seconds; a fraction keeps a test fast (PTB's AIORateLimiter then waits that long)."""
        error = ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
            injected=True,
        )
        with self.lock:
            self._failures.setdefault(method.lower(), []).extend([error] * times)

    def limit_rate(self, per_second: int = 30) -> None:
        """Flood control as Telegram's broadcast limit: a message sent when `per_second` were
        accepted within the last second is refused with 429 (retry after 1 s). Refusals are
        calls with error_code 429 (not `injected`: a bot that paces itself never meets one)."""
        with self.lock:
            self._rate_limit = per_second
            self._recent_sends.clear()

    def slow_down(self, method: str, seconds: float) -> None:
        """Each later call of `method` is answered after `seconds` (a slow network)."""
        with self.lock:
            self._delays[method.lower()] = seconds

    def inject_error(self, method: str, code: int, description: str, times: int = 1) -> None:
        """The next `times` calls of `method` fail so (e.g. 502, "Bad Gateway")."""
        error = ApiError(code, description, injected=True)
        with self.lock:
            self._failures.setdefault(method.lower(), []).extend([error] * times)

    # ---------------------------------------------------------------- what the bot did

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """The bot's messages in a chat, oldest first, as they are now."""
        with self.lock:
            found = [
                message
                for (cid, _), message in self.messages.items()
                if cid == chat_id and message.from_bot and (include_deleted or not message.deleted)
            ]
        return sorted(found, key=lambda message: message.message_id)

    def events_since(self, seq: int, chat_id: int | None = None) -> list[ChatEvent]:
        with self.lock:
            return [
                event
                for event in self.events
                if event.seq > seq and (chat_id is None or event.message.chat_id == chat_id)
            ]

    def calls_of(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if method is None or c.method.lower() == method.lower()]

    def api_errors(self, *, injected: bool = False) -> list[Call]:
        """Calls Telegram refused; by default only those the test neither asked for nor took."""
        with self.lock:
            return [c for c in self.calls if not c.ok and (injected or not c.injected)]

    def take_api_errors(self) -> list[Call]:
        """The unexpected refusals so far, acknowledged (a later check will not see them)."""
        with self.lock:
            errors = self.api_errors()
            for call in errors:
                call.injected = True
            return errors

    def my_commands(self, language_code: str = "", scope: str = "default") -> list[tuple[str, str]]:
        """The menu set by setMyCommands for that language ("" = any) and scope type."""
        with self.lock:
            commands = self.commands.get((language_code, scope), [])
            return [(command["command"], command["description"]) for command in commands]

    # ---------------------------------------------------------------- for the methods

    def new_message_id(self, chat_id: int) -> int:
        with self.lock:
            message_id = self._next_message_id.get(chat_id, 1)
            self._next_message_id[chat_id] = message_id + 1
            return message_id

    def bot_user(self, token: str) -> dict:
        """The bot's User, its id taken from the token as Telegram does."""
        head = token.split(":", 1)[0]
        return {
            "id": int(head) if head.isdigit() else 1,
            "is_bot": True,
            "first_name": "Chibo",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _visible_to_bot(self, chat: Chat, message: dict) -> bool:
        if chat.type == "private" or not chat.privacy:
            return True
        text = message.get("text") or ""
        replied = message.get("reply_to_message") or {}
        return (
            text.startswith("/")
            or f"@{self.bot_username}" in text
            or bool(replied.get("from", {}).get("is_bot"))
        )

    # ---------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        params = await _read_params(request)
        self.token = request.match_info["token"]
        if name.lower() == "getupdates":
            return await self._get_updates(params)
        with self.lock:
            self._in_flight += 1
            call = Call(seq=0, method=name, params=params, at=time.time())
            self.calls.append(call)
            delay = self._delays.get(name.lower(), 0.0)
        try:
            if delay:
                await asyncio.sleep(delay)
            with self.lock:
                result = self._answer(name, params)
            return web.json_response({"ok": True, "result": result})
        except ApiError as error:
            with self.lock:
                call.error_code, call.description = error.code, error.description
                call.injected = error.injected
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            return web.json_response(body, status=error.code)
        finally:
            with self.lock:
                self._in_flight -= 1
                self._changed()
                call.seq = self.last_seq

    def _answer(self, name: str, params: dict[str, Any]) -> Any:
        failures = self._failures.get(name.lower())
        if failures:
            raise failures.pop(0)
        if self._rate_limit and name.lower() in SENDING_METHODS:
            self._pace()
        implementation = METHODS.get(name.lower())
        if implementation is None:
            raise bad_request(f"method {name} is not implemented by the fake server")
        return implementation(self, self.token, params)

    def _pace(self) -> None:
        now, recent = time.monotonic(), self._recent_sends
        while recent and recent[0] <= now - 1:
            recent.popleft()
        if len(recent) >= self._rate_limit:
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        recent.append(now)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        waiter = None
        with self.lock:
            self.calls.append(Call(next(self._seq), "getUpdates", params, time.time()))
            if offset > 0:  # confirms every update before it
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._changed()
            if not self._pending and timeout > 0 and not self._closing:
                waiter = asyncio.get_running_loop().create_future()
                self._poll_waiters.add(waiter)
        if waiter is not None:
            try:
                await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                pass
            finally:
                with self.lock:
                    self._poll_waiters.discard(waiter)
        with self.lock:
            updates = self._pending[:limit]
        return web.json_response({"ok": True, "result": updates})

    def _wake_pollers(self) -> None:
        with self.lock:
            waiters = list(self._poll_waiters)
        if self._loop is not None:
            for waiter in waiters:
                self._loop.call_soon_threadsafe(_resolve, waiter)

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        with self.lock:
            stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(body, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")


def _resolve(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _read_params(request: web.Request) -> dict[str, Any]:
    """PTB sends strings as they are and every other value JSON-encoded, form-encoded or, with
    files, multipart (see telegram/request/_requestdata.py); file parts become Upload objects."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await request.json())
        return raw
    if request.can_read_body:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[key] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                raw[key] = value
    return {key: _decode(key, value) for key, value in raw.items()}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value

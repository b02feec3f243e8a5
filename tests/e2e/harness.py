"""The end-to-end test driver: user stories against the real bot through the fake Bot API server.

    secretary = tg.user(1001, "Nguyễn Văn An")     # language_code="vi" unless given
    secretary.send("/start")
    assert "Chibo là trợ lý" in secretary.wait_reply().text
    secretary.press("Đã họp")                       # inline button, exact label or a part of it
    assert secretary.wait_answer().text == "..."   # the answerCallbackQuery of that press
    step = secretary.wait_for_text("Bước 2")        # a message sent or edited since the action
    assert step.buttons == ["Có", "Không"]
    secretary.assert_no_reply()                     # waits until the bot is idle, then checks

Users (TgUser): send(text, reply_to=msg), send_photo(data=None, caption=None),
send_document(data, filename=, mime_type=, caption=), send_location(lat, lon),
send_message(**fields), press(label), press_data(data, message=None), block_bot().
Groups (TgGroup, tg.group(-100123, "Đảng ủy xã A")): send(user, text), press(user, label),
press_data(user, data), add(user, "administrator"), add_bot(by=user).
Both: .actions (how many messages sent and buttons pressed so far, to count a story),
wait_reply(), wait_for_text(fragment), assert_no_reply(), wait_answer(), messages(),
texts(), last_message(), last_text(), buttons(), reply_keyboard(), events().
A message (BotMessage): .text (as seen), .html (as sent), .buttons, .keyboard, .button_data(label),
.kind, .file (.data, .filename, .mime_type), .reply_markup, .request (the call's params),
.edit_count, .deleted. The driver: tg.wait_idle(), tg.calls("sendMessage"), tg.commands("en"),
tg.take_api_errors(), tg.server (block, inject_retry_after, inject_error, files, ...).

What the bot sent or edited in a chat is looked for after the chat's last action (send, press,
...): ``wait_reply`` returns the next message each time it is called; ``wait_for_text`` looks
at everything since the action; ``assert_no_reply`` checks nothing came after what those two
returned. Wait for the bot's answer before the next
action (or call ``tg.wait_idle()``), or a late reply to the previous action could be taken for a
reply to the next one.

Waiting never sleeps: it waits on the fake server's condition variable, with a timeout, and a
timeout fails with everything the bot did send (and every error it hit), to make failures clear.

Idle ("the bot has finished with everything it was given"), see ``BotRunner.wait_idle``:
1. the fake server saw a getUpdates whose offset is past every update given (all fetched;
   PTB puts fetched updates in its queue before it asks again);
2. in the bot's event loop, ``application.update_queue.join()`` returns (every fetched update
   went through all handlers, the error handler included) and no task made with
   ``application.create_task`` (non-blocking handlers) is still running;
3. no Bot API request of the bot is still being answered.
Without a BotRunner (the bot in another process) only 1 and 3 can be checked: weaker.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fakes.telegram_model import (
    Call,
    CallbackAnswer,
    Chat,
    ChatEvent,
    StoredMessage,
    png_size,
)
from fakes.telegram_server import FakeTelegramServer
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from bot import loop
from bot.config import Settings
from storage.db import Database

T = TypeVar("T")
TIMEOUT = 15.0  # seconds a wait may take before the test fails (generous: CI machines get busy)
BotMessage = StoredMessage  # what waits return: .text, .html, .buttons, .keyboard, .file, ...


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG image, for photos sent by users."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class TelegramDriver:
    """The test's side of Telegram: users and groups, and what the bot did. Fixture: ``tg``."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.bot: BotRunner | None = None  # set by BotRunner: enables the full idle check

    def user(
        self,
        id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> TgUser:
        fields = {
            "id": id,
            "is_bot": False,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        return TgUser(self, {k: v for k, v in fields.items() if v is not None})

    def group(self, id: int, title: str, *, privacy: bool = True) -> TgGroup:
        """A group chat; with privacy (Telegram's default) the bot sees only commands, replies
        to its messages and mentions of it."""
        return TgGroup(self, self.server.group_chat(id, title, privacy=privacy))

    def wait_idle(self, timeout: float = TIMEOUT) -> None:
        """Return once the bot has handled every update given so far (see the module doc)."""
        if self.bot is not None:
            self.bot.wait_idle(timeout)
            return
        deadline = time.monotonic() + timeout
        if not self.server.wait_until(lambda: self.server.all_fetched, timeout):
            raise AssertionError(f"the bot did not fetch its updates within {timeout} s")
        if not self.server.wait_until(lambda: self.server.in_flight == 0, _left(deadline)):
            raise AssertionError(f"a Bot API call was still unanswered after {timeout} s")

    def calls(self, method: str | None = None) -> list[Call]:
        """Every Bot API call the bot made (or those of one method): .method, .params, .ok."""
        return self.server.calls_of(method)

    def commands(self, language_code: str = "", scope: str = "default") -> list[tuple[str, str]]:
        """The command menu the bot set for that language ("" = default) and scope type."""
        return self.server.my_commands(language_code, scope)

    def take_api_errors(self) -> list[Call]:
        """Telegram's refusals the test did not ask for, acknowledged (see assert_no_api_errors)."""
        return self.server.take_api_errors()

    def assert_no_api_errors(self) -> None:
        """Checked after every test: a refused call is a bug unless the test took it."""
        errors = self.server.api_errors()
        if errors:
            listed = "\n".join(f"  {c.method} {c.error_code} {c.description}" for c in errors)
            raise AssertionError(
                "Telegram refused calls the test did not expect (take them with "
                f"tg.take_api_errors() if they are expected):\n{listed}"
            )

    def diagnostics(self) -> str:
        lines = [f"  {c.method}: {c.error_code} {c.description}" for c in self.server.api_errors()]
        text = "Telegram refused:\n" + "\n".join(lines) if lines else ""
        if self.bot is not None and self.bot.errors:
            logged = "\n".join(f"  {line}" for line in self.bot.error_lines())
            text += f"\nThe bot logged errors:\n{logged}"
        return text


class _ChatView:
    """What one chat sees of the bot; shared by users (their private chat) and groups."""

    def __init__(self, tg: TelegramDriver, chat: Chat) -> None:
        self.tg = tg
        self.server = tg.server
        self.chat = chat
        self.chat_id = chat.id
        self._cursor = self.server.last_seq  # the last action
        self._reply_cursor = self._cursor  # the last action, or the last message a wait gave
        self._last_action = "(no action yet)"
        self._last_query: str | None = None
        self.actions = 0  # messages sent and buttons pressed in this chat, to count a story
        self.history: list[tuple[int, str]] = []  # (seq, action) of each, for a transcript

    # -- what the bot sent here

    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat, oldest first, as they are now (edits applied)."""
        return self.server.bot_messages(self.chat_id)

    def texts(self) -> list[str]:
        return [m.text for m in self.messages() if m.text is not None]

    def last_message(self) -> BotMessage:
        messages = self.messages()
        assert messages, f"the bot has sent nothing to {self.name}"
        return messages[-1]

    def last_text(self) -> str:
        return self.last_message().text or ""

    def buttons(self) -> list[str]:
        """The button labels of the bot's last message (inline or reply keyboard)."""
        return self.last_message().buttons

    def reply_keyboard(self) -> list[str]:
        """The labels of the reply keyboard shown under the input field now ([] if none)."""
        for message in reversed(self.messages()):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                return []
            if "keyboard" in markup:
                return message.buttons
        return []

    def events(self) -> list[ChatEvent]:
        """What the bot sent, edited or deleted here since the last action."""
        return self.server.events_since(self._cursor, self.chat_id)

    # -- waiting

    def wait_reply(self, timeout: float = TIMEOUT) -> BotMessage:
        """The next message the bot sent (or edited) here after the last action; each call
        returns the following one."""
        event = self._wait_event(
            lambda e: e.action in ("sent", "edited") and e.seq > self._reply_cursor,
            "a reply" if self._reply_cursor == self._cursor else "one more reply",
            timeout,
        )
        self._reply_cursor = event.seq
        return event.message

    def wait_for_text(self, fragment: str, timeout: float = TIMEOUT) -> BotMessage:
        """The first message sent or edited here since the last action whose text (as the user
        sees it) contains `fragment`."""
        event = self._wait_event(
            lambda e: e.action in ("sent", "edited") and fragment in (e.text or ""),
            f"a message containing {fragment!r}",
            timeout,
        )
        self._reply_cursor = max(self._reply_cursor, event.seq)
        return event.message

    def assert_no_reply(self, timeout: float = TIMEOUT) -> None:
        """Wait until the bot is idle, then check it sent nothing here since the last action
        but what wait_reply / wait_for_text returned."""
        self.tg.wait_idle(timeout)
        # A question's buttons taken away once it is answered is no reply.
        events = [e for e in self.events() if e.seq > self._reply_cursor and e.action != "buttons"]
        assert not events, f"{self.name}: expected no reply to {self._last_action}, got:\n" + (
            _describe(events)
        )

    def _wait_event(
        self, wanted: Callable[[ChatEvent], bool], what: str, timeout: float
    ) -> ChatEvent:
        def found() -> ChatEvent | None:
            return next((e for e in self.events() if wanted(e)), None)

        event = self.server.wait_until(found, timeout)
        if event is None:
            raise AssertionError(self._timeout_report(what, timeout))
        return event

    def _timeout_report(self, what: str, timeout: float) -> str:
        since = self.events()
        earlier = [m for m in self.messages() if m.seq <= self._cursor][-5:]
        lines = [
            f"{self.name} waited {timeout} s for {what} after {self._last_action}.",
            "Since then the bot " + ("did:\n" + _describe(since) if since else "sent nothing."),
        ]
        if earlier:
            lines.append("Earlier bot messages here:\n" + "\n".join(f"  {m}" for m in earlier))
        diagnostics = self.tg.diagnostics()
        if diagnostics:
            lines.append(diagnostics)
        return "\n".join(lines)

    # -- buttons

    def _press(self, sender: dict, label: str) -> str:
        message, button = self._find_button(label)
        data = button.get("callback_data")
        assert data is not None, f"button {button.get('text')!r} has no callback_data: {button}"
        return self._press_data(sender, data, message, f"press {button.get('text')!r}")

    def _press_data(self, sender: dict, data: str, message: BotMessage | None, action: str) -> str:
        if message is None:
            message = self.last_message()
        with self.server.lock:
            query_id = self.server.receive_callback(sender, message, data)
            self._acted(action)
        self._last_query = query_id
        return query_id

    def _find_button(self, label: str) -> tuple[BotMessage, dict]:
        for message in reversed(self.messages()):
            buttons = message.inline_buttons
            exact = [b for b in buttons if b.get("text") == label]
            partial = [b for b in buttons if label in str(b.get("text", ""))]
            if exact or len(partial) == 1:
                return message, (exact or partial)[0]
            if partial:
                labels = [b.get("text") for b in partial]
                raise AssertionError(f"{label!r} matches several buttons of {message}: {labels}")
        recent = "\n".join(f"  {m}" for m in self.messages()[-5:]) or "  (none)"
        raise AssertionError(
            f"{self.name}: no inline button labelled {label!r}. Last bot messages:\n{recent}"
        )

    def wait_answer(self, timeout: float = TIMEOUT) -> CallbackAnswer:
        """The bot's answerCallbackQuery to the last press (its .text, .show_alert)."""
        assert self._last_query is not None, "nothing was pressed"
        query = self._last_query
        answer = self.server.wait_until(lambda: self.server.callback_answers.get(query), timeout)
        if answer is None:
            raise AssertionError(self._timeout_report("an answer to the button press", timeout))
        return answer

    # -- bookkeeping

    @property
    def name(self) -> str:
        return f"chat {self.chat_id}"

    def _acted(self, action: str) -> None:
        """Call with the server lock held, right after the action reached the server."""
        self._cursor = self._reply_cursor = self.server.last_seq
        self._last_action = action
        self.actions += 1
        self.history.append((self._cursor, action))

    def _receive(self, sender: dict, action: str, **content: Any) -> StoredMessage:
        with self.server.lock:
            message = self.server.receive_message(self.chat, sender, **content)
            self._acted(action)
        return message


class TgUser(_ChatView):
    """A Telegram user, acting in the private chat with the bot."""

    def __init__(self, tg: TelegramDriver, user: dict) -> None:
        super().__init__(tg, tg.server.private_chat(user))
        self.user = user
        self.id: int = user["id"]

    @property
    def name(self) -> str:
        return f"{self.user['first_name']} ({self.id})"

    def send(self, text: str, *, reply_to: StoredMessage | None = None) -> StoredMessage:
        """Type and send a text (a command, an answer, a reply-keyboard label)."""
        content: dict[str, Any] = {"text": text}
        if reply_to is not None:
            content["reply_to_message"] = reply_to.to_dict(self.chat)
        return self._receive(self.user, f"send {text!r}", **content)

    def send_photo(self, data: bytes | None = None, *, caption: str | None = None) -> StoredMessage:
        data = data if data is not None else tiny_png()
        stored = self.server.add_file(data, filename="photo.jpg", folder="photos")
        width, height = png_size(data)
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": stored.size,
        }
        content: dict[str, Any] = {"photo": [size]}
        if caption is not None:
            content["caption"] = caption
        return self._receive(self.user, "send a photo", **content)

    def send_document(
        self,
        data: bytes = b"%PDF-1.4\n%test\n",
        *,
        filename: str = "bien-ban.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> StoredMessage:
        stored = self.server.add_file(data, filename=filename, mime_type=mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": stored.size,
        }
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._receive(self.user, f"send document {filename!r}", **content)

    def send_location(self, latitude: float, longitude: float) -> StoredMessage:
        location = {"latitude": latitude, "longitude": longitude}
        return self._receive(self.user, "send a location", location=location)

    def send_message(self, **content: Any) -> StoredMessage:
        """Any other kind of message, as Message fields (contact={...}, voice={...}, ...)."""
        return self._receive(self.user, f"send {sorted(content)}", **content)

    def press(self, label: str) -> str:
        """Press the inline button labelled `label` (exactly, or the only one containing it) on
        the latest bot message that has one; returns the callback query id."""
        return self._press(self.user, label)

    def press_data(self, data: str, message: BotMessage | None = None) -> str:
        """Send a callback query with any data (a forged or stale button) on `message` (default:
        the bot's last message)."""
        return self._press_data(self.user, data, message, f"press data {data!r}")

    def block_bot(self, blocked: bool = True) -> None:
        """The user blocks the bot: what the bot sends here fails with 403 Forbidden."""
        self.server.block(self.chat_id, blocked)


class TgGroup(_ChatView):
    """A group chat. Members act with ``group.send(user, text)``."""

    @property
    def name(self) -> str:
        return f"group {self.chat.title!r} ({self.chat_id})"

    def add(self, user: TgUser, status: str = "member") -> None:
        """Make `user` a member (status: member, administrator, creator) for getChatMember."""
        self.server.add_member(self.chat_id, user.user, status)

    def send(self, user: TgUser, text: str) -> StoredMessage:
        """`user` writes in the group (the bot sees it if privacy mode lets it through)."""
        return self._receive(user.user, f"{user.name} sends {text!r}", text=text)

    def press(self, user: TgUser, label: str) -> str:
        return self._press(user.user, label)

    def press_data(self, user: TgUser, data: str, message: BotMessage | None = None) -> str:
        return self._press_data(user.user, data, message, f"{user.name} presses data {data!r}")

    def add_bot(self, by: TgUser) -> None:
        """`by` adds the bot to the group (a my_chat_member update)."""
        bot_user = self.server.bot_user(self.server.token)
        with self.server.lock:
            self.server.introduce(self.chat)
            self.server.add_update(
                {
                    "my_chat_member": {
                        "chat": self.chat.to_dict(),
                        "from": by.user,
                        "date": int(time.time()),
                        "old_chat_member": {"status": "left", "user": bot_user},
                        "new_chat_member": {"status": "member", "user": bot_user},
                    }
                }
            )
            self._acted(f"{by.name} adds the bot")


class BotRunner:
    """The real application (``bot.app.build_application``) polling the fake server from a
    background thread with its own event loop. Fixture: ``bot``.

    start() does what ``run_polling`` does (initialize, post_init, start polling, start) without
    signal handlers; stop() undoes it (updater, application, post_stop, shutdown, post_shutdown).
    """

    def __init__(
        self,
        settings: Settings,
        tg: TelegramDriver,
        *,
        poll_timeout: float = 2.0,
        build: Callable[[Settings], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.tg = tg
        self.poll_timeout = poll_timeout
        self._build = build
        self.application: Any = None  # the first application (Telegram's, when served)
        self.applications: list[Any] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[logging.LogRecord] = []
        self._log_handler = _ErrorCollector(self.errors)

    # -- life cycle

    def start(self) -> BotRunner:
        from bot.app import build_application

        build = self._build or build_application
        logging.getLogger().addHandler(self._log_handler)
        self._loop = loop.new_event_loop()  # the production loop (uvloop)
        self._thread = threading.Thread(target=self._loop.run_forever, name="bot", daemon=True)
        self._thread.start()
        built = build(self.settings)
        self.applications = built if isinstance(built, list) else [built]
        self.application = self.applications[0]
        try:
            for application in self.applications:
                self._run(self._start(application), timeout=10)
        except BaseException:
            self._close_loop()
            raise
        self.tg.bot = self
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        try:
            for application in reversed(self.applications):
                self._run(self._stop(application), timeout=10)
        finally:
            self._close_loop()
            logging.getLogger().removeHandler(self._log_handler)

    def restart(self) -> None:
        """Stop, then start a fresh application on the same database and settings."""
        self.stop()
        self.start()

    async def _start(self, app: Any) -> None:
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(
            poll_interval=0,
            timeout=self.poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        await app.start()

    @staticmethod
    async def _stop(app: Any) -> None:
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)

    def _close_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        leftovers = asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), loop)
        leftovers.result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
        if self.tg.bot is self:
            self.tg.bot = None

    def _run(self, coro: Awaitable[T], timeout: float = TIMEOUT) -> T:
        assert self._loop is not None, "the bot is not running"
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return future.result(timeout)

    # -- while running

    def call(self, fn: Callable[[Any], Awaitable[T]], timeout: float = TIMEOUT) -> T:
        """Run ``await fn(application)`` in the bot's event loop (e.g. a scheduled job)."""
        return self._run(fn(self.application), timeout)

    @property
    def bot_token(self) -> str:
        return self.settings.token()

    def drain(self, timeout: float = TIMEOUT) -> None:
        """Return once every application has handled every update it fetched."""
        for application in self.applications:
            self._run(_drained(application), timeout)

    def wait_idle(self, timeout: float = TIMEOUT) -> None:
        """Return once every update given to the bot has been handled (module doc, "Idle")."""
        server = self.tg.server
        deadline = time.monotonic() + timeout
        if not server.wait_until(lambda: server.all_fetched, timeout):
            raise AssertionError(f"the bot did not fetch its updates within {timeout} s")
        try:
            self.drain(_left(deadline))
        except TimeoutError:
            raise AssertionError(f"the bot was still busy after {timeout} s") from None
        if not server.wait_until(lambda: server.in_flight == 0, _left(deadline)):
            raise AssertionError(f"a Bot API call was still unanswered after {timeout} s")

    # -- errors the bot logged

    def error_lines(self) -> list[str]:
        return [_format_record(record) for record in self.errors]

    def take_errors(self) -> list[logging.LogRecord]:
        """The errors logged so far (e.g. by the error handler), acknowledged."""
        taken = list(self.errors)
        self.errors.clear()
        return taken

    def assert_no_errors(self) -> None:
        """Checked after every test: an error the bot logged is a bug unless the test took it."""
        if self.errors:
            listed = "\n".join(self.error_lines())
            raise AssertionError(
                "The bot logged errors the test did not expect (take them with "
                f"bot.take_errors() if they are expected):\n{listed}"
            )


class _ErrorCollector(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _format_record(record: logging.LogRecord) -> str:
    text = f"{record.levelname} {record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        text += f" [{type(error).__name__}: {error}]"
    return text


async def _drained(app: Any) -> None:
    await app.update_queue.join()
    # Tasks of non-blocking handlers (Application.create_task); private, hence the getattr.
    tasks: set[asyncio.Task] = getattr(app, "_Application__create_task_tasks", set())
    while pending := {task for task in tasks if not task.done()}:
        await asyncio.wait(pending)


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _describe(events: list[ChatEvent]) -> str:
    return "\n".join(f"  {e.action} #{e.message.message_id} {e.text!r}" for e in events)


def run_db(url: str, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``await fn(session)`` on the database at `url`, in one committed transaction, from
    synchronous test code (its own engine and event loop; the bot's SQLite file is shared)."""

    async def go() -> T:
        db = Database(url)
        try:
            async with db.session() as session:
                return await fn(session)
        finally:
            await db.dispose()

    return asyncio.run(go())

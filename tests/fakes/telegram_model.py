"""What the fake Telegram server keeps: chats, messages, files, the bot's calls, and refusals."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096  # characters (UTF-16 code units) of a message, after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes


class ApiError(Exception):
    """A refusal in the Bot API's shape: {"ok": false, "error_code", "description"}.

    `injected`: the test asked for it (blocked chat, flood control), so it is no bug."""

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
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str


@dataclass
class StoredFile:
    """A file Telegram holds: sent by a user, or uploaded by the bot (`data` is its bytes)."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
    path: str  # download path under /file/bot<token>/

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup
    title: str | None = None
    user: dict | None = None  # the other party of a private chat
    blocked: bool = False  # the user blocked the bot
    privacy: bool = True  # groups: the bot only sees commands, replies to it and mentions
    members: dict[int, tuple[dict, str]] = field(default_factory=dict)  # id -> (user, status)

    def to_dict(self) -> dict:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            chat["title"] = self.title
        if self.user:
            chat["first_name"] = self.user.get("first_name", "")
            for key in ("last_name", "username"):
                if self.user.get(key):
                    chat[key] = self.user[key]
        return chat


@dataclass
class StoredMessage:
    """A message in a chat: sent by a user (`raw` is the Message as given to the bot) or by the
    bot (kept current through edits; `request` holds the parameters of the call that sent it)."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    kind: str  # text, photo, document, location, other
    sender: dict
    html: str | None = None  # text or caption as sent (the HTML source with parse_mode HTML)
    text: str | None = None  # text or caption as the user sees it
    entities: list[dict] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict | None = None
    file: StoredFile | None = None  # the photo or document
    content: dict = field(default_factory=dict)  # photo / document / location fields
    request: dict = field(default_factory=dict)
    raw: dict | None = None
    edit_count: int = 0
    deleted: bool = False
    seq: int = 0  # sequence number of the last change

    @property
    def buttons(self) -> list[str]:
        """The labels of the message's keyboard (inline or reply), row after row."""
        return [label for row in self.keyboard for label in row]

    @property
    def keyboard(self) -> list[list[str]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]

    @property
    def inline_buttons(self) -> list[dict]:
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button_data(self, label: str) -> str | None:
        """The callback_data of the inline button labelled exactly `label`."""
        return next(
            (b.get("callback_data") for b in self.inline_buttons if b["text"] == label), None
        )

    def to_dict(self, chat: Chat) -> dict:
        """The Message object as the Bot API returns it."""
        if self.raw is not None:
            return self.raw
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat.to_dict(),
            "from": self.sender,
            **self.content,
        }
        text_key, entities_key = (
            ("text", "entities") if self.kind == "text" else ("caption", "caption_entities")
        )
        if self.text:
            message[text_key] = self.text
            if self.entities:
                message[entities_key] = self.entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        if self.edit_count:
            message["edit_date"] = int(time.time())
        return message

    def __str__(self) -> str:
        body = self.text if self.text is not None else f"<{self.kind}>"
        buttons = f" {self.buttons}" if self.buttons else ""
        return f"#{self.message_id} {body!r}{buttons}"


@dataclass
class ChatEvent:
    """The bot sent, edited or deleted a message; `text` is its text right after the change."""

    seq: int
    action: str  # sent, edited (the text), buttons (only the keyboard changed), deleted
    message: StoredMessage
    text: str | None


@dataclass
class Call:
    """One request of the bot, with the outcome."""

    seq: int
    method: str
    params: dict[str, Any]
    at: float  # time.time()
    error_code: int | None = None
    description: str | None = None
    injected: bool = False  # the refusal was asked for by the test, or taken by it

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass
class CallbackAnswer:
    """The bot's answerCallbackQuery to one button press."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG image (1x1 for anything else)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return (1, 1)

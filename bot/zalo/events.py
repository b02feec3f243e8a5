"""What Zalo sends the bot (one event per getUpdates answer, or per webhook POST), read leniently.

The documented shape::

    {"event_name": "message.text.received",
     "message": {"message_id": "16f6366b3f02645a3d15", "date": 1766619597466,
                 "chat": {"id": "e4ea2cd5189df1c3a88c", "chat_type": "PRIVATE"},
                 "from": {"id": "e4ea2cd5189df1c3a88c", "display_name": "Nguyen Van A"},
                 "text": "Xin chào"}}

Sources disagree on details, so `parse_event` also accepts: the webhook's wrapped form
``{"ok": true, "result": {...}}``; the photo as ``photo_url``, ``photo`` (a string) or an
``attachments`` list (``[{"type": "image", "payload": {"url": ..., "thumbnail": ...}}]``, as
Zalo's Official Account API sends it, with the caption in ``text``); ``msg_id`` for
``message_id``; ``type`` for ``chat_type``; a date in seconds rather than milliseconds; no
``from`` (the sender is then the private chat's own id); no ``event_name`` (guessed from the
content). What it still cannot read gives None and ONE warning per shape (its key names, never
its values: they hold people's words).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

log = logging.getLogger(__name__)

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
UNSUPPORTED = "message.unsupported.received"

PRIVATE = "PRIVATE"
GROUP = "GROUP"

# A date below this is in seconds: 1e11 milliseconds is March 1973, 1e11 seconds year 5138.
_MILLISECONDS_FROM = 100_000_000_000
# Unknown shapes are warned about once each, up to this many (a webhook's body is anyone's
# input: random keys must not flood the log).
_MAX_SHAPES = 100
_IMAGE_TYPES = frozenset({"image", "photo", "gif"})


@dataclass(frozen=True)
class ZaloEvent:
    """One event, flattened. `name` is Zalo's event name as given (unknown ones included)."""

    name: str
    chat_id: str
    chat_type: str  # "PRIVATE", "GROUP", ... (upper-cased as given)
    user_id: str
    display_name: str
    message_id: str
    date: datetime  # aware, UTC
    text: str | None = None
    photo_url: str | None = None
    caption: str | None = None
    sticker: str | None = None

    @property
    def is_private(self) -> bool:
        return self.chat_type == PRIVATE


class _Unreadable(Exception):
    """The data is not an event this module can read; the argument says why (no values)."""


_warned_shapes: set[str] = set()


def parse_event(data: object) -> ZaloEvent | None:
    """The event in `data` (bare or wrapped), or None when there is none or it cannot be read.

    Never raises. An empty answer (None, {}, a wrapper around either) is "nothing", silently."""
    try:
        return _parse(data)
    except _Unreadable as exc:
        reason = str(exc)
    except Exception:  # a shape nobody foresaw: the loop must go on
        reason = "unexpected error"
    _warn_once(data, reason)
    return None


def reset_shape_warnings() -> None:
    """Forget the shapes already warned about (for tests)."""
    _warned_shapes.clear()


def _parse(data: object) -> ZaloEvent | None:
    event = _unwrap(data)
    if event is None:
        return None
    message = event.get("message")
    if message is None and "chat" in event:  # the message itself, without its envelope
        message = event
    if not isinstance(message, dict):
        raise _Unreadable("no message object")
    chat = message.get("chat")
    if not isinstance(chat, dict):
        raise _Unreadable("no chat object")
    chat_id = _id(chat.get("id"))
    if not chat_id:
        raise _Unreadable("no chat id")
    sender = _object(message.get("from"))
    text, photo_url, caption = _content(message)
    name = event.get("event_name")
    return ZaloEvent(
        name=name if isinstance(name, str) and name else _guess_name(message, photo_url),
        chat_id=chat_id,
        chat_type=_chat_type(chat),
        user_id=_id(sender.get("id")) or chat_id,
        display_name=_text(sender.get("display_name")) or _text(sender.get("name")) or "",
        message_id=_id(message.get("message_id")) or _id(message.get("msg_id")),
        date=_date(message.get("date", message.get("timestamp"))),
        text=text,
        photo_url=photo_url,
        caption=caption,
        sticker=_sticker(message.get("sticker")),
    )


def _unwrap(data: object) -> dict[str, Any] | None:
    """The bare event; None for an empty answer. Raises _Unreadable for a refusal or non-dict."""
    if _is_wrapper(data):
        if data.get("ok") is False:
            raise _Unreadable("an error answer")
        data = data["result"]
    if data is None:
        return None
    if not isinstance(data, dict):
        raise _Unreadable("not an object")
    if _is_wrapper(data):
        raise _Unreadable("wrapped twice")
    return data or None


def _is_wrapper(data: object) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(data, dict)
        and "result" in data
        and "message" not in data
        and "event_name" not in data
    )


def _content(message: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(text, photo_url, caption). With a photo, a lone `text` is its caption (as in the
    attachments variant), so a photo is never mistaken for a text message."""
    text, caption = _text(message.get("text")), _text(message.get("caption"))
    photo_url = (
        _text(message.get("photo_url"))
        or _text(message.get("photo"))
        or _attachment_url(message.get("attachments"))
    )
    if photo_url and caption is None and text is not None:
        text, caption = None, text
    return text, photo_url, caption


def _attachment_url(attachments: object) -> str | None:
    if not isinstance(attachments, list):
        return None
    for item in attachments:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if isinstance(kind, str) and kind.lower() not in _IMAGE_TYPES:
            continue
        payload = _object(item.get("payload"))
        for candidate in (
            item.get("url"),
            payload.get("url"),
            payload.get("thumbnail"),
            item.get("thumbnail"),
        ):
            if _text(candidate):
                return str(candidate)
    return None


def _guess_name(message: dict[str, Any], photo_url: str | None) -> str:
    if photo_url:
        return IMAGE
    if message.get("sticker"):
        return STICKER
    if _text(message.get("text")) is not None:
        return TEXT
    return UNSUPPORTED


def _chat_type(chat: dict[str, Any]) -> str:
    kind = chat.get("chat_type", chat.get("type"))
    return kind.upper() if isinstance(kind, str) and kind else PRIVATE


def _id(value: object) -> str:
    """Ids are strings at Zalo; a number is taken too (never a bool or a container)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _sticker(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id", value.get("sticker_id", value.get("url")))
    return _id(value) or None


def _date(value: object) -> datetime:
    """Zalo's milliseconds (as a number or digits) as aware UTC; now when missing or absurd."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return datetime.now(UTC)
    seconds = value / 1000 if value >= _MILLISECONDS_FROM else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(time.time(), UTC)


def _warn_once(data: object, reason: str) -> None:
    try:
        shape = _shape(data)
    except Exception:  # keys that cannot even be named
        shape = "?"
    key = f"{reason}: {shape}"
    if key in _warned_shapes or len(_warned_shapes) > _MAX_SHAPES:
        return
    _warned_shapes.add(key)
    if len(_warned_shapes) > _MAX_SHAPES:
        log.warning("Zalo event of another unreadable shape; no more such warnings")
        return
    log.warning("Zalo event dropped (%s), shape %s", reason, shape)


def _shape(data: object, depth: int = 0) -> str:
    """The key names of the event and of its message (names only, shortened), or the type."""
    if not isinstance(data, dict):
        return type(data).__name__
    parts = [_keys(data)]
    for envelope in ("result", "message"):
        inner = data.get(envelope)
        if isinstance(inner, dict) and depth < 2:
            parts.append(f"{envelope}: {_shape(inner, depth + 1)}")
    return " ".join(parts)


def _keys(data: dict[Any, Any]) -> str:
    names = sorted(str(key)[:40] for key in data)
    more = f", +{len(names) - 20}" if len(names) > 20 else ""
    return "{" + ", ".join(names[:20]) + more + "}"

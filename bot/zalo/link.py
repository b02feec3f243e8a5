"""Zalo behind a Telegram-shaped bot: the adapter that lets every conversation and command of
Chibo, written against python-telegram-bot, run on Zalo unchanged.

The Zalo application is a PTB application like Telegram's; its bot's requests come here
(bot/zalo/request.py) instead of going to Telegram, and are carried out with Zalo's calls:

- chats: Zalo's string ids become chat numbers (storage/chats.py, `zalo_chats`), both ways;
- text: Telegram's HTML becomes plain text, split into messages of at most 2,000 characters;
- buttons: Zalo has none. A message's inline buttons (or the menu's keyboard) become a
  numbered list under its text, remembered for the chat; the person answers with a number or
  the option's words (without diacritics too), and that answer comes back as the press of
  that button (or the menu label typed). The next message with no list forgets the list;
- edits become new messages (Zalo cannot edit); taking buttons away and deleting do nothing;
  a press's pop-up answer is sent as a message;
- files: a photo people send is downloaded at once and kept (bot/files.py); pictures and
  documents the bot sends are kept and sent as signed links when there is a public address,
  else the message says where to get them;
- getUpdates: Zalo's one event per call, as a Telegram update with an id of ours.

Whatever Zalo refuses for a person (blocked, never wrote) is answered as Telegram's 403, so
the callers mark them unreachable on Zalo and try their other messenger (bot/notify.py).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.error import NetworkError

from bot import i18n
from bot.files import PREFIX, FileStore
from bot.flows.plain import plain_text
from bot.messengers import Bots
from bot.prompt import Option, Prompt
from bot.zalo.client import ZaloClient, ZaloError, ZaloNetworkError, ZaloRetryAfter
from bot.zalo.events import ZaloEvent
from bot.zalo.text import split_text
from storage.chats import TELEGRAM, ZALO_BASE
from storage.db import Database
from storage.queries import zalo as chats

log = logging.getLogger(__name__)

BOT_ID = ZALO_BASE - 1  # the bot's own user id, as PTB sees it
Result = Any
Files = dict[str, tuple[str, Any, str]]  # multipart part -> (filename, content, mime type)


class Refused(Exception):
    """Zalo refused the call: answered to PTB as Telegram's error of that kind."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


class ZaloLink:
    def __init__(
        self, client: ZaloClient, db: Database, files: FileStore, language: str = "vi"
    ) -> None:
        self.client, self.db, self.files, self.lang = client, db, files, language
        self.bots: Bots | None = None  # set by the app: Telegram's bot fetches its photos
        self.before_fetch: Callable[[], Awaitable[None]] | None = None
        self._update_ids = itertools.count(1)
        # Message ids of ours (Zalo's are strings): unique within a process, within int32.
        self._message_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)
        self._unknown: set[str] = set()
        self._zalo_ids: dict[int, str] = {}  # chat number -> Zalo's id, and back
        self._numbers: dict[str, int] = {}
        self.username = "chibo"

    # --- the calls ----------------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any], files: Files) -> Result:
        handler = _METHODS.get(method)
        if handler is None:
            if method not in self._unknown:
                self._unknown.add(method)
                log.info("Zalo: %s has no Zalo equivalent; answered as done", method)
            return True
        try:
            return await handler(self, params, files)
        except ZaloRetryAfter as exc:
            raise Refused(429, "Too Many Requests", exc.retry_after) from None
        except ZaloNetworkError as exc:
            raise NetworkError(f"Zalo: {exc.description}") from None
        except ZaloError as exc:
            if exc.unreachable:
                raise Refused(403, "Forbidden: the Zalo chat does not take messages") from None
            raise Refused(400, f"Bad Request: {exc.description}") from None

    async def get_me(self, params: dict[str, Any], files: Files) -> Result:
        me = await self.client.get_me()
        self.username = str(me.get("account_name") or self.username)
        return {"id": BOT_ID, "is_bot": True, "first_name": "Chibo", "username": self.username}

    async def get_updates(self, params: dict[str, Any], files: Files) -> Result:
        """The next event. PTB's last call when polling stops (timeout 0) only confirms what it
        fetched, by offset: Zalo has no offsets, and an event taken then would be lost."""
        timeout = int(params.get("timeout") or 0)
        if timeout == 0:
            return []
        if self.before_fetch is not None:
            await self.before_fetch()  # the last event is handled before the next is taken
        events = await self.client.get_updates(timeout=timeout)
        updates = [await self.update_of(event) for event in events]
        return [update for update in updates if update is not None]

    async def delete_webhook(self, params: dict[str, Any], files: Files) -> Result:
        await self.client.delete_webhook()  # getUpdates fails while one is set
        return True

    async def get_webhook_info(self, params: dict[str, Any], files: Files) -> Result:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def send_message(self, params: dict[str, Any], files: Files) -> Result:
        chat = int(params["chat_id"])
        text = _text(params.get("text", ""), params.get("parse_mode"))
        listed, choices = self._choices(params.get("reply_markup"))
        message_id = await self._send_text(chat, _join(text, listed))
        if chat > 0:
            async with self.db.session() as session:
                await chats.remember_choices(
                    session=session, chat_id=chat, choices=choices, message_id=message_id
                )
        return self._message(chat, message_id, text)

    async def edit_markup(self, params: dict[str, Any], files: Files) -> Result:
        """Taking a message's buttons away: its list no longer chooses anything."""
        chat, message_id = int(params.get("chat_id") or 0), int(params.get("message_id") or 0)
        if chat > 0 and message_id and not _rows(params.get("reply_markup")):
            async with self.db.session() as session:
                await chats.forget_choices(session=session, chat_id=chat, listed_by=message_id)
        return True

    async def answer_callback(self, params: dict[str, Any], files: Files) -> Result:
        """A press's answer (a pop-up on Telegram) is a message of its own."""
        text = params.get("text")
        if text:
            chat = int(str(params["callback_query_id"]).split(":")[0])
            await self._send_text(chat, plain_text(text))
        return True

    async def send_photo(self, params: dict[str, Any], files: Files) -> Result:
        chat = int(params["chat_id"])
        caption = _text(params.get("caption") or "", params.get("parse_mode"))
        name = await self._kept(params.get("photo"), files.get("photo"), "png")
        url = self.files.link(name) if name else None
        if url is None:
            note = self._t("zalo.picture_elsewhere")
            message_id = await self._send_text(chat, _join(caption, note))
        else:
            zalo_id = await self._zalo_id(chat)
            first, *more = split_text(caption) or [""]
            await self.client.send_photo(zalo_id, url, first or None)
            for piece in more:
                await self.client.send_message(zalo_id, piece)
            message_id = next(self._message_ids)
        return self._message(chat, message_id, caption)

    async def send_media_group(self, params: dict[str, Any], files: Files) -> Result:
        media = params.get("media") or []
        if isinstance(media, str):
            media = json.loads(media)
        sent = []
        for item in media:
            photo = item.get("media", "")
            part = (
                files.get(photo.removeprefix("attach://"))
                if photo.startswith("attach://")
                else None
            )
            sent.append(
                await self.send_photo(
                    {"chat_id": params["chat_id"], "photo": photo, "caption": item.get("caption")},
                    {"photo": part} if part else {},
                )
            )
        return sent

    async def send_document(self, params: dict[str, Any], files: Files) -> Result:
        """A document (an export) as a signed link, or a word on where to get it."""
        chat = int(params["chat_id"])
        caption = _text(params.get("caption") or "", params.get("parse_mode"))
        part = files.get("document")
        suffix = (part[0].rsplit(".", 1)[-1] if part and "." in part[0] else "bin")[:5]
        name = self.files.keep(_bytes(part[1]), suffix) if part else None
        url = self.files.link(name) if name else None
        hours = self.files.ttl // 3600
        note = (
            self._t("zalo.file_link", url=url, hours=hours)
            if url
            else self._t("zalo.file_elsewhere")
        )
        message_id = await self._send_text(chat, _join(caption, note))
        return self._message(chat, message_id, caption)

    async def send_location(self, params: dict[str, Any], files: Files) -> Result:
        chat = int(params["chat_id"])
        lat, lon = params.get("latitude"), params.get("longitude")
        text = f"📍 https://maps.google.com/?q={lat},{lon}"
        return self._message(chat, await self._send_text(chat, text), text)

    async def send_chat_action(self, params: dict[str, Any], files: Files) -> Result:
        chat = int(params["chat_id"])
        if chat > 0:
            with contextlib.suppress(ZaloError, Refused):  # "typing…" is a courtesy
                await self.client.send_chat_action(await self._zalo_id(chat))
        return True

    async def done(self, params: dict[str, Any], files: Files) -> Result:
        return True

    # --- events in ------------------------------------------------------------------------------

    async def update_of(self, event: ZaloEvent) -> dict[str, Any] | None:
        """A Zalo event as the Telegram update PTB's handlers take; None for nothing to handle."""
        group, name = not event.is_private, event.display_name
        async with self.db.session() as session:
            chat = await self._number(session, event.chat_id, group, name)
            user = await self._number(session, event.user_id, False, name) if group else chat
            listed, listed_by = (
                ([], None) if group else await chats.choices_of(session=session, chat_id=chat)
            )
        sender = {"id": user, "is_bot": False, "first_name": event.display_name or "Zalo"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(event.date.timestamp()),
            "chat": {"id": chat, "type": "group", "title": event.display_name}
            if group
            else {"id": chat, "type": "private", "first_name": sender["first_name"]},
            "from": sender,
        }
        update_id = next(self._update_ids)
        if event.text is not None:
            choice = _chosen(listed, event.text)
            if choice is not None and "data" in choice:
                return _press(update_id, chat, sender, message, choice["data"], listed_by)
            text = choice["text"] if choice is not None else event.text
            message.update(_text_fields(text))
        elif event.photo_url is not None:
            photo = await self._download(event.photo_url)
            if photo is None:
                return None
            message["photo"] = [
                {"file_id": photo, "file_unique_id": photo, "width": 0, "height": 0}
            ]
            if event.caption:
                message["caption"] = event.caption
        # A sticker or anything else: a message with nothing in it, answered as unexpected.
        return {"update_id": update_id, "message": message}

    async def _download(self, url: str) -> str | None:
        try:
            data = await self.client.download(url)
        except ZaloError:
            log.warning("Zalo: a photo could not be downloaded")
            return None
        return PREFIX + self.files.keep(data, "jpg")

    # --- helpers --------------------------------------------------------------------------------

    async def _number(self, session: AsyncSession, zalo_id: str, group: bool, name: str) -> int:
        """The chat number of a Zalo id, given on first sight (then kept: it never changes, and
        an event need not try an INSERT)."""
        number = self._numbers.get(zalo_id)
        if number is None:
            number = await chats.chat_number(
                session=session, zalo_id=zalo_id, group=group, name=name
            )
            self._numbers[zalo_id], self._zalo_ids[number] = number, zalo_id
        return number

    async def _zalo_id(self, chat: int) -> str:
        """Zalo's id of a chat number (numbers never change: kept once read)."""
        zalo_id = self._zalo_ids.get(chat)
        if zalo_id is None:
            async with self.db.session() as session:
                zalo_id = await chats.zalo_id_of(session=session, chat_id=chat)
            if zalo_id is None:
                raise Refused(400, "Bad Request: chat not found")
            self._zalo_ids[chat] = zalo_id
        return zalo_id

    async def _send_text(self, chat: int, text: str) -> int:
        zalo_id = await self._zalo_id(chat)
        for piece in split_text(text) or ["…"]:
            await self.client.send_message(zalo_id, piece)
        return next(self._message_ids)

    def _message(self, chat: int, message_id: int, text: str) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
            "text": text,
        }

    def _choices(self, markup: Any) -> tuple[str, list[dict[str, Any]]]:
        """A message's buttons as a numbered list and what each number chooses."""
        lines: list[str] = []
        choices: list[dict[str, Any]] = []
        for row in _rows(markup):
            for button in row:
                label = plain_text(str(button.get("text", "")))
                if button.get("url"):
                    lines.append(f"{label}: {button['url']}")
                    continue
                choices.append(
                    {"data": button["callback_data"], "label": label}
                    if "callback_data" in button
                    else {"text": button.get("text", ""), "label": label}
                )
                lines.append(f"{len(choices)}. {label}")
        if choices:
            lines.append(self._t("zalo.choose"))
        return "\n".join(lines), choices

    async def _kept(self, photo: Any, part: Any, suffix: str) -> str | None:
        """The kept file's name of a photo to send: uploaded bytes, a photo kept from Zalo, or
        a Telegram file fetched with Telegram's bot."""
        if part is not None:
            return self.files.keep(_bytes(part[1]), suffix)
        if not isinstance(photo, str):
            return None
        if photo.startswith(PREFIX):
            name = photo.removeprefix(PREFIX)
            return name if self.files.path(name) else None
        telegram = self.bots.get(TELEGRAM) if self.bots else None
        if telegram is None or not self.files.public:
            return None
        try:
            data = await (await telegram.get_file(photo)).download_as_bytearray()
        except Exception:  # a photo we cannot fetch is described instead
            log.warning("Zalo: a Telegram photo could not be fetched")
            return None
        return self.files.keep(bytes(data), "jpg")

    def _t(self, key: str, **values: object) -> str:
        return i18n.t(self.lang, key, **values)


_METHODS: dict[str, Callable[[ZaloLink, dict[str, Any], Files], Awaitable[Result]]] = {
    "getMe": ZaloLink.get_me,
    "getUpdates": ZaloLink.get_updates,
    "deleteWebhook": ZaloLink.delete_webhook,
    "getWebhookInfo": ZaloLink.get_webhook_info,
    "sendMessage": ZaloLink.send_message,
    "editMessageText": ZaloLink.send_message,  # Zalo cannot edit: the new text is a new message
    "editMessageCaption": ZaloLink.send_message,
    "editMessageReplyMarkup": ZaloLink.edit_markup,
    "answerCallbackQuery": ZaloLink.answer_callback,
    "sendPhoto": ZaloLink.send_photo,
    "sendMediaGroup": ZaloLink.send_media_group,
    "sendDocument": ZaloLink.send_document,
    "sendLocation": ZaloLink.send_location,
    "sendChatAction": ZaloLink.send_chat_action,
    "deleteMessage": ZaloLink.done,
    "setMyCommands": ZaloLink.done,
    "deleteMyCommands": ZaloLink.done,
    "setChatMenuButton": ZaloLink.done,
    "setWebhook": ZaloLink.done,  # Zalo's webhook is set by bot/webhook.py with Zalo's client
}


def _text(text: str, parse_mode: Any) -> str:
    return plain_text(text) if parse_mode == "HTML" else text


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def _rows(markup: Any) -> list[list[dict[str, Any]]]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]


def _chosen(listed: list[dict[str, Any]], typed: str) -> dict[str, Any] | None:
    """The listed choice a typed answer means: its number, or its words (bot.prompt.match)."""
    if not listed:
        return None
    prompt = Prompt("", tuple((Option(str(i), c.get("label", "")),) for i, c in enumerate(listed)))
    option = prompt.match(typed)
    return listed[int(option.value)] if option is not None else None


def _press(
    update_id: int,
    chat: int,
    sender: dict[str, Any],
    message: dict[str, Any],
    data: str,
    listed_by: int | None,
) -> dict[str, Any]:
    """A chosen button as Telegram's press of it (on the message that listed it)."""
    pressed = {**message, "message_id": listed_by or message["message_id"], "text": ""}
    pressed.pop("from", None)
    query = {
        "id": f"{chat}:{update_id}",
        "from": sender,
        "chat_instance": str(chat),
        "data": data,
        "message": pressed,
    }
    return {"update_id": update_id, "callback_query": query}


def _text_fields(text: str) -> dict[str, Any]:
    """A typed text; a leading /word is a command, as on Telegram ("/start CODE")."""
    fields: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return fields


def _bytes(content: Any) -> bytes:
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    content.seek(0)  # a file handle (an export written to disk), read from the start
    return content.read()

"""The Bot API methods the fake server answers, with Telegram's checks and wording.

Each method is ``f(server, token, params) -> result`` and runs with the server's lock held; it
raises ApiError to refuse. Add a method with ``@method("sendVenue")`` when a feature needs it:
an unknown method is refused ("not implemented by the fake server") so nothing passes silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakes.telegram_html import HtmlError, parse_html, utf16_len
from fakes.telegram_model import (
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    ApiError,
    CallbackAnswer,
    Chat,
    StoredFile,
    StoredMessage,
    Upload,
    bad_request,
    png_size,
)

if TYPE_CHECKING:
    from fakes.telegram_server import FakeTelegramServer

Method = Callable[["FakeTelegramServer", str, dict[str, Any]], Any]
METHODS: dict[str, Method] = {}  # lower-case name -> implementation


def method(*names: str) -> Callable[[Method], Method]:
    def register(implementation: Method) -> Method:
        for name in names:
            METHODS[name.lower()] = implementation
        return implementation

    return register


# ---------------------------------------------------------------- checks shared by methods


def chat_for(server: FakeTelegramServer, params: dict, *, sending: bool = True) -> Chat:
    """The chat of `chat_id`: only chats that wrote to the bot exist; blocked ones refuse."""
    chat_id = params.get("chat_id")
    chat = server.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request("chat not found")
    if chat.blocked and sending:
        raise ApiError(403, "Forbidden: bot was blocked by the user", injected=True)
    return chat


def rendered(text: str | None, parse_mode: str | None, *, caption: bool) -> tuple[str, list]:
    """The text as the user sees it and its entities; refuses bad HTML and long texts."""
    if not text:
        return "", []
    if (parse_mode or "").upper() == "HTML":
        try:
            plain, entities = parse_html(text)
        except HtmlError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    else:
        plain, entities = text, []
    if utf16_len(plain) > (MAX_CAPTION if caption else MAX_TEXT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain, entities


def checked_markup(markup: Any) -> dict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not 0 < len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


def _reply_to(params: dict) -> int | None:
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        return reply.get("message_id")
    return params.get("reply_to_message_id")


def send(
    server: FakeTelegramServer,
    token: str,
    params: dict,
    kind: str,
    *,
    content: dict | None = None,
    file: StoredFile | None = None,
) -> dict:
    """Store a message the bot sends (text, or media with a caption) and return it."""
    chat = chat_for(server, params)
    caption = kind != "text"
    text = params.get("caption" if caption else "text")
    if not caption and not (text or "").strip():
        raise bad_request("message text is empty")
    plain, entities = rendered(text, params.get("parse_mode"), caption=caption)
    markup = checked_markup(params.get("reply_markup"))
    reply_to = _reply_to(params)
    allow_missing = (params.get("reply_parameters") or {}).get("allow_sending_without_reply")
    if reply_to and (chat.id, reply_to) not in server.messages and not allow_missing:
        raise bad_request("message to be replied not found")
    message = StoredMessage(
        chat_id=chat.id,
        message_id=server.new_message_id(chat.id),
        from_bot=True,
        date=int(time.time()),
        kind=kind,
        sender=server.bot_user(token),
        html=text,
        text=plain if text else None,
        entities=entities,
        parse_mode=params.get("parse_mode"),
        reply_markup=markup,
        file=file,
        content=content or {},
        request=params,
    )
    server.messages[(chat.id, message.message_id)] = message
    server.record("sent", message)
    return message.to_dict(chat)


def stored_file(server: FakeTelegramServer, value: Any, folder: str, name: str) -> StoredFile:
    """A file parameter: an upload, a known file_id, or a URL (its text kept as the content)."""
    if isinstance(value, Upload):
        return server.add_file(
            value.data,
            filename=value.filename or name,
            mime_type=value.content_type,
            folder=folder,
        )
    if isinstance(value, str) and value in server.files:
        return server.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return server.add_file(value.encode(), filename=value.rsplit("/", 1)[-1], folder=folder)
    raise bad_request("wrong file identifier/HTTP URL specified")


def editable(server: FakeTelegramServer, params: dict) -> StoredMessage:
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the fake server")
    chat = chat_for(server, params)
    message = server.messages.get((chat.id, params.get("message_id")))
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def edit(
    server: FakeTelegramServer,
    message: StoredMessage,
    *,
    text: str | None,
    parse_mode: str | None,
    markup: dict | None,
) -> dict:
    """Change a message's text (or caption) and inline keyboard, as Telegram does: an edit
    without reply_markup removes the inline keyboard; an edit that changes nothing is refused."""
    caption = message.kind != "text"
    plain, entities = rendered(text, parse_mode, caption=caption)
    if not caption and not plain.strip():
        raise bad_request("message text is empty")
    new_markup = markup if markup and "inline_keyboard" in markup else None
    old = message.reply_markup
    old_markup = old if old and "inline_keyboard" in old else None
    if (plain, entities, new_markup) == (message.text or "", message.entities, old_markup):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    same_text = (plain, entities) == (message.text or "", message.entities)
    message.html, message.text, message.entities = text, plain or None, entities
    message.parse_mode = parse_mode
    message.reply_markup = new_markup
    message.edit_count += 1
    server.record("buttons" if same_text else "edited", message)
    return message.to_dict(server.chats[message.chat_id])


# ---------------------------------------------------------------- the bot itself


@method("getMe")
def get_me(server: FakeTelegramServer, token: str, params: dict) -> dict:
    return server.bot_user(token)


@method(
    "deleteWebhook",
    "setWebhook",
    "close",
    "logOut",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
)
def harmless(server: FakeTelegramServer, token: str, params: dict) -> bool:
    return True


@method("getWebhookInfo")
def get_webhook_info(server: FakeTelegramServer, token: str, params: dict) -> dict:
    return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}


def commands_key(params: dict) -> tuple[str, str]:
    """(language_code or "", scope type[:chat_id]) under which a command menu is kept."""
    scope = params.get("scope") or {"type": "default"}
    key = scope.get("type", "default")
    if "chat_id" in scope:
        key += f":{scope['chat_id']}"
    return params.get("language_code") or "", key


@method("setMyCommands")
def set_my_commands(server: FakeTelegramServer, token: str, params: dict) -> bool:
    server.commands[commands_key(params)] = list(params.get("commands") or [])
    return True


@method("getMyCommands")
def get_my_commands(server: FakeTelegramServer, token: str, params: dict) -> list:
    return server.commands.get(commands_key(params), [])


@method("deleteMyCommands")
def delete_my_commands(server: FakeTelegramServer, token: str, params: dict) -> bool:
    server.commands.pop(commands_key(params), None)
    return True


# ---------------------------------------------------------------- messages


@method("sendMessage")
def send_message(server: FakeTelegramServer, token: str, params: dict) -> dict:
    return send(server, token, params, "text")


@method("sendPhoto")
def send_photo(server: FakeTelegramServer, token: str, params: dict) -> dict:
    chat_for(server, params)
    stored = stored_file(server, params.get("photo"), "photos", "photo.png")
    width, height = png_size(stored.data)
    size = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": stored.size,
    }
    return send(server, token, params, "photo", content={"photo": [size]}, file=stored)


@method("sendDocument")
def send_document(server: FakeTelegramServer, token: str, params: dict) -> dict:
    chat_for(server, params)
    stored = stored_file(server, params.get("document"), "documents", "document")
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.filename,
        "mime_type": stored.mime_type,
        "file_size": stored.size,
    }
    document = {key: value for key, value in document.items() if value is not None}
    return send(server, token, params, "document", content={"document": document}, file=stored)


@method("sendLocation")
def send_location(server: FakeTelegramServer, token: str, params: dict) -> dict:
    location = {"latitude": params["latitude"], "longitude": params["longitude"]}
    return send(server, token, params, "location", content={"location": location})


@method("sendChatAction")
def send_chat_action(server: FakeTelegramServer, token: str, params: dict) -> bool:
    chat_for(server, params)
    return True


@method("editMessageText")
def edit_message_text(server: FakeTelegramServer, token: str, params: dict) -> dict:
    message = editable(server, params)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    markup = checked_markup(params.get("reply_markup"))
    return edit(
        server, message, text=params.get("text"), parse_mode=params.get("parse_mode"), markup=markup
    )


@method("editMessageCaption")
def edit_message_caption(server: FakeTelegramServer, token: str, params: dict) -> dict:
    message = editable(server, params)
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    markup = checked_markup(params.get("reply_markup"))
    caption, parse_mode = params.get("caption"), params.get("parse_mode")
    return edit(server, message, text=caption, parse_mode=parse_mode, markup=markup)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(server: FakeTelegramServer, token: str, params: dict) -> dict:
    message = editable(server, params)
    markup = checked_markup(params.get("reply_markup"))
    return edit(server, message, text=message.html, parse_mode=message.parse_mode, markup=markup)


@method("deleteMessage")
def delete_message(server: FakeTelegramServer, token: str, params: dict) -> bool:
    chat = chat_for(server, params, sending=False)
    message = server.messages.get((chat.id, params.get("message_id")))
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    server.record("deleted", message)
    return True


@method("answerCallbackQuery")
def answer_callback_query(server: FakeTelegramServer, token: str, params: dict) -> bool:
    query_id = params.get("callback_query_id")
    if query_id not in server.callback_answers or server.callback_answers[query_id] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(params.get("text") or "") > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    server.callback_answers[query_id] = CallbackAnswer(
        query_id, params.get("text"), bool(params.get("show_alert")), params.get("url")
    )
    return True


# ---------------------------------------------------------------- files


@method("getFile")
def get_file(server: FakeTelegramServer, token: str, params: dict) -> dict:
    stored = server.files.get(params.get("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.path,
    }


# ---------------------------------------------------------------- chats


@method("getChat")
def get_chat(server: FakeTelegramServer, token: str, params: dict) -> dict:
    chat = chat_for(server, params, sending=False)
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription"), False
    )
    return {
        **chat.to_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def member_dict(user: dict, status: str) -> dict:
    """A ChatMember of that status (creator, administrator, member, left, kicked)."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member |= {"can_be_edited": False, "is_anonymous": False, "can_promote_members": False}
        member |= dict.fromkeys(ADMIN_RIGHTS, True)
    elif status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member


@method("getChatMember")
def get_chat_member(server: FakeTelegramServer, token: str, params: dict) -> dict:
    chat = chat_for(server, params, sending=False)
    user_id = params.get("user_id")
    if chat.type == "private":
        if chat.user is None or user_id != chat.id:
            raise bad_request("user not found")
        return member_dict(chat.user, "member")
    stranger = {"id": user_id, "is_bot": False, "first_name": "?"}
    user, status = chat.members.get(user_id, (stranger, "left"))
    return member_dict(user, status)


@method("getChatAdministrators")
def get_chat_administrators(server: FakeTelegramServer, token: str, params: dict) -> list:
    chat = chat_for(server, params, sending=False)
    return [
        member_dict(user, status)
        for user, status in chat.members.values()
        if status in ("creator", "administrator")
    ]


@method("leaveChat")
def leave_chat(server: FakeTelegramServer, token: str, params: dict) -> bool:
    chat_for(server, params, sending=False)
    return True

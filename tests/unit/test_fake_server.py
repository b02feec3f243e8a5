"""The fake Bot API server refuses what Telegram refuses, in Telegram's words, to a plain PTB Bot.

(The `fakes` package is imported from tests/, which pytest puts on sys.path: tests/ has no
__init__.py, so it is the base directory of tests/e2e/ and of tests/conftest.py.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fakes.telegram_html import HtmlError, parse_html
from fakes.telegram_server import FakeTelegramServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

TOKEN = "123456:TEST-token"
USER = {"id": 1001, "is_bot": False, "first_name": "Nguyễn Văn An", "language_code": "vi"}


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as server:
        yield server


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.file_url) as bot:
        yield bot


@pytest.fixture
def chat_id(server: FakeTelegramServer) -> int:
    """A user who has written to the bot, so the bot can reach them."""
    chat = server.private_chat(USER)
    server.receive_message(chat, USER, text="xin chào")
    return chat.id


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Đã họp", callback_data=data)]])


# ---------------------------------------------------------------- refusals


async def test_unknown_chat_is_not_found(bot: Bot, server: FakeTelegramServer):
    server.private_chat(USER)  # exists, but never wrote to the bot

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(USER["id"], "Xin chào")


async def test_text_over_4096_characters_is_too_long(bot: Bot, chat_id: int):
    await bot.send_message(chat_id, "ệ" * 4096)
    await bot.send_message(chat_id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat_id, "ệ" * 4097)


async def test_callback_data_over_64_bytes_is_invalid(bot: Bot, chat_id: int):
    await bot.send_message(chat_id, "Chọn", reply_markup=keyboard("x" * 64))

    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(chat_id, "Chọn", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):  # 22 x 3 bytes in UTF-8
        await bot.send_message(chat_id, "Chọn", reply_markup=keyboard("ệ" * 22))


@pytest.mark.parametrize(
    "text",
    [
        "<b>không đóng",
        "a < b",
        "Nguyễn & Trần",
        "<div>khối</div>",
        "<b><i>sai thứ tự</b></i>",
        "thừa </b>",
        "<span>không phải spoiler</span>",
        "<br/>",
        "&nbsp;",
    ],
)
async def test_malformed_html_cannot_be_parsed(bot: Bot, chat_id: int, text: str):
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("<b>An &amp; Bình</b> &lt;3", "An & Bình <3"),
        ('<a href="https://x.vn/?a=1&amp;b=2">link</a>', "link"),
        ("<tg-spoiler>bí mật</tg-spoiler>", "bí mật"),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        ("a > b, &#39;c&#x27;", "a > b, 'c'"),
        ("<blockquote expandable>trích</blockquote>", "trích"),
    ],
)
async def test_valid_html_is_stored_as_the_user_sees_it(
    bot: Bot, server: FakeTelegramServer, chat_id: int, text: str, seen: str
):
    await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)

    assert server.bot_messages(chat_id)[-1].text == seen


async def test_without_parse_mode_anything_goes(bot: Bot, server: FakeTelegramServer, chat_id):
    await bot.send_message(chat_id, "a < b & <c>")

    assert server.bot_messages(chat_id)[-1].text == "a < b & <c>"


async def test_editing_a_missing_message_is_refused(bot: Bot, chat_id: int):
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Mới", chat_id=chat_id, message_id=999)


async def test_editing_to_the_same_text_and_keyboard_is_not_modified(
    bot: Bot, server: FakeTelegramServer, chat_id: int
):
    html = ParseMode.HTML
    sent = await bot.send_message(chat_id, "<b>Bước 1</b>", html, reply_markup=keyboard("a"))

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Bước 1</b>", chat_id, sent.message_id, parse_mode=html, reply_markup=keyboard("a")
        )
    # Without reply_markup the keyboard goes: a change.
    await bot.edit_message_text("<b>Bước 1</b>", chat_id, sent.message_id, parse_mode=html)

    message = server.bot_messages(chat_id)[-1]
    assert (message.text, message.reply_markup, message.edit_count) == ("Bước 1", None, 1)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id, sent.message_id)


async def test_a_blocked_chat_is_forbidden(bot: Bot, server: FakeTelegramServer, chat_id: int):
    server.block(chat_id)

    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(chat_id, "Nhắc báo cáo")
    assert server.api_errors() == []  # asked for by the test: no bug
    assert len(server.api_errors(injected=True)) == 1


async def test_flood_control_is_injected_for_the_next_calls(
    bot: Bot, server: FakeTelegramServer, chat_id: int
):
    server.inject_retry_after("sendMessage", times=2, retry_after=3)

    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(chat_id, "Nhắc")
        assert caught.value._retry_after.total_seconds() == 3
    await bot.send_message(chat_id, "Nhắc")


async def test_more_than_30_messages_in_a_second_meet_flood_control(
    bot: Bot, server: FakeTelegramServer, chat_id: int
):
    server.limit_rate(30)
    for n in range(30):  # a burst: all within one second
        await bot.send_message(chat_id, f"tin {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(chat_id, "một tin quá nhiều")
    refused = [call for call in server.api_errors() if call.error_code == 429]
    assert len(refused) == 1 and not refused[0].injected


async def test_unexpected_refusals_are_kept_until_taken(
    bot: Bot, server: FakeTelegramServer, chat_id: int
):
    with pytest.raises(BadRequest):
        await bot.send_message(chat_id, "a < b", parse_mode=ParseMode.HTML)

    [refused] = server.take_api_errors()
    assert refused.method == "sendMessage" and "can't parse entities" in refused.description
    assert server.api_errors() == []


async def test_a_method_the_fake_lacks_is_refused_clearly(bot: Bot, chat_id: int):
    with pytest.raises(BadRequest, match="not implemented by the fake server"):
        await bot.send_dice(chat_id)


# ---------------------------------------------------------------- recording


async def test_every_call_is_recorded_with_decoded_params(
    bot: Bot, server: FakeTelegramServer, chat_id: int
):
    await bot.send_message(chat_id, "123", reply_markup=keyboard("r:1"))

    [call] = server.calls_of("sendMessage")
    assert call.params["chat_id"] == chat_id
    assert call.params["text"] == "123"  # a string stays a string
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "r:1"
    assert call.ok and call.at <= time.time()


async def test_commands_are_kept_per_language_and_scope(bot: Bot, server: FakeTelegramServer):
    await bot.set_my_commands([("start", "Bắt đầu")])
    await bot.set_my_commands([("start", "Start")], language_code="en")

    assert server.my_commands() == [("start", "Bắt đầu")]
    assert server.my_commands("en") == [("start", "Start")]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start"]


async def test_uploaded_documents_and_photos_are_kept(
    bot: Bot, server: FakeTelegramServer, chat_id: int
):
    await bot.send_document(chat_id, b"PK\x03\x04xlsx", filename="bao-cao.xlsx", caption="Tệp")
    await bot.send_photo(chat_id, b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)

    document, photo = server.bot_messages(chat_id)
    assert (document.kind, document.text) == ("document", "Tệp")
    assert (document.file.filename, document.file.data) == ("bao-cao.xlsx", b"PK\x03\x04xlsx")
    assert photo.kind == "photo" and photo.file.data.startswith(b"\x89PNG")


async def test_files_round_trip_through_get_file(bot: Bot, server: FakeTelegramServer):
    stored = server.add_file(b"%PDF-1.4 bien ban", filename="bien-ban.pdf", folder="documents")

    file = await bot.get_file(stored.file_id)

    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 bien ban"
    async with httpx.AsyncClient() as client:
        missing = await client.get(f"{server.file_url}{TOKEN}/documents/nothing.pdf")
    assert missing.status_code == 404


async def test_callback_queries_are_answered_once(bot: Bot, server: FakeTelegramServer, chat_id):
    sent = await bot.send_message(chat_id, "Chọn", reply_markup=keyboard("held"))
    message = server.bot_messages(chat_id)[-1]
    query_id = server.receive_callback(USER, message, "held")
    [update] = (await bot.get_updates(offset=2))[-1:]
    assert update.callback_query.data == "held"
    assert update.callback_query.message.message_id == sent.message_id

    await bot.answer_callback_query(query_id, "Đã ghi nhận")

    assert server.callback_answers[query_id].text == "Đã ghi nhận"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


# ---------------------------------------------------------------- getUpdates


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    bot: Bot, server: FakeTelegramServer
):
    chat = server.private_chat(USER)

    def user_writes_once_the_bot_waits() -> None:
        server.wait_until(lambda: server.calls_of("getUpdates"), timeout=5)
        server.receive_message(chat, USER, text="/start")

    writer = threading.Thread(target=user_writes_once_the_bot_waits)
    writer.start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    writer.join()

    assert time.monotonic() - started < 5
    assert [u.message.text for u in updates] == ["/start"]
    assert updates[0].message.entities[0].type == "bot_command"


async def test_updates_stay_until_an_offset_confirms_them(bot: Bot, server: FakeTelegramServer):
    chat = server.private_chat(USER)
    first = server.receive_message(chat, USER, text="một")
    server.receive_message(chat, USER, text="hai")

    again = await bot.get_updates()
    assert [u.message.text for u in again] == ["một", "hai"]
    assert [u.message.text for u in await bot.get_updates()] == ["một", "hai"]
    assert first.message_id == again[0].message.message_id

    assert [u.message.text for u in await bot.get_updates(offset=again[0].update_id + 1)] == ["hai"]
    assert await bot.get_updates(offset=again[1].update_id + 1, timeout=0) == ()
    assert server.all_fetched


def test_group_privacy_mode_hides_chatter_from_the_bot(server: FakeTelegramServer):
    group = server.group_chat(-100123, "Đảng ủy xã A")

    server.receive_message(group, USER, text="Chào cả nhà")
    assert server.all_fetched  # no update
    server.receive_message(group, USER, text="/link")
    assert not server.all_fetched


# ---------------------------------------------------------------- HTML entities


def test_entities_are_measured_in_utf16_code_units():
    text, entities = parse_html("👍 <b>Bước 2</b> <i>xong</i>")

    assert text == "👍 Bước 2 xong"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "italic", "offset": 10, "length": 4},
    ]


def test_html_errors_name_the_problem():
    with pytest.raises(HtmlError, match='expected "</i>", found "</b>"'):
        parse_html("<b><i>x</b></i>")
    with pytest.raises(HtmlError, match='start tag "b"'):
        parse_html("<b>x")

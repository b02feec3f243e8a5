"""The driver itself, against a small PTB application made for it (buttons, edits, files, ...).

These tests pin what later features rely on: presses reach the bot with the button's data, an
edit counts as a reply, idle means idle even for non-blocking handlers, files go both ways.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.config import Settings
from e2e.harness import BotRunner, TelegramDriver

Context = ContextTypes.DEFAULT_TYPE


async def menu(update: Update, context: Context) -> None:
    buttons = [
        [InlineKeyboardButton("Đã họp", callback_data="held")],
        [InlineKeyboardButton("Chưa họp (nêu lý do)", callback_data="not_held")],
    ]
    await update.message.reply_text(
        "<b>Bước 1</b>: chi bộ đã họp chưa?", reply_markup=InlineKeyboardMarkup(buttons)
    )


async def pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    await query.answer("Đã ghi nhận")
    if query.data == "held":
        await query.edit_message_text("<b>Bước 2</b>: ngày họp?")
    else:
        await query.message.reply_text(f"Không rõ nút: {query.data}")


async def keyboard(update: Update, context: Context) -> None:
    labels = ReplyKeyboardMarkup([["Báo cáo", "Khó khăn"]], resize_keyboard=True)
    await update.message.reply_text("Chọn việc:", reply_markup=labels)


async def label(update: Update, context: Context) -> None:
    await update.message.reply_text("Bắt đầu báo cáo", reply_markup=ReplyKeyboardRemove())


async def document(update: Update, context: Context) -> None:
    file = await update.message.document.get_file()
    data = bytes(await file.download_as_bytearray())
    await update.message.reply_text(f"Đã nhận {len(data)} byte")
    await update.message.reply_document(data[::-1], filename="nguoc.bin", caption="Tệp ngược")


async def slowly(update: Update, context: Context) -> None:
    for _ in range(3):
        await asyncio.sleep(0)  # a few turns of the loop, as real I/O would take
    await update.message.reply_text("Xong việc chậm")


async def notify(update: Update, context: Context) -> None:
    await context.bot.send_message(int(context.args[0]), "Thông báo")


async def bad_html(update: Update, context: Context) -> None:
    await update.message.reply_text("1 < 2")


async def on_error(update: object, context: Context) -> None:
    if isinstance(update, Update) and update.effective_chat:
        await context.bot.send_message(update.effective_chat.id, "Lỗi")


def build_test_app(settings: Settings) -> Application:
    app = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .build()
    )
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CommandHandler("keyboard", keyboard))
    app.add_handler(CommandHandler("slow", slowly, block=False))
    app.add_handler(CommandHandler("notify", notify))
    app.add_handler(CommandHandler("bad", bad_html))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.Text(["Báo cáo"]), label))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_error_handler(on_error)
    return app


@pytest.fixture
def app(settings: Settings, tg: TelegramDriver) -> Iterator[BotRunner]:
    runner = BotRunner(settings, tg, build=build_test_app).start()
    yield runner
    runner.stop()


def test_press_sends_the_buttons_data_and_the_edit_is_the_reply(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/menu")
    first = an.wait_for_text("Bước 1")
    assert first.buttons == ["Đã họp", "Chưa họp (nêu lý do)"]
    assert first.html == "<b>Bước 1</b>: chi bộ đã họp chưa?"

    an.press("Đã họp")

    assert an.wait_answer().text == "Đã ghi nhận"
    edited = an.wait_reply()
    assert edited is first and edited.text == "Bước 2: ngày họp?" and edited.edit_count == 1
    assert an.buttons() == []  # an edit without reply_markup drops the keyboard


def test_press_finds_a_button_by_part_of_its_label(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/menu")
    an.wait_reply()

    an.press("nêu lý do")

    assert an.wait_reply().text == "Không rõ nút: not_held"


def test_press_data_forges_a_button(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/menu")
    an.wait_reply()

    an.press_data("r:old-token:held")

    assert an.wait_reply().text == "Không rõ nút: r:old-token:held"


def test_pressing_a_missing_button_fails_with_the_buttons_there_are(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/menu")
    an.wait_reply()

    with pytest.raises(AssertionError, match="no inline button labelled 'Nộp'") as failure:
        an.press("Nộp")
    assert "Đã họp" in str(failure.value)
    with pytest.raises(AssertionError, match="matches several buttons"):
        an.press("họp")


def test_reply_keyboard_labels_are_sent_as_text(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/keyboard")
    an.wait_reply()
    assert an.reply_keyboard() == ["Báo cáo", "Khó khăn"]

    an.send("Báo cáo")

    assert an.wait_reply().text == "Bắt đầu báo cáo"
    assert an.reply_keyboard() == []


def test_files_go_both_ways(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")

    an.send_document(b"abc", filename="bien-ban.pdf")

    assert an.wait_reply().text == "Đã nhận 3 byte"
    sent = an.wait_reply()  # the next one
    assert an.wait_for_text("Đã nhận") and an.wait_for_text("ngược") is sent
    an.assert_no_reply()  # nothing beyond the two messages taken
    assert (sent.kind, sent.text, sent.file.filename, sent.file.data) == (
        "document",
        "Tệp ngược",
        "nguoc.bin",
        b"cba",
    )


def test_idle_waits_for_non_blocking_handlers(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/slow")
    tg.wait_idle()

    assert an.texts() == ["Xong việc chậm"]


def test_assert_no_reply_fails_when_the_bot_answers(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/menu")

    with pytest.raises(AssertionError, match="expected no reply to send '/menu'"):
        an.assert_no_reply()


def test_a_wait_that_times_out_says_what_the_bot_did(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send("/menu")

    with pytest.raises(AssertionError) as failure:
        an.wait_for_text("Bước 3", timeout=0.3)

    assert "waited 0.3 s for a message containing 'Bước 3' after send '/menu'" in str(failure.value)
    assert "Bước 1" in str(failure.value)


def test_a_chat_that_never_wrote_cannot_be_reached(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    binh = tg.user(1002, "Trần Thị Bình")

    an.send(f"/notify {binh.id}")

    assert an.wait_reply().text == "Lỗi"
    [refused] = tg.take_api_errors()
    assert refused.description == "Bad Request: chat not found"
    binh.send("xin chào")
    an.send(f"/notify {binh.id}")
    assert binh.wait_for_text("Thông báo")


def test_bad_html_is_refused_like_telegram_does(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/bad")

    assert an.wait_reply().text == "Lỗi"
    [refused] = tg.take_api_errors()
    assert "can't parse entities" in refused.description


def test_group_members_act_in_the_group(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")
    group = tg.group(-100123, "Đảng ủy xã A")

    group.send(an, "/menu")
    group.wait_for_text("Bước 1")
    group.press(an, "Đã họp")

    assert group.wait_reply().text == "Bước 2: ngày họp?"
    assert an.texts() == []  # nothing in An's private chat


def test_idle_means_every_update_was_handled(tg: TelegramDriver, app):
    an = tg.user(1001, "Nguyễn Văn An")

    for _ in range(10):
        an.send("/menu")
    tg.wait_idle()

    assert len(an.texts()) == 10

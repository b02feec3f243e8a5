"""/language: Vietnamese or English for this person, remembered in the database."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import i18n
from bot.context import ChiboContext
from bot.handlers.start import show_menu
from storage.queries.people import person_by_telegram_id

PREFIX = "lang:"


async def ask(update: Update, context: ChiboContext) -> None:
    buttons = [
        InlineKeyboardButton(i18n.t(lang, "language.name"), callback_data=f"{PREFIX}{lang}")
        for lang in i18n.LANGUAGES
    ]
    await update.effective_message.reply_text(
        context.t("language.ask"), reply_markup=InlineKeyboardMarkup([buttons])
    )


async def choose(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    language = query.data.removeprefix(PREFIX)
    if language not in i18n.LANGUAGES:
        await query.answer(context.t("button.expired"), show_alert=True)
        return
    async with context.db.session() as session:
        person = await person_by_telegram_id(session=session, telegram_id=update.effective_user.id)
        person.language = language
    context.identity.person = person
    await query.answer()
    await query.edit_message_reply_markup(None)
    await show_menu(update, context, context.t("language.done"))

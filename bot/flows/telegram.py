"""Conversations on Telegram: updates into the engine, its messages out as text with buttons.

A question's options become inline buttons (`FlowButton`: the draft's token, the step, the
option's value); once it is answered (pressed or typed) its buttons are taken away, so old ones
do not pile up. A press is answered at once, before the step's work: whether it is current is
known from the identity read at the start of the update (no query).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatType

from bot import notify
from bot.context import ChiboContext
from bot.flows.engine import Answer, Engine, FlowButton, Out, Result
from bot.flows.plain import render as render_plain
from bot.menu import show_menu
from bot.replies import answer, drop_buttons, quietly
from storage.chats import ZALO
from storage.models import Draft
from storage.queries.drafts import draft_owner, set_message

ENGINE = "engine"


def engine(context: ChiboContext) -> Engine:
    return context.bot_data[ENGINE]


def keyboard(out: Out, result: Result, plain: bool = False) -> InlineKeyboardMarkup | None:
    """The buttons of a message: the question's options (not on a messenger without buttons:
    the text lists them, bot.flows.plain), then links to other features."""
    rows: list[list[InlineKeyboardButton]] = []
    draft = result.draft
    if out.prompt is not None and draft is not None and not plain:
        for row in out.prompt.rows:
            rows.append(
                [
                    InlineKeyboardButton(
                        o.label,
                        callback_data=FlowButton(
                            draft.kind, draft.token, draft.step, o.value
                        ).pack(),
                    )
                    for o in row
                ]
            )
    for link_row in out.links:
        rows.append(
            [InlineKeyboardButton(label, callback_data=data.pack()) for label, data in link_row]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def _button(draft: Draft, value: str) -> str:
    return FlowButton(draft.kind, draft.token, draft.step, value).pack()


async def start(update: Update, context: ChiboContext, kind: str, **args: object) -> None:
    """Begin (or offer to resume) the conversation `kind` in the chat of `update`."""
    if update.callback_query is not None:
        await answer(update.callback_query)
    await deliver(update, context, await engine(context).start(context, kind, **args))


def starter(kind: str) -> Callable[[Update, ChiboContext], Coroutine[Any, Any, None]]:
    """A command (or button) handler that starts the conversation `kind`."""

    async def begin(update: Update, context: ChiboContext) -> None:
        await start(update, context, kind)

    return begin


async def press(update: Update, context: ChiboContext) -> None:
    """A `FlowButton`: applied when it answers the current question of the presser's draft."""
    query = update.callback_query
    button = FlowButton.unpack(query.data)
    flows = engine(context)
    pressed = flows.pressed(context, button) if button is not None else None
    if pressed is None or not _chat_allowed(update, flows, pressed[0].kind):
        await answer(query, await _refusal(update, context, button), alert=True)
        chat = update.effective_chat
        if button is not None and chat is not None and chat.type == ChatType.PRIVATE:
            # Then what to do now: where the conversation stands, or what became of it.
            result = await flows.stale_press(context, button)
            await deliver(update, context, result, keep_pressed=True)
        return
    await answer(query)
    draft, option = pressed
    await deliver(update, context, await flows.press(context, draft, option))


async def typed(update: Update, context: ChiboContext) -> bool:
    """A private message for the speaker's conversation; False when they have none."""
    result = await engine(context).typed(context, answer_of(update.effective_message))
    if result is None:
        return False
    await deliver(update, context, result)
    return True


async def cancel(update: Update, context: ChiboContext) -> None:
    """/cancel."""
    await deliver(update, context, await engine(context).cancel(context))


def answer_of(message: Message) -> Answer:
    if message.photo:
        return Answer(photo=message.photo[-1].file_id)
    if message.location:
        return Answer(location=(message.location.latitude, message.location.longitude))
    if message.voice:
        return Answer(voice=message.voice.file_id)
    if message.text is not None:
        return Answer(text=message.text)
    return Answer(document=True)


async def _refusal(update: Update, context: ChiboContext, button: FlowButton | None) -> str:
    """Why a press is not applied: in a group chat, the question may be someone else's (the
    one query of a refused group press); anything else is an expired button."""
    chat = update.effective_chat
    if button is not None and chat is not None and chat.type != ChatType.PRIVATE:
        async with context.db.session() as session:
            owner = await draft_owner(session=session, token=button.token)
        person = context.identity.person
        if owner is not None and (person is None or owner != person.id):
            return context.t("group.not_your_button")
    return context.t("button.expired")


def _chat_allowed(update: Update, flows: Engine, kind: str) -> bool:
    chat = update.effective_chat
    return flows.flows[kind].in_groups or (chat is not None and chat.type == ChatType.PRIVATE)


async def deliver(
    update: Update, context: ChiboContext, result: Result, *, keep_pressed: bool = False
) -> None:
    """Take the buttons off the question answered, send what the step said, and remember the
    message of the new question (its buttons go when it is answered). `keep_pressed`: the press
    that started the flow was on a message that is no question of it (a problem's card)."""
    chat = update.effective_chat
    if update.callback_query is not None:
        if not keep_pressed:
            await drop_buttons(update.callback_query.message)
    elif result.previous_message is not None:
        await quietly(context.bot.edit_message_reply_markup(chat.id, result.previous_message))
    asked: Message | None = None
    plain = context.messenger == ZALO
    for out in result.outs:
        markup = keyboard(out, result, plain)
        if out.chat_id is not None:
            reply = None
            if out.reply_to is not None:
                reply = ReplyParameters(message_id=out.reply_to, allow_sending_without_reply=True)
            await notify.send_quietly(
                context.bots,
                context.db,
                out.chat_id,
                out.text,
                reply_markup=markup,
                reply_parameters=reply,
            )
            continue
        if out.menu:
            await show_menu(update, context, out.text)
            continue
        if plain and out.prompt is not None:  # already plain text, not HTML
            message = await chat.send_message(
                render_plain(out, context.lang), reply_markup=markup, parse_mode=None
            )
        else:
            message = await chat.send_message(out.text, reply_markup=markup)
        if out.prompt is not None and markup is not None:
            asked = message
    draft = result.draft
    if asked is not None and draft is not None and draft.id is not None:
        async with context.db.session() as session:
            await set_message(
                session=session, draft_id=draft.id, token=draft.token, message_id=asked.message_id
            )

"""Following problems up: the supervisors' list (/problems) and actions, the reporter's list
(/myproblems) and "chưa giải quyết". The notes those actions ask for are the flow
bot.flows.problem_note; checking and applying an action is bot.usecases.problems.

Action buttons carry the problem's state version: pressed after someone else changed the
problem, they are refused and the card is shown afresh. A press is answered before the action
is applied; a problem that does not exist or is another subtree's is answered as not found.
"""

from __future__ import annotations

from telegram import InputMediaPhoto, Update

from bot.access import Action, scope
from bot.clock import now
from bot.context import ChiboContext
from bot.flows import problem_note
from bot.flows import telegram as flows_telegram
from bot.handlers.problem_common import actor, drop_pending_note, send_notices
from bot.payloads import (
    FilterCategory,
    FilterStatus,
    MyProblems,
    ProblemAction,
    ProblemList,
    ProblemMedia,
    ProblemView,
    Reopen,
)
from bot.render import problems as render
from bot.replies import answer, edit
from bot.rules import problems as rules
from bot.usecases.problems import (
    Outcome,
    check_action,
    communes_for,
    speaker_buttons,
    take_action,
    visible_card,
)
from storage.queries.problems import list_problems, reporter_problems

PAGE_SIZE = 8
FILTERS = (FilterStatus, FilterCategory)  # the buttons of `filter_press`


# --- lists ---------------------------------------------------------------------------------


async def list_command(update: Update, context: ChiboContext) -> None:
    """/problems: the open problems of the speaker's subtree (own cell for cell roles)."""
    await drop_pending_note(context)
    if not scope(context.identity.roles, Action.PROBLEM_VIEW):
        await update.effective_message.reply_text(context.t("problem.not_allowed_view"))
        return
    text, markup = await _list(context, "open", render.ANY_CATEGORY, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def list_press(update: Update, context: ChiboContext) -> None:
    """`ProblemList`: a status, a category, a page."""
    query = update.callback_query
    button = ProblemList.unpack(query.data)
    if not scope(context.identity.roles, Action.PROBLEM_VIEW):
        await answer(query, context.t("problem.expired"), alert=True)
        return
    await answer(query)
    category = button.category or render.ANY_CATEGORY
    text, markup = await _list(context, button.status, category, button.page)
    await edit(query, text, markup)


async def filter_press(update: Update, context: ChiboContext) -> None:
    """Choose a status (keeping the category) or a category (keeping the status)."""
    query = update.callback_query
    by_status = FilterStatus.unpack(query.data)
    await answer(query)
    if by_status is not None:
        text, markup = render.status_filters(
            context.lang, by_status.category or render.ANY_CATEGORY
        )
    else:
        text, markup = render.category_filters(
            context.lang, FilterCategory.unpack(query.data).status
        )
    await edit(query, text, markup)


async def _list(context: ChiboContext, status: str, category: str, page: int) -> render.Prompt:
    roots = scope(context.identity.roles, Action.PROBLEM_VIEW)
    wanted = None if category == render.ANY_CATEGORY else category
    async with context.db.session() as session:
        rows, total = await list_problems(
            session=session,
            roots=roots,
            statuses=render.STATUS_FILTERS[status],
            category=wanted,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        if not rows and page > 0 and total:  # the list shrank since: show its last page
            page = (total - 1) // PAGE_SIZE
            rows, total = await list_problems(
                session=session,
                roots=roots,
                statuses=render.STATUS_FILTERS[status],
                category=wanted,
                offset=page * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        communes = await communes_for(session, [unit for _, unit in rows], roots)
    return render.problem_list(
        context.lang,
        rows,
        total,
        page,
        PAGE_SIZE,
        status,
        category,
        now(context),
        context.settings.tz,
        communes,
    )


async def my_command(update: Update, context: ChiboContext) -> None:
    """/myproblems: the problems the speaker raised, newest first, with their status."""
    await drop_pending_note(context)
    text, markup = await _mine(context, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def my_press(update: Update, context: ChiboContext) -> None:
    """`MyProblems`: a page of the speaker's own problems (nobody else's can be asked for)."""
    query = update.callback_query
    await answer(query)
    text, markup = await _mine(context, MyProblems.unpack(query.data).page)
    await edit(query, text, markup)


async def _mine(context: ChiboContext, page: int) -> render.Prompt:
    async with context.db.session() as session:
        problems, total = await reporter_problems(
            session=session,
            person_id=context.identity.person.id,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    return render.my_problems(
        context.lang, problems, total, page, PAGE_SIZE, now(context), context.settings.tz
    )


# --- one problem ---------------------------------------------------------------------------


def _card_message(context: ChiboContext, card: render.Card, header: str = "") -> render.Prompt:
    """The card as this speaker sees it: action buttons if they handle it, "not resolved" if
    they raised it and may still reopen it."""
    moment, settings = now(context), context.settings
    actions, reopen = speaker_buttons(actor(context), card, moment, settings.problem_reopen_days)
    return (
        render.card_text(context.lang, card, moment, settings.tz, header),
        render.card_keyboard(context.lang, card, actions, reopen),
    )


async def view_press(update: Update, context: ChiboContext) -> None:
    """`ProblemView`: the card, as a new message."""
    query = update.callback_query
    problem_id = ProblemView.unpack(query.data).problem_id
    card = await visible_card(context.db, actor(context), problem_id)
    if card is None:
        await answer(query, context.t("problem.refused.missing"), alert=True)
        return
    await answer(query)
    text, markup = _card_message(context, card)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def media_press(update: Update, context: ChiboContext) -> None:
    """Send a problem's photos and location (not pushed with notifications: weak signal)."""
    query = update.callback_query
    problem_id = ProblemMedia.unpack(query.data).problem_id
    card = await visible_card(context.db, actor(context), problem_id)
    if card is None:
        await answer(query, context.t("problem.refused.missing"), alert=True)
        return
    await answer(query)
    problem, chat_id = card.problem, update.effective_chat.id
    for start in range(0, len(problem.photos), 10):  # an album holds at most ten
        chunk = problem.photos[start : start + 10]
        if len(chunk) == 1:
            await context.bot.send_photo(chat_id, context.photo(chunk[0]), caption=f"#{problem.id}")
        else:
            album = [InputMediaPhoto(context.photo(ref)) for ref in chunk]
            await context.bot.send_media_group(chat_id, album)
    if problem.latitude is not None:
        await context.bot.send_location(chat_id, problem.latitude, problem.longitude)


# --- actions -------------------------------------------------------------------------------


async def handle_press(update: Update, context: ChiboContext) -> None:
    """`ProblemAction`: checked (read only) and answered, then applied; or the note it needs
    asked for (the flow bot.flows.problem_note)."""
    button = ProblemAction.unpack(update.callback_query.data)
    await _act(update, context, button.problem_id, button.action, button.version)


async def reopen_press(update: Update, context: ChiboContext) -> None:
    """`Reopen`: the reporter says the problem is not resolved; ask why."""
    button = Reopen.unpack(update.callback_query.data)
    await _act(update, context, button.problem_id, rules.REOPEN, button.version)


async def _act(
    update: Update, context: ChiboContext, problem_id: int, action: str, version: int
) -> None:
    query, days = update.callback_query, context.settings.problem_reopen_days
    who = actor(context)
    checked = await check_action(context.db, who, problem_id, action, version, now(context), days)
    if checked.refusal is not None:
        await _refuse_press(update, context, checked, problem_id)
        return
    if rules.needs_note(action) or action == rules.MARK_DUPLICATE:
        await answer(query)
        result = await flows_telegram.engine(context).start(
            context,
            problem_note.KIND,
            problem_id=problem_id,
            action=action,
            version=version,
            title=checked.card.problem.title,
        )
        await flows_telegram.deliver(update, context, result, keep_pressed=True)
        return
    await answer(query, context.t("problem.done_toast"))
    outcome = await take_action(
        context.db,
        who,
        problem_id,
        action,
        version,
        now(context),
        days,
        due_days=context.settings.problem_due_map,
    )
    if outcome.refusal is not None:  # changed between the check and the lock
        await update.effective_message.reply_text(
            render.refusal_text(context.lang, outcome.refusal, problem_id, days)
        )
        if outcome.card is not None:
            await edit(query, *_card_message(context, outcome.card))
        return
    await edit(query, *_card_message(context, outcome.card))
    speaker = context.identity.person
    notices = render.action_notices(
        outcome.card,
        action,
        None,
        outcome.recipients,
        outcome.groups,
        outcome.from_unit,
        speaker_id=speaker.id,
        default_language=context.settings.default_language,
        reopen_days=days,
        now=now(context),
        tz=context.settings.tz,
    )
    await send_notices(context, notices)


async def _refuse_press(
    update: Update, context: ChiboContext, outcome: Outcome, problem_id: int
) -> None:
    """Refuse politely; when the problem changed meanwhile, show it as it is now."""
    query, days = update.callback_query, context.settings.problem_reopen_days
    text = render.refusal_text(context.lang, outcome.refusal, problem_id, days)
    await answer(query, text, alert=True)
    if outcome.card is not None:
        await edit(query, *_card_message(context, outcome.card))

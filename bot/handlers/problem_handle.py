"""Following problems up: the supervisors' list (/problems) and actions, the reporter's list
(/myproblems) and "chưa giải quyết", and the notes those actions ask for.

Action buttons carry the problem's state version: pressed after someone else changed the
problem, they are refused and the card is shown afresh. A note being typed lives in a draft
(kind "problem_note"), so it survives a restart; the action is applied when the note arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InputMediaPhoto, Update

from bot.access import Action, can, scope
from bot.clock import now
from bot.context import ChiboContext
from bot.handlers.problem_common import (
    NOTE_KIND,
    drop_pending_note,
    edit_quietly,
    load_card,
    notify_handlers,
    notify_reporter,
    own_draft,
)
from bot.render import problems as render
from bot.rules import problems as rules
from storage.models import Draft, GroupLink, Person, Problem
from storage.queries.drafts import delete_draft, get_draft, start_draft
from storage.queries.groups import groups_of_unit
from storage.queries.problems import (
    change_status,
    list_problems,
    nearest_supervised_ancestor,
    problem_by_id,
    reporter_problems,
    state_version,
    supervisors_of,
)
from storage.queries.units import unit_by_id

PAGE_SIZE = 8
# Refusals after which the person may simply type another ticket number.
RETRY_TICKET = frozenset({"dup_missing", "dup_itself", "dup_chain"})


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
    query = update.callback_query
    status, category, page = [*query.data.removeprefix(render.LIST).split(":"), "", ""][:3]
    valid = (
        status in render.STATUS_FILTERS
        and (category == render.ANY_CATEGORY or category in rules.CATEGORIES)
        and page.isdigit()
    )
    if not valid or not scope(context.identity.roles, Action.PROBLEM_VIEW):
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    text, markup = await _list(context, status, category, int(page))
    await query.answer()
    await edit_quietly(query, text, markup)


async def filter_press(update: Update, context: ChiboContext) -> None:
    """Choose a status (keeping the category) or a category (keeping the status)."""
    query = update.callback_query
    which, _, other = query.data.removeprefix(render.FILTER).partition(":")
    if which == "s" and (other == render.ANY_CATEGORY or other in rules.CATEGORIES):
        text, markup = render.status_filters(context.lang, other)
    elif which == "c" and other in render.STATUS_FILTERS:
        text, markup = render.category_filters(context.lang, other)
    else:
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    await query.answer()
    await edit_quietly(query, text, markup)


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
    )


async def my_command(update: Update, context: ChiboContext) -> None:
    """/myproblems: the problems the speaker raised, newest first, with their status."""
    await drop_pending_note(context)
    text, markup = await _mine(context, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def my_press(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    page = query.data.removeprefix(render.MINE)
    if not page.isdigit():
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    text, markup = await _mine(context, int(page))
    await query.answer()
    await edit_quietly(query, text, markup)


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


def _may_view(context: ChiboContext, card: render.Card) -> bool:
    person = context.identity.person
    return can(context.identity.roles, Action.PROBLEM_VIEW, card.unit) or (
        person is not None and card.problem.reporter_id == person.id
    )


def _card_message(context: ChiboContext, card: render.Card, header: str = "") -> render.Prompt:
    """The card as this speaker sees it: action buttons if they handle it, "not resolved" if
    they raised it and may still reopen it."""
    moment, settings, problem = now(context), context.settings, card.problem
    actions: tuple[str, ...] = ()
    if can(context.identity.roles, Action.PROBLEM_HANDLE, card.handling_unit):
        actions = rules.allowed_actions(problem.status)
    person = context.identity.person
    reopen = problem.reporter_id == person.id and rules.can_reopen(
        problem.status,
        resolved_at=problem.resolved_at,
        now=moment,
        reopen_days=settings.problem_reopen_days,
    )
    return (
        render.card_text(context.lang, card, moment, settings.tz, header),
        render.card_keyboard(context.lang, card, actions, reopen),
    )


async def _visible_card(context: ChiboContext, problem_id: str) -> render.Card | None:
    if not problem_id.isdigit():
        return None
    async with context.db.session() as session:
        problem = await problem_by_id(session=session, problem_id=int(problem_id))
        card = await load_card(session, problem) if problem else None
    return card if card is not None and _may_view(context, card) else None


async def view_press(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    card = await _visible_card(context, query.data.removeprefix(render.VIEW))
    if card is None:
        await query.answer(context.t("problem.refused.missing"), show_alert=True)
        return
    await query.answer()
    text, markup = _card_message(context, card)
    await query.message.reply_text(text, reply_markup=markup)


async def media_press(update: Update, context: ChiboContext) -> None:
    """Send a problem's photos and location (not pushed with notifications: weak signal)."""
    query = update.callback_query
    card = await _visible_card(context, query.data.removeprefix(render.MEDIA))
    if card is None:
        await query.answer(context.t("problem.refused.missing"), show_alert=True)
        return
    await query.answer()
    problem, chat_id = card.problem, query.message.chat_id
    for start in range(0, len(problem.photos), 10):  # an album holds at most ten
        chunk = problem.photos[start : start + 10]
        if len(chunk) == 1:
            await context.bot.send_photo(chat_id, chunk[0], caption=f"#{problem.id}")
        else:
            await context.bot.send_media_group(chat_id, [InputMediaPhoto(f) for f in chunk])
    if problem.latitude is not None:
        await context.bot.send_location(chat_id, problem.latitude, problem.longitude)


# --- actions -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What applying an action led to: a refusal (a message id suffix), or the changed problem
    with the people to tell."""

    refusal: str | None = None
    card: render.Card | None = None
    recipients: list[Person] = field(default_factory=list)
    groups: list[GroupLink] = field(default_factory=list)
    from_unit: str = ""


async def _refusal(
    session: AsyncSession,
    context: ChiboContext,
    problem: Problem | None,
    action: str,
    version: int,
    moment: datetime,
) -> str | None:
    """Why the speaker may not take `action` on the problem as they saw it (`version`) now."""
    if problem is None:
        return "missing"
    roles, person = context.identity.roles, context.identity.person
    unit = await unit_by_id(session=session, unit_id=problem.unit_id)
    handling = await unit_by_id(session=session, unit_id=problem.handling_unit_id)
    if action == rules.REOPEN:
        if problem.reporter_id != person.id:
            return "missing"
    elif not can(roles, Action.PROBLEM_VIEW, unit):
        return "missing"
    elif not can(roles, Action.PROBLEM_HANDLE, handling):
        return "not_allowed"
    if await state_version(session=session, problem_id=problem.id) != version:
        return "stale"
    if action == rules.FORWARD and not await nearest_supervised_ancestor(
        session=session, unit=handling
    ):
        return "no_upper"  # said before the note is asked for
    try:
        rules.transition(
            problem.status,
            action,
            now=moment,
            resolved_at=problem.resolved_at,
            reopen_days=context.settings.problem_reopen_days,
        )
    except rules.Refused as refused:
        return refused.reason
    return None


async def apply_action(
    context: ChiboContext,
    problem_id: int,
    action: str,
    version: int,
    note: str | None = None,
    ticket: int | None = None,
) -> Outcome:
    """Check and apply one action in one transaction (the problem's row locked); the note
    draft, if any, goes with it."""
    moment, person = now(context), context.identity.person
    async with context.db.session() as session:
        problem = await problem_by_id(session=session, problem_id=problem_id, for_update=True)
        refusal = await _refusal(session, context, problem, action, version, moment)
        if refusal is not None:
            card = await load_card(session, problem) if refusal == "stale" else None
            return Outcome(refusal=refusal, card=card)
        extra: dict[str, Any] = {}
        handling = await unit_by_id(session=session, unit_id=problem.handling_unit_id)
        if action == rules.FORWARD:
            upper = await nearest_supervised_ancestor(session=session, unit=handling)
            if upper is None:
                return Outcome(refusal="no_upper")
            extra["handling_unit_id"] = upper.id
            # the new level gets its own time, not what is left of the lower level's
            extra["due_at"] = rules.due_at(
                moment, problem.category, context.settings.problem_due_map
            )
        if action == rules.MARK_DUPLICATE:
            refusal = await _duplicate_refusal(session, context, problem, ticket)
            if refusal is not None:
                return Outcome(refusal=refusal)
            extra["duplicate_of_id"] = ticket
        change = rules.transition(
            problem.status,
            action,
            now=moment,
            resolved_at=problem.resolved_at,
            reopen_days=context.settings.problem_reopen_days,
        )
        await change_status(
            session=session,
            problem=problem,
            change=change,
            person_id=person.id,
            now=moment,
            note=note,
            **extra,
        )
        pending = await get_draft(session=session, person_id=person.id, kind=NOTE_KIND)
        if pending is not None and (note is not None or ticket is not None):  # its answer
            await delete_draft(session=session, draft=pending)
        outcome = Outcome(card=await load_card(session, problem), from_unit=handling.name)
        if action in (rules.FORWARD, rules.REOPEN):
            unit_id = problem.handling_unit_id
            outcome.recipients = await supervisors_of(session=session, unit_id=unit_id)
            if action == rules.FORWARD:
                outcome.groups = await groups_of_unit(session=session, unit_id=unit_id)
    return outcome


async def _duplicate_refusal(
    session: AsyncSession, context: ChiboContext, problem: Problem, ticket: int | None
) -> str | None:
    target = await problem_by_id(session=session, problem_id=ticket) if ticket else None
    target_unit = await unit_by_id(session=session, unit_id=target.unit_id) if target else None
    visible = target_unit is not None and can(
        context.identity.roles, Action.PROBLEM_VIEW, target_unit
    )
    reason = rules.duplicate_refusal(problem.id, ticket or 0, target.status if visible else None)
    return f"dup_{reason}" if reason else None


async def _announce(
    update: Update, context: ChiboContext, outcome: Outcome, action: str, note: str | None
) -> None:
    """After a change is committed: tell the reporter, and the new or old handlers."""
    card = outcome.card
    if action == rules.REOPEN:
        await notify_handlers(
            context, card, outcome.recipients, [], "reopen", id=card.problem.id, note=note or ""
        )
        return
    await notify_reporter(context, card, action, note)
    if action == rules.FORWARD:
        await notify_handlers(
            context,
            card,
            outcome.recipients,
            outcome.groups,
            "forwarded",
            id=card.problem.id,
            unit=outcome.from_unit,
            note=note or "",
        )


def _refusal_text(context: ChiboContext, refusal: str, problem_id: int) -> str:
    if refusal == "unknown":
        return context.t("problem.expired")
    return context.t(
        f"problem.refused.{refusal}", id=problem_id, days=context.settings.problem_reopen_days
    )


async def handle_press(update: Update, context: ChiboContext) -> None:
    """ph:<id>:<version>:<action>: apply at once, or ask for the note the action needs."""
    query = update.callback_query
    parts = query.data.removeprefix(render.HANDLE).split(":")
    action = render.ACTIONS_BY_CODE.get(parts[-1]) if len(parts) == 3 else None
    if action is None or not (parts[0].isdigit() and parts[1].isdigit()):
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    problem_id, version = int(parts[0]), int(parts[1])
    if rules.needs_note(action) or action == rules.MARK_DUPLICATE:
        await _ask_note(update, context, problem_id, action, version)
        return
    outcome = await apply_action(context, problem_id, action, version)
    if outcome.refusal is not None:
        await _refuse_press(update, context, outcome, problem_id)
        return
    await query.answer(context.t("problem.done_toast"))
    text, markup = _card_message(context, outcome.card)
    await edit_quietly(query, text, markup)
    await _announce(update, context, outcome, action, None)


async def _refuse_press(
    update: Update, context: ChiboContext, outcome: Outcome, problem_id: int
) -> None:
    """Refuse politely; when the problem changed meanwhile, show it as it is now."""
    query = update.callback_query
    await query.answer(_refusal_text(context, outcome.refusal, problem_id), show_alert=True)
    if outcome.card is not None:
        text, markup = _card_message(context, outcome.card)
        await edit_quietly(query, text, markup)


async def reopen_press(update: Update, context: ChiboContext) -> None:
    """pr:<id>:<version>: the reporter says the problem is not resolved; ask why."""
    query = update.callback_query
    problem_id, _, version = query.data.removeprefix(render.REOPEN).partition(":")
    if not (problem_id.isdigit() and version.isdigit()):
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    await _ask_note(update, context, int(problem_id), rules.REOPEN, int(version))


async def _ask_note(
    update: Update, context: ChiboContext, problem_id: int, action: str, version: int
) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        problem = await problem_by_id(session=session, problem_id=problem_id)
        refusal = await _refusal(session, context, problem, action, version, now(context))
        card = await load_card(session, problem) if refusal == "stale" else None
        if refusal is None:
            draft = await start_draft(
                session=session,
                person_id=context.identity.person.id,
                kind=NOTE_KIND,
                step="ticket" if action == rules.MARK_DUPLICATE else "note",
                now=now(context),
                data={"problem_id": problem_id, "action": action, "version": version},
            )
    if refusal is not None:
        await _refuse_press(update, context, Outcome(refusal=refusal, card=card), problem_id)
        return
    await query.answer()
    text, markup = render.ask_note(context.lang, action, problem, draft.token)
    await query.message.reply_text(text, reply_markup=markup)


async def note_cancel(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    token = query.data.removeprefix(render.NOTE).partition(":")[0]
    async with context.db.session() as session:
        draft = await own_draft(session, context, NOTE_KIND)
        mine = draft is not None and draft.token == token
        if mine:
            await delete_draft(session=session, draft=draft)
    if not mine:
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(context.t("problem.note.cancelled"))


async def on_note(update: Update, context: ChiboContext) -> None:
    """The typed note (or ticket number) an action asked for: apply the action with it."""
    message = update.effective_message
    async with context.db.session() as session:
        draft = await own_draft(session, context, NOTE_KIND)
    if draft is None:  # asked too long ago: not applied
        await message.reply_text(context.t("problem.note.expired"))
        return
    note, ticket = None, None
    if draft.step == "ticket":
        ticket = rules.parse_ticket(message.text)
        if ticket is None:
            await message.reply_text(context.t("problem.bad_ticket"))
            return
    else:
        note = rules.clean_text(message.text, low=2, high=rules.NOTE_MAX)
        if note is None:
            await message.reply_text(context.t("problem.bad_note", high=rules.NOTE_MAX))
            return
    data = draft.data
    action, problem_id = data["action"], data["problem_id"]
    outcome = await apply_action(context, problem_id, action, data["version"], note, ticket)
    if outcome.refusal in RETRY_TICKET:
        await message.reply_text(_refusal_text(context, outcome.refusal, ticket))
        return
    if outcome.refusal is not None:
        await drop_pending_note(context)
        await message.reply_text(_refusal_text(context, outcome.refusal, problem_id))
        if outcome.card is not None:
            text, markup = _card_message(context, outcome.card)
            await message.reply_text(text, reply_markup=markup)
        return
    done = context.t(f"problem.done.{action}", id=problem_id)
    text, markup = _card_message(context, outcome.card, header=done)
    await message.reply_text(text, reply_markup=markup)
    await _announce(update, context, outcome, action, note)


# --- for bot.drafts ---------------------------------------------------------------------------


async def reprompt_note(update: Update, context: ChiboContext, draft: Draft) -> None:
    """After "keep going" on /cancel: ask for the note again."""
    async with context.db.session() as session:
        problem = await problem_by_id(session=session, problem_id=draft.data["problem_id"])
    text, markup = render.ask_note(context.lang, draft.data["action"], problem, draft.token)
    await update.effective_message.reply_text(text, reply_markup=markup)


def describe_note(context: ChiboContext, draft: Draft) -> str:
    return context.t("problem.describe_note", id=draft.data["problem_id"])

"""Raising a problem (/problem): a conversation kept in a draft, so that it survives a restart.

Steps (rules.problems.RAISE_STEPS): the cell (when the person has several) → category → title →
description → raised by → urgency → photos and location → link to this month's report (when
the cell has one) → "Có phải cùng vấn đề?" (when the cell has open problems of that category:
add to one of them instead) → review → send. Buttons carry the draft's token and belong to one
step: a button of an earlier step or an earlier draft is answered "hết hạn" and not applied.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update

from bot.access import Action, can
from bot.clock import now
from bot.context import ChiboContext
from bot.handlers.problem_common import (
    RAISE_KIND,
    drop_pending_note,
    load_card,
    notify_first_reporter,
    notify_handlers,
    own_draft,
    update_draft,
)
from bot.render import problems as render
from bot.rules import problems as rules
from bot.rules.org import CELL
from bot.rules.periods import Period, open_periods
from storage.models import Draft, MeetingReport, Problem, Unit
from storage.queries.drafts import delete_draft, start_draft
from storage.queries.groups import groups_of_unit
from storage.queries.problems import (
    add_supplement,
    create_problem,
    linkable_report,
    nearest_supervised_ancestor,
    problem_by_id,
    similar_open_problems,
    supervisors_of,
)
from storage.queries.units import unit_by_id

# The step each button belongs to; cancel ("x") belongs to every step.
BUTTON_STEPS = {
    "u": "unit",
    "c": "category",
    "b": "raised_by",
    "g": "urgency",
    "m": "media",
    "r": "report",
    "a": "similar",
    "n": "similar",
    "s": "review",
}
TYPED_STEPS = {
    "title": (rules.TITLE_MIN, rules.TITLE_MAX),
    "description": (3, rules.DESCRIPTION_MAX),
}


def raisable_units(context: ChiboContext) -> list[Unit]:
    """The cells the speaker may raise problems for, in the order of their roles."""
    roles = context.identity.roles
    units: dict[int, Unit] = {}
    for _, unit in roles:
        if unit.kind == CELL and can(roles, Action.PROBLEM_RAISE, unit):
            units.setdefault(unit.id, unit)
    return list(units.values())


async def start(update: Update, context: ChiboContext) -> None:
    message = update.effective_message
    units = raisable_units(context)
    if not units:
        await message.reply_text(context.t("problem.not_allowed"))
        return
    await drop_pending_note(context)
    one = units[0] if len(units) == 1 else None
    async with context.db.session() as session:
        draft = await start_draft(
            session=session,
            person_id=context.identity.person.id,
            kind=RAISE_KIND,
            step="category" if one else "unit",
            unit_id=one.id if one else None,
            now=now(context),
        )
        text, markup = await _prompt(session, context, draft)
    await message.reply_text(text, reply_markup=markup)


async def press(update: Update, context: ChiboContext) -> None:
    query = update.callback_query
    _, token, what, value = [*query.data.split(":", 3), "", ""][:4]
    if what == "s":
        await _send(update, context, token)
        return
    if what == "a":
        await _supplement(update, context, token, value)
        return
    prompt = None
    async with context.db.session() as session:
        draft = await _pressed_draft(session, context, token, what)
        if draft is not None and what == "x":
            await delete_draft(session=session, draft=draft)
        elif draft is not None and await _choose(session, context, draft, what, value):
            prompt = await _prompt(session, context, draft)
    if draft is None or (what != "x" and prompt is None):
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    await query.answer()
    if what == "x":
        await query.edit_message_text(context.t("problem.cancelled"))
        return
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(prompt[0], reply_markup=prompt[1])


async def on_input(update: Update, context: ChiboContext) -> None:
    """Typed text, a photo or a location while raising a problem: a typed answer moves on; a
    wrong kind of answer gets a hint; either way the (next) question follows."""
    message = update.effective_message
    async with context.db.session() as session:
        draft = await own_draft(session, context, RAISE_KIND)
        if draft is not None:
            if message.photo or message.location:
                hint = await _add_media(session, context, draft, message)
            else:
                hint = await _take_text(session, context, draft, message.text)
            text, markup = await _prompt(session, context, draft)
    if draft is None:  # dropped since the router looked: too old
        await message.reply_text(context.t("problem.expired"))
        return
    if draft.step == "media" and hint:  # the hint and the "Continue" button in one message
        text, hint = hint + "\n" + context.t("problem.media.more"), None
    if hint:
        await message.reply_text(hint)
    await message.reply_text(text, reply_markup=markup)


async def _take_text(
    session: AsyncSession, context: ChiboContext, draft: Draft, text: str | None
) -> str | None:
    """Store a typed title or description and move on; else the hint to give."""
    bounds = TYPED_STEPS.get(draft.step)
    if bounds is None:
        return context.t("problem.use_buttons" if draft.step != "media" else "problem.media.hint")
    if text is None:
        return context.t("problem.type_text")
    cleaned = rules.clean_text(text, low=bounds[0], high=bounds[1])
    if cleaned is None:
        return context.t(f"problem.bad_{draft.step}", low=bounds[0], high=bounds[1])
    await _advance(session, context, draft, **{draft.step: cleaned})
    return None


async def _add_media(
    session: AsyncSession, context: ChiboContext, draft: Draft, message: Message
) -> str:
    """Photos and a location are welcome at any step; returns what has been received."""
    photos = list(draft.data.get("photos", []))
    if message.photo and len(photos) >= rules.MAX_PHOTOS:
        return context.t("problem.too_many_photos", count=rules.MAX_PHOTOS)
    if message.photo:
        photos.append(message.photo[-1].file_id)
        await update_draft(session, context, draft, photos=photos)
    else:
        location = [message.location.latitude, message.location.longitude]
        await update_draft(session, context, draft, location=location)
    return render.media_received(context.lang, len(photos), "location" in draft.data)


async def _pressed_draft(
    session: AsyncSession, context: ChiboContext, token: str, what: str
) -> Draft | None:
    """The draft a button belongs to, or None when the button is stale (or forged)."""
    draft = await own_draft(session, context, RAISE_KIND)
    if draft is None or draft.token != token:
        return None
    if what != "x" and BUTTON_STEPS.get(what) != draft.step:
        return None
    return draft


async def _choose(
    session: AsyncSession, context: ChiboContext, draft: Draft, what: str, value: str
) -> bool:
    """Apply a button's choice and move on; False when the value is not one offered."""
    if what == "u":
        unit = next((u for u in raisable_units(context) if str(u.id) == value), None)
        if unit is None:
            return False
        draft.unit_id = unit.id
        await _advance(session, context, draft)
    elif what in ("c", "b", "g"):
        field, allowed = {
            "c": ("category", rules.CATEGORIES),
            "b": ("raised_by", rules.RAISED_BY),
            "g": ("urgency", rules.URGENCIES),
        }[what]
        if value not in allowed:
            return False
        await _advance(session, context, draft, **{field: value})
    elif what == "r":
        if value not in ("0", str(draft.data.get("offer_report"))):
            return False
        await _advance(session, context, draft, report_id=int(value) or None)
    else:  # "m" (photos done) and "n" (send as a new problem) just move on
        await _advance(session, context, draft)
    return True


async def _advance(
    session: AsyncSession, context: ChiboContext, draft: Draft, **data: object
) -> None:
    """Save `data` and go to the next step, looking up what the optional steps would offer."""
    report = similar = None
    if draft.step == "media":
        report = await _offerable_report(session, context, draft)
        if report is not None:
            data["offer_report"] = report.id
    if draft.step in ("media", "report"):
        similar = await similar_open_problems(
            session=session, unit_id=draft.unit_id, category=draft.data["category"]
        )
    step = rules.next_raise_step(draft.step, has_report=bool(report), has_similar=bool(similar))
    await update_draft(session, context, draft, step, **data)


async def _offerable_report(
    session: AsyncSession, context: ChiboContext, draft: Draft
) -> MeetingReport | None:
    """The cell's report of a month it may still report on, to link the problem to."""
    settings = context.settings
    periods = open_periods(now(context), settings.report_deadline_day, settings.tz)
    return await linkable_report(
        session=session, unit_id=draft.unit_id, periods=[str(p) for p in periods]
    )


async def _prompt(session: AsyncSession, context: ChiboContext, draft: Draft) -> render.Prompt:
    """The question of the draft's current step, with its buttons."""
    lang, token, data = context.lang, draft.token, draft.data
    match draft.step:
        case "unit":
            return render.ask_unit(lang, token, raisable_units(context))
        case "category":
            return render.ask_category(lang, token)
        case "title":
            return render.ask_title(lang, token)
        case "description":
            return render.ask_description(lang, token)
        case "raised_by":
            return render.ask_raised_by(lang, token)
        case "urgency":
            return render.ask_urgency(lang, token)
        case "media":
            photos = len(data.get("photos", []))
            return render.ask_media(lang, token, photos, "location" in data)
        case "report":
            report = await session.get(MeetingReport, data["offer_report"])
            return render.ask_report(lang, token, report.id, Period.parse(report.period).label)
        case "similar":
            similar = await similar_open_problems(
                session=session, unit_id=draft.unit_id, category=data["category"]
            )
            return render.ask_similar(lang, token, data["category"], similar, context.settings.tz)
        case _:
            unit = await unit_by_id(session=session, unit_id=draft.unit_id)
            report = (
                await session.get(MeetingReport, data["report_id"])
                if data.get("report_id")
                else None
            )
            label = Period.parse(report.period).label if report else None
            return render.review(lang, token, data, unit.name, label)


async def _send(update: Update, context: ChiboContext, token: str) -> None:
    """Store the problem (committed before the confirmation), then route it to its handlers."""
    query = update.callback_query
    async with context.db.session() as session:
        draft = await _pressed_draft(session, context, token, "s")
        unit = await unit_by_id(session=session, unit_id=draft.unit_id) if draft else None
        allowed = unit is not None and can(context.identity.roles, Action.PROBLEM_RAISE, unit)
        if allowed:
            handling = await _handling_unit(session, unit)
            problem = await create_problem(
                session=session,
                problem=_new_problem(context, draft, handling, query.message, now(context)),
            )
            await delete_draft(session=session, draft=draft)
            card = await load_card(session, problem)
            recipients = await supervisors_of(session=session, unit_id=handling.id)
            groups = await groups_of_unit(session=session, unit_id=handling.id)
    if draft is None or not allowed:
        key = "problem.expired" if draft is None else "problem.not_allowed"
        await query.answer(context.t(key), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(render.sent(context.lang, problem, handling, context.settings.tz))
    kind = "urgent" if problem.urgency == rules.URGENT else "new"
    await notify_handlers(context, card, recipients, groups, kind, unit=unit.name)


async def _handling_unit(session: AsyncSession, unit: Unit) -> Unit:
    """The nearest ancestor with supervisors; failing that the parent (someone may be appointed
    there later), or the cell itself at the top of a tree."""
    supervised = await nearest_supervised_ancestor(session=session, unit=unit)
    if supervised is not None:
        return supervised
    parent = await unit_by_id(session=session, unit_id=unit.parent_id) if unit.parent_id else None
    return parent or unit


def _new_problem(
    context: ChiboContext, draft: Draft, handling: Unit, message: Message, moment: datetime
) -> Problem:
    data = draft.data
    location = data.get("location") or [None, None]
    return Problem(
        unit_id=draft.unit_id,
        handling_unit_id=handling.id,
        category=data["category"],
        title=data["title"],
        description=data["description"],
        raised_by=data["raised_by"],
        urgency=data["urgency"],
        photos=list(data.get("photos", [])),
        latitude=location[0],
        longitude=location[1],
        reporter_id=context.identity.person.id,
        reporter_chat_id=message.chat_id,
        # the review message becomes the confirmation: updates reply to it
        reporter_message_id=message.message_id,
        report_id=data.get("report_id"),
        due_at=rules.due_at(moment, data["category"], context.settings.problem_due_map),
        created_at=moment,
        updated_at=moment,
    )


async def _supplement(update: Update, context: ChiboContext, token: str, value: str) -> None:
    """Add the draft's text, photos and location to an open problem of the same cell."""
    query = update.callback_query
    async with context.db.session() as session:
        draft = await _pressed_draft(session, context, token, "a")
        target = None
        if draft is not None and value.isdigit():
            target = await problem_by_id(session=session, problem_id=int(value), for_update=True)
        unit = await unit_by_id(session=session, unit_id=draft.unit_id) if draft else None
        usable = (
            target is not None
            and target.unit_id == draft.unit_id
            and rules.is_open(target.status)
            and can(context.identity.roles, Action.PROBLEM_RAISE, unit)
        )
        if usable:
            data = draft.data
            await add_supplement(
                session=session,
                problem=target,
                person_id=context.identity.person.id,
                note=f"{data['title']}\n{data['description']}",
                photos=list(data.get("photos", [])),
                location=tuple(data["location"]) if "location" in data else None,
                now=now(context),
            )
            await delete_draft(session=session, draft=draft)
            card = await load_card(session, target)
            recipients = await supervisors_of(session=session, unit_id=target.handling_unit_id)
    if draft is None:
        await query.answer(context.t("problem.expired"), show_alert=True)
        return
    if not usable:
        await query.answer(context.t("problem.similar.gone"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(context.t("problem.supplemented", id=target.id))
    await notify_handlers(context, card, recipients, [], "supplement", id=target.id)
    await notify_first_reporter(context, card)


# --- for bot.drafts ---------------------------------------------------------------------------


async def reprompt(update: Update, context: ChiboContext, draft: Draft) -> None:
    """After "keep going" on /cancel: ask the current step again."""
    async with context.db.session() as session:
        text, markup = await _prompt(session, context, draft)
    await update.effective_message.reply_text(text, reply_markup=markup)


def describe(context: ChiboContext, draft: Draft) -> str:
    return context.t("problem.describe")

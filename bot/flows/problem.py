"""/problem: a cell raises a problem (khó khăn, vướng mắc, kiến nghị).

Steps (rules.problems.RAISE_STEPS): the cell (only when the person may raise for several) →
category → place (typed, or a location shared) → title → "Có phải cùng vấn đề?" (when the cell
has an open problem that may be this one, rules.problems.is_similar: adding to it ends here) →
description → raised by → urgency → photos and location → link to this month's report (when the
cell has one) → review → send. Photos and a location are taken at any step. The problem is
committed with the step that sends it; the confirmation and the handlers' notifications
(run.notify) go out after the commit. What is not conversation (who may raise, who handles,
storing, finding the same problem, adding to an open one) is in bot.usecases.problems.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from bot.access import Action, can
from bot.flows.engine import Answer, Flow, Refusal, Run, Step
from bot.prompt import LOCATION, PHOTO, TEXT, Option, Prompt, options
from bot.render import problems as render
from bot.rules import problems as rules
from bot.rules.periods import Period, open_periods
from bot.usecases import problems as usecases
from storage.chats import chat_of
from storage.models import MeetingReport, Person, Problem, Unit
from storage.queries.drafts import delete_draft, get_draft
from storage.queries.problems import linkable_report
from storage.queries.units import unit_by_id

KIND = "problem"
NOTE_KIND = "problem_note"  # a handler's note asked for (bot.handlers.problem_handle)
(UNIT, CATEGORY, PLACE, TITLE, SIMILAR, DESCRIPTION, RAISED_BY, URGENCY, MEDIA, REPORT, REVIEW) = (
    rules.RAISE_STEPS
)
# Option values (a problem to add to is "add.<id>").
CANCEL, NEXT, LINK, SKIP, NEW, SEND, ADD = "cancel", "next", "link", "skip", "new", "send", "add."
MEDIA_TOO = frozenset({PHOTO, LOCATION})  # welcome at every step


class Data(BaseModel):
    """What the person has said so far (the cell is the draft's unit_id)."""

    category: str | None = None
    place: str = ""
    title: str = ""
    description: str = ""
    raised_by: str | None = None
    urgency: str | None = None
    photos: list[str] = Field(default_factory=list)
    location: tuple[float, float] | None = None
    offer_report: int | None = None  # this month's report of the cell, when there is one
    report_id: int | None = None  # the report the person chose to link to

    def new_problem(self) -> usecases.NewProblem:
        return usecases.NewProblem(
            category=self.category or "",
            title=self.title,
            description=self.description,
            raised_by=self.raised_by or "",
            urgency=self.urgency or "",
            photos=tuple(self.photos),
            location=self.location,
            report_id=self.report_id,
            place=self.place,
        )


# --- starting ---------------------------------------------------------------------------------


async def begin(run: Run[Data]) -> None:
    units = usecases.raisable_units(run.context.identity.roles)
    if not units:
        run.end(run.t("problem.not_allowed"))
        return
    # a note a handler was asked for and did not type is left behind
    note = await get_draft(session=run.session, person_id=run.draft.person_id, kind=NOTE_KIND)
    if note is not None:
        await delete_draft(session=run.session, draft=note)
    if len(units) == 1:
        run.draft.unit_id = units[0].id
        run.go(CATEGORY)
    else:
        run.go(UNIT)


def describe(run: Run[Data]) -> str:
    return run.t("problem.describe")


# --- what every step shares: media at any time, the cancel option -----------------------------


def _cancel(run: Run[Data]) -> Option:
    return Option(CANCEL, run.t("problem.button.cancel"), ("huy",))


def _words(label: str) -> tuple[str, ...]:
    """More typed answers for a label of several parts: "Giao thông, thủy lợi" is also "giao
    thông" or "thủy lợi"."""
    parts = [part.strip() for part in re.split(r"[,/;]| và | and ", label)]
    return tuple(part for part in parts if part) if len(parts) > 1 else ()


def step(take: Step[Data], *, located: bool = False) -> Step[Data]:
    """A step that also takes photos, a location and "cancel" (a location is the step's own
    answer when `located`)."""

    async def answer(run: Run[Data], given: Answer) -> None:
        if given.choice == CANCEL:
            run.end(run.t("problem.cancelled"))
        elif given.location is not None and located:
            await take.answer(run, given)
        elif given.photo is not None or given.location is not None:
            _add_media(run, given)
        elif given.document:
            raise Refusal("problem.photo_document")
        else:
            await take.answer(run, given)

    return Step(take.ask, answer)


def _add_media(run: Run[Data], given: Answer) -> None:
    """A photo or the location, kept at whatever step; the step is asked again (the media step
    shows what it has; elsewhere it is said first)."""
    data = run.data
    if given.photo is not None:
        if len(data.photos) >= rules.MAX_PHOTOS:
            raise Refusal("problem.too_many_photos", count=rules.MAX_PHOTOS)
        data.photos.append(given.photo)
    else:
        data.location = given.location
    if run.step != MEDIA:
        run.say(render.media_received(run.lang, len(data.photos), data.location is not None))


async def _advance(run: Run[Data]) -> None:
    """Go to the step after this one, looking up what the optional steps would offer."""
    report = similar = None
    if run.step == TITLE:
        similar = await _similar(run)
    if run.step == MEDIA:
        report = await _offerable_report(run)
        run.data.offer_report = report.id if report is not None else None
    run.go(rules.next_raise_step(run.step, has_report=bool(report), has_similar=bool(similar)))


async def _offerable_report(run: Run[Data]) -> MeetingReport | None:
    """The cell's report of a month it may still report on, to link the problem to."""
    settings = run.context.settings
    periods = open_periods(run.now, settings.report_deadline_day, settings.tz)
    return await linkable_report(
        session=run.session, unit_id=run.draft.unit_id, periods=[str(p) for p in periods]
    )


async def _similar(run: Run[Data]) -> list[Problem]:
    """The cell's open problems that may be this one (same category, place, words or spot)."""
    return await usecases.similar_problems(
        run.session, unit_id=run.draft.unit_id, new=run.data.new_problem()
    )


async def _unit(run: Run[Data]) -> Unit | None:
    """The draft's cell, while the person may still raise problems for it."""
    unit = await unit_by_id(session=run.session, unit_id=run.draft.unit_id)
    allowed = unit is not None and can(run.context.identity.roles, Action.PROBLEM_RAISE, unit)
    return unit if allowed else None


# --- the steps ----------------------------------------------------------------------------------


async def ask_unit(run: Run[Data]) -> Prompt:
    units = usecases.raisable_units(run.context.identity.roles)
    rows = [(Option(str(unit.id), unit.name),) for unit in units]
    return Prompt(run.t("problem.ask_unit"), options(*rows, (_cancel(run),)), MEDIA_TOO)


async def take_unit(run: Run[Data], given: Answer) -> None:
    units = usecases.raisable_units(run.context.identity.roles)
    unit = next((u for u in units if str(u.id) == given.choice), None)
    if unit is None:  # no longer theirs since the question was asked
        raise Refusal("problem.not_allowed")
    run.draft.unit_id = unit.id
    await _advance(run)


def _choices(run: Run[Data], codes: tuple[str, ...], key: str) -> list[Option]:
    labels = [(code, run.t(f"{key}.{code}")) for code in codes]
    return [Option(code, label, _words(label)) for code, label in labels]


async def ask_category(run: Run[Data]) -> Prompt:
    categories = _choices(run, rules.CATEGORIES, "problem.category")
    pairs = [categories[i : i + 2] for i in range(0, len(categories), 2)]
    text = render.step_header(run.lang, CATEGORY) + run.t("problem.ask_category")
    return Prompt(text, options(*pairs, (_cancel(run),)), MEDIA_TOO)


async def take_category(run: Run[Data], given: Answer) -> None:
    run.data.category = given.choice
    await _advance(run)


async def ask_place(run: Run[Data]) -> Prompt:
    text = render.step_header(run.lang, PLACE) + run.t("problem.ask_place", high=rules.PLACE_MAX)
    skip = Option(SKIP, run.t("problem.button.no_place"), ("khong co", "bo qua"))
    return Prompt(text, options((skip,), (_cancel(run),)), MEDIA_TOO | {TEXT})


async def take_place(run: Run[Data], given: Answer) -> None:
    """A place named, a location shared (the place stays unnamed), or none in particular."""
    if given.location is not None:
        run.data.location = given.location
    elif given.choice == SKIP:
        run.data.place = ""
    else:
        low, high = rules.PLACE_MIN, rules.PLACE_MAX
        place = rules.clean_text(given.text, low=low, high=high)
        if place is None:
            raise Refusal("problem.bad_place", low=low, high=high)
        run.data.place = place
    await _advance(run)


async def ask_title(run: Run[Data]) -> Prompt:
    text = render.step_header(run.lang, TITLE) + run.t("problem.ask_title", high=rules.TITLE_MAX)
    return Prompt(text, options((_cancel(run),)), MEDIA_TOO | {TEXT})


async def take_title(run: Run[Data], given: Answer) -> None:
    low, high = rules.TITLE_MIN, rules.TITLE_MAX
    title = rules.clean_text(given.text, low=low, high=high)
    if title is None:
        raise Refusal("problem.bad_title", low=low, high=high)
    run.data.title = title
    await _advance(run)


async def ask_description(run: Run[Data]) -> Prompt:
    text = render.step_header(run.lang, DESCRIPTION) + run.t("problem.ask_description")
    return Prompt(text, options((_cancel(run),)), MEDIA_TOO | {TEXT})


async def take_description(run: Run[Data], given: Answer) -> None:
    low, high = rules.DESCRIPTION_MIN, rules.DESCRIPTION_MAX
    description = rules.clean_text(given.text, low=low, high=high)
    if description is None:
        raise Refusal("problem.bad_description", low=low, high=high)
    run.data.description = description
    await _advance(run)


async def ask_raised_by(run: Run[Data]) -> Prompt:
    who = _choices(run, rules.RAISED_BY, "problem.raised_by")
    text = render.step_header(run.lang, RAISED_BY) + run.t("problem.ask_raised_by")
    return Prompt(text, options(who, (_cancel(run),)), MEDIA_TOO)


async def take_raised_by(run: Run[Data], given: Answer) -> None:
    run.data.raised_by = given.choice
    await _advance(run)


async def ask_urgency(run: Run[Data]) -> Prompt:
    levels = _choices(run, rules.URGENCIES, "problem.urgency")
    text = render.step_header(run.lang, URGENCY) + run.t("problem.ask_urgency")
    return Prompt(text, options(levels, (_cancel(run),)), MEDIA_TOO)


async def take_urgency(run: Run[Data], given: Answer) -> None:
    run.data.urgency = given.choice
    await _advance(run)


async def ask_media(run: Run[Data]) -> Prompt:
    data = run.data
    text = render.ask_media(run.lang, len(data.photos), data.location is not None)
    done = Option(NEXT, run.t("problem.button.next"), ("xong", "khong co"))
    return Prompt(text, options((done,)), MEDIA_TOO)


async def take_media(run: Run[Data], given: Answer) -> None:
    await _advance(run)  # "continue": the photos and location came as they were sent


async def ask_report(run: Run[Data]) -> Prompt:
    report = await run.session.get(MeetingReport, run.data.offer_report)
    period = Period.parse(report.period).label if report is not None else ""
    return Prompt(
        run.t("problem.ask_report", period=period),
        options(
            (Option(LINK, run.t("problem.button.link_report"), ("co",)),),
            (Option(SKIP, run.t("problem.button.no_report"), ("khong",)),),
        ),
        MEDIA_TOO,
    )


async def take_report(run: Run[Data], given: Answer) -> None:
    run.data.report_id = run.data.offer_report if given.choice == LINK else None
    await _advance(run)


async def ask_similar(run: Run[Data]) -> Prompt:
    similar = (await _similar(run))[: render.SIMILAR_SHOWN]
    text = render.ask_similar(run.lang, run.data.category, similar, run.context.settings.tz)
    rows = [(Option(f"{ADD}{p.id}", run.t("problem.button.add_to", id=p.id)),) for p in similar]
    new = Option(NEW, run.t("problem.button.send_new"), ("khong", "moi", "gui moi"))
    return Prompt(text, options(*rows, (new,)), MEDIA_TOO)


async def take_similar(run: Run[Data], given: Answer) -> None:
    if given.choice == NEW:
        await _advance(run)
        return
    unit = await _unit(run)
    if unit is None:
        run.end(run.t("problem.not_allowed"))
        return
    target = await usecases.supplement_problem(
        run.session,
        problem_id=int(given.choice.removeprefix(ADD)),  # an offered value: "add.<digits>"
        unit_id=unit.id,
        person_id=run.draft.person_id,
        new=run.data.new_problem(),
        now=run.now,
    )
    if target is None:  # closed (or gone) since it was offered
        raise Refusal("problem.similar.gone")
    run.end(run.t("problem.supplemented", id=target.id))
    await _notify_handlers(run, target, "supplement", groups=False, id=target.id)
    await _notify_first_reporter(run, target)


async def ask_review(run: Run[Data]) -> Prompt:
    data = run.data
    unit = await unit_by_id(session=run.session, unit_id=run.draft.unit_id)
    report = await run.session.get(MeetingReport, data.report_id) if data.report_id else None
    review = render.Review(
        unit=unit.name if unit is not None else "",
        category=data.category or "",
        place=data.place,
        title=data.title,
        description=data.description,
        raised_by=data.raised_by or "",
        urgency=data.urgency or "",
        photos=len(data.photos),
        has_location=data.location is not None,
        report_period=Period.parse(report.period).label if report is not None else None,
    )
    send = Option(SEND, run.t("problem.button.send"), ("gui", "gui di"))
    text = render.review_text(run.lang, review)
    return Prompt(text, options((send,), (_cancel(run),)), MEDIA_TOO)


async def take_review(run: Run[Data], given: Answer) -> None:
    """Send: the problem is stored in this step's transaction, the confirmation and the
    handlers' notifications are sent once it is committed."""
    unit = await _unit(run)
    if unit is None:
        run.end(run.t("problem.not_allowed"))
        return
    person = run.context.identity.person
    problem, handling = await usecases.raise_problem(
        run.session,
        unit=unit,
        new=run.data.new_problem(),
        reporter_id=run.draft.person_id,
        now=run.now,
        due_days=run.context.settings.problem_due_map,
        chat_id=chat_of(person),
        # updates to the reporter reply to the review they sent it from
        message_id=run.draft.message_id,
    )
    run.end(render.sent(run.lang, problem, handling, run.context.settings.tz))
    kind = "urgent" if problem.urgency == rules.URGENT else "new"
    await _notify_handlers(run, problem, kind, unit=unit.name)


async def _notify_handlers(
    run: Run[Data], problem: Problem, kind: str, *, groups: bool = True, **values: object
) -> None:
    """Tell the handling unit's supervisors (the card with their actions, each in their language)
    and, for a new problem, its linked groups (information only)."""
    settings, moment = run.context.settings, run.now
    card = await usecases.load_card(run.session, problem)
    people, linked = await usecases.handlers_of(run.session, problem)
    actions = rules.allowed_actions(problem.status)
    for person in people:
        if person.id == run.draft.person_id:
            continue
        lang = usecases.person_language(person, settings)
        header = render.handler_header(lang, kind, **values)
        text = render.card_text(lang, card, moment, settings.tz, header)
        run.notify(chat_of(person), text, render.card_buttons(lang, card, actions, reopen=False))
    for group in linked if groups else []:
        lang = settings.default_language
        header = render.handler_header(lang, kind, **values)
        run.notify(group.chat_id, render.card_text(lang, card, moment, settings.tz, header))


async def _notify_first_reporter(run: Run[Data], problem: Problem) -> None:
    """An addition to a problem: the person who first raised it hears of it too (unless they
    added it themselves)."""
    reporter = await run.session.get(Person, problem.reporter_id) if problem.reporter_id else None
    if reporter is None or problem.reporter_chat_id is None:
        return
    if reporter.id == run.draft.person_id:
        return
    lang = usecases.person_language(reporter, run.context.settings)
    text = render.handler_header(lang, "supplement_reporter", id=problem.id, title=problem.title)
    run.notify(problem.reporter_chat_id, text)


FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={
        UNIT: step(Step(ask_unit, take_unit)),
        CATEGORY: step(Step(ask_category, take_category)),
        PLACE: step(Step(ask_place, take_place), located=True),
        TITLE: step(Step(ask_title, take_title)),
        DESCRIPTION: step(Step(ask_description, take_description)),
        RAISED_BY: step(Step(ask_raised_by, take_raised_by)),
        URGENCY: step(Step(ask_urgency, take_urgency)),
        MEDIA: step(Step(ask_media, take_media)),
        REPORT: step(Step(ask_report, take_report)),
        SIMILAR: step(Step(ask_similar, take_similar)),
        REVIEW: step(Step(ask_review, take_review)),
    },
    begin=begin,
    describe=describe,
)

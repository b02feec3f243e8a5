"""The note a problem action needs (the result of resolving it, why it is rejected, why the
reporter says it is not resolved), or the number of the problem it duplicates: asked after the
action's button (bot.handlers.problem_handle), applied when it is typed.

A note asked for is typed at once; left longer (`LIFETIME`), a later message must not silently
become, say, the result of resolving a problem: the draft is dropped and the person told.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from bot.flows.engine import Answer, Flow, Refusal, Run, Step
from bot.prompt import NUMBER, TEXT, Option, Prompt
from bot.render import problems as render
from bot.rules import problems as rules
from bot.usecases import Actor
from bot.usecases.problems import RETRY_TICKET, apply_action, speaker_buttons

KIND = "problem_note"
NOTE, TICKET = "note", "ticket"
CANCEL = "cancel"
LIFETIME = timedelta(hours=12)


class Data(BaseModel):
    problem_id: int = 0
    action: str = ""
    version: int = 0
    title: str = ""


async def begin(run: Run[Data], problem_id: int, action: str, version: int, title: str) -> None:
    """Started once the press was checked (bot.usecases.problems.check_action)."""
    run.data = Data(problem_id=problem_id, action=action, version=version, title=title)
    run.go(TICKET if action == rules.MARK_DUPLICATE else NOTE)


async def ask(run: Run[Data]) -> Prompt:
    text = render.ask_note(run.lang, run.data.action, run.data.problem_id, run.data.title)
    cancel = Option(CANCEL, run.t("problem.button.cancel"), ("huy",))
    accepts = {NUMBER, TEXT} if run.step == TICKET else {TEXT}
    return Prompt(text, ((cancel,),), frozenset(accepts))


async def take(run: Run[Data], answer: Answer) -> None:
    if answer.choice == CANCEL:
        run.end(run.t("problem.note.cancelled"))
        return
    note, ticket = None, None
    if run.step == TICKET:
        ticket = rules.parse_ticket(answer.text or "")
        if ticket is None:
            raise Refusal("problem.bad_ticket")
    else:
        note = rules.clean_text(answer.text or "", low=2, high=rules.NOTE_MAX)
        if note is None:
            raise Refusal("problem.bad_note", high=rules.NOTE_MAX)
    context, data = run.context, run.data
    settings, days = context.settings, context.settings.problem_reopen_days
    actor = Actor(context.identity.person, context.identity.roles)
    outcome = await apply_action(
        run.session,
        actor,
        data.problem_id,
        data.action,
        data.version,
        run.now,
        days,
        note,
        ticket,
        due_days=settings.problem_due_map,
    )
    if outcome.refusal in RETRY_TICKET:  # another number may be typed
        raise Refusal(f"problem.refused.{outcome.refusal}", id=ticket, days=days)
    if outcome.refusal is not None:
        run.say(render.refusal_text(run.lang, outcome.refusal, data.problem_id, days))
        if outcome.card is None:
            run.end()
            return
    header = "" if outcome.refusal else run.t(f"problem.done.{data.action}", id=data.problem_id)
    card = outcome.card
    actions, reopen = speaker_buttons(actor, card, run.now, days)
    run.end(
        render.card_text(run.lang, card, run.now, settings.tz, header),
        render.card_buttons(run.lang, card, actions, reopen),
    )
    if outcome.refusal is not None:
        return
    notices = render.action_notices(
        card,
        data.action,
        note,
        outcome.recipients,
        outcome.groups,
        outcome.from_unit,
        speaker_id=actor.person.id,
        default_language=settings.default_language,
        reopen_days=days,
        now=run.now,
        tz=settings.tz,
    )
    for notice in notices:
        run.notify(notice.chat_id, notice.text, notice.rows, notice.reply_to)


FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={NOTE: Step(ask, take), TICKET: Step(ask, take)},
    begin=begin,
    describe=lambda run: run.t("problem.describe_note", id=run.data.problem_id),
    lifetime=LIFETIME,
    expired="problem.note.expired",
)

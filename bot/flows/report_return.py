"""A supervisor returns a report for correction: the comment they type after pressing
"Trả lại để bổ sung" (bot.handlers.report_review) returns it.

Returning writes the report (status "returned", comment, who, when) before anyone is told; the
secretary and deputies are then notified with a button that opens the report pre-filled.
"""

from __future__ import annotations

from pydantic import BaseModel

from bot import i18n
from bot.flows.engine import Answer, Flow, Refusal, Run, Step
from bot.prompt import TEXT, Prompt
from bot.render import report as render
from bot.rules.periods import Period
from bot.rules.report import TEXT_LIMITS, AnswerError, parse_text
from bot.usecases import Actor
from bot.usecases.reports import reference, report_text, return_for_correction
from storage.chats import chat_of

KIND = "report_return"
COMMENT = "comment"


class Data(BaseModel):
    report_id: int = 0
    version: int = 0
    reference: str = ""
    unit: str = ""


async def begin(run: Run[Data], report_id: int, version: int, reference: str, unit: str) -> None:
    """Started once the press was checked (bot.usecases.reports.returnable)."""
    run.data = Data(report_id=report_id, version=version, reference=reference, unit=unit)
    run.go(COMMENT)


async def ask(run: Run[Data]) -> Prompt:
    text = run.t(
        "reports.ask_comment",
        reference=run.data.reference,
        unit=render.esc(run.data.unit),
        limit=TEXT_LIMITS["return_comment"],
    )
    return Prompt(text, accepts=frozenset({TEXT}))


async def comment(run: Run[Data], answer: Answer) -> None:
    try:
        typed = parse_text(answer.text or "", limit=TEXT_LIMITS["return_comment"])
    except AnswerError as error:
        raise Refusal(error.key, **error.values) from error
    context = run.context
    actor = Actor(context.identity.person, context.identity.roles)
    returned = await return_for_correction(
        run.session,
        actor,
        run.data.report_id,
        run.data.version,
        typed,
        run.now,
        context.actor["actor"],
    )
    if returned.outcome == "not_allowed":
        run.end(run.t("reports.not_allowed"))
        return
    report, unit = returned.report, returned.unit
    if returned.outcome == "changed":
        run.say(run.t("reports.changed"))
        run.end(await report_text(run.session, context.settings, run.lang, run.now, report, unit))
        return
    for person in returned.reporters:
        lang = i18n.normalise(person.language or context.settings.default_language)
        text = i18n.t(
            lang,
            "report.returned_notice",
            month=Period.parse(report.period).label,
            unit=render.esc(unit.name),
            reference=reference(report),
            comment=render.esc(report.return_comment or ""),
        )
        run.notify(chat_of(person), text, render.correct_links(lang, report.id))
    names = ", ".join(render.esc(person.full_name) for person in returned.reporters)
    key = "reports.returned" if returned.reporters else "reports.returned_nobody"
    run.end(run.t(key, reference=reference(report), unit=render.esc(unit.name), names=names))


FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={COMMENT: Step(ask, comment)},
    begin=begin,
    describe=lambda run: run.t("reports.describe", reference=run.data.reference),
)

"""/language: Vietnamese or English for this person, remembered in the database.

The smallest flow, and the example in docs/ARCHITECTURE.md: one step, two options.
"""

from __future__ import annotations

from pydantic import BaseModel

from bot import i18n
from bot.flows.engine import Answer, Flow, Run, Step
from bot.prompt import Option, Prompt
from storage.models import Person

KIND = "language"
CHOOSE = "choose"
WORDS = {"vi": ("tieng viet", "viet"), "en": ("english", "tieng anh", "anh")}


class Data(BaseModel):
    """Nothing to remember between steps."""


async def begin(run: Run[Data]) -> None:
    run.go(CHOOSE)


async def ask(run: Run[Data]) -> Prompt:
    options = tuple(Option(lang, i18n.t(lang, "language.name"), WORDS[lang]) for lang in WORDS)
    return Prompt(run.t("language.ask"), (options,))


async def choose(run: Run[Data], answer: Answer) -> None:
    person = await run.session.get(Person, run.draft.person_id)
    person.language = answer.choice
    run.context.identity.person = person  # the rest of this update speaks the new language
    run.end(run.t("language.done"), menu=True)


FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={CHOOSE: Step(ask, choose)},
    begin=begin,
    describe=lambda run: run.t("language.describe"),
)

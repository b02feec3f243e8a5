"""/link in a group chat: the supervisor picks which of their units the group serves (its
summaries go there), or cancels; the confirmation says what the group will receive and offers
the supervisors to keep or stop private copies (bot.handlers.groups.copies).

Asked in the group (`in_groups`): only the supervisor who typed /link can answer, since a press
is applied only for the presser's own draft (another member's press is refused). The chat is
remembered when the question is asked, so no button can name another chat. /unlink is a plain
command (bot.handlers.groups).
"""

from __future__ import annotations

import html
from datetime import timedelta

from pydantic import BaseModel

from bot.access import Action, can, scope
from bot.flows.engine import Answer, Flow, Run, Step
from bot.prompt import Option, Prompt
from bot.render.summary import private_copies_buttons
from storage.queries.audit import record
from storage.queries.groups import link_group
from storage.queries.units import unit_by_id

KIND = "group_link"
CHOOSE = "choose"
UNIT, CANCEL = "unit", "none"


class Data(BaseModel):
    chat_id: int = 0  # the group being linked
    title: str = ""


async def begin(run: Run[Data], chat_id: int, title: str) -> None:
    run.data.chat_id, run.data.title = chat_id, title
    run.go(CHOOSE)


async def ask(run: Run[Data]) -> Prompt:
    units = scope(run.context.identity.roles, Action.GROUP_LINK)
    rows = [(Option(f"{UNIT}.{unit.id}", unit.name),) for unit in units]
    rows.append((Option(CANCEL, run.t("group.cancel"), ("huy", "khong")),))
    return Prompt(run.t("group.confirm_link"), tuple(rows))


async def choose(run: Run[Data], answer: Answer) -> None:
    if answer.choice == CANCEL:
        run.end(run.t("group.cancelled"))
        return
    unit_id = int((answer.choice or "").removeprefix(f"{UNIT}."))
    unit = await unit_by_id(session=run.session, unit_id=unit_id)
    if unit is None or not can(run.context.identity.roles, Action.GROUP_LINK, unit):
        run.end(run.t("invite.not_allowed_unit"))
        return
    _, former = await link_group(
        session=run.session,
        chat_id=run.data.chat_id,
        unit_id=unit.id,
        title=run.data.title,
        person_id=run.draft.person_id,
    )
    await record(
        session=run.session,
        **run.context.actor,
        action="group.link",
        entity="group",
        entity_id=run.data.chat_id,
        before={"unit_id": former} if former else None,
        after={"unit_id": unit.id},
    )
    run.end(
        run.t("group.linked", unit=html.escape(unit.name)) + "\n\n" + run.t("group.will_receive"),
        private_copies_buttons(run.lang),
    )


FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={CHOOSE: Step(ask, choose)},
    begin=begin,
    describe=lambda run: run.t("group.describe"),
    lifetime=timedelta(days=1),
    in_groups=True,
)

"""/invite: a supervisor browses their subtree, picks a unit and a role they may invite, and gets
a one-time link.

Steps: "roots" (only for someone whose invitations cover several subtrees: which one), "browse"
(a unit and one page of its children: open a child, choose this unit, previous, next, up) and
"role". Option values carry what they choose ("open.<unit>.<page>", "pick.<unit>",
"role.<role>"); the engine applies only values the question offered, and each answer asks
bot.access again, since roles may change between the question and the answer.
"""

from __future__ import annotations

import html
from datetime import timedelta

from pydantic import BaseModel

from bot.access import Action, can, can_invite, scope
from bot.flows.engine import Answer, Flow, Refusal, Run, Step
from bot.prompt import Option, Prompt
from bot.rules.org import ROLES
from bot.usecases.invites import deep_link, issue_invites, telegram_username
from storage.models import Unit, utcnow
from storage.queries.tree import children_page
from storage.queries.units import unit_by_id

KIND = "invite"
ROOTS, BROWSE, ROLE = "roots", "browse", "role"
OPEN, PICK, PICK_ROLE, TO_ROOTS = "open", "pick", "role", "roots"
PAGE_SIZE = 8
VALID_FOR = timedelta(days=7)


class Data(BaseModel):
    unit_id: int | None = None  # the unit shown (browse) or chosen (role)
    page: int = 0


# --- starting -----------------------------------------------------------------------------


def _roots(run: Run[Data]) -> list[Unit]:
    return scope(run.context.identity.roles, Action.INVITE_CREATE)


async def begin(run: Run[Data]) -> None:
    roots = _roots(run)
    if not roots:
        run.end(run.t("invite.not_allowed"))
    elif len(roots) == 1:
        run.data.unit_id, run.data.page = roots[0].id, 0
        run.go(BROWSE)
    else:
        run.go(ROOTS)


# --- questions ----------------------------------------------------------------------------


async def ask_roots(run: Run[Data]) -> Prompt:
    rows = tuple((Option(f"{OPEN}.{unit.id}.0", unit.name),) for unit in _roots(run))
    return Prompt(run.t("invite.pick_unit"), rows)


async def ask_browse(run: Run[Data]) -> Prompt:
    """One page of the unit's children, with "choose this unit" and the way up."""
    unit = await _unit(run, run.data.unit_id)
    if unit is None:
        return await ask_roots(run)
    page = run.data.page
    children, total = await children_page(
        session=run.session, parent_id=unit.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    rows: list[tuple[Option, ...]] = [
        (Option(f"{PICK}.{unit.id}", run.t("invite.choose_this", unit=unit.name), (unit.name,)),)
    ]
    for child, has_children in children:
        if has_children:
            rows.append((Option(f"{OPEN}.{child.id}.0", child.name + " ›"),))
        else:
            rows.append((Option(f"{PICK}.{child.id}", child.name),))
    nav = []
    if page > 0:
        nav.append(Option(f"{OPEN}.{unit.id}.{page - 1}", run.t("nav.previous")))
    if (page + 1) * PAGE_SIZE < total:
        nav.append(Option(f"{OPEN}.{unit.id}.{page + 1}", run.t("nav.next")))
    up = await _up(run, unit)
    if up is not None:
        nav.append(Option(up, run.t("nav.up")))
    if nav:
        rows.append(tuple(nav))
    text = run.t("invite.browse", unit=html.escape(unit.name), count=total)
    return Prompt(text, tuple(rows))


async def _up(run: Run[Data], unit: Unit) -> str | None:
    """Where "up" leads: the parent when they may invite there; else, for someone with several
    subtrees, back to the list of them; else nowhere (no button)."""
    parent = await _unit(run, unit.parent_id)
    if parent is not None and can(run.context.identity.roles, Action.INVITE_CREATE, parent):
        return f"{OPEN}.{parent.id}.0"
    return TO_ROOTS if len(_roots(run)) > 1 else None


async def ask_role(run: Run[Data]) -> Prompt:
    unit = await _unit(run, run.data.unit_id)
    name = html.escape(unit.name) if unit else ""
    rows = tuple(
        (Option(f"{PICK_ROLE}.{role}", run.t(f"role.{role}")),) for role in _roles(run, unit)
    )
    return Prompt(run.t("invite.pick_role", unit=name), rows)


# --- answers ------------------------------------------------------------------------------


async def choose_unit(run: Run[Data], answer: Answer) -> None:
    """An answer to "roots" or "browse": open a unit (a page of it), or choose it."""
    action, _, rest = (answer.choice or "").partition(".")
    if action == TO_ROOTS:
        run.data.unit_id, run.data.page = None, 0
        run.go(ROOTS)
        return
    unit_id, _, page = rest.partition(".")
    unit = await _allowed(run, int(unit_id))
    if unit is None:
        return
    if action == OPEN:
        run.data.unit_id, run.data.page = unit.id, int(page or 0)
        run.go(BROWSE)
    elif not _roles(run, unit):
        raise Refusal("invite.no_role_here", unit=html.escape(unit.name))
    else:
        run.data.unit_id = unit.id
        run.go(ROLE)


async def choose_role(run: Run[Data], answer: Answer) -> None:
    role = (answer.choice or "").removeprefix(f"{PICK_ROLE}.")
    unit = await _allowed(run, run.data.unit_id)
    if unit is None:
        return
    if role not in _roles(run, unit):
        raise Refusal("invite.not_allowed_unit")
    run.end(await create_link(run, unit, role))


async def create_link(run: Run[Data], unit: Unit, role: str) -> str:
    """One invite for `role` on `unit` (with its audit record), as the message that shows it."""
    person = run.context.identity.person
    expires_at = utcnow() + VALID_FOR
    (code,) = await issue_invites(
        session=run.session,
        unit=unit,
        role=role,
        expires_at=expires_at,
        created_by_id=person.id,
        **run.context.actor,
    )
    return run.t(
        "invite.created",
        role=run.t(f"role.{role}"),
        unit=html.escape(unit.name),
        link=deep_link(telegram_username(run.context.bots), code),
        code=code,
        expires=expires_at.astimezone(run.context.settings.tz).strftime("%d/%m/%Y %H:%M"),
    )


# --- access -------------------------------------------------------------------------------


async def _unit(run: Run[Data], unit_id: int | None) -> Unit | None:
    return await unit_by_id(session=run.session, unit_id=unit_id) if unit_id else None


async def _allowed(run: Run[Data], unit_id: int | None) -> Unit | None:
    """The unit, if they may still invite there; else the conversation ends saying so."""
    unit = await _unit(run, unit_id)
    if unit is None or not can(run.context.identity.roles, Action.INVITE_CREATE, unit):
        run.end(run.t("invite.not_allowed_unit"))
        return None
    return unit


def _roles(run: Run[Data], unit: Unit | None) -> list[str]:
    if unit is None:
        return []
    return [role for role in ROLES if can_invite(run.context.identity.roles, unit, role)]


FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={
        ROOTS: Step(ask_roots, choose_unit),
        BROWSE: Step(ask_browse, choose_unit),
        ROLE: Step(ask_role, choose_role),
    },
    begin=begin,
    describe=lambda run: run.t("invite.describe"),
)

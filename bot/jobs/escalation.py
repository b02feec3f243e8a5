"""Overdue problems climb the tree; new normal-urgency problems are listed once a day.

Escalation: an open problem past its due date goes to its handling unit's committee (level 1:
the handling unit, or the nearest ancestor that has supervisors or a linked group), then, each
ESCALATION_DELAY_DAYS later, to the next such ancestor (levels 2, 3, ...). Key: (chat,
"escalation", "problem:unit"), so each committee hears of a problem once, whatever the
restarts; Problem.escalation_level records the highest level sent.

Daily digest: at SUMMARY_HOUR, each committee gets the normal-urgency problems that reached it
(raised, or forwarded up) in the 24 hours before and are still new; urgent ones are sent at once
by the problems feature. Key: (chat, "problem_digest", "unit:day").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.jobs.base import JobEnv, JobResult, committees, record, send
from bot.jobs.delivery import message
from bot.render.summary import escalation_text, open_problem_buttons, problem_digest_text
from bot.rules.figures import escalation_levels_due, problem_digest_due
from bot.rules.periods import Period
from bot.rules.problems import NORMAL
from storage.models import Problem, Unit
from storage.queries import deliveries as outbox
from storage.queries.audience import Chat, committee_chats, escalation_chain
from storage.queries.deliveries import Outgoing
from storage.queries.figures import cells_and_communes
from storage.queries.problems import new_problems_since, overdue_problems

KIND, DIGEST_KIND = "escalation", "problem_digest"


async def run(env: JobEnv, at: datetime, period: Period | None = None) -> JobResult:
    """`period` does not apply: problems are not monthly."""
    result = JobResult("escalation")
    await _escalate(env, at, result)
    instant = problem_digest_due(at, env.cal)
    if instant is not None:
        await _digest(env, instant, result)
    await send(env, result)
    return result


async def _escalate(env: JobEnv, at: datetime, result: JobResult) -> None:
    async with env.db.session() as session:
        overdue = await overdue_problems(session=session, now=at)
        cells = await cells_and_communes(session=session, ids={p.unit_id for p in overdue})
        handlers: dict[int, tuple[Unit, list[Unit]]] = {}  # handling unit -> it, its chain
        items: list[Outgoing] = []
        for problem in overdue:
            if problem.handling_unit_id not in handlers:
                handler = await session.get(Unit, problem.handling_unit_id)
                chain = await escalation_chain(session=session, unit=handler)
                handlers[handler.id] = (handler, chain)
            handler, chain = handlers[problem.handling_unit_id]
            climbed = escalation_levels_due(problem.due_at, at, env.cal.escalation_delay)
            reached = chain[: min(climbed, len(chain))]
            chats = await committee_chats(session=session, unit_ids=[u.id for u in reached])
            cell = cells[problem.unit_id]
            for level, unit in enumerate(reached, start=1):
                items += _escalations(env, problem, cell, handler, unit, level, chats, at)
            problem.escalation_level = max(problem.escalation_level, len(reached))
        # one transaction: the levels and the messages that announce them go together
        result.recorded += len(await outbox.record(session=session, items=items, now=env.clock()))


def _escalations(
    env: JobEnv,
    problem: Problem,
    cell: tuple[str, str],
    handler: Unit,
    unit: Unit,
    level: int,
    chats: dict[int, list[Chat]],
    at: datetime,
) -> list[Outgoing]:
    return [
        chat.outgoing(
            KIND,
            f"{problem.id}:{unit.id}",
            message(
                escalation_text(
                    env.language(chat),
                    problem,
                    cell[0],
                    handler.name,
                    level,
                    at,
                    env.cal.tz,
                    commune=cell[1],
                ),
                open_problem_buttons(env.language(chat), problem.id),
            ),
        )
        for chat in chats.get(unit.id, [])
    ]


async def _digest(env: JobEnv, instant: datetime, result: JobResult) -> None:
    since = instant - timedelta(days=1)
    day = env.cal.local_date(instant).isoformat()
    items: list[Outgoing] = []
    for unit, chats in await committees(env):
        async with env.db.session() as session:
            arrived = await new_problems_since(session=session, unit=unit, since=since)
            listed = [p for p in arrived if p.urgency == NORMAL]
            cells = await cells_and_communes(session=session, ids={p.unit_id for p in listed})
        if not listed:
            continue
        named = [(problem, *cells[problem.unit_id]) for problem in listed]
        items += [
            chat.outgoing(
                DIGEST_KIND,
                f"{unit.id}:{day}",
                message(
                    problem_digest_text(env.language(chat), unit.name, since, named, env.cal.tz)
                ),
            )
            for chat in chats
        ]
    await record(env, result, items)

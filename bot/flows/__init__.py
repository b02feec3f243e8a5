"""Conversations: the engine (engine.py), the channels' renderers (telegram.py, plain.py), and
one module per flow; what a question asks is bot.prompt."""

from typing import Any

from bot.flows import group_link, invite, language, problem, problem_note, report, report_return
from bot.flows.engine import Flow

FLOWS: list[Flow[Any]] = [
    language.FLOW,
    report.FLOW,
    problem.FLOW,
    invite.FLOW,
    group_link.FLOW,
    report_return.FLOW,
    problem_note.FLOW,
]

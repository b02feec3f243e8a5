"""Conversations: the engine (engine.py), prompts (prompt.py), the channels' renderers
(telegram.py, plain.py), and one module per flow."""

from bot.flows import language, problem, report

FLOWS = [language.FLOW, report.FLOW, problem.FLOW]

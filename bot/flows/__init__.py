"""Conversations: the engine (engine.py), prompts (prompt.py), the channels' renderers
(telegram.py, plain.py), and one module per flow."""

from bot.flows import language, problem_note, report_return

FLOWS = [language.FLOW, report_return.FLOW, problem_note.FLOW]

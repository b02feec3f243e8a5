"""Conversations: the engine (engine.py), prompts (prompt.py), the channels' renderers
(telegram.py, plain.py), and one module per flow."""

from bot.flows import group_link, invite, language, problem, report

FLOWS = [language.FLOW, report.FLOW, problem.FLOW, invite.FLOW, group_link.FLOW]

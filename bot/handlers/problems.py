"""The problems feature: what bot.app registers, in one place.

- problem_raise: /problem, its steps ("p:<token>:..."), adding to an open problem instead.
- problem_handle: /problems (supervisors, filters, pages), /myproblems (reporters), a problem's
  card, photos and location, the handlers' actions and the reporter's "chưa giải quyết" (the
  notes they ask for: the flow bot.flows.problem_note).
Typed answers reach the raising conversation through bot.drafts (kind "problem").
"""

from __future__ import annotations

from bot.drafts import Flow
from bot.handlers import problem_handle, problem_raise
from bot.handlers.problem_common import RAISE_KIND
from bot.handlers.report_common import private_only
from bot.payloads import MyProblems, ProblemAction, ProblemList, ProblemMedia, ProblemView, Reopen
from bot.render import problems as render

COMMANDS = (
    ("problem", problem_raise.start),
    ("problems", problem_handle.list_command),
    ("myproblems", problem_handle.my_command),
)

# (payload classes, handler): registered with each class's `matches` as the pattern.
BUTTONS = tuple(
    (kinds, private_only(callback))
    for kinds, callback in (
        ((ProblemList,), problem_handle.list_press),
        (problem_handle.FILTERS, problem_handle.filter_press),
        ((ProblemView,), problem_handle.view_press),
        ((ProblemMedia,), problem_handle.media_press),
        ((ProblemAction,), problem_handle.handle_press),
        ((MyProblems,), problem_handle.my_press),
        ((Reopen,), problem_handle.reopen_press),
    )
)

# Buttons of the raising conversation, not yet on the engine: (prefix, handler).
LEGACY_BUTTONS = ((render.RAISE, private_only(problem_raise.press)),)

FLOWS: dict[str, Flow] = {
    RAISE_KIND: Flow(
        typed=problem_raise.on_input,
        reprompt=problem_raise.reprompt,
        describe=problem_raise.describe,
    ),
}

"""The problems feature: what bot.app registers, in one place.

- /problem: raising one (or adding to an open one instead), a conversation on the engine
  (bot.flows.problem; its answers are FlowButtons, registered with the engine in bot.app).
- problem_handle: /problems (supervisors, filters, pages), /myproblems (reporters), a problem's
  card, photos and location, the handlers' actions and the reporter's "chưa giải quyết" (the
  notes they ask for: the flow bot.flows.problem_note).
"""

from __future__ import annotations

from bot.flows import problem
from bot.flows import telegram as flows_telegram
from bot.handlers import problem_handle
from bot.handlers.report_common import private_only
from bot.payloads import MyProblems, ProblemAction, ProblemList, ProblemMedia, ProblemView, Reopen

COMMANDS = (
    ("problem", flows_telegram.starter(problem.KIND)),
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

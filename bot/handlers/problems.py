"""The problems feature: what bot.app registers, in one place.

- /problem: raising one (or adding to an open one instead), a conversation on the engine
  (bot.flows.problem; its answers are FlowButtons, registered with the engine in bot.app).
- problem_handle: /problems (supervisors, filters, pages), /myproblems (reporters), a problem's
  card, photos and location, the handlers' actions and the reporter's "chưa giải quyết".
Typed notes reach problem_handle through bot.drafts (kind "problem_note").
"""

from __future__ import annotations

from bot.drafts import Flow
from bot.flows import problem
from bot.flows import telegram as flows_telegram
from bot.handlers import problem_handle
from bot.handlers.problem_common import NOTE_KIND
from bot.handlers.report_common import private_only
from bot.render import problems as render

COMMANDS = (
    ("problem", flows_telegram.starter(problem.KIND)),
    ("problems", problem_handle.list_command),
    ("myproblems", problem_handle.my_command),
)

BUTTONS = tuple(
    (prefix, private_only(callback))
    for prefix, callback in (
        (render.LIST, problem_handle.list_press),
        (render.FILTER, problem_handle.filter_press),
        (render.VIEW, problem_handle.view_press),
        (render.MEDIA, problem_handle.media_press),
        (render.HANDLE, problem_handle.handle_press),
        (render.NOTE, problem_handle.note_cancel),
        (render.MINE, problem_handle.my_press),
        (render.REOPEN, problem_handle.reopen_press),
    )
)

FLOWS: dict[str, Flow] = {
    NOTE_KIND: Flow(
        typed=problem_handle.on_note,
        reprompt=problem_handle.reprompt_note,
        describe=problem_handle.describe_note,
    ),
}

"""The problems feature: what bot.app registers, in one place.

- problem_raise: /problem, its steps ("p:<token>:..."), adding to an open problem instead.
- problem_handle: /problems (supervisors, filters, pages), /myproblems (reporters), a problem's
  card, photos and location, the handlers' actions and the reporter's "chưa giải quyết".
Typed answers reach the flows through bot.drafts (kinds "problem" and "problem_note").
"""

from __future__ import annotations

from bot.drafts import Flow
from bot.handlers import problem_handle, problem_raise
from bot.handlers.problem_common import NOTE_KIND, RAISE_KIND
from bot.handlers.report_common import private_only
from bot.render import problems as render

COMMANDS = (
    ("problem", problem_raise.start),
    ("problems", problem_handle.list_command),
    ("myproblems", problem_handle.my_command),
)

BUTTONS = tuple(
    (prefix, private_only(callback))
    for prefix, callback in (
        (render.RAISE, problem_raise.press),
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
    RAISE_KIND: Flow(
        typed=problem_raise.on_input,
        reprompt=problem_raise.reprompt,
        describe=problem_raise.describe,
    ),
    NOTE_KIND: Flow(
        typed=problem_handle.on_note,
        reprompt=problem_handle.reprompt_note,
        describe=problem_handle.describe_note,
    ),
}

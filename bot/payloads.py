"""The buttons outside conversations, one payload class each (the codec is bot.buttons).

Renderers (bot/render) pack them into keyboards; bot.app registers each handler with the class's
`matches` as its pattern, and the handler unpacks the press it was given. Whether a well-formed
id names a row that exists and is the presser's is the handler's (or the use case's) question:
one that is not is answered like an expired button.

    report:start                  the reminders' "report now" (like /report)
    rc:<report>                   amend a sent report, correct a returned one
    rh:c:<cell>  rh:v:<report>    a cell's last months; one report
    rph:<report>                  the photos of a report's minutes
    rs:p:<YYYY-MM>:<page>  rs:v:<report>  rs:r:<report>:<version>   supervisors' /reports
    ph:<problem>:<version>:<action>   a handler's action on a problem (its state version)
    pv:<problem>  pm:<problem>    a problem's card (also an escalation's button); its media
    pl:<status>:<category|->:<page>   pf:s:<category|->  pf:c:<status>   /problems and filters
    pmy:<page>                    /myproblems
    pr:<problem>:<version>        the reporter says "not resolved"
    sup:miss:<unit>:<YYYY-MM>:<offset>  sup:page:...  sup:nudge:<cell>:<YYYY-MM>   /summary
    sup:full:<unit>:<YYYY-MM>     every cell a summary names, when its lists were cut
    grp:copies:<1|0>              a supervisor's private copies of what a linked group receives
    dx:<token>:yes|no             /cancel's question for the conversations not on the engine
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.buttons import Payload
from bot.rules import problems as rules
from bot.rules.periods import Period

# --- the monthly report -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportStart(Payload, prefix="report:start"):
    """The reminders' button: begin (or resume) this month's report."""


@dataclass(frozen=True)
class CorrectReport(Payload, prefix="rc"):
    report_id: int


@dataclass(frozen=True)
class HistoryCell(Payload, prefix="rh:c"):
    unit_id: int


@dataclass(frozen=True)
class HistoryReport(Payload, prefix="rh:v"):
    report_id: int


@dataclass(frozen=True)
class ReportPhotos(Payload, prefix="rph"):
    report_id: int


@dataclass(frozen=True)
class ReviewPage(Payload, prefix="rs:p"):
    period: Period
    page: int


@dataclass(frozen=True)
class ReviewView(Payload, prefix="rs:v"):
    report_id: int


@dataclass(frozen=True)
class ReviewReturn(Payload, prefix="rs:r"):
    report_id: int
    version: int


# --- problems ---------------------------------------------------------------------------------

ACTION_CODES = {
    rules.ACKNOWLEDGE: "ack",
    rules.START: "sta",
    rules.FORWARD: "fwd",
    rules.RESOLVE: "res",
    rules.REJECT: "rej",
    rules.NOT_OURS: "not",
    rules.MARK_DUPLICATE: "dup",
}
ACTIONS_BY_CODE = {code: action for action, code in ACTION_CODES.items()}
ActionCode = Literal["ack", "sta", "fwd", "res", "rej", "not", "dup"]
assert set(ActionCode.__args__) == set(ACTIONS_BY_CODE)  # type: ignore[attr-defined]

# The status filters of the supervisors' list: "open" (the default) and "all" are groups.
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": rules.OPEN_STATUSES,
    **{status: (status,) for status in rules.STATUSES},
    "all": rules.STATUSES,
}
# Literals made from the rules' tuples at run time (decoded by bot.buttons); mypy cannot see
# them as types, hence the ignores where they are used.
StatusFilter = Literal[tuple(STATUS_FILTERS)]  # type: ignore[valid-type]
Category = Literal[tuple(rules.CATEGORIES)]  # type: ignore[valid-type]


@dataclass(frozen=True)
class ProblemAction(Payload, prefix="ph"):
    problem_id: int
    version: int
    code: ActionCode

    @property
    def action(self) -> str:
        return ACTIONS_BY_CODE[self.code]

    @classmethod
    def of(cls, problem_id: int, version: int, action: str) -> ProblemAction:
        return cls(problem_id, version, ACTION_CODES[action])  # type: ignore[arg-type]


@dataclass(frozen=True)
class ProblemView(Payload, prefix="pv"):
    problem_id: int


@dataclass(frozen=True)
class ProblemMedia(Payload, prefix="pm"):
    problem_id: int


@dataclass(frozen=True)
class ProblemList(Payload, prefix="pl"):
    status: StatusFilter  # type: ignore[valid-type]
    category: Category | None  # type: ignore[valid-type]  # None: any
    page: int


@dataclass(frozen=True)
class FilterStatus(Payload, prefix="pf:s"):
    """Choose a status, keeping the category."""

    category: Category | None  # type: ignore[valid-type]


@dataclass(frozen=True)
class FilterCategory(Payload, prefix="pf:c"):
    """Choose a category, keeping the status."""

    status: StatusFilter  # type: ignore[valid-type]


@dataclass(frozen=True)
class MyProblems(Payload, prefix="pmy"):
    page: int


@dataclass(frozen=True)
class Reopen(Payload, prefix="pr"):
    problem_id: int
    version: int


# --- supervisors' figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShowMissing(Payload, prefix="sup:miss"):
    """The late cells of a unit, as a new message (the summary's button)."""

    unit_id: int
    period: Period
    offset: int


@dataclass(frozen=True)
class MissingPage(Payload, prefix="sup:page"):
    """Another page of the late cells, in place."""

    unit_id: int
    period: Period
    offset: int


@dataclass(frozen=True)
class Nudge(Payload, prefix="sup:nudge"):
    cell_id: int
    period: Period


@dataclass(frozen=True)
class ShowFull(Payload, prefix="sup:full"):
    """Every cell the summary's lists name, without the cut (as many messages as it takes)."""

    unit_id: int
    period: Period


# --- linked groups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivateCopies(Payload, prefix="grp:copies"):
    """Under /link's confirmation: the presser (a supervisor) keeps, or stops, receiving
    privately what their units' linked groups receive; the setting is the presser's own."""

    on: bool

"""Every role x action x position of the unit (own, child, sibling, parent)."""

from dataclasses import dataclass

import pytest

from bot.access import Action, can, can_invite, scope
from bot.rules.org import ROLES


@dataclass
class U:
    id: int
    path: str
    kind: str


@dataclass
class R:
    role: str


PARENT = U(1, "1/", "commune")
OWN = U(2, "1/2/", "commune")  # a unit with a child, for supervisors
OWN_CELL = U(3, "1/3/", "cell")  # the own unit of cell roles
CHILD = U(4, "1/2/4/", "cell")
SIBLING = U(5, "1/5/", "cell")
LOOKALIKE = U(22, "1/22/", "cell")  # "1/2" is a prefix of "1/22/" as text, not as a path
TOP = U(1, "1/", "province")

CELL_ACTIONS = {Action.REPORT_VIEW, Action.PROBLEM_VIEW, Action.PROBLEM_RAISE}
REPORTERS = CELL_ACTIONS | {Action.REPORT_SUBMIT}
SUPERVISOR_ACTIONS = set(Action) - {Action.REPORT_SUBMIT, Action.PROBLEM_RAISE}

# role -> the actions it may take on its own unit; the reach below decides which other units.
ALLOWED = {
    "secretary": REPORTERS,
    "deputy": REPORTERS,
    "village_head": CELL_ACTIONS,
    "supervisor": SUPERVISOR_ACTIONS,
    "admin": set(Action),
}


def expected(role: str, action: Action, where: str) -> bool:
    if action not in ALLOWED[role]:
        return False
    reach = {
        "secretary": {"own"},
        "deputy": {"own"},
        "village_head": {"own"},
        "supervisor": {"own", "child"},
        "admin": {"own", "child", "sibling", "parent", "lookalike"},
    }[role]
    return where in reach


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("where", ["own", "child", "sibling", "parent", "lookalike"])
def test_policy_table(role: str, action: Action, where: str) -> None:
    own = OWN_CELL if role in {"secretary", "deputy", "village_head"} else OWN
    child = U(6, own.path + "6/", "cell")
    units = {
        "own": own,
        "child": child,
        "sibling": SIBLING,
        "parent": PARENT,
        "lookalike": LOOKALIKE,
    }
    grants = [(R(role), own)]
    assert can(grants, action, units[where]) is expected(role, action, where)


def test_no_roles_no_access() -> None:
    assert not any(can([], action, OWN) for action in Action)


def test_several_roles_combine() -> None:
    grants = [(R("village_head"), OWN_CELL), (R("secretary"), SIBLING)]
    assert can(grants, Action.REPORT_SUBMIT, SIBLING)
    assert not can(grants, Action.REPORT_SUBMIT, OWN_CELL)
    assert can(grants, Action.PROBLEM_RAISE, OWN_CELL)


def test_scope_folds_nested_grants() -> None:
    grants = [(R("supervisor"), CHILD), (R("supervisor"), OWN), (R("supervisor"), SIBLING)]
    assert scope(grants, Action.SUMMARY_VIEW) == [OWN, SIBLING]
    assert scope([(R("secretary"), OWN_CELL)], Action.SUMMARY_VIEW) == []


@pytest.mark.parametrize(
    ("grant_role", "own", "unit", "role", "allowed"),
    [
        ("supervisor", OWN, CHILD, "secretary", True),
        ("supervisor", OWN, CHILD, "supervisor", False),  # supervisors sit on committees
        ("supervisor", OWN, OWN, "supervisor", True),
        ("supervisor", OWN, OWN, "secretary", False),  # cell roles sit on cells
        ("supervisor", OWN, SIBLING, "secretary", False),  # outside the subtree
        ("supervisor", OWN, CHILD, "admin", False),
        ("secretary", OWN_CELL, OWN_CELL, "deputy", False),
        ("admin", TOP, SIBLING, "deputy", True),
        ("admin", TOP, TOP, "admin", True),
    ],
)
def test_can_invite(grant_role, own, unit, role, allowed) -> None:
    assert can_invite([(R(grant_role), own)], unit, role) is allowed

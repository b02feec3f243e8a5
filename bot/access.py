"""Who may do what on which unit: the only place that decides. Pure; no database, no Telegram.

Cell roles (secretary, deputy, village head) act on their own cell only. Supervisors act on their
unit's whole subtree. Administrators act everywhere. Every handler asks `can` (or `scope` for
lists) instead of deciding for itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.rules.org import ADMIN, CELL, CELL_ROLES, DEPUTY, SECRETARY, SUPERVISOR, VILLAGE_HEAD


class Action(StrEnum):
    REPORT_SUBMIT = "report.submit"  # fill in and send the monthly report
    REPORT_VIEW = "report.view"  # read reports and their history
    REPORT_RETURN = "report.return"  # return a report for correction, reopen a locked one
    PROBLEM_RAISE = "problem.raise"
    PROBLEM_VIEW = "problem.view"
    PROBLEM_HANDLE = "problem.handle"  # acknowledge, progress, forward, resolve, reject
    SUMMARY_VIEW = "summary.view"  # summaries, missing cells, nudges, exports
    INVITE_CREATE = "invite.create"
    GROUP_LINK = "group.link"  # link a group chat to the unit for its summaries


class UnitLike(Protocol):
    id: int | None
    path: str
    kind: str


class RoleLike(Protocol):
    role: str


Grant = tuple[RoleLike, UnitLike]
U = TypeVar("U", bound=UnitLike)

# action -> the roles that may take it on their own unit (cell roles) or subtree (others)
_POLICY: dict[Action, frozenset[str]] = {
    Action.REPORT_SUBMIT: frozenset({SECRETARY, DEPUTY}),
    Action.REPORT_VIEW: frozenset({SECRETARY, DEPUTY, VILLAGE_HEAD, SUPERVISOR}),
    Action.REPORT_RETURN: frozenset({SUPERVISOR}),
    Action.PROBLEM_RAISE: frozenset({SECRETARY, DEPUTY, VILLAGE_HEAD}),
    Action.PROBLEM_VIEW: frozenset({SECRETARY, DEPUTY, VILLAGE_HEAD, SUPERVISOR}),
    Action.PROBLEM_HANDLE: frozenset({SUPERVISOR}),
    Action.SUMMARY_VIEW: frozenset({SUPERVISOR}),
    Action.INVITE_CREATE: frozenset({SUPERVISOR}),
    Action.GROUP_LINK: frozenset({SUPERVISOR}),
}


def is_within(unit: UnitLike, root: UnitLike) -> bool:
    """`unit` is `root` or below it (paths are "1/7/93/", so "1/" never matches "11/")."""
    return unit.path.startswith(root.path)


def _reach(role: str, own: UnitLike, unit: UnitLike) -> bool:
    if role == ADMIN:
        return True
    if role in CELL_ROLES:
        return unit.id == own.id
    return is_within(unit, own)


def can(grants: Iterable[Grant], action: Action, unit: UnitLike) -> bool:
    """May someone holding `grants` take `action` on `unit`?"""
    for assignment, own in grants:
        allowed = assignment.role == ADMIN or assignment.role in _POLICY[action]
        if allowed and _reach(assignment.role, own, unit):
            return True
    return False


def scope(grants: Iterable[tuple[RoleLike, U]], action: Action) -> list[U]:
    """The units whose subtrees (own cell, for cell roles) the action covers, without overlaps.

    Lists and counts use this: an administrator's scope is each of their roots (an admin role is
    granted on the top unit); nested grants are folded into the outermost one.
    """
    roots = [
        own
        for assignment, own in grants
        if assignment.role == ADMIN or assignment.role in _POLICY[action]
    ]
    roots.sort(key=lambda u: len(u.path))
    kept: list[U] = []
    for unit in roots:
        if not any(is_within(unit, outer) for outer in kept):
            kept.append(unit)
    return kept


def can_invite(grants: Iterable[Grant], unit: UnitLike, role: str) -> bool:
    """May they invite someone to `role` on `unit`? Cell roles go on cells, supervisors on the
    committees above them; only administrators create administrators."""
    if role in CELL_ROLES and unit.kind != CELL:
        return False
    if role == SUPERVISOR and unit.kind == CELL:
        return False
    grants = list(grants)
    if role == ADMIN:
        return any(a.role == ADMIN for a, _ in grants)
    return can(grants, Action.INVITE_CREATE, unit)

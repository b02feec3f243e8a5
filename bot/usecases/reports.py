"""Reports as the cell and its supervisors read them, and a supervisor returning one for
correction: for the handlers, the flows and the command line alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import Action, Grant, can
from bot.config import Settings
from bot.i18n import t
from bot.render import report as render
from bot.rules.org import CELL, DEPUTY, SECRETARY
from bot.rules.periods import Period, lock_end
from bot.rules.report import STATUS_RETURNED, can_amend, history_status, reference_number
from bot.usecases import Actor
from storage.models import MeetingReport, Person, Unit
from storage.queries.reports import (
    ReportConflict,
    person_by_id,
    report_by_id,
    reporters_of,
    return_report,
    snapshot,
)
from storage.queries.units import unit_by_id


def reporting_cells(roles: Sequence[Grant]) -> list[Unit]:
    """The cells someone with `roles` may report for (secretary or deputy), in their order."""
    return _own_cells(roles, Action.REPORT_SUBMIT)


def viewable_cells(roles: Sequence[Grant]) -> list[Unit]:
    """The cells whose history someone sees as one of the cell (not as a supervisor)."""
    return _own_cells(roles, Action.REPORT_VIEW)


def _own_cells(roles: Sequence[Grant], action: Action) -> list[Unit]:
    cells: dict[int, Unit] = {}
    for _, unit in roles:
        if unit.kind == CELL and can(roles, action, unit):
            cells.setdefault(unit.id, cast(Unit, unit))  # a grant's unit is a row
    return list(cells.values())


def submitter_role(roles: Sequence[Grant], unit: Unit) -> str:
    """The role someone reports in for `unit`: secretary, else deputy (else their first)."""
    held = [a.role for a, u in roles if u.id == unit.id]
    for role in (SECRETARY, DEPUTY):
        if role in held:
            return role
    return held[0] if held else next(a.role for a, _ in roles)


def reference(report: MeetingReport) -> str:
    return reference_number(Period.parse(report.period), report.id)


def amendable(settings: Settings, now: datetime, report: MeetingReport) -> bool:
    return can_amend(
        report.status,
        Period.parse(report.period),
        now,
        settings.report_deadline_day,
        settings.report_lock_grace_days,
        settings.tz,
    )


async def report_and_unit(
    session: AsyncSession, report_id: int
) -> tuple[MeetingReport | None, Unit | None]:
    report = await report_by_id(session=session, report_id=report_id)
    unit = await unit_by_id(session=session, unit_id=report.unit_id) if report else None
    return report, unit


async def report_text(
    session: AsyncSession,
    settings: Settings,
    lang: str,
    now: datetime,
    report: MeetingReport,
    unit: Unit,
) -> str:
    """The stored report as the cell and its supervisors read it."""
    period = Period.parse(report.period)
    submitter = await person_by_id(session=session, person_id=report.submitted_by_id)
    status = history_status(report, period, settings.report_deadline_day, settings.tz)
    locked = None
    if not amendable(settings, now, report):
        end = lock_end(
            period, settings.report_deadline_day, settings.report_lock_grace_days, settings.tz
        )
        locked = end.date()
    return render.report_view(
        lang,
        values=snapshot(report),
        reference=reference(report),
        period=period,
        unit_name=unit.name,
        submitter=submitter.full_name if submitter else "",
        submitter_role=report.submitter_role,
        submitted_at=report.submitted_at,
        version=report.version,
        status_label=t(lang, f"history.status.{status}"),
        tz=settings.tz,
        return_comment=report.return_comment if report.status == STATUS_RETURNED else None,
        locked_since=locked,
    )


async def returnable(
    session: AsyncSession, actor: Actor, report_id: int, version: int
) -> tuple[MeetingReport, Unit] | None:
    """The report and its cell when the actor may return it as they saw it (`version`); None
    for a report that does not exist, is not in their subtree, changed, or is returned."""
    report, unit = await report_and_unit(session, report_id)
    if report is None or unit is None or not can(actor.roles, Action.REPORT_RETURN, unit):
        return None
    if report.version != version or report.status == STATUS_RETURNED:
        return None
    return report, unit


@dataclass
class Returned:
    """What returning led to: "not_allowed", "changed" (with the report as it is now), or the
    returned report with the people to tell (its secretary and deputies)."""

    outcome: str
    report: MeetingReport | None = None
    unit: Unit | None = None
    reporters: list[Person] = field(default_factory=list)


async def return_for_correction(
    session: AsyncSession,
    actor: Actor,
    report_id: int,
    version: int,
    comment: str,
    now: datetime,
    audit_actor: str,
) -> Returned:
    """Return the report (written before anyone is told), in the caller's transaction."""
    report, unit = await report_and_unit(session, report_id)
    if report is None or unit is None or not can(actor.roles, Action.REPORT_RETURN, unit):
        return Returned("not_allowed")
    try:
        report = await return_report(
            session=session,
            report_id=report.id,
            version=version,
            by_id=actor.person.id,
            comment=comment,
            now=now,
            actor=audit_actor,
        )
    except ReportConflict as conflict:
        return Returned("changed", conflict.current, unit)
    people = [person for person, _ in await reporters_of(session=session, unit_id=unit.id)]
    return Returned("returned", report, unit, people)

"""Monthly meeting reports: submit (with revisions when amending), return, history, lists.

Every change writes an audit event; an amendment keeps the replaced version as a revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.org import DEPUTY, SECRETARY
from bot.rules.report import REPORT_FIELDS, STATUS_RETURNED, STATUS_SUBMITTED
from storage.models import MeetingReport, Person, ReportRevision, RoleAssignment, Unit
from storage.queries.audit import record
from storage.queries.units import in_subtree


class ReportConflict(Exception):
    """The report changed since the sender started editing: nothing was written."""

    def __init__(self, current: MeetingReport) -> None:
        super().__init__(f"report {current.id} is at version {current.version}")
        self.current = current


def snapshot(report: MeetingReport) -> dict[str, Any]:
    """The report's answers and who sent them, as JSON (for revisions and the audit log)."""
    data: dict[str, Any] = {key: getattr(report, key) for key in REPORT_FIELDS}
    if isinstance(data["meeting_date"], date):
        data["meeting_date"] = data["meeting_date"].isoformat()
    data["photos"] = list(data["photos"] or [])
    data.update(
        version=report.version,
        status=report.status,
        submitted_by_id=report.submitted_by_id,
        submitter_role=report.submitter_role,
        submitted_at=report.submitted_at.isoformat(),
    )
    return data


async def report_by_id(*, session: AsyncSession, report_id: int) -> MeetingReport | None:
    return await session.get(MeetingReport, report_id)


async def report_for(
    *, session: AsyncSession, unit_id: int, period: str, for_update: bool = False
) -> MeetingReport | None:
    query = select(MeetingReport).where(
        MeetingReport.unit_id == unit_id, MeetingReport.period == period
    )
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def last_held_report(
    *, session: AsyncSession, unit_id: int, before: str
) -> MeetingReport | None:
    """The cell's latest report of a meeting held before `before` ("YYYY-MM"): its figures that
    rarely change are offered as one-tap answers."""
    result = await session.exec(
        select(MeetingReport)
        .where(
            MeetingReport.unit_id == unit_id,
            col(MeetingReport.period) < before,
            col(MeetingReport.held).is_(True),
        )
        .order_by(col(MeetingReport.period).desc())
    )
    return result.first()


async def submit_report(
    *,
    session: AsyncSession,
    unit_id: int,
    period: str,
    values: dict[str, Any],
    person_id: int,
    role: str,
    base_version: int | None,
    now: datetime,
    actor: str,
) -> MeetingReport:
    """Create the month's report, or amend it when `base_version` is its current version.

    Raises ReportConflict (writing nothing) when someone else sent or changed the report since
    the sender began (`base_version` None means "there was no report yet"). An amendment keeps
    the first submission time, so timeliness is judged on the first sending. `actor` names the
    sender in the audit trail ("telegram:<user id>").
    """
    by = _By(person_id, role, now, actor)
    current = await report_for(session=session, unit_id=unit_id, period=period, for_update=True)
    if current is None:
        return await _create(session, unit_id, period, values, by)
    if current.version != base_version:
        raise ReportConflict(current)
    return await _amend(session, current, values, by)


@dataclass(frozen=True)
class _By:
    person_id: int
    role: str
    at: datetime
    actor: str


async def _create(
    session: AsyncSession, unit_id: int, period: str, values: dict[str, Any], by: _By
) -> MeetingReport:
    report = MeetingReport(
        unit_id=unit_id,
        period=period,
        **values,
        submitted_by_id=by.person_id,
        submitter_role=by.role,
        first_submitted_at=by.at,
        submitted_at=by.at,
    )
    try:
        async with session.begin_nested():  # two first sendings at once: one wins, one conflicts
            session.add(report)
            await session.flush()
    except IntegrityError:
        current = await report_for(session=session, unit_id=unit_id, period=period)
        raise ReportConflict(current) from None
    await _audit(session, by.actor, by.person_id, "report.submit", report, before=None)
    await session.flush()
    return report


async def _amend(
    session: AsyncSession, report: MeetingReport, values: dict[str, Any], by: _By
) -> MeetingReport:
    before = snapshot(report)
    session.add(
        ReportRevision(
            report_id=report.id,
            version=report.version,
            data=before,
            submitted_by_id=report.submitted_by_id,
            submitted_at=report.submitted_at,
        )
    )
    for key, value in values.items():
        setattr(report, key, value)
    report.version += 1
    report.status = STATUS_SUBMITTED
    report.submitted_by_id, report.submitter_role, report.submitted_at = (
        by.person_id,
        by.role,
        by.at,
    )
    session.add(report)
    await _audit(session, by.actor, by.person_id, "report.amend", report, before=before)
    await session.flush()
    return report


async def return_report(
    *,
    session: AsyncSession,
    report_id: int,
    version: int,
    by_id: int,
    comment: str,
    now: datetime,
    actor: str,
) -> MeetingReport:
    """Return the report for correction (it reopens even after the lock).

    Raises ReportConflict when it is no longer the version the supervisor read.
    """
    report = (
        await session.exec(
            select(MeetingReport).where(MeetingReport.id == report_id).with_for_update()
        )
    ).one()
    if report.version != version or report.status == STATUS_RETURNED:
        raise ReportConflict(report)
    before = snapshot(report)
    report.status = STATUS_RETURNED
    report.return_comment, report.returned_by_id, report.returned_at = comment, by_id, now
    session.add(report)
    await _audit(session, actor, by_id, "report.return", report, before=before)
    await session.flush()
    return report


async def _audit(
    session: AsyncSession,
    actor: str,
    actor_id: int,
    action: str,
    report: MeetingReport,
    *,
    before: dict[str, Any] | None,
) -> None:
    after = snapshot(report)
    after["return_comment"] = report.return_comment
    await record(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action=action,
        entity="meeting_report",
        entity_id=report.id,
        before=before,
        after=after,
    )


async def revisions(*, session: AsyncSession, report_id: int) -> list[ReportRevision]:
    result = await session.exec(
        select(ReportRevision)
        .where(ReportRevision.report_id == report_id)
        .order_by(col(ReportRevision.version))
    )
    return list(result.all())


async def reports_by_period(
    *, session: AsyncSession, unit_id: int, periods: Iterable[str]
) -> dict[str, MeetingReport]:
    result = await session.exec(
        select(MeetingReport).where(
            MeetingReport.unit_id == unit_id, col(MeetingReport.period).in_(list(periods))
        )
    )
    return {report.period: report for report in result.all()}


@dataclass(frozen=True)
class ReportPage:
    rows: list[tuple[MeetingReport, Unit]]
    total: int


async def reports_in_subtrees(
    *, session: AsyncSession, roots: Sequence[Unit], period: str, offset: int, limit: int
) -> ReportPage:
    """The month's reports of the cells under `roots`, by cell name, one page of them."""
    where = (
        MeetingReport.period == period,
        or_(*(in_subtree(root) for root in roots)),
    )
    total = (
        await session.exec(
            select(func.count())
            .select_from(MeetingReport)
            .join(Unit, col(Unit.id) == MeetingReport.unit_id)
            .where(*where)
        )
    ).one()
    rows = await session.exec(
        select(MeetingReport, Unit)
        .join(Unit, col(Unit.id) == MeetingReport.unit_id)
        .where(*where)
        .order_by(col(Unit.name), col(Unit.id))
        .offset(offset)
        .limit(limit)
    )
    return ReportPage(list(rows.all()), total)


async def reporters_of(*, session: AsyncSession, unit_id: int) -> list[tuple[Person, str]]:
    """The cell's secretary and deputies (active people, current roles), secretary first."""
    result = await session.exec(
        select(Person, RoleAssignment.role)
        .join(RoleAssignment, col(RoleAssignment.person_id) == Person.id)
        .where(
            RoleAssignment.unit_id == unit_id,
            col(RoleAssignment.role).in_([SECRETARY, DEPUTY]),
            col(RoleAssignment.revoked_at).is_(None),
            col(Person.active).is_(True),
        )
        .order_by(col(RoleAssignment.role).desc(), col(Person.id))
    )
    seen: set[int] = set()
    people = []
    for person, role in result.all():
        if person.id not in seen:
            seen.add(person.id)
            people.append((person, role))
    return people


async def person_by_id(*, session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)

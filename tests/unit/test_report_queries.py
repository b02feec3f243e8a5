"""Report and draft queries, on SQLite and PostgreSQL: submit, amend with revisions, conflicts,
return for correction, lists, and drafts that survive between sessions."""

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import make_person, make_tree
from sqlmodel import col, select

from storage.db import Database
from storage.models import AuditEvent, MeetingReport, ReportRevision
from storage.queries.drafts import (
    draft_by_token,
    get_draft,
    save_draft,
    start_draft,
)
from storage.queries.reports import (
    ReportConflict,
    last_held_report,
    reporters_of,
    reports_by_period,
    reports_in_subtrees,
    return_report,
    revisions,
    submit_report,
)

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def values(**changes: object) -> dict:
    base = {
        "held": True,
        "not_held_reason": None,
        "meeting_date": date(2026, 11, 3),
        "meeting_type": "regular",
        "topic": None,
        "members": 45,
        "exempt": 3,
        "present": 40,
        "absent_excused": 2,
        "absent_unexcused": 0,
        "upper_attendee_name": None,
        "upper_attendee_position": None,
        "content": "Bàn kế hoạch",
        "conclusion": "Thống nhất",
        "candidates": None,
        "admissions": None,
        "full_memberships": None,
        "photos": ["photo-1"],
    }
    return {**base, **changes}


async def setup(db: Database):
    async with db.session() as session:
        tree = await make_tree(session)
        secretary = await make_person(session, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
        deputy = await make_person(session, 1002, "Trần Thị Bình", tree.cell_a1, "deputy")
        supervisor = await make_person(session, 2001, "Lê Văn Cường", tree.commune_a, "supervisor")
    return tree, secretary, deputy, supervisor


async def submit(db: Database, unit_id: int, person_id: int, base: int | None, at: datetime, **kw):
    async with db.session() as session:
        return await submit_report(
            session=session,
            unit_id=unit_id,
            period=kw.pop("period", "2026-11"),
            values=values(**kw),
            person_id=person_id,
            role=kw.pop("role", "secretary"),
            base_version=base,
            now=at,
            actor="test",
        )


async def test_submit_then_amend_keeps_the_earlier_version(db: Database) -> None:
    tree, secretary, deputy, _ = await setup(db)
    first = await submit(db, tree.cell_a1.id, secretary.id, None, T0)
    assert first.version == 1 and first.first_submitted_at == T0

    later = T0 + timedelta(days=1)
    amended = await submit(db, tree.cell_a1.id, deputy.id, 1, later, present=41, absent_excused=1)

    assert amended.id == first.id and amended.version == 2
    assert amended.first_submitted_at == T0 and amended.submitted_at == later
    assert amended.submitted_by_id == deputy.id
    async with db.session() as session:
        kept = await revisions(session=session, report_id=first.id)
        actions = (await session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id)))).all()
    assert [(r.version, r.data["present"], r.submitted_by_id) for r in kept] == [
        (1, 40, secretary.id)
    ]
    assert kept[0].data["meeting_date"] == "2026-11-03"
    assert list(actions) == ["report.submit", "report.amend"]


async def test_a_stale_version_is_refused_and_changes_nothing(db: Database) -> None:
    tree, secretary, deputy, _ = await setup(db)
    await submit(db, tree.cell_a1.id, secretary.id, None, T0)
    await submit(db, tree.cell_a1.id, deputy.id, 1, T0 + timedelta(hours=1), present=41)

    async with db.session() as session:
        with pytest.raises(ReportConflict) as caught:
            await submit_report(
                session=session,
                unit_id=tree.cell_a1.id,
                period="2026-11",
                values=values(present=39),
                person_id=secretary.id,
                role="secretary",
                base_version=1,
                now=T0 + timedelta(hours=2),
                actor="test",
            )
        assert caught.value.current.version == 2  # the caller shows what is stored now

    with pytest.raises(ReportConflict):  # "new" although someone sent one meanwhile
        await submit(db, tree.cell_a1.id, secretary.id, None, T0 + timedelta(hours=2))

    async with db.session() as session:
        report = (await session.exec(select(MeetingReport))).one()
        assert (report.version, report.present) == (2, 41)
        assert len((await session.exec(select(ReportRevision))).all()) == 1


async def test_return_for_correction_then_resubmission_keeps_the_first_time(db: Database) -> None:
    tree, secretary, _, supervisor = await setup(db)
    report = await submit(db, tree.cell_a1.id, secretary.id, None, T0)
    returned_at = T0 + timedelta(days=20)  # long after the lock: returning reopens it
    async with db.session() as session:
        returned = await return_report(
            session=session,
            report_id=report.id,
            version=1,
            by_id=supervisor.id,
            comment="Thiếu ảnh biên bản",
            now=returned_at,
            actor="test",
        )
    assert returned.status == "returned" and returned.return_comment == "Thiếu ảnh biên bản"

    async with db.session() as session:
        with pytest.raises(ReportConflict):  # already returned: not twice
            await return_report(
                session=session,
                report_id=report.id,
                version=1,
                by_id=supervisor.id,
                comment="x",
                now=returned_at,
                actor="test",
            )

    again = await submit(db, tree.cell_a1.id, secretary.id, 1, returned_at + timedelta(days=1))
    assert again.status == "submitted" and again.version == 2
    assert again.first_submitted_at == T0
    assert again.returned_by_id == supervisor.id


async def test_return_of_a_changed_report_is_refused(db: Database) -> None:
    tree, secretary, _, supervisor = await setup(db)
    report = await submit(db, tree.cell_a1.id, secretary.id, None, T0)
    await submit(db, tree.cell_a1.id, secretary.id, 1, T0 + timedelta(hours=1), present=41)
    async with db.session() as session:
        with pytest.raises(ReportConflict):
            await return_report(
                session=session, report_id=report.id, version=1, by_id=supervisor.id,
                comment="x", now=T0, actor="test",
            )  # fmt: skip


async def test_last_held_report_gives_the_usual_figures(db: Database) -> None:
    tree, secretary, _, _ = await setup(db)
    cell = tree.cell_a1.id
    await submit(db, cell, secretary.id, None, T0, period="2026-09", members=44)
    await submit(db, cell, secretary.id, None, T0, period="2026-10", held=False, members=None)
    await submit(db, cell, secretary.id, None, T0, period="2026-12", members=50)
    async with db.session() as session:
        last = await last_held_report(session=session, unit_id=cell, before="2026-11")
        months = ["2026-10", "2026-11"]
        found = await reports_by_period(session=session, unit_id=cell, periods=months)
    assert last is not None and (last.period, last.members) == ("2026-09", 44)
    assert list(found) == ["2026-10"]


async def test_supervisors_list_their_subtree_page_by_page(db: Database) -> None:
    tree, secretary, _, _ = await setup(db)
    for cell in (tree.cell_a1, tree.cell_a2, tree.cell_b1):
        await submit(db, cell.id, secretary.id, None, T0)
    async with db.session() as session:
        first = await reports_in_subtrees(
            session=session, roots=[tree.commune_a], period="2026-11", offset=0, limit=1
        )
        second = await reports_in_subtrees(
            session=session, roots=[tree.commune_a], period="2026-11", offset=1, limit=1
        )
        everywhere = await reports_in_subtrees(
            session=session, roots=[tree.province], period="2026-11", offset=0, limit=10
        )
        other_month = await reports_in_subtrees(
            session=session, roots=[tree.province], period="2026-10", offset=0, limit=10
        )
    assert first.total == second.total == 2
    names = [unit.name for _, unit in first.rows + second.rows]
    assert names == sorted([tree.cell_a1.name, tree.cell_a2.name])
    assert everywhere.total == 3 and other_month.total == 0


async def test_reporters_of_a_cell(db: Database) -> None:
    tree, secretary, deputy, _ = await setup(db)
    async with db.session() as session:
        await make_person(session, 1003, "Phạm Văn Dũng", tree.cell_a1, "village_head")
        await make_person(session, 1004, "Hoàng Thị Em", tree.cell_a2, "secretary")
        found = await reporters_of(session=session, unit_id=tree.cell_a1.id)
    expected = [(secretary.id, "secretary"), (deputy.id, "deputy")]
    assert [(p.id, role) for p, role in found] == expected


async def test_drafts_are_replaced_found_by_token_and_saved(db: Database) -> None:
    _, secretary, _, _ = await setup(db)
    async with db.session() as session:
        old = await start_draft(
            session=session, person_id=secretary.id, kind="report", step="held", now=T0
        )
        old_token = old.token
    async with db.session() as session:
        new = await start_draft(
            session=session,
            person_id=secretary.id,
            kind="report",
            step="held",
            now=T0,
            data={"_mode": "new"},
            period="2026-11",
        )
        assert new.token != old_token
        await start_draft(
            session=session,
            person_id=secretary.id,
            kind="report_return",
            step="comment",
            now=T0 - timedelta(hours=1),
        )
    async with db.session() as session:
        draft = await get_draft(session=session, person_id=secretary.id, kind="report")
        draft.data["members"] = 45  # changed in place: must still be saved
        draft.step = "exempt"
        await save_draft(session=session, draft=draft, now=T0 + timedelta(minutes=5))
    async with db.session() as session:
        gone = await draft_by_token(session=session, person_id=secretary.id, token=old_token)
        assert gone is None
        latest = await get_draft(session=session, person_id=secretary.id, kind="report")
    assert latest.kind == "report" and latest.step == "exempt"
    assert latest.data == {"_mode": "new", "members": 45}
    assert latest.updated_at == T0 + timedelta(minutes=5)

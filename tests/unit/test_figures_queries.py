"""The figures counted in SQL, on SQLite and PostgreSQL, against the hand-computed example
(tests/figures_example.py), and the audiences of scheduled messages."""

from __future__ import annotations

from datetime import date

import pytest
from factories import IMPORTED, make_person
from figures_example import AS_OF, TZ, Example, build_example

from bot.rules.figures import Calendar, last_months
from bot.rules.periods import Period, deadline_end
from storage.db import Database
from storage.models import GroupLink, MeetingReport, Unit
from storage.queries.audience import (
    committee_chats,
    escalation_chain,
    reminder_targets,
    set_private_copies,
    supervising_units,
)
from storage.queries.figures import (
    ProblemCounts,
    counts_by_child,
    in_subtree,
    missing_cells,
    month_summary,
    report_rows,
    trend,
)
from storage.queries.tree import add_unit

JUNE = Period(2025, 6)
CAL = Calendar(tz=TZ)


@pytest.fixture
async def example(db: Database) -> Example:
    async with db.session() as session:
        return await build_example(session)


async def test_the_month_summary_equals_the_hand_computed_example(db, example) -> None:
    async with db.session() as session:
        summary = await month_summary(
            session=session, root=example.tree.province, period=JUNE, now=AS_OF, cal=CAL
        )
    total = summary.total
    assert (total.expected, total.received, total.on_time, total.late, total.missing) == (
        4,
        3,
        2,
        1,
        1,
    )
    assert (total.completeness, total.timeliness) == (75, 50)
    assert (total.held, total.not_held) == (2, 1)
    assert total.rate_sum == pytest.approx(17 / 18 + 8 / 10)
    assert (total.rated, total.average_attendance, total.below_bar) == (2, 87, 1)
    assert (total.good, total.quality_share) == (1, 50)
    assert (total.unexcused, total.upper, total.thematic) == (1, 1, 2)
    # worst first: PB (1/2 received, 0 on time) before XA (2/2, 2/2)
    assert [(c.code, c.counts.received, c.counts.on_time) for c in summary.children] == [
        ("PB", 1, 0),
        ("XA", 2, 2),
    ]
    problems = summary.problems
    assert problems.total == ProblemCounts(new=4, open=3, overdue=2, resolved=1)
    assert problems.by_category == {
        "dat_dai": ProblemCounts(new=1, open=2, overdue=1, resolved=0),
        "moi_truong": ProblemCounts(new=1, open=0, overdue=0, resolved=1),
        "khac": ProblemCounts(new=1, open=0, overdue=0, resolved=0),
        "an_ninh_trat_tu": ProblemCounts(new=1, open=1, overdue=1, resolved=0),
    }
    tree = example.tree
    assert problems.by_child == {
        tree.commune_a.id: ProblemCounts(new=2, open=1, overdue=1, resolved=0),
        tree.commune_b.id: ProblemCounts(new=2, open=2, overdue=1, resolved=1),
    }
    assert [(p.full_name, p.role) for p in summary.unreachable] == [("Hoàng Văn Chặn", "secretary")]


async def test_a_commune_sees_its_cells_only(db, example) -> None:
    async with db.session() as session:
        summary = await month_summary(
            session=session, root=example.tree.commune_b, period=JUNE, now=AS_OF, cal=CAL
        )
    # its children are its cells: b1 missing, b3 late (b2 merged away is not expected)
    assert {c.code: (c.counts.received, c.counts.on_time) for c in summary.children} == {
        "PB-01": (0, 0),
        "PB-03": (1, 0),
    }
    assert summary.problems.total == ProblemCounts(new=2, open=2, overdue=1, resolved=1)


async def test_the_trend_counts_only_expected_cells_each_month(db, example) -> None:
    months = last_months(JUNE)
    async with db.session() as session:
        found = await trend(
            session=session,
            root=example.tree.province,
            deadlines={m: deadline_end(m, 5, TZ) for m in months},
        )
    by_month = {str(m.period): (m.expected, m.received, m.on_time) for m in found}
    assert by_month["2024-07"] == (5, 0, 0)  # b2 still active, a3 not yet
    assert by_month["2025-04"] == (5, 1, 1)
    assert by_month["2025-05"] == (5, 1, 1)
    assert by_month["2025-06"] == (4, 3, 2)
    assert len(found) == 12


async def test_missing_cells_are_listed_by_code_a_page_at_a_time(db, example) -> None:
    async with db.session() as session:
        cells, count = await missing_cells(session=session, root=example.tree.province, period=JUNE)
        assert (count, [c.code for c in cells]) == (1, ["PB-01"])
        may, count = await missing_cells(
            session=session, root=example.tree.province, period=Period(2025, 5), limit=2, offset=1
        )
    assert count == 5 - 1  # b2 reported May
    assert [c.code for c in may] == ["PB-03", "XA-01"]  # by code


async def test_the_export_rows_are_every_expected_cell_with_its_report(db, example) -> None:
    async with db.session() as session:
        rows = [
            row
            async for row in report_rows(session=session, root=example.tree.province, period=JUNE)
        ]
    assert [(r.child_name[:8], r.unit_code, r.report is not None) for r in rows] == [
        ("Đảng ủy ", "PB-01", False),
        ("Đảng ủy ", "PB-03", True),
        ("Đảng ủy ", "XA-01", True),
        ("Đảng ủy ", "XA-02", True),
    ]


async def test_a_path_prefix_is_not_a_text_prefix(db) -> None:
    """Unit 1's subtree is "1/…", not "11/…" nor "1x"; children are found at any depth."""
    async with db.session() as session:
        root = Unit(id=1, code="R1", name="R1", kind="province", path="1/")
        twin = Unit(id=11, code="R11", name="R11", kind="province", path="11/")
        session.add_all([root, twin])
        await session.flush()
        commune = Unit(id=2, code="C2", name="C2", kind="commune", parent_id=1, path="1/2/")
        partial = Unit(id=3, code="P3", name="P3", kind="partial", parent_id=2, path="1/2/3/")
        session.add_all([commune, partial])
        await session.flush()
        for unit_id, path in ((4, "1/2/3/4/"), (5, "1/5/"), (6, "11/6/"), (7, "1/2/7/")):
            session.add(
                Unit(
                    id=unit_id,
                    code=f"K{unit_id}",
                    name=f"K{unit_id}",
                    kind="cell",
                    path=path,
                    created_at=IMPORTED,
                )
            )
        await session.flush()
        session.add(MeetingReport(unit_id=4, period=str(JUNE), first_submitted_at=AS_OF))
        await session.flush()
        children = await counts_by_child(
            session=session, root=root, period=JUNE, deadline=deadline_end(JUNE, 5, TZ)
        )
        in_root = (await session.exec(Unit.__table__.select().where(in_subtree(root)))).all()
    assert {c.unit_id: (c.counts.expected, c.counts.received) for c in children} == {
        2: (2, 1),  # cells 4 (deep, reported) and 7
        5: (1, 0),  # a cell right under the root is its own row
    }
    assert sorted(row.id for row in in_root) == [1, 2, 3, 4, 5, 7]


async def test_reminders_go_to_reporters_of_expected_cells_without_a_report(db, example) -> None:
    async with db.session() as session:
        deputy = await make_person(session, 1102, "Vũ Văn Phó", example.tree.cell_a1, "deputy")
        await make_person(session, 1103, "Lý Thị Trưởng", example.tree.cell_a2, "village_head")
        await make_person(session, 1104, "Mai Văn Mới", example.a3, "secretary")
        deputy.active = False  # left: no more reminders
        await session.flush()
        june = await reminder_targets(session=session, period=JUNE)
        july = await reminder_targets(session=session, period=Period(2025, 7))
    assert [(t.unit_name, t.chat.chat_id) for t in june] == [("Chi bộ khu phố 3", 1201)]
    assert sorted(t.chat.chat_id for t in july) == [1101, 1104, 1201, 1301]  # a3 expected from July


async def test_a_group_receives_beside_the_supervisors_private_chats(db, example) -> None:
    tree = example.tree
    async with db.session() as session:
        session.add(GroupLink(chat_id=-100500, unit_id=tree.province.id, title="Tỉnh ủy"))
        await session.flush()
        units = await supervising_units(session=session)
        chats = await committee_chats(session=session, unit_ids=[u.id for u in units])
        cell = await session.get(Unit, tree.cell_a2.id)
        chain = await escalation_chain(session=session, unit=cell)
    assert [u.code for u in units] == ["QN", "XA"]
    assert [c.chat_id for c in chats[tree.province.id]] == [-100500, 9001]
    assert [(c.chat_id, c.language) for c in chats[tree.commune_a.id]] == [(9002, None)]
    assert [u.code for u in chain] == ["XA", "QN"]  # the cell has no committee
    async with db.session() as session:
        await set_private_copies(session=session, person_id=example.supervisor.id, on=False)
    async with db.session() as session:
        chats = await committee_chats(session=session, unit_ids=[u.id for u in units])
    assert [c.chat_id for c in chats[tree.province.id]] == [-100500]  # turned off: group only


async def test_without_a_group_private_copies_cannot_be_turned_off(db, example) -> None:
    async with db.session() as session:
        await set_private_copies(session=session, person_id=example.supervisor.id, on=False)
    async with db.session() as session:
        chats = await committee_chats(session=session, unit_ids=[example.tree.province.id])
    assert [c.chat_id for c in chats[example.tree.province.id]] == [9001]


async def test_a_unit_created_later_is_not_expected_before(db, example) -> None:
    async with db.session() as session:
        late = await add_unit(
            session=session,
            code="XA-09",
            name="Chi bộ thôn Chín",
            kind="cell",
            parent=example.tree.commune_a,
            valid_from=date(2025, 7, 1),
        )
        june = await counts_by_child(
            session=session,
            root=example.tree.commune_a,
            period=JUNE,
            deadline=deadline_end(JUNE, 5, TZ),
        )
    assert late.id not in {c.unit_id for c in june}


async def test_a_months_problem_figures_keep_to_that_month(db, example) -> None:
    """November's figures: raised in November, resolved in November, open at its end; a
    problem raised in December is in none of them, one resolved on 2 December was open."""
    from datetime import datetime as dt

    from storage.models import Problem
    from storage.queries.figures import problem_figures
    from storage.queries.problems import create_problem

    def at(text: str) -> dt:
        return dt.fromisoformat(text).replace(tzinfo=TZ)

    cell = example.tree.cell_a1
    async with db.session() as session:
        for title, created, resolved, due in (
            ("Raised in December", "2025-12-01T08:00", None, "2025-12-20T08:00"),
            ("Resolved on 2 December", "2025-11-10T08:00", "2025-12-02T08:00", "2025-11-20T08:00"),
            ("Resolved in November", "2025-11-11T08:00", "2025-11-25T08:00", "2025-12-20T08:00"),
        ):
            await create_problem(
                session=session,
                problem=Problem(
                    unit_id=cell.id,
                    handling_unit_id=example.tree.commune_a.id,
                    category="khac",
                    title=title,
                    status="resolved" if resolved else "new",
                    created_at=at(created),
                    updated_at=at(resolved or created),
                    resolved_at=at(resolved) if resolved else None,
                    due_at=at(due),
                ),
            )
        figures = await problem_figures(
            session=session,
            root=example.tree.commune_a,
            start=at("2025-11-01T00:00"),
            end=at("2025-12-01T00:00"),
        )
    other = figures.by_category["khac"]
    # the example's own "khac" problem (raised in June, rejected) is in none of November's
    assert (other.new, other.resolved, other.open, other.overdue) == (2, 1, 1, 1)

"""Problem queries: routing, changes and events, lists by subtree, digests."""

from datetime import UTC, datetime, timedelta

from factories import make_person, make_tree
from sqlmodel import select

from bot.rules.problems import ACKNOWLEDGE, FORWARD, RESOLVE, transition
from storage.db import Database
from storage.models import GroupLink, MeetingReport, Problem, RoleAssignment
from storage.queries import problems as q

NOW = datetime(2025, 8, 10, 9, 0, tzinfo=UTC)


def _problem(unit, handling, reporter, **fields) -> Problem:
    values = {
        "unit_id": unit.id,
        "handling_unit_id": handling.id,
        "category": "moi_truong",
        "title": "Rác thải ven đường",
        "description": "Rác tồn đọng nhiều ngày",
        "reporter_id": reporter.id,
        "due_at": NOW + timedelta(days=10),
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Problem(**values)


async def test_routing_finds_the_nearest_supervised_ancestor(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        assert await q.nearest_supervised_ancestor(session=session, unit=tree.cell_a1) is None
        boss = await make_person(session, 9, "Tỉnh", tree.province, "supervisor")
        found = await q.nearest_supervised_ancestor(session=session, unit=tree.cell_a1)
        assert found.id == tree.province.id
        commune = await make_person(session, 8, "Xã", tree.commune_a, "supervisor")
        await make_person(session, 7, "Bí thư", tree.cell_a1, "secretary")
        found = await q.nearest_supervised_ancestor(session=session, unit=tree.cell_a1)
        assert found.id == tree.commune_a.id
        # forwarding up from the commune reaches the province
        above = await q.nearest_supervised_ancestor(session=session, unit=tree.commune_a)
        assert above.id == tree.province.id
        people = await q.supervisors_of(session=session, unit_id=tree.commune_a.id)
        assert [p.id for p in people] == [commune.id]
        assert boss.id not in [p.id for p in people]


async def test_revoked_or_inactive_supervisors_do_not_count(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        await make_person(session, 9, "Tỉnh", tree.province, "supervisor")
        gone = await make_person(session, 8, "Xã cũ", tree.commune_a, "supervisor")
        role = (
            await session.exec(select(RoleAssignment).where(RoleAssignment.person_id == gone.id))
        ).one()
        role.revoked_at = NOW
        session.add(role)
        await session.flush()
        found = await q.nearest_supervised_ancestor(session=session, unit=tree.cell_a1)
        assert found.id == tree.province.id
        assert await q.supervisors_of(session=session, unit_id=tree.commune_a.id) == []
        away = await make_person(session, 6, "Nghỉ", tree.commune_a, "supervisor")
        away.active = False
        session.add(away)
        await session.flush()
        found = await q.nearest_supervised_ancestor(session=session, unit=tree.cell_a1)
        assert found.id == tree.province.id


async def test_group_chats_of_a_unit(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        session.add(GroupLink(chat_id=-100123, unit_id=tree.commune_a.id))
        await session.flush()
        assert await q.group_chats_of(session=session, unit_id=tree.commune_a.id) == [-100123]
        assert await q.group_chats_of(session=session, unit_id=tree.commune_b.id) == []


async def test_create_change_and_events(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        reporter = await make_person(session, 1, "Bí thư", tree.cell_a1, "secretary")
        boss = await make_person(session, 2, "Xã", tree.commune_a, "supervisor")
        problem = await q.create_problem(
            session=session, problem=_problem(tree.cell_a1, tree.commune_a, reporter)
        )
        assert await q.state_version(session=session, problem_id=problem.id) == 1
        await q.change_status(
            session=session,
            problem=problem,
            change=transition(problem.status, ACKNOWLEDGE),
            person_id=boss.id,
            now=NOW + timedelta(hours=1),
        )
        await q.add_supplement(
            session=session,
            problem=problem,
            person_id=reporter.id,
            note="Thêm ảnh",
            photos=["f2"],
            location=(21.0, 107.1),
            now=NOW + timedelta(hours=2),
        )
        await q.change_status(
            session=session,
            problem=problem,
            change=transition(problem.status, FORWARD),
            person_id=boss.id,
            now=NOW + timedelta(hours=3),
            handling_unit_id=tree.province.id,
        )
        await q.change_status(
            session=session,
            problem=problem,
            change=transition(problem.status, RESOLVE),
            person_id=boss.id,
            now=NOW + timedelta(hours=4),
            note="Đã dọn",
        )
    async with db.session() as session:
        stored = await q.problem_by_id(session=session, problem_id=problem.id, for_update=True)
        assert stored.status == "resolved"
        assert stored.handling_unit_id == tree.province.id
        assert stored.resolved_at == NOW + timedelta(hours=4)
        assert stored.photos == ["f2"]
        assert (stored.latitude, stored.longitude) == (21.0, 107.1)
        # the supplement is an event but not a change of state
        assert await q.state_version(session=session, problem_id=problem.id) == 4
        events = await q.recent_events(session=session, problem_id=problem.id, limit=10)
        assert [(e.action, e.from_status, e.to_status) for e, _ in events] == [
            ("raise", None, "new"),
            ("acknowledge", "new", "acknowledged"),
            ("supplement", None, None),
            ("forward", "acknowledged", "new"),
            ("resolve", "new", "resolved"),
        ]
        assert events[-1][0].note == "Đã dọn"
        assert events[-1][1].full_name == "Xã"
        last_two = await q.recent_events(session=session, problem_id=problem.id, limit=2)
        assert [e.action for e, _ in last_two] == ["forward", "resolve"]


async def test_lists_keep_to_the_subtree_oldest_first(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        reporter = await make_person(session, 1, "Bí thư", tree.cell_a1, "secretary")
        other = await make_person(session, 3, "Bí thư B", tree.cell_b1, "secretary")
        for day, unit, who in [
            (3, tree.cell_a1, reporter),
            (1, tree.cell_a2, reporter),
            (2, tree.cell_b1, other),
        ]:
            await q.create_problem(
                session=session,
                problem=_problem(unit, tree.commune_a, who, created_at=NOW + timedelta(days=day)),
            )
        closed = _problem(tree.cell_a1, tree.commune_a, reporter, status="resolved")
        await q.create_problem(session=session, problem=closed)
        land = _problem(tree.cell_a1, tree.commune_a, reporter, category="dat_dai")
        await q.create_problem(session=session, problem=land)

        rows, total = await q.list_problems(
            session=session, roots=[tree.commune_a], statuses=("new",)
        )
        assert total == 3
        assert [u.id for _, u in rows] == [tree.cell_a1.id, tree.cell_a2.id, tree.cell_a1.id]
        assert rows[0][0].category == "dat_dai"  # created at NOW, the oldest
        page, total = await q.list_problems(
            session=session, roots=[tree.commune_a], statuses=("new",), offset=1, limit=1
        )
        assert total == 3 and len(page) == 1 and page[0][1].id == tree.cell_a2.id
        rows, total = await q.list_problems(
            session=session, roots=[tree.commune_a], statuses=("new",), category="dat_dai"
        )
        assert total == 1
        rows, total = await q.list_problems(
            session=session, roots=[tree.cell_b1], statuses=("new", "resolved")
        )
        assert total == 1
        rows, total = await q.list_problems(session=session, roots=[], statuses=("new",))
        assert (rows, total) == ([], 0)
        mine, total = await q.reporter_problems(session=session, person_id=reporter.id)
        assert total == 4
        assert mine[0].id == land.id  # newest first


async def test_similar_open_problems(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        reporter = await make_person(session, 1, "Bí thư", tree.cell_a1, "secretary")
        same = await q.create_problem(
            session=session, problem=_problem(tree.cell_a1, tree.commune_a, reporter)
        )
        for problem in [
            _problem(tree.cell_a1, tree.commune_a, reporter, status="resolved"),
            _problem(tree.cell_a1, tree.commune_a, reporter, category="dat_dai"),
            _problem(tree.cell_a2, tree.commune_a, reporter),
        ]:
            await q.create_problem(session=session, problem=problem)
        found = await q.similar_open_problems(
            session=session, unit_id=tree.cell_a1.id, category="moi_truong"
        )
        assert [p.id for p in found] == [same.id]


async def test_new_problems_since_counts_arrivals(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        reporter = await make_person(session, 1, "Bí thư", tree.cell_a1, "secretary")
        old = await q.create_problem(
            session=session,
            problem=_problem(
                tree.cell_a1, tree.commune_a, reporter, created_at=NOW - timedelta(days=2)
            ),
        )
        fresh = await q.create_problem(
            session=session, problem=_problem(tree.cell_a1, tree.commune_a, reporter)
        )
        seen = await q.create_problem(
            session=session, problem=_problem(tree.cell_a2, tree.commune_a, reporter)
        )
        await q.change_status(
            session=session,
            problem=seen,
            change=transition("new", ACKNOWLEDGE),
            person_id=None,
            now=NOW,
        )
        since = NOW - timedelta(days=1)
        found = await q.new_problems_since(session=session, unit=tree.commune_a, since=since)
        assert [p.id for p in found] == [fresh.id]
        # forwarded up today: new for the province although raised earlier
        await q.change_status(
            session=session,
            problem=old,
            change=transition("new", FORWARD),
            person_id=None,
            now=NOW,
            handling_unit_id=tree.province.id,
        )
        found = await q.new_problems_since(session=session, unit=tree.province, since=since)
        assert [p.id for p in found] == [old.id]


async def test_overdue_problems(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        reporter = await make_person(session, 1, "Bí thư", tree.cell_a1, "secretary")
        late = await q.create_problem(
            session=session,
            problem=_problem(tree.cell_a1, tree.commune_a, reporter, due_at=NOW - timedelta(1)),
        )
        for problem in [
            _problem(tree.cell_a1, tree.commune_a, reporter),
            _problem(
                tree.cell_a1, tree.commune_a, reporter, due_at=NOW - timedelta(1), status="resolved"
            ),
        ]:
            await q.create_problem(session=session, problem=problem)
        assert [p.id for p in await q.overdue_problems(session=session, now=NOW)] == [late.id]


async def test_linkable_report(db: Database) -> None:
    async with db.session() as session:
        tree = await make_tree(session)
        session.add(MeetingReport(unit_id=tree.cell_a1.id, period="2025-07"))
        session.add(MeetingReport(unit_id=tree.cell_a1.id, period="2025-08"))
        await session.flush()
        found = await q.linkable_report(
            session=session, unit_id=tree.cell_a1.id, periods=["2025-08", "2025-07"]
        )
        assert found.period == "2025-08"
        none = await q.linkable_report(
            session=session, unit_id=tree.cell_a2.id, periods=["2025-08"]
        )
        assert none is None

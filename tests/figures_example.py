"""The hand-computed example of a month's summary: June 2025, deadline 5 July (Asia/Ho_Chi_Minh).

Province QN
├── XA (commune)  a1 on time, held, thematic, upper attendee, 17/18 present (94%), returned and
│                  sent again after the deadline (keeps its first, on-time submission)
│                 a2 on time, NOT HELD (thematic meeting in April)
│                 a3 created 15 June: not expected; its June report does not count
└── PB (ward)     b1 MISSING; its secretary blocked the bot (unreachable)
                  b2 merged into b1 on 20 June: not expected; its June report does not count
                  b3 LATE (6 July), held, 8/10 present (80%), one unexcused absence

Expected 4 · received 3 (75%) · on time 2 (50%) · held 2 · not held 1
average attendance (94.4% + 80%) / 2 = 87% · ≤85%: 1 · good quality 1/2 (50%)
unexcused 1 · upper attendee 1 · thematic this quarter 2 cells
XA 2/2 (100%, 100%) · PB 1/2 (50%, 0%): PB is listed first (worst first)

Problems (as of any time from 1 July 2025 on): new 4 · open 3 · overdue 2 · resolved 1
  dat_dai new 1 open 2 overdue 1 · moi_truong new 1 resolved 1 · khac new 1 ·
  an_ninh_trat_tu new 1 open 1 overdue 1;  XA new 2 open 1 overdue 1 · PB new 2 open 2 overdue 1
Trend: Jul 2024–Mar 2025 0/5 · Apr 2025 1/5 (1 on time) · May 2025 1/5 (1) · Jun 2025 3/4 (2)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from factories import Tree, imported_long_ago, make_person, make_tree
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import MeetingReport, Person, Problem, Unit
from storage.queries.problems import create_problem
from storage.queries.tree import add_unit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = "2025-06"
AS_OF = datetime(2025, 7, 6, 7, 0, tzinfo=TZ)


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    """ "2025-07-02" at that local hour."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=TZ)


@dataclass
class Example:
    tree: Tree
    a3: Unit
    b2: Unit
    b3: Unit
    supervisor: Person  # of the province
    commune_supervisor: Person  # of XA
    blocked: Person  # b1's secretary, unreachable


async def build_example(session: AsyncSession) -> Example:
    tree = await make_tree(session)
    a3 = await add_unit(
        session=session,
        code="XA-03",
        name="Chi bộ thôn Mới",
        kind="cell",
        parent=tree.commune_a,
        valid_from=date(2025, 6, 15),
    )
    b2 = await add_unit(
        session=session,
        code="PB-02",
        name="Chi bộ khu phố 5",
        kind="cell",
        parent=tree.commune_b,
        valid_to=date(2025, 6, 20),
    )
    b2.successor_id = tree.cell_b1.id
    b3 = await add_unit(
        session=session, code="PB-03", name="Chi bộ khu phố 7", kind="cell", parent=tree.commune_b
    )
    imported_long_ago(a3, b2, b3)
    supervisor = await make_person(session, 9001, "Lê Thị Tỉnh", tree.province, "supervisor")
    commune_supervisor = await make_person(
        session, 9002, "Phạm Văn Xã", tree.commune_a, "supervisor"
    )
    blocked = await make_person(session, 1201, "Hoàng Văn Chặn", tree.cell_b1, "secretary")
    blocked.reachable = False
    await make_person(session, 1101, "Nguyễn Văn An", tree.cell_a1, "secretary")
    await make_person(session, 1301, "Đỗ Thị Bảy", b3, "secretary")

    session.add_all(
        [
            MeetingReport(
                unit_id=tree.cell_a1.id,
                period=PERIOD,
                held=True,
                meeting_date=date(2025, 6, 12),
                meeting_type="thematic",
                topic="Chuyển đổi số",
                members=20,
                exempt=2,
                present=17,
                absent_excused=1,
                absent_unexcused=0,
                upper_attendee_name="Trần Văn Bình",
                upper_attendee_position="Đảng ủy viên",
                version=2,
                first_submitted_at=at("2025-07-02", 10),
                submitted_at=at("2025-07-08", 16),
            ),
            MeetingReport(
                unit_id=tree.cell_a2.id,
                period=PERIOD,
                held=False,
                not_held_reason="Mưa bão",
                first_submitted_at=at("2025-07-04", 20),
                submitted_at=at("2025-07-04", 20),
            ),
            MeetingReport(
                unit_id=b3.id,
                period=PERIOD,
                held=True,
                meeting_date=date(2025, 6, 20),
                meeting_type="regular",
                members=10,
                exempt=0,
                present=8,
                absent_excused=1,
                absent_unexcused=1,
                first_submitted_at=at("2025-07-06", 9),
                submitted_at=at("2025-07-06", 9),
            ),
            # not expected in June: they must not count
            MeetingReport(
                unit_id=a3.id,
                period=PERIOD,
                held=True,
                meeting_date=date(2025, 6, 25),
                meeting_type="regular",
                members=5,
                exempt=0,
                present=5,
                absent_excused=0,
                absent_unexcused=0,
                first_submitted_at=at("2025-07-01"),
                submitted_at=at("2025-07-01"),
            ),
            MeetingReport(
                unit_id=b2.id,
                period=PERIOD,
                held=False,
                not_held_reason="Sáp nhập",
                first_submitted_at=at("2025-06-30"),
                submitted_at=at("2025-06-30"),
            ),
            # earlier months (trend, thematic this quarter)
            MeetingReport(
                unit_id=tree.cell_a2.id,
                period="2025-04",
                held=True,
                meeting_date=date(2025, 4, 10),
                meeting_type="thematic",
                topic="Học tập và làm theo tư tưởng Hồ Chí Minh",
                members=12,
                exempt=0,
                present=12,
                absent_excused=0,
                absent_unexcused=0,
                first_submitted_at=at("2025-05-03"),
                submitted_at=at("2025-05-03"),
            ),
            MeetingReport(
                unit_id=b2.id,
                period="2025-05",
                held=False,
                not_held_reason="Chuẩn bị sáp nhập",
                first_submitted_at=at("2025-06-02"),
                submitted_at=at("2025-06-02"),
            ),
        ]
    )

    def problem(unit: Unit, category: str, title: str, created: str, due: str, status: str,
                resolved: str | None = None) -> Problem:  # fmt: skip
        return Problem(
            unit_id=unit.id,
            handling_unit_id=tree.commune_a.id if unit.path.startswith(tree.commune_a.path)
            else tree.commune_b.id,
            category=category,
            title=title,
            status=status,
            created_at=at(created),
            updated_at=at(created),
            due_at=at(due),
            resolved_at=at(resolved) if resolved else None,
        )  # fmt: skip

    for made in (
            problem(tree.cell_a1, "dat_dai", "Tranh chấp ranh giới đất", "2025-06-10",
                    "2025-06-30", "in_progress"),
            problem(b3, "moi_truong", "Rác thải ven sông", "2025-06-20", "2025-07-10",
                    "resolved", resolved="2025-06-28"),
            problem(tree.cell_b1, "dat_dai", "Cấp sổ đỏ chậm", "2025-05-15", "2099-01-01",
                    "acknowledged"),
            problem(tree.cell_a2, "khac", "Xin thêm đèn đường", "2025-06-25", "2025-07-25",
                    "rejected"),
            problem(b2, "an_ninh_trat_tu", "Trộm cắp vặt", "2025-06-05", "2025-06-15", "new"),
    ):  # fmt: skip
        await create_problem(session=session, problem=made)
    await session.flush()
    return Example(tree, a3, b2, b3, supervisor, commune_supervisor, blocked)

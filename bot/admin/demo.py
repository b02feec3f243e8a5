"""`chibo demo seed`: a realistic demo province to try the bot and its summaries on.

About 50 commune-level committees and 1,500 cells, the monthly reports of the last three full
months and of the current one (most on time, some late, some "not held", some missing), a few
hundred problems in every category and status, and a handful of people with roles.

Deterministic: the same --seed and --today give the same rows (random.Random(seed), every date
relative to --today). The units go through the CSV import (`import_units`), so paths, depths and
audit events are made exactly as for a real import; the rest is inserted in bulk.
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.admin import OK, UsageError, cli_actor, command, group, with_database
from bot.admin.units_csv import OPTIONAL_COLUMNS, UnitRow, UnitsFile, import_units, parse_iso_date
from bot.config import Settings
from bot.rules.org import ADMIN, CELL, DEPUTY, SECRETARY, SUPERVISOR, VILLAGE_HEAD, is_active_in
from bot.rules.periods import Period, deadline_end
from bot.rules.problems import CATEGORIES
from bot.rules.report import REPORT_FIELDS
from storage.db import Database
from storage.models import (
    MeetingReport,
    Person,
    Problem,
    ProblemEvent,
    RoleAssignment,
    Unit,
    table_of,
)
from storage.queries.audit import record
from storage.queries.units import codes_taken

PROVINCE_CODE = "QND"
PROVINCE_NAME = "Tỉnh ủy Quảng Ninh (demo)"
# Far above real Telegram ids (about 2^40 today): never a real account.
TELEGRAM_ID_BASE = 9_100_000_000_000_000

PROBLEM_STATUSES = ("new", "acknowledged", "in_progress", "resolved", "rejected")
REGULAR, THEMATIC = "regular", "thematic"

# Commune-level committees after the 2025 reform: (kind, place name, villages called "bản").
COMMITTEES: tuple[tuple[str, str, bool], ...] = (
    *(
        ("ward", name, False)
        for name in (
            "Hạ Long", "Bãi Cháy", "Hồng Gai", "Hà Tu", "Cao Xanh", "Việt Hưng", "Hoành Bồ",
            "Tuần Châu", "Hà Lầm", "Cẩm Phả", "Quang Hanh", "Cửa Ông", "Mông Dương", "Uông Bí",
            "Vàng Danh", "Yên Tử", "Đông Triều", "Bình Khê", "Mạo Khê", "Hoàng Quế", "Quảng Yên",
            "Đông Mai", "Hiệp Hòa", "Hà An", "Liên Hòa", "Phong Cốc", "Móng Cái 1", "Móng Cái 2",
        )
    ),
    *(
        ("commune", name, False)
        for name in (
            "Tiên Yên", "Điền Xá", "Đông Ngũ", "Hải Lạng", "Đầm Hà", "Quảng Tân", "Quảng Hà",
            "Cái Chiên", "Hải Sơn", "Hải Ninh", "Vĩnh Thực", "Quảng La",
        )
    ),
    *(
        ("commune", name, True)
        for name in (
            "Ba Chẽ", "Lương Minh", "Kỳ Thượng", "Bình Liêu", "Hoành Mô", "Lục Hồn",
            "Đường Hoa", "Quảng Đức",
        )
    ),
    ("special_zone", "Vân Đồn", False),
    ("special_zone", "Cô Tô", False),
)  # fmt: skip
KIND_WORDS = {"ward": "phường", "commune": "xã", "special_zone": "đặc khu"}
VILLAGES = (
    "Đồng Tâm", "Đoàn Kết", "Tân Lập", "Tân Tiến", "Thắng Lợi", "Quyết Tiến", "Hòa Bình",
    "Thống Nhất", "Bắc Sơn", "Nam Sơn", "Đông Sơn", "Tây Sơn", "Trung Tâm", "Đồng Cậy",
    "Khe Tâm", "Khe Lạc", "Đồng Và", "Đồng Ho", "Đồng Trà", "Đồng Giữa", "Phố Cũ", "Bình Sơn",
    "Yên Mỹ", "Yên Lập", "An Hải", "Phú Hải", "Thủy Cơ", "Cái Xà", "Đông Hải", "Tây Hải",
    "Nam Hải", "Bắc Hải", "Đồng Bấp", "Khe Vang", "Cẩm Hồng", "Hải Yến", "Bình Minh", "Đồng Mỏ",
    "Xóm Mới", "Vạn Ninh", "Tiến Bộ", "Phong Thịnh", "Đồng Rì", "Lạc Phong",
)  # fmt: skip
HAMLETS = (
    "Nà Làng", "Khe Mọi", "Pắc Pằng", "Nà Ếch", "Lục Nà", "Sú Cáu", "Phai Lầu", "Nà Sa",
    "Khe Lánh", "Nà Khau", "Cao Sơn", "Nà Pá", "Pò Hèn", "Hà Lùng", "Tình Húc", "Nà Nhái",
    "Khe Tiền", "Khe Nà", "Bắc Cương", "Nà Choòng", "Làng Cổng", "Khe Vàng", "Đồng Thanh",
    "Nà Áng", "Ngàn Chi",
)  # fmt: skip
INSTITUTIONS = ("Trường Tiểu học {place}", "Trường THCS {place}", "Trạm Y tế {where}")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương")
MIDDLE = {"m": ("Văn", "Đức", "Minh", "Quang", "Xuân"), "f": ("Thị", "Thu", "Ngọc", "Thanh")}
GIVEN = {
    "m": ("Hùng", "Dũng", "Sơn", "Thắng", "Tâm", "Hải", "Tuấn", "Long", "Bình", "Cường"),
    "f": ("Lan", "Hạnh", "Mai", "Hương", "Hoa", "Nga", "Thủy", "Hà", "Yến", "Nhung"),
}
NOT_HELD_REASONS = (
    "Bão, mưa lớn kéo dài, đảng viên không tập trung được; chi bộ lùi sinh hoạt sang tháng sau.",
    "Bí thư chi bộ ốm phải điều trị, chưa bố trí được đồng chí chủ trì.",
    "Đa số đảng viên tham gia ứng cứu sạt lở, chi bộ xin lùi lịch sinh hoạt.",
    "Trùng lịch tổ chức Đại hội Mặt trận thôn, chi bộ ghép nội dung sang tháng sau.",
)
TOPICS = (
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Chuyển đổi số trong thôn, khu phố",
    "Phân loại rác thải tại nguồn, giữ gìn vệ sinh môi trường",
    "Phòng, chống tệ nạn xã hội và ma túy trong thanh thiếu niên",
    "Xây dựng nông thôn mới nâng cao, khu dân cư kiểu mẫu",
    "Nâng cao chất lượng sinh hoạt chi bộ",
)
TASKS = (
    "vận động nhân dân tham gia tổng vệ sinh đường làng, ngõ xóm",
    "thu nộp đảng phí và quỹ an ninh quốc phòng",
    "chủ động phòng, chống mưa bão, bảo vệ tàu thuyền",
    "chăm sóc lúa và hoa màu vụ mùa",
    "rà soát hộ nghèo, cận nghèo cuối năm",
    "giới thiệu quần chúng ưu tú đi học lớp nhận thức về Đảng",
    "tuyên truyền phòng cháy, chữa cháy trong khu dân cư",
)
UPPER_POSITIONS = (
    "Ủy viên Ban Thường vụ Đảng ủy",
    "Phó Bí thư Đảng ủy",
    "Ủy viên Ban Chấp hành Đảng bộ",
)
PROBLEM_TITLES = {
    "dat_dai": (
        "Chậm cấp giấy chứng nhận quyền sử dụng đất cho các hộ trong thôn",
        "Tranh chấp ranh giới đất giữa hai hộ gia đình",
        "Đề nghị đo đạc lại diện tích đất nông nghiệp",
    ),
    "giai_phong_mat_bang": (
        "Hộ dân chưa đồng thuận mức bồi thường dự án mở rộng đường",
        "Chậm chi trả tiền hỗ trợ tái định cư",
    ),
    "giao_thong_thuy_loi": (
        "Đường liên thôn xuống cấp, nhiều ổ gà",
        "Mương thủy lợi bị bồi lắng, không đủ nước tưới",
        "Cầu tràn ngập nước mỗi khi mưa lớn",
        "Đề nghị lắp đèn chiếu sáng đường ngõ",
    ),
    "moi_truong": (
        "Rác thải tồn đọng tại điểm tập kết",
        "Mùi hôi từ trang trại chăn nuôi lợn",
        "Nước thải sinh hoạt chảy tràn ra đường",
        "Bụi than từ xe chở than qua khu dân cư",
    ),
    "an_ninh_trat_tu": (
        "Thanh thiếu niên tụ tập đua xe ban đêm",
        "Trộm cắp gia súc, gia cầm",
        "Đề nghị tăng cường tuần tra dịp cuối năm",
    ),
    "nong_thon_moi": (
        "Đề nghị hỗ trợ xi măng làm đường bê tông ngõ xóm",
        "Nhà văn hóa thôn xuống cấp cần sửa chữa",
    ),
    "chinh_sach_xa_hoi": (
        "Hộ nghèo chưa được hỗ trợ sửa nhà",
        "Chậm chi trả trợ cấp cho người cao tuổi",
        "Trạm y tế thiếu thuốc thông thường",
        "Học sinh đi học xa, đề nghị bố trí xe đưa đón",
    ),
    "xay_dung_dang": (
        "Đề nghị tập huấn nghiệp vụ cho cấp ủy chi bộ",
        "Chậm chuyển sinh hoạt đảng cho đảng viên đi làm ăn xa",
    ),
    "khac": ("Sóng điện thoại yếu ở khu vực đồi", "Đề nghị lắp loa truyền thanh thôn"),
}
CATEGORY_WEIGHTS = (15, 8, 20, 18, 8, 8, 12, 4, 7)


def slug(text: str) -> str:
    """A unit code part from a Vietnamese place name ("Móng Cái 1" gives "MONGCAI1")."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c)).upper()


def person_name(rng: random.Random) -> str:
    sex = rng.choice("mf")
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


@dataclass
class Cell:
    code: str
    name: str
    parent: str
    members: int
    diligence: float  # 0 poor .. 1 exemplary: how often it reports, and on time
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None


@dataclass
class Plan:
    """The demo province before it is written: pure data from (seed, today)."""

    rows: list[UnitRow] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    committees: list[str] = field(default_factory=list)


def plan_units(rng: random.Random, periods: Sequence[Period]) -> Plan:
    """The province, its committees and their cells (a few new this window, two merged away)."""
    plan = Plan()
    line = 0

    def add(code: str, name: str, kind: str, parent: str | None, **dates: Any) -> None:
        nonlocal line
        line += 1
        plan.rows.append(UnitRow(line, code, name, kind, parent, **dates))

    add(PROVINCE_CODE, PROVINCE_NAME, "province", None)
    for kind, place, hamlets in COMMITTEES:
        code = f"{PROVINCE_CODE}-{slug(place)}"
        plan.committees.append(code)
        add(code, f"Đảng ủy {KIND_WORDS[kind]} {place}", kind, PROVINCE_CODE)
        if kind == "ward":
            villages = [f"khu phố {n}" for n in range(1, rng.randint(22, 40) + 1)]
            members = (15, 60)
        else:
            names = HAMLETS if hamlets else VILLAGES
            word = "bản" if hamlets else "thôn"
            count = (
                rng.randint(12, 22) if hamlets or kind == "special_zone" else rng.randint(20, 38)
            )
            villages = [f"{word} {name}" for name in rng.sample(names, min(count, len(names)))]
            members = (10, 45)
        where = f"{KIND_WORDS[kind]} {place}"
        villages += [
            pattern.format(place=place, where=where)
            for pattern in rng.sample(INSTITUTIONS, rng.randint(1, 3))
        ]
        for number, village in enumerate(villages, start=1):
            plan.cells.append(
                Cell(
                    code=f"{code}-{number:02d}",
                    name=f"Chi bộ {village}",
                    parent=code,
                    members=rng.randint(*members),
                    diligence=rng.choices((0.95, 0.75, 0.4), weights=(75, 18, 7))[0],
                )
            )
    # History within the window: three cells founded last month, two merged into a neighbour.
    founded = periods[-2].first_day
    for cell in rng.sample(plan.cells, 3):
        cell.valid_from = founded
    merged_end = periods[1].last_day
    for cell in rng.sample([c for c in plan.cells if c.valid_from is None], 2):
        siblings = [c for c in plan.cells if c.parent == cell.parent and c is not cell]
        cell.valid_to, cell.successor = merged_end, siblings[0].code
    for cell in plan.cells:
        add(
            cell.code,
            cell.name,
            CELL,
            cell.parent,
            valid_from=cell.valid_from,
            valid_to=cell.valid_to,
            successor_code=cell.successor,
        )
    return plan


def _local(day: date, rng: random.Random, tz: ZoneInfo) -> datetime:
    """A moment of the working day (7:00 to 21:59) on `day`, local time."""
    return datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)), tzinfo=tz)


# A meeting that was not held has none of the meeting's answers.
_MEETING_FIELDS = tuple(f for f in REPORT_FIELDS if f not in ("held", "not_held_reason", "photos"))


def plan_report(
    rng: random.Random,
    cell: Cell,
    period: Period,
    thematic: bool,
    *,
    now: datetime,
    deadline_day: int,
    tz: ZoneInfo,
) -> dict[str, Any] | None:
    """One cell's report for one month, or None when it has not reported (missing, or not yet)."""
    if rng.random() > 0.25 + 0.75 * cell.diligence:
        return None  # missing
    late = rng.random() > 0.6 + 0.4 * cell.diligence
    deadline = deadline_end(period, deadline_day, tz)
    meeting_day = period.first_day + timedelta(days=rng.randint(2, 24))
    if late:
        submitted = deadline + timedelta(days=rng.randint(0, 11), hours=rng.randint(1, 14))
    else:
        submitted = _local(meeting_day + timedelta(days=rng.randint(0, 3)), rng, tz)
    if submitted > now:
        return None  # not yet
    report: dict[str, Any] = {
        "period": str(period),
        "status": "submitted",
        "held": True,
        "not_held_reason": None,
        "meeting_date": meeting_day,
        "meeting_type": REGULAR,
        "topic": None,
        "submitter_role": SECRETARY if rng.random() < 0.92 else DEPUTY,
        "first_submitted_at": submitted,
        "submitted_at": submitted,
    }
    if rng.random() < 0.03:
        report |= {"held": False, "not_held_reason": rng.choice(NOT_HELD_REASONS)}
        return report | dict.fromkeys(_MEETING_FIELDS)
    members = max(5, cell.members + rng.randint(-1, 1))
    exempt = rng.choices((0, 1, 2, 3), weights=(50, 25, 15, 10))[0]
    must = members - exempt
    most = must * 15 // 100  # absences that keep attendance at 85% or more
    absent = rng.randint(0, most) if rng.random() < 0.85 else rng.randint(most + 1, must * 3 // 10)
    unexcused = min(absent, rng.randint(1, 2)) if rng.random() < 0.08 else 0
    month = period.label
    report |= {
        "meeting_type": THEMATIC if thematic else REGULAR,
        "topic": rng.choice(TOPICS) if thematic else None,
        "members": members,
        "exempt": exempt,
        "present": must - absent,
        "absent_excused": absent - unexcused,
        "absent_unexcused": unexcused,
        "upper_attendee_name": None,
        "upper_attendee_position": None,
        "content": (
            f"Đánh giá kết quả thực hiện nhiệm vụ tháng {month}; triển khai nhiệm vụ tháng "
            f"{period.next().label}: {rng.choice(TASKS)}."
        ),
        "conclusion": f"Chi bộ thống nhất {rng.choice(TASKS)}; giao đảng viên phụ trách nhóm hộ.",
        "candidates": rng.randint(1, 2) if rng.random() < 0.1 else 0,
        "admissions": 1 if rng.random() < 0.03 else 0,
        "full_memberships": 1 if rng.random() < 0.03 else 0,
    }
    if rng.random() < 0.12:
        report["upper_attendee_name"] = person_name(rng)
        report["upper_attendee_position"] = rng.choice(UPPER_POSITIONS)
    return report


def plan_problem(
    rng: random.Random, cell: Cell, start: datetime, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A problem raised by `cell` some time in [start, now], and its status changes."""
    category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
    created = start + (now - start) * rng.random()
    urgent = rng.random() < 0.1
    due = created + timedelta(days=7 if urgent else 30)
    age = (now - created).days
    # new, acknowledged, in progress, resolved, rejected: older problems are mostly settled.
    if age < 7:
        weights = (60, 30, 10, 0, 0)
    elif age < 30:
        weights = (10, 25, 40, 20, 5)
    else:
        weights = (3, 7, 20, 55, 15)
    status = rng.choices(PROBLEM_STATUSES, weights=weights)[0]
    steps = {
        "new": [],
        "acknowledged": ["acknowledged"],
        "in_progress": ["acknowledged", "in_progress"],
        "resolved": ["acknowledged", "in_progress", "resolved"],
        "rejected": ["acknowledged", "rejected"],
    }[status]
    events = [{"action": "created", "from_status": None, "to_status": "new", "created_at": created}]
    when, previous = created, "new"
    for step in steps:
        when = when + (now - when) * rng.uniform(0.05, 0.5)
        note = (
            "Không thuộc thẩm quyền giải quyết; đã hướng dẫn công dân."
            if step == "rejected"
            else None
        )
        events.append(
            {"action": "status", "from_status": previous, "to_status": step, "note": note,
             "created_at": when}
        )  # fmt: skip
        previous = step
    escalated = rng.random() < 0.15
    problem = {
        "category": category,
        "title": rng.choice(PROBLEM_TITLES[category]),
        "description": f"{cell.name} phản ánh: cần cấp trên xem xét, giải quyết sớm.",
        "urgency": "urgent" if urgent else "normal",
        "status": status,
        "escalation_level": 1 if escalated else 0,
        "handling": PROVINCE_CODE if escalated else cell.parent,
        "due_at": due,
        "created_at": created,
        "updated_at": when,
        "resolved_at": when if status == "resolved" else None,
    }
    return problem, [{"note": None, **event} for event in events]


# --- Writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    committees: int
    cells: int
    reports: int
    problems: int
    people: int
    periods: tuple[Period, ...]


async def seed_demo(
    *,
    session: AsyncSession,
    seed: int,
    today: date,
    tz: ZoneInfo,
    deadline_day: int,
    actor: str,
) -> Seeded:
    """Write the demo province; refuses (UsageError) when any of its codes is already taken."""
    taken = await codes_taken(session=session, prefix=PROVINCE_CODE)
    if taken:
        what = (
            f"the demo province {PROVINCE_CODE} ({PROVINCE_NAME})"
            if PROVINCE_CODE in taken
            else f"units with demo codes ({', '.join(taken)})"
        )
        raise UsageError(
            f"This database already holds {what}: nothing was changed. "
            "To start again, seed an empty database (set DATABASE_URL to a new file)."
        )
    rng = random.Random(seed)
    current = Period.of(today)
    periods = [current]  # the last three full months and the current one, oldest first
    while len(periods) < 4:
        periods.insert(0, periods[0].previous())
    now = datetime.combine(today, time(10, 0), tzinfo=tz)
    plan = plan_units(rng, periods)
    units_file = UnitsFile(plan.rows, [], frozenset(OPTIONAL_COLUMNS))
    ids = (await import_units(session=session, units_file=units_file, actor=actor)).ids
    # The demo's history starts with its first month: as if the tree had been imported then
    # (a cell owes reports from the month it was imported, rules.figures.expected_from).
    units = table_of(Unit)
    await session.exec(
        sa.update(units)
        .where(units.c.id.in_(list(ids.values())))
        .values(created_at=datetime.combine(periods[0].first_day, time(0), tzinfo=tz))
    )

    people = await _seed_people(session, rng, ids, plan, now - timedelta(days=120))
    secretary_of = {unit: person for person, unit, role in people if role == SECRETARY}

    report_rows = []
    for cell in plan.cells:
        quarter_pick = {}
        for period in periods:
            if not is_active_in(cell.valid_from, cell.valid_to, period):
                continue
            key = (period.year, period.quarter)
            if key not in quarter_pick:
                quarter_pick[key] = rng.randint(1, 3) if rng.random() < 0.9 else 0
            thematic = (period.month - 1) % 3 + 1 == quarter_pick[key]
            report = plan_report(
                rng, cell, period, thematic, now=now, deadline_day=deadline_day, tz=tz
            )
            if report is not None:
                report |= {
                    "unit_id": ids[cell.code],
                    "submitted_by_id": secretary_of.get(cell.code),
                    "photos": [],
                    "version": 1,
                }
                report_rows.append(report)
    await _insert(session, MeetingReport, report_rows)
    table = table_of(MeetingReport)
    found = await session.exec(  # type: ignore[call-overload]  # SQLModel's exec/select types: ORM selects of a few columns only
        sa.select(table.c.unit_id, table.c.period, table.c.id).where(
            table.c.period.in_([str(p) for p in periods])
        )
    )
    report_ids = {(unit_id, period): report_id for unit_id, period, report_id in found.all()}

    start = datetime.combine(periods[0].first_day, time(8, 0), tzinfo=tz)
    active_now = [c for c in plan.cells if is_active_in(c.valid_from, c.valid_to, current)]
    problem_rows: list[dict[str, Any]] = []
    event_rows: list[tuple[int, dict[str, Any]]] = []
    for index in range(rng.randint(280, 360)):
        cell = rng.choice(active_now)
        problem, events = plan_problem(rng, cell, start, now)
        month = str(Period.of(problem["created_at"].astimezone(tz).date()))
        handling = problem.pop("handling")
        problem |= {
            "unit_id": ids[cell.code],
            "handling_unit_id": ids[handling],
            "raised_by": "cell",
            "photos": [],
            "report_id": report_ids.get((ids[cell.code], month)) if rng.random() < 0.5 else None,
            "reporter_id": secretary_of.get(cell.code),
        }
        problem_rows.append(problem)
        event_rows.extend((index, event) for event in events)
    problem_ids = await _insert(session, Problem, problem_rows, ids=True)
    await _insert(
        session,
        ProblemEvent,
        [{"problem_id": problem_ids[i], "person_id": None, **event} for i, event in event_rows],
    )
    seeded = Seeded(
        committees=len(plan.committees),
        cells=len(plan.cells),
        reports=len(report_rows),
        problems=len(problem_rows),
        people=len({person for person, _, _ in people}),
        periods=tuple(periods),
    )
    await record(
        session=session,
        actor=actor,
        action="demo.seed",
        entity="unit",
        entity_id=ids[PROVINCE_CODE],
        before=None,
        after={
            "seed": seed,
            "today": today,
            "committees": seeded.committees,
            "cells": seeded.cells,
            "reports": seeded.reports,
            "problems": seeded.problems,
        },
    )
    return seeded


async def _seed_people(
    session: AsyncSession,
    rng: random.Random,
    ids: dict[str, int],
    plan: Plan,
    joined: datetime,
) -> list[tuple[int, str, str]]:
    """A handful of people with roles: (person id, unit code, role) for each role."""
    first_cells: dict[str, str] = {}
    for cell in plan.cells:
        first_cells.setdefault(cell.parent, cell.code)
    ward, commune = plan.committees[0], plan.committees[28]
    cast = [
        ("Quản trị hệ thống (demo)", [(PROVINCE_CODE, ADMIN)]),
        (person_name(rng), [(PROVINCE_CODE, SUPERVISOR)]),
        (person_name(rng), [(ward, SUPERVISOR)]),
        (person_name(rng), [(commune, SUPERVISOR)]),
        (person_name(rng), [(first_cells[ward], SECRETARY)]),
        (person_name(rng), [(first_cells[ward], DEPUTY)]),
        (
            person_name(rng),
            [(first_cells[commune], SECRETARY), (first_cells[commune], VILLAGE_HEAD)],
        ),
    ]
    person_rows = [
        {
            "telegram_id": TELEGRAM_ID_BASE + number,
            "full_name": name,
            "username": None,
            "language": "vi",
            "reachable": True,
            "active": True,
            "created_at": joined,
        }
        for number, (name, _roles) in enumerate(cast, start=1)
    ]
    person_ids = await _insert(session, Person, person_rows, ids=True)
    granted = []
    role_rows = []
    for person_id, (_name, roles) in zip(person_ids, cast, strict=True):
        for unit, role in roles:
            granted.append((person_id, unit, role))
            role_rows.append(
                {
                    "person_id": person_id,
                    "unit_id": ids[unit],
                    "role": role,
                    "invite_id": None,
                    "granted_at": joined,
                    "revoked_at": None,
                }
            )
    await _insert(session, RoleAssignment, role_rows)
    return granted


async def _insert(
    session: AsyncSession, model: type, rows: list[dict[str, Any]], *, ids: bool = False
) -> list[int]:
    """Bulk insert (every row with the same columns). With `ids`, the new ids in the order of
    `rows`: SQLite then inserts row by row, so only for a few hundred rows."""
    if not rows:
        return []
    table = table_of(model)
    if not ids:
        await session.exec(sa.insert(table), params=rows)
        return []
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list((await session.exec(statement, params=rows)).scalars())


# --- The command ---------------------------------------------------------------------------------


def register(commands: argparse._SubParsersAction) -> None:
    actions = group(commands, "demo", "Demo data to try the bot on.")
    parser = command(
        actions,
        "seed",
        f"Create the demo province {PROVINCE_CODE} ({PROVINCE_NAME}) with cells, reports, "
        "problems and a few people.",
        cmd_seed,
    )
    parser.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default 1)")
    parser.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the day the data is as of (default: today); reports cover the 3 months before it",
    )


def _day(text: str) -> date:
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    today = args.today or datetime.now(settings.tz).date()

    async def work(db: Database) -> Seeded:
        async with db.session() as session:
            return await seed_demo(
                session=session,
                seed=args.seed,
                today=today,
                tz=settings.tz,
                deadline_day=settings.report_deadline_day,
                actor=cli_actor(),
            )

    seeded = with_database(settings, work)
    first, last = seeded.periods[0], seeded.periods[-1]
    print(
        f"Seeded {PROVINCE_NAME} ({PROVINCE_CODE}) as of {today.isoformat()}: "
        f"{seeded.committees} commune-level committees, {seeded.cells:,} cells, "
        f"{seeded.reports:,} reports ({first.label} to {last.label}), {seeded.problems} problems, "
        f"{seeded.people} people. See it with: chibo units tree {PROVINCE_CODE}"
    )
    return OK

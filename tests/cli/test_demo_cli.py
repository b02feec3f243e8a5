"""`chibo demo seed`: a deterministic demo province, refused the second time."""

import hashlib
import time
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.admin.demo import PROVINCE_CODE, seed_demo
from storage.db import Database
from storage.models import SQLModel

TODAY = "2025-10-20"
TABLES = ("units", "people", "role_assignments", "meeting_reports", "problems", "problem_events")


async def digest(url: str) -> tuple[str, dict[str, int]]:
    """A hash of every demo row (but the wall-clock time units were written), and row counts."""
    db = Database(url)
    hasher, counts = hashlib.sha256(), {}
    try:
        async with db.session() as session:
            for name in TABLES:
                table = SQLModel.metadata.tables[name]
                columns = [c for c in table.columns if (name, c.name) != ("units", "created_at")]
                rows = (await session.exec(sa.select(*columns).order_by(table.c.id))).all()
                counts[name] = len(rows)
                hasher.update(repr([tuple(row) for row in rows]).encode())
    finally:
        await db.dispose()
    return hasher.hexdigest(), counts


async def test_same_seed_same_data_and_a_second_seed_is_refused(
    chibo, database_url, test_databases, backend
) -> None:
    first_url = database_url
    started = time.monotonic()
    seeded = chibo("demo", "seed", "--seed", "7", "--today", TODAY, url=first_url)
    assert seeded.returncode == 0, seeded.stderr
    assert time.monotonic() - started < 30
    assert seeded.stdout.startswith("Seeded Tỉnh ủy Quảng Ninh (demo) (QND) as of 2025-10-20")
    assert "reports (07/2025 to 10/2025)" in seeded.stdout

    second_url = test_databases.new(backend)
    db = Database(second_url)
    try:
        async with db.session() as session:
            await seed_demo(
                session=session,
                seed=7,
                today=date(2025, 10, 20),
                tz=ZoneInfo("Asia/Ho_Chi_Minh"),
                deadline_day=5,
                actor="test",
            )
    finally:
        await db.dispose()
    first, counts = await digest(first_url)
    second, _ = await digest(second_url)
    assert first == second
    assert 1400 <= counts["units"] - 51 <= 1700  # cells
    assert 4 * 1300 >= counts["meeting_reports"] >= 3 * 1300
    assert 250 <= counts["problems"] <= 400

    again = chibo("demo", "seed", "--seed", "7", "--today", TODAY, url=first_url)
    assert again.returncode == 2
    assert f"already holds the demo province {PROVINCE_CODE}" in again.stderr
    assert (await digest(first_url))[0] == first

    tree = chibo("units", "tree", url=first_url)
    assert tree.returncode == 0, tree.stderr
    lines = tree.stdout.splitlines()
    assert lines[0].startswith("QND  Tỉnh ủy Quảng Ninh (demo)  [tỉnh ủy] · ")
    assert "  QND-HALONG  Đảng ủy phường Hạ Long  [đảng ủy phường] · " in tree.stdout
    assert "  QND-COTO  Đảng ủy đặc khu Cô Tô  [đảng ủy đặc khu] · " in tree.stdout
    assert len(lines) == 1 + 50 + 1  # one level by default, and how to see more
    assert "further down are not shown" in lines[-1]

"""`chibo units import` and `chibo units tree`, run as the administrator runs them."""

import csv
import time
from pathlib import Path

from sqlmodel import col, func, select

from bot.admin.units_csv import import_units, read_units_csv
from storage.db import Database
from storage.models import AuditEvent, Unit

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "units.csv"
HEADER = "code,name,kind,parent_code,valid_from,valid_to,successor_code\n"


def write(tmp_path: Path, text: str, name: str = "units.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def units(db: Database) -> dict[str, Unit]:
    async with db.session() as session:
        return {u.code: u for u in (await session.exec(select(Unit))).all()}


async def audit_count(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(AuditEvent))).one()


async def load_example(db: Database) -> None:
    """Set-up without a subprocess: the example tree, through the same import."""
    async with db.session() as session:
        units_file = read_units_csv(EXAMPLE.read_text(encoding="utf-8"))
        await import_units(session=session, units_file=units_file, actor="test")


def assert_consistent(tree: dict[str, Unit]) -> None:
    """Every unit's path is its parent's path plus its id; depth counts its ancestors."""
    by_id = {u.id: u for u in tree.values()}
    for unit in tree.values():
        parent = by_id.get(unit.parent_id)
        assert unit.path == f"{parent.path if parent else ''}{unit.id}/", unit.code
        assert unit.depth == (parent.depth + 1 if parent else 0), unit.code


async def test_import_the_example_then_again(chibo, db) -> None:
    first = chibo("units", "import", EXAMPLE)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Imported 17 units: 17 created, 0 updated, 0 unchanged."
    tree = await units(db)
    assert len(tree) == 17
    assert_consistent(tree)
    district = tree["QN-HUYENVANDON"]
    assert str(district.valid_to) == "2025-06-30"
    assert district.successor_id == tree["QN-VANDON"].id  # defined later in the file
    assert await audit_count(db) == 17

    again = chibo("units", "import", EXAMPLE)
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 updated, 17 unchanged" in again.stdout
    assert len(await units(db)) == 17
    assert await audit_count(db) == 17


async def test_reimport_updates_by_code(chibo, db, tmp_path) -> None:
    await load_example(db)
    before = await units(db)
    changed = EXAMPLE.read_text(encoding="utf-8").replace(
        "Chi bộ khu phố 1,", "Chi bộ khu phố Một,"
    )
    result = chibo("units", "import", write(tmp_path, changed))
    assert result.returncode == 0, result.stderr
    assert "0 created, 1 updated, 16 unchanged" in result.stdout
    after = await units(db)
    assert after["QN-HOANHBO-01"].name == "Chi bộ khu phố Một"
    assert after["QN-HOANHBO-01"].id == before["QN-HOANHBO-01"].id
    async with db.session() as session:
        event = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "unit.update"))
        ).one()
    assert event.before == {"code": "QN-HOANHBO-01", "name": "Chi bộ khu phố 1"}
    assert event.after == {"code": "QN-HOANHBO-01", "name": "Chi bộ khu phố Một"}
    assert event.actor.startswith("cli")


async def test_one_bad_row_rejects_the_whole_file(chibo, db, tmp_path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[5] = "QN-HOANHBO-03,Chi bộ khu phố 3,cell,QN-NOWHERE,,,"  # line 6 of the file
    result = chibo("units", "import", write(tmp_path, "\n".join(lines)))
    assert result.returncode == 2
    assert "line 6: unknown parent 'QN-NOWHERE'" in result.stderr
    assert "nothing was changed" in result.stderr
    assert result.stdout == ""
    assert await units(db) == {}
    assert await audit_count(db) == 0


async def test_every_rejected_row_is_listed(chibo, db, tmp_path) -> None:
    text = HEADER + "\n".join(
        [
            "QN,Tỉnh ủy Quảng Ninh,province,,,,",  # 2
            "A,Đảng ủy xã A,commune,QN,,,",  # 3
            "A,Đảng ủy xã A lần hai,commune,QN,,,",  # 4 duplicate
            "B,Đảng ủy xã B,xa,QN,,,",  # 5 unknown kind
            "C,Đảng ủy xã C,commune,QN,1/7/2025,,",  # 6 bad date
            "D,Đảng ủy xã D,commune,QN,2025-07-01,2025-01-01,",  # 7 ends before it starts
            "E,,commune,QN,,,",  # 8 no name
            ",Không mã,commune,QN,,,",  # 9 no code
            "F,Huyện ủy F,district,QN,,2025-06-30,GONE",  # 10 unknown successor
            "G,Chi bộ G,cell,NOPE,,,",  # 11 unknown parent
        ]
    )
    result = chibo("units", "import", write(tmp_path, text))
    assert result.returncode == 2
    for line in range(4, 12):
        assert f"line {line}:" in result.stderr, line
    assert "line 2:" not in result.stderr and "line 3:" not in result.stderr
    assert "8 line(s)" in result.stderr
    assert await units(db) == {}


async def test_cycle_is_rejected(chibo, db, tmp_path) -> None:
    await load_example(db)
    # The province under one of its own committees.
    text = HEADER + "QN,Tỉnh ủy Quảng Ninh,province,QN-QUANGLA,,,\n"
    result = chibo("units", "import", write(tmp_path, text))
    assert result.returncode == 2
    assert "line 2: cycle of parents: QN → QN-QUANGLA → QN" in result.stderr
    assert_consistent(await units(db))


async def test_moving_a_unit_moves_its_subtree(chibo, db, tmp_path) -> None:
    await load_example(db)
    # Quảng La becomes a partial committee under Hoành Bồ, its four cells with it.
    text = "code,name,kind,parent_code\nQN-QUANGLA,Đảng bộ bộ phận Quảng La,partial,QN-HOANHBO\n"
    result = chibo("units", "import", write(tmp_path, text))
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout and "4 units below moved units" in result.stdout
    tree = await units(db)
    assert_consistent(tree)
    moved, ward = tree["QN-QUANGLA"], tree["QN-HOANHBO"]
    assert moved.path == f"{ward.path}{moved.id}/" and moved.depth == 2
    assert tree["QN-QUANGLA-03"].path.startswith(ward.path) and tree["QN-QUANGLA-03"].depth == 3
    # Optional columns left out of the file keep what was stored.
    assert str(moved.valid_from) == "2025-07-01"
    tree_text = chibo("units", "tree", "QN-HOANHBO").stdout
    assert "  QN-QUANGLA  Đảng bộ bộ phận Quảng La  [đảng bộ bộ phận] · 4 cells" in tree_text
    assert "    QN-QUANGLA-01  Chi bộ thôn Đồng Đặng" in tree_text


async def test_parents_later_in_the_file(db) -> None:
    text = HEADER + "X-01,Chi bộ thôn Đồng Tâm,cell,X,,,\nX,Đảng ủy xã X,commune,,,,\n"
    async with db.session() as session:
        result = await import_units(session=session, units_file=read_units_csv(text), actor="t")
    assert (result.created, result.ids.keys()) == (2, {"X", "X-01"})
    tree = await units(db)
    assert tree["X-01"].parent_id == tree["X"].id
    assert_consistent(tree)


def test_unreadable_files(chibo, tmp_path) -> None:
    missing = chibo("units", "import", tmp_path / "nope.csv")
    assert missing.returncode == 2 and "Cannot read" in missing.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"HN,Th\xe0nh \xf0y H\xe0 N\xf4i,province,,,,\n")
    result = chibo("units", "import", latin)
    assert result.returncode == 2 and "not UTF-8" in result.stderr


async def test_tree_of_the_example(chibo, db) -> None:
    await load_example(db)
    result = chibo("units", "tree")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "QN  Tỉnh ủy Quảng Ninh  [tỉnh ủy] · 12 cells · 0 people"
    assert "  QN-HOANHBO  Đảng ủy phường Hoành Bồ  [đảng ủy phường] · 4 cells · 0 people" in lines
    assert "    QN-HOANHBO-01  Chi bộ khu phố 1  [chi bộ] · 0 people" in lines
    assert any(
        "Huyện ủy Vân Đồn" in line and "ended 2025-06-30 → QN-VANDON" in line for line in lines
    )
    assert len(lines) == 17

    shallow = chibo("units", "tree", "QN", "--depth", "1")
    assert len(shallow.stdout.splitlines()) == 5 + 1  # QN, four committees, the hint
    assert "12 units further down are not shown" in shallow.stdout

    unknown = chibo("units", "tree", "NOPE")
    assert unknown.returncode == 2 and "Unknown unit code 'NOPE'" in unknown.stderr


async def test_twenty_thousand_rows_in_a_few_seconds(chibo, db, tmp_path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "name", "kind", "parent_code"])
        out.writerow(["P", "Tỉnh ủy", "province", ""])
        for c in range(200):
            out.writerow([f"C{c}", f"Đảng ủy xã {c}", "commune", "P"])
            out.writerows([f"C{c}-{k}", f"Chi bộ thôn {k}", "cell", f"C{c}"] for k in range(99))
    started = time.monotonic()
    result = chibo("units", "import", path)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "Imported 20001 units: 20001 created" in result.stdout
    assert elapsed < 20, elapsed  # a few seconds on SQLite, the start of Python included
    async with db.session() as session:
        deepest = (await session.exec(select(func.max(col(Unit.depth))))).one()
        cells = (await session.exec(select(func.count()).where(Unit.kind == "cell"))).one()
    assert (deepest, cells) == (2, 19800)

"""`chibo people list` and `chibo people deactivate`."""

from pathlib import Path

from sqlmodel import select

from bot.admin.units_csv import import_units, read_units_csv
from storage.db import Database
from storage.models import AuditEvent, Person, RoleAssignment
from storage.queries.people import ensure_person, grant_role
from storage.queries.units import unit_by_code

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "units.csv"


async def organisation(db: Database) -> dict[str, int]:
    """The example tree and three people: name -> person id."""
    cast = [
        (
            1001,
            "Nguyễn Văn An",
            [("QN-HOANHBO-01", "secretary"), ("QN-HOANHBO-01", "village_head")],
        ),
        (1002, "Trần Thị Bình", [("QN-HOANHBO", "supervisor")]),
        (1003, "Lê Văn Cường", [("QN-VANDON-02", "secretary")]),
    ]
    ids = {}
    async with db.session() as session:
        units_file = read_units_csv(EXAMPLE.read_text(encoding="utf-8"))
        await import_units(session=session, units_file=units_file, actor="test")
        for telegram_id, name, roles in cast:
            person = await ensure_person(session=session, chat_id=telegram_id, full_name=name)
            for code, role in roles:
                unit = await unit_by_code(session=session, code=code)
                await grant_role(session=session, person=person, unit_id=unit.id, role=role)
            ids[name] = person.id
    return ids


async def test_list_everyone_and_by_subtree(chibo, db) -> None:
    ids = await organisation(db)
    everyone = chibo("people", "list")
    assert everyone.returncode == 0, everyone.stderr
    assert f"#{ids['Nguyễn Văn An']}  Nguyễn Văn An  (Telegram 1001)" in everyone.stdout
    assert "    secretary · QN-HOANHBO-01 Chi bộ khu phố 1" in everyone.stdout
    assert "    village_head · QN-HOANHBO-01 Chi bộ khu phố 1" in everyone.stdout
    assert everyone.stdout.rstrip().endswith("3 people.")

    ward = chibo("people", "list", "--unit", "QN-HOANHBO")
    assert "Nguyễn Văn An" in ward.stdout and "Trần Thị Bình" in ward.stdout
    assert "Lê Văn Cường" not in ward.stdout

    unknown = chibo("people", "list", "--unit", "NOPE")
    assert unknown.returncode == 2 and "Unknown unit code 'NOPE'" in unknown.stderr


async def test_deactivate_takes_every_role_at_once(chibo, db) -> None:
    ids = await organisation(db)
    an = ids["Nguyễn Văn An"]
    result = chibo("people", "deactivate", an)
    assert result.returncode == 0, result.stderr
    assert "Nguyễn Văn An is inactive now" in result.stdout
    assert "secretary of QN-HOANHBO-01, village_head of QN-HOANHBO-01" in result.stdout
    async with db.session() as session:
        person = await session.get(Person, an)
        roles = (
            await session.exec(select(RoleAssignment).where(RoleAssignment.person_id == an))
        ).all()
        events = (await session.exec(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert person.active is False
    assert len(roles) == 2 and all(role.revoked_at is not None for role in roles)  # history kept
    assert [e.action for e in events] == ["unit.create"] * 17 + ["role.revoke"] * 2 + [
        "person.deactivate"
    ]
    assert events[-1].before == {"active": True} and events[-1].after == {"active": False}
    assert events[-2].before["revoked_at"] is None and events[-2].after["revoked_at"]

    again = chibo("people", "deactivate", an)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    unknown = chibo("people", "deactivate", 999)
    assert unknown.returncode == 2 and "No person #999" in unknown.stderr

"""A small organisation for tests: a province, two communes, cells, and people with roles.

tree = await make_tree(session)
secretary = await make_person(session, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, Unit
from storage.queries.people import ensure_person, grant_role
from storage.queries.tree import add_unit


@dataclass
class Tree:
    province: Unit
    commune_a: Unit
    commune_b: Unit
    cell_a1: Unit
    cell_a2: Unit
    cell_b1: Unit


# When the test tree was imported: long before any month the tests report for (a cell without
# valid_from owes reports only from the month it was imported).
IMPORTED = datetime(2020, 1, 1, tzinfo=UTC)


def imported_long_ago(*units: Unit) -> None:
    for unit in units:
        unit.created_at = IMPORTED


async def make_tree(session: AsyncSession) -> Tree:
    province = await add_unit(
        session=session, code="QN", name="Tỉnh ủy Quảng Ninh", kind="province"
    )
    commune_a = await add_unit(
        session=session, code="XA", name="Đảng ủy xã Đông Ngũ", kind="commune", parent=province
    )
    commune_b = await add_unit(
        session=session, code="PB", name="Đảng ủy phường Hồng Gai", kind="ward", parent=province
    )
    cell_a1 = await add_unit(
        session=session, code="XA-01", name="Chi bộ thôn Đồng Tâm", kind="cell", parent=commune_a
    )
    cell_a2 = await add_unit(
        session=session, code="XA-02", name="Chi bộ thôn Tân Tiến", kind="cell", parent=commune_a
    )
    cell_b1 = await add_unit(
        session=session, code="PB-01", name="Chi bộ khu phố 3", kind="cell", parent=commune_b
    )
    imported_long_ago(province, commune_a, commune_b, cell_a1, cell_a2, cell_b1)
    await session.flush()
    return Tree(province, commune_a, commune_b, cell_a1, cell_a2, cell_b1)


async def make_person(
    session: AsyncSession, telegram_id: int, full_name: str, unit: Unit, role: str
) -> Person:
    person = await ensure_person(session=session, chat_id=telegram_id, full_name=full_name)
    await grant_role(session=session, person=person, unit_id=unit.id, role=role)
    return person

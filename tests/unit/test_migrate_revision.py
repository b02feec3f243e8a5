"""`chibo db revision`: the next migration holds what the models changed, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from storage import migrate


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def scratch_table() -> Iterator[sa.Table]:
    """A table the models gain for the length of a test."""
    table = sa.Table(
        "scratch_notes",
        SQLModel.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("note", sa.String(200), nullable=False),
    )
    try:
        yield table
    finally:
        SQLModel.metadata.remove(table)


def test_no_migration_when_the_models_and_the_database_agree(url: str, tmp_path: Path):
    folder = tmp_path / "versions"
    folder.mkdir()

    assert migrate.revision(url, "nothing to do", directory=folder) is None
    assert list(folder.iterdir()) == []


def test_a_new_table_makes_the_next_numbered_migration(
    url: str, tmp_path: Path, scratch_table: sa.Table
):
    folder = tmp_path / "versions"
    folder.mkdir()
    head = migrate.head_revision()

    path = migrate.revision(url, "scratch notes", directory=folder)

    assert path is not None and path.parent == folder
    number = f"{int(head) + 1:04d}"
    assert path.name == f"{number}_scratch_notes.py"
    text = path.read_text()
    assert f'revision: str = "{number}"' in text and f'down_revision: str | None = "{head}"' in text
    assert 'op.create_table(\n        "scratch_notes"' in text
    assert 'op.drop_table("scratch_notes")' in text  # and its downgrade


def test_an_empty_migration_to_write_by_hand(url: str, tmp_path: Path):
    folder = tmp_path / "versions"
    folder.mkdir()

    path = migrate.revision(url, "backfill names", empty=True, directory=folder)

    assert path is not None and path.name.endswith("_backfill_names.py")
    assert "def upgrade() -> None:\n    pass" in path.read_text()

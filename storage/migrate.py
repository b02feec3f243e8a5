"""Alembic, driven from code: no alembic.ini to find, the URL comes from the settings."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (blocking; call it outside a running event loop)."""
    command.upgrade(alembic_config(url), revision)


def revision(
    url: str, message: str, *, empty: bool = False, directory: Path | None = None
) -> Path | None:
    """Write the next migration, numbered after the head ("0004_<message>.py"): what the models
    (storage.models) have that the database at `url` (which must be at the head) has not, as
    Alembic's autogenerate finds it; or, `empty`, one to fill in by hand (data migrations).
    Returns its path, or None when the models and the database already agree. `directory`:
    where to write it (tests), else storage/migrations/versions. Formatted with ruff if found.
    """
    config = alembic_config(url)
    if directory is not None:
        config.set_main_option("path_separator", "os")
        locations = os.pathsep.join([str(MIGRATIONS / "versions"), str(directory)])
        config.set_main_option("version_locations", locations)
    head = head_revision()
    rev_id = f"{int(head) + 1:04d}" if head.isdigit() else None

    def skip_if_unchanged(_context: Any, _revision: Any, directives: list[Any]) -> None:
        if not empty and directives and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    script = command.revision(
        config,
        message=message,
        autogenerate=not empty,
        rev_id=rev_id,
        version_path=str(directory) if directory is not None else None,
        process_revision_directives=skip_if_unchanged,
    )
    if script is None or isinstance(script, list):
        return None
    path = Path(script.path)
    _tidy(path)
    return path


def _tidy(path: Path) -> None:
    """`ruff check --fix` (unused imports of the template) and `ruff format`, when installed."""
    beside = Path(sys.executable).with_name("ruff")
    ruff = str(beside) if beside.exists() else shutil.which("ruff")
    if ruff is None:
        return
    for arguments in (["check", "--fix", "--quiet", "--exit-zero"], ["format", "--quiet"]):
        subprocess.run([ruff, *arguments, str(path)], check=False, capture_output=True)


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def is_up_to_date(url: str) -> bool:
    async def check() -> bool:
        engine = make_engine(url)
        try:
            return await current_revision(engine) == head_revision()
        finally:
            await engine.dispose()

    return asyncio.run(check())

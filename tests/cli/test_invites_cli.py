"""`chibo invite create`: links shown once, hashes stored, roles matched to unit kinds."""

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import select

from bot.admin.invites import parse_expiry, role_problem
from bot.admin.units_csv import import_units, read_units_csv
from storage.db import Database
from storage.models import AuditEvent, Invite
from storage.queries.invites import hash_code

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "units.csv"
TOKEN = "123456:TEST-token"


async def load_example(db: Database) -> None:
    async with db.session() as session:
        units_file = read_units_csv(EXAMPLE.read_text(encoding="utf-8"))
        await import_units(session=session, units_file=units_file, actor="test")


@pytest.fixture
def bot_api() -> Iterator[str]:
    """A Bot API stand-in that answers getMe, on a free local port: its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert self.path == f"/bot{TOKEN}/getMe"
            me = {"id": 42, "is_bot": True, "first_name": "Chibo", "username": "chibo_demo_bot"}
            body = json.dumps({"ok": True, "result": me}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/bot"
    server.shutdown()


def test_parse_expiry() -> None:
    assert parse_expiry("7d") == timedelta(days=7)
    assert parse_expiry(" 12H ") == timedelta(hours=12)
    assert parse_expiry("30m") == timedelta(minutes=30)
    for bad, message in [("0d", "more than zero"), ("7", "7d"), ("1w", "7d"), ("400d", "365d")]:
        with pytest.raises(ValueError, match=message):
            parse_expiry(bad)


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        ("secretary", "cell", True),
        ("deputy", "cell", True),
        ("village_head", "cell", True),
        ("secretary", "ward", False),
        ("supervisor", "commune", True),
        ("supervisor", "province", True),
        ("supervisor", "cell", False),
        ("admin", "cell", True),
        ("admin", "province", True),
    ],
)
def test_roles_fit_unit_kinds(role: str, kind: str, allowed: bool) -> None:
    assert (role_problem(role, kind) is None) is allowed


async def test_links_without_a_token_show_codes_and_store_hashes(chibo, db) -> None:
    await load_example(db)
    result = chibo("invite", "create", "--unit", "QN-QUANGLA-02", "--role", "secretary",
                   "--count", "3", "--expires", "2d")  # fmt: skip
    assert result.returncode == 0, result.stderr
    codes = re.findall(r"https://t\.me/<bot username>\?start=(\S+)    code: (\S+)", result.stdout)
    assert len(codes) == 3 and all(link == code for link, code in codes)
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    async with db.session() as session:
        invites = (await session.exec(select(Invite))).all()
        audit = (await session.exec(select(AuditEvent))).all()
    assert {i.code_hash for i in invites} == {hash_code(code) for code, _ in codes}
    stored = json.dumps([i.model_dump(mode="json") for i in invites])
    assert not any(code in stored for code, _ in codes)
    assert {i.role for i in invites} == {"secretary"}
    assert all(
        timedelta(hours=47) < i.expires_at - i.created_at <= timedelta(days=2) for i in invites
    )
    invite_events = [e for e in audit if e.action == "invite.create"]
    assert sorted(e.entity_id for e in invite_events) == sorted(str(i.id) for i in invites)
    assert invite_events[0].after["unit"] == "QN-QUANGLA-02"


async def test_links_name_the_bot_from_get_me(chibo, db, bot_api) -> None:
    await load_example(db)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": bot_api}
    result = chibo("invite", "create", "--unit", "QN", "--role", "supervisor", env=env)
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"^https://t\.me/chibo_demo_bot\?start=([\w-]{22})    code: \1$", result.stdout, re.M
    )
    assert "Warning" not in result.stderr and TOKEN not in result.stdout + result.stderr


async def test_bad_invites_change_nothing(chibo, db) -> None:
    await load_example(db)
    wrong_kind = chibo("invite", "create", "--unit", "QN-HOANHBO", "--role", "secretary")
    assert wrong_kind.returncode == 2
    assert "secretary belongs on a cell" in wrong_kind.stderr
    ended = chibo("invite", "create", "--unit", "QN-HUYENVANDON", "--role", "supervisor")
    assert ended.returncode == 2 and "QN-VANDON" in ended.stderr
    unknown = chibo("invite", "create", "--unit", "NOPE", "--role", "admin")
    assert unknown.returncode == 2 and "Unknown unit code 'NOPE'" in unknown.stderr
    async with db.session() as session:
        assert (await session.exec(select(Invite))).all() == []


async def test_get_me_failing_still_gives_the_codes(chibo, db) -> None:
    await load_example(db)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    result = chibo("invite", "create", "--unit", "QN", "--role", "admin", env=env)
    assert result.returncode == 0, result.stderr
    assert "getMe failed" in result.stderr
    assert re.search(r"start=([\w-]{22})    code: \1", result.stdout)
    assert TOKEN not in result.stdout + result.stderr

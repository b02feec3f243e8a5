"""Forged and doubled button presses (issue 11): every kind of button, with data that does not
decode (wrong shape, non-ASCII digits, numbers beyond 64 bits, 100 random strings) or with
well-formed ids of another commune's problem, report or cell, is answered in an alert as expired
or not found; nothing in the database changes and nothing is logged as an error. A double press
of each kind of button gives no error message."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import make_person, make_tree
from sqlmodel import SQLModel, select

from bot import i18n
from bot.buttons import decode
from storage.models import MeetingReport, Problem

AN, BINH, DUNG, EM = 1001, 2001, 4001, 5001  # cell A1, commune A, commune B, cell B1
PERIOD = "2025-06"
ERROR = i18n.t("vi", "error.generic")


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


# The nine presses of the issue, each one once reaching int() or SQLite unchecked.
ISSUE = [
    "inv:u:²:0",
    "pv:²",
    "ph:²:0:ack",
    "pr:²:0",
    "pmy:²",
    "pl:open:-:²",
    "rh:v:99999999999999999999",
    "rh:c:99999999999999999999",
    "rc:99999999999999999999",
]

# Every kind of button, malformed: too few or too many parts, letters, signs, overflow.
MALFORMED = [
    "report:start:1",
    "report",
    "rc:",
    "rc:-1",
    "rc:1x",
    "rc:１",
    "rh:x:1",
    "rh:v:",
    "rh:c:٣",
    "rph:99999999999999999999",
    "rph:+1",
    "rs:p:2025-13:1",
    "rs:p:2025-06:²",
    "rs:v:1:2",
    "rs:r:1",
    "rs:r:99999999999999999999:1",
    "rs:x:1",
    "ph:1:1:xyz",
    "ph:1:1",
    "ph:9223372036854775808:1:ack",
    "pn:abc:x",
    "pv:",
    "pv:1:2",
    "pm:-5",
    "pm:99999999999999999999",
    "pl:open:-",
    "pl:nothing:-:0",
    "pl:open:no_such_category:0",
    "pf:s:no_such_category",
    "pf:c:nothing",
    "pf:x:open",
    "pmy:-1",
    "pmy:99999999999999999999",
    "pr:1",
    "pr:1:99999999999999999999",
    "sup:miss:1:2025-00:0",
    "sup:page:1:2025-06:²",
    "sup:nudge:12x:2025-06",
    "sup:nudge:12:2025-13",
    "sup:other:1",
    "sup:full:1",
    "sup:full:1:2025-13",
    "sup:full:x1:2025-06",
    "sup:full:1:2025-06:0",
    "grp:copies",
    "grp:copies:2",
    "grp:copies:on",
    "grp:copies:1:9001",
    "grp:con:9001",
    "dx:tok:maybe",
    "dx:to:ken:yes",
    "f:tok:step",
    "lang:fr",
    "grp:²:1",
    "p:tok:c:²",
    "r:tok:held:²",
]


def random_data(count: int = 100) -> list[str]:
    """Strings of up to 64 bytes that decode as no button: known prefixes with random parts,
    and random text (digits of other scripts, Vietnamese letters, emoji, separators)."""
    rng = random.Random(11)
    prefixes = ["report", "rc", "rh", "rph", "rs", "ph", "pv", "pm", "pl", "pf", "pmy", "pr"]
    prefixes += ["sup", "grp", "dx", "f", "lang", "p", "r", ""]
    alphabet = string.ascii_letters + string.digits + ":::--_" + "²³١٢٣໑０ăâđêôơưĐÁẠ🙂 \t"
    found: list[str] = []
    while len(found) < count:
        parts = [rng.choice(prefixes)]
        for _ in range(rng.randint(0, 5)):
            parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 22))))
        data = ":".join(parts)
        while len(data.encode()) > 64:
            data = data[:-1]
        if data and decode(data) is None and data not in found:
            found.append(data)
    return found


@pytest.fixture
def org(run_db) -> dict[str, Any]:
    """Cell A1 under commune A (with a problem and a report), commune B with cell B1."""

    async def setup(session) -> dict[str, Any]:
        tree = await make_tree(session)
        an = await make_person(session, AN, "Nguyễn Văn An", tree.cell_a1, "secretary")
        await make_person(session, BINH, "Trần Văn Bình", tree.commune_a, "supervisor")
        await make_person(session, DUNG, "Phạm Văn Dũng", tree.commune_b, "supervisor")
        await make_person(session, EM, "Lê Văn Em", tree.cell_b1, "secretary")
        problem = Problem(
            unit_id=tree.cell_a1.id,
            handling_unit_id=tree.commune_a.id,
            category="moi_truong",
            title="Rác thải ven đường",
            description="Bãi rác tự phát.",
            reporter_id=an.id,
            reporter_chat_id=AN,
            due_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
        report = MeetingReport(
            unit_id=tree.cell_a1.id,
            period=PERIOD,
            submitted_by_id=an.id,
            submitter_role="secretary",
        )
        session.add_all([problem, report])
        await session.flush()
        return {"tree": tree, "problem": problem.id, "report": report.id}

    return run_db(setup)


def snapshot(run_db) -> dict[str, list[tuple]]:
    """Every row of every table (but when people were last heard from)."""

    async def read(session) -> dict[str, list[tuple]]:
        rows = {}
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in ("last_seen_at",)]
            result = await session.exec(select(*columns))
            rows[table.name] = sorted((tuple(map(str, row)) for row in result), key=str)
        return rows

    return run_db(read)


def others_ids(org: dict[str, Any]) -> list[str]:
    """Well-formed presses about commune A's problem, report and cells: not commune B's."""
    tree, problem, report = org["tree"], org["problem"], org["report"]
    return [
        f"pv:{problem}",
        f"pm:{problem}",
        f"ph:{problem}:1:ack",
        f"ph:{problem}:1:res",
        f"ph:{problem}:1:fwd",
        f"ph:{problem}:1:dup",
        f"pr:{problem}:1",
        f"rh:v:{report}",
        f"rh:c:{tree.cell_a1.id}",
        f"rph:{report}",
        f"rs:v:{report}",
        f"rs:r:{report}:1",
        f"rc:{report}",
        f"sup:miss:{tree.commune_a.id}:{PERIOD}:0",
        f"sup:page:{tree.commune_a.id}:{PERIOD}:10",
        f"sup:nudge:{tree.cell_a1.id}:{PERIOD}",
        f"sup:full:{tree.commune_a.id}:{PERIOD}",
        # ids that exist nowhere
        "pv:987654",
        "ph:987654:1:ack",
        "rh:v:987654",
        "rs:r:987654:1",
        "rc:987654",
        "sup:nudge:987654:2025-06",
        "sup:full:987654:2025-06",
        f"dx:{'A' * 8}:yes",
    ]


def refused(answer) -> bool:
    """Answered in an alert as an expired button or as something not found."""
    expired = {vi("button.expired"), vi("problem.expired"), vi("problem.refused.missing")}
    return answer.show_alert and answer.text in expired


def test_forged_presses_are_refused_and_change_nothing(tg, bot, org, run_db) -> None:
    dung, em = tg.user(DUNG, "Dũng"), tg.user(EM, "Em")
    for user in (dung, em):
        tg.server.introduce(user.chat)
        user.send("/history" if user is em else "/problems")
        user.wait_reply()
    before = snapshot(run_db)
    presses = [*ISSUE, *MALFORMED, *random_data(100), *others_ids(org)]
    assert len(random_data(100)) == 100
    for user in (dung, em):
        for data in presses:
            user.press_data(data)
            answer = user.wait_answer()
            assert refused(answer), (user.name, data, answer)
        user.assert_no_reply()
    assert snapshot(run_db) == before
    assert ERROR not in [m.text for m in (*dung.messages(), *em.messages())]
    bot.assert_no_errors()


def _press_twice(user, label: str) -> None:
    """Press a button twice, the second press before the first is answered."""
    message = next(m for m in reversed(user.messages()) if any(label in b for b in m.buttons))
    data = message.button_data(next(b for b in message.buttons if label in b))
    user.press_data(data, message)
    user.press_data(data, message)
    user.wait_answer()


def test_a_double_press_of_any_button_gives_no_error(tg, bot, org, run_db) -> None:
    an, binh = tg.user(AN, "An"), tg.user(BINH, "Bình")
    for user in (an, binh):
        tg.server.introduce(user.chat)
    problem, report = org["problem"], org["report"]
    binh.send("/problems")
    binh.wait_for_text("Có 1 phản ánh")
    for label in ("Lọc trạng thái", "Tất cả", "Lọc lĩnh vực", "Môi trường", "#"):
        _press_twice(binh, label)
        tg.wait_idle()
    binh.press_data(f"pm:{problem}")
    binh.press_data(f"pm:{problem}")
    binh.wait_answer()
    for label in ("Tiếp nhận", "Đang xử lý", "Đã giải quyết"):
        _press_twice(binh, label)
        tg.wait_idle()
    binh.send("Đã thu gom xong.")
    binh.wait_for_text("Đã ghi nhận")
    an.wait_for_text("giải quyết")
    _press_twice(an, "Chưa giải quyết")
    tg.wait_idle()
    an.send("/cancel")
    an.wait_for_text("ghi chú cho phản ánh")
    _press_twice(an, "Bỏ")
    tg.wait_idle()

    an.send("/myproblems")
    an.wait_for_text("Phản ánh đồng chí đã gửi")
    _press_twice(an, "#")
    an.send("/history")
    an.wait_reply()
    for data in (f"rh:v:{report}", f"rph:{report}", "report:start", f"rc:{report}"):
        an.press_data(data)
        an.press_data(data)
        an.wait_answer()
        tg.wait_idle()
    binh.send(f"/reports {PERIOD[5:]}/{PERIOD[:4]}")
    binh.wait_reply()
    for data in (f"rs:p:{PERIOD}:1", f"rs:v:{report}", f"rs:r:{report}:1"):
        binh.press_data(data)
        binh.press_data(data)
        binh.wait_answer()
        tg.wait_idle()
    binh.send("/missing 06/2025")
    binh.wait_reply()
    commune = org["tree"].commune_a.id
    for data in (
        f"sup:miss:{commune}:{PERIOD}:0",
        f"sup:page:{commune}:{PERIOD}:0",
        f"sup:nudge:{org['tree'].cell_a1.id}:{PERIOD}",
        f"sup:full:{commune}:{PERIOD}",
    ):
        binh.press_data(data)
        binh.press_data(data)
        binh.wait_answer()
        tg.wait_idle()
    binh.send("/language")
    binh.wait_reply()
    _press_twice(binh, "English")
    tg.wait_idle()

    texts = [m.text for m in (*an.messages(), *binh.messages())]
    assert ERROR not in texts
    assert not [t for t in texts if "lỗi" in t.lower() and "hệ thống" in t.lower()]
    bot.assert_no_errors()
    # The second press of a list or a page edits the message to what it shows already: Telegram
    # refuses that edit, and the bot takes it quietly (bot.replies).
    refused_edits = {c.description for c in tg.take_api_errors()}
    assert all("message is not modified" in d for d in refused_edits), refused_edits

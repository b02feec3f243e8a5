"""Joining with an invite, menus by role, /language, supervisors' invites, group links."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from factories import Tree, make_person, make_tree
from sqlmodel import select

from bot import i18n
from bot.flows.engine import FlowButton
from e2e.harness import BotRunner, TelegramDriver
from storage.models import AuditEvent, GroupLink, Invite, Person, RoleAssignment, utcnow
from storage.queries.invites import create_invites

LINK = re.compile(r"https://t\.me/[^?\s]+\?start=([A-Za-z0-9_-]+)")


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


@pytest.fixture
def tree(run_db) -> Tree:
    return run_db(make_tree)


def invite(run_db, unit_id: int, role: str, *, expires_in: timedelta = timedelta(days=7)) -> str:
    async def create(session):
        (code,) = await create_invites(
            session=session, unit_id=unit_id, role=role, expires_at=utcnow() + expires_in
        )
        return code

    return run_db(create)


def roles_of(run_db, telegram_id: int) -> list[tuple[str, int]]:
    async def read(session):
        rows = await session.exec(
            select(RoleAssignment)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(Person.telegram_id == telegram_id, RoleAssignment.revoked_at.is_(None))
        )
        return [(r.role, r.unit_id) for r in rows]

    return run_db(read)


def test_invite_link_binds_the_role_and_shows_the_menu(tg: TelegramDriver, bot, tree, run_db):
    code = invite(run_db, tree.cell_a1.id, "secretary")
    an = tg.user(1001, "Nguyễn Văn An")

    an.send(f"/start {code}")

    welcome = an.wait_reply()
    assert "Nguyễn Văn An" in welcome.text
    assert "Bí thư chi bộ" in welcome.text and "Chi bộ thôn Đồng Tâm" in welcome.text
    assert vi("menu.language") in welcome.buttons
    assert vi("menu.invite") not in welcome.buttons  # supervisors only
    assert roles_of(run_db, 1001) == [("secretary", tree.cell_a1.id)]
    commands = [name for name, _ in tg.commands(scope="chat:1001")]
    assert "language" in commands and "invite" not in commands

    an.send("/help")
    assert "/language" in an.wait_reply().text

    async def audit(session):
        return (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "role.grant"))
        ).all()

    assert len(run_db(audit)) == 1


def test_a_used_link_cannot_be_replayed_by_someone_else(tg: TelegramDriver, bot, tree, run_db):
    code = invite(run_db, tree.cell_a1.id, "secretary")
    an, binh = tg.user(1001, "Nguyễn Văn An"), tg.user(1002, "Trần Thị Bình")
    an.send(f"/start {code}")
    an.wait_reply()

    binh.send(f"/start {code}")

    assert binh.wait_reply().text == vi("invite.used")
    assert roles_of(run_db, 1002) == []
    binh.send("/help")  # still a stranger
    assert binh.wait_reply().text == vi("start.stranger")


def test_a_secretary_cannot_become_something_else_by_replaying_a_link(
    tg: TelegramDriver, bot, tree, run_db
):
    supervisor_code = invite(run_db, tree.commune_a.id, "supervisor")
    chi = tg.user(1003, "Lê Văn Chí")
    chi.send(f"/start {supervisor_code}")
    chi.wait_reply()
    an = tg.user(1001, "Nguyễn Văn An")
    an.send(f"/start {invite(run_db, tree.cell_a1.id, 'secretary')}")
    an.wait_reply()

    an.send(f"/start {supervisor_code}")

    assert an.wait_reply().text.startswith(vi("invite.used"))
    assert roles_of(run_db, 1001) == [("secretary", tree.cell_a1.id)]


def test_expired_and_forged_codes_bind_nothing(tg: TelegramDriver, bot, tree, run_db):
    expired = invite(run_db, tree.cell_a1.id, "secretary", expires_in=timedelta(seconds=-1))
    an = tg.user(1001, "Nguyễn Văn An")

    an.send(f"/start {expired}")
    assert an.wait_reply().text == vi("invite.expired")
    an.send("/start khong-phai-ma-moi")
    assert an.wait_reply().text == vi("invite.unknown")
    an.send("/start " + "x" * 500)
    assert an.wait_reply().text == vi("invite.unknown")
    assert roles_of(run_db, 1001) == []


def test_several_roles_for_one_person(tg: TelegramDriver, bot, tree, run_db):
    an = tg.user(1001, "Nguyễn Văn An")
    an.send(f"/start {invite(run_db, tree.cell_a1.id, 'secretary')}")
    an.wait_reply()

    an.send(f"/start {invite(run_db, tree.cell_a1.id, 'village_head')}")

    assert "Trưởng thôn" in an.wait_reply().text
    assert sorted(roles_of(run_db, 1001)) == [
        ("secretary", tree.cell_a1.id),
        ("village_head", tree.cell_a1.id),
    ]


def test_a_deactivated_person_is_a_stranger(tg: TelegramDriver, bot, tree, run_db):
    run_db(lambda s: make_person(s, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary"))

    async def deactivate(session):
        person = (await session.exec(select(Person).where(Person.telegram_id == 1001))).one()
        person.active = False

    run_db(deactivate)
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/language")
    assert an.wait_reply().text == vi("start.stranger")
    an.press_data("lang:en")
    assert an.wait_answer().text == vi("start.stranger_short")


def test_language_switches_and_survives_a_restart(tg: TelegramDriver, bot: BotRunner, tree, run_db):
    run_db(lambda s: make_person(s, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary"))
    an = tg.user(1001, "Nguyễn Văn An")

    an.send(vi("menu.language"))  # the menu button
    an.wait_reply()
    an.press("English")
    assert an.wait_for_text(i18n.t("en", "language.done"))
    assert i18n.t("en", "menu.help") in an.last_message().buttons

    bot.restart()
    an.send("/help")
    assert an.wait_reply().text.startswith(i18n.t("en", "help.header"))

    an.send("/language")
    an.wait_reply()
    an.press("Tiếng Việt")
    assert an.wait_for_text(vi("language.done"))


def test_supervisor_invites_a_secretary_from_the_chat(tg: TelegramDriver, bot, tree, run_db):
    run_db(lambda s: make_person(s, 2001, "Phạm Thị Dung", tree.commune_a, "supervisor"))
    dung = tg.user(2001, "Phạm Thị Dung")

    dung.send(vi("menu.invite"))
    browse = dung.wait_reply()
    assert "Chi bộ thôn Đồng Tâm" in browse.buttons
    assert "Chi bộ khu phố 3" not in browse.buttons  # another commune
    dung.press("Chi bộ thôn Đồng Tâm")
    roles = dung.wait_for_text("Mời vào")  # the answered question first loses its buttons
    assert roles.buttons == [vi("role.secretary"), vi("role.deputy"), vi("role.village_head")]
    assert browse.buttons == []
    dung.press(vi("role.deputy"))
    created = dung.wait_for_text("https://t.me/")
    code = LINK.search(created.text).group(1)
    assert roles.buttons == []

    binh = tg.user(1002, "Trần Thị Bình")
    binh.send(f"/start {code}")
    assert "Phó Bí thư chi bộ" in binh.wait_reply().text
    assert roles_of(run_db, 1002) == [("deputy", tree.cell_a1.id)]


def invites_and_links(run_db) -> tuple[list[Invite], list[GroupLink]]:
    async def read(session):
        return (
            (await session.exec(select(Invite))).all(),
            (await session.exec(select(GroupLink))).all(),
        )

    return run_db(read)


def forged(data: str, value: str) -> str:
    """A well-formed FlowButton of the same question, carrying a value it did not offer."""
    return dataclasses.replace(FlowButton.unpack(data), value=value).pack()


def test_supervisor_cannot_invite_outside_their_subtree(tg: TelegramDriver, bot, tree, run_db):
    run_db(lambda s: make_person(s, 2001, "Phạm Thị Dung", tree.commune_a, "supervisor"))
    dung = tg.user(2001, "Phạm Thị Dung")
    dung.send("/invite")
    browse = dung.wait_reply()
    data = browse.button_data("Chi bộ thôn Đồng Tâm")

    # Forged: a cell of another commune, in a button of the real question (token and step)
    dung.press_data(forged(data, f"pick.{tree.cell_b1.id}"), browse)
    assert dung.wait_answer().text == vi("button.expired")
    dung.wait_for_text("«Làm tiếp»")  # then where the invite being made stands
    dung.press_data(f"inv:r:{tree.cell_b1.id}:secretary")  # the old kind of button
    assert dung.wait_answer().text == vi("button.expired")
    dung.assert_no_reply()
    dung.press("Chi bộ thôn Đồng Tâm")  # the question still stands
    roles = dung.wait_for_text("Mời vào")
    dung.press_data(forged(roles.button_data(vi("role.deputy")), "role.admin"), roles)
    assert dung.wait_answer().text == vi("button.expired")

    assert invites_and_links(run_db) == ([], [])
    bot.assert_no_errors()


def test_a_unit_is_picked_by_typing_its_name_without_diacritics(
    tg: TelegramDriver, bot, tree, run_db
):
    run_db(lambda s: make_person(s, 2001, "Phạm Thị Dung", tree.commune_a, "supervisor"))
    dung = tg.user(2001, "Phạm Thị Dung")
    dung.send("/invite")
    dung.wait_reply()

    dung.send("chi bo thon tan tien")
    roles = dung.wait_for_text("Mời vào")
    assert "Chi bộ thôn Tân Tiến" in roles.text
    dung.send("  TRUONG THON, khu pho ")
    created = dung.wait_for_text("https://t.me/")

    assert "Trưởng thôn" in created.text
    (made,), _ = invites_and_links(run_db)
    assert (made.unit_id, made.role) == (tree.cell_a2.id, "village_head")

    async def audit(session):
        return (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "invite.create"))
        ).all()

    (event,) = run_db(audit)
    assert event.entity_id == str(made.id) and event.after["role"] == "village_head"
    assert event.actor == "telegram:2001"


def test_secretaries_cannot_invite(tg: TelegramDriver, bot, tree, run_db):
    run_db(lambda s: make_person(s, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary"))
    an = tg.user(1001, "Nguyễn Văn An")

    an.send("/invite")

    assert an.wait_reply().text == vi("invite.not_allowed")


def test_a_supervisor_links_a_group_and_others_are_refused(tg: TelegramDriver, bot, tree, run_db):
    run_db(lambda s: make_person(s, 2001, "Phạm Thị Dung", tree.commune_a, "supervisor"))
    run_db(lambda s: make_person(s, 1001, "Nguyễn Văn An", tree.cell_a1, "secretary"))
    dung, an = tg.user(2001, "Phạm Thị Dung"), tg.user(1001, "Nguyễn Văn An")
    group = tg.group(-100123, "Đảng ủy xã Đông Ngũ")
    group.add(dung, "administrator")
    group.add(an)

    group.send(an, "/link")
    assert group.wait_reply().text == vi("group.supervisors_only")
    group.send(dung, "/link")
    group.wait_reply()
    group.press(an, "Đảng ủy xã Đông Ngũ")
    assert group.wait_answer().text == vi("group.not_your_button")
    group.press(dung, "Đảng ủy xã Đông Ngũ")
    assert "Đảng ủy xã Đông Ngũ" in group.wait_for_text("liên kết").text

    async def links(session):
        return [(g.chat_id, g.unit_id) for g in (await session.exec(select(GroupLink))).all()]

    assert run_db(links) == [(-100123, tree.commune_a.id)]

    assert group.messages()[-2].buttons == []  # the answered question keeps no buttons
    group.send(dung, "/invite")  # private-only commands are refused in groups
    assert group.wait_reply().text == vi("group.private_only")
    group.send(dung, "/unlink")
    assert "Đã bỏ liên kết" in group.wait_reply().text
    assert run_db(links) == []


def test_group_chatter_is_ignored(tg: TelegramDriver, bot, tree):
    an = tg.user(1001, "Nguyễn Văn An")
    group = tg.group(-100123, "Nhóm thôn")
    group.add(an)

    group.send(an, "/start@SomeOtherBot")

    group.assert_no_reply()


def test_a_forged_group_link_links_nothing(tg: TelegramDriver, bot, tree, run_db):
    run_db(lambda s: make_person(s, 2001, "Phạm Thị Dung", tree.commune_a, "supervisor"))
    dung = tg.user(2001, "Phạm Thị Dung")
    group = tg.group(-100123, "Đảng ủy xã Đông Ngũ")
    group.add(dung, "administrator")
    group.send(dung, "/link")
    question = group.wait_reply()
    data = question.button_data("Đảng ủy xã Đông Ngũ")

    group.press_data(dung, forged(data, f"unit.{tree.commune_b.id}"), question)
    assert group.wait_answer().text == vi("button.expired")
    dung.send("dang uy phuong hong gai")  # a private message does not answer the group's question
    assert dung.wait_reply().text == vi("fallback.not_understood")
    assert invites_and_links(run_db) == ([], [])

    group.press(dung, vi("group.cancel"))
    assert group.wait_for_text(vi("group.cancelled"))
    group.press_data(dung, data, question)  # too late: the question was answered
    assert group.wait_answer().text == vi("button.expired")
    assert invites_and_links(run_db) == ([], [])
    bot.assert_no_errors()

"""`chibo people list` and `chibo people deactivate ID`: who holds which role; taking it away."""

from __future__ import annotations

import argparse
from datetime import datetime

from bot.admin import OK, UsageError, cli_actor, command, group, named_unit, with_database
from bot.config import Settings
from storage.chats import reachable_anywhere, zalo_row_id
from storage.db import Database
from storage.models import Person, RoleAssignment, Unit, utcnow
from storage.queries.audit import Change, record_many
from storage.queries.people import Deactivation, deactivate_person, people_with_roles


def describe_person(person: Person, roles: list[tuple[RoleAssignment, Unit]]) -> list[str]:
    """The lines of one person: who, then one indented line per active role."""
    account = [f"@{person.username}"] if person.username else []
    if person.telegram_id is not None:
        account.append(f"Telegram {person.telegram_id}")
    if person.zalo_id is not None:
        account.append(f"Zalo #{zalo_row_id(person.zalo_id)}")
    flags = [] if person.active else ["inactive"]
    if not reachable_anywhere(person):
        flags.append("unreachable")
    head = f"#{person.id}  {person.full_name or '(no name)'}  ({', '.join(account)})"
    if flags:
        head += f"  [{', '.join(flags)}]"
    if not roles:
        return [head, "    (no active role)"]
    return [head] + [f"    {a.role} · {unit.code} {unit.name}" for a, unit in roles]


def register(commands: argparse._SubParsersAction) -> None:
    actions = group(commands, "people", "People who use the bot, and their roles.")
    listing = command(actions, "list", "List people with their active roles and units.", cmd_list)
    listing.add_argument(
        "--unit", metavar="CODE", help="only people with an active role in this unit's subtree"
    )
    deactivate = command(
        actions,
        "deactivate",
        "Take every role away from a person at once and mark them inactive (history stays).",
        cmd_deactivate,
    )
    deactivate.add_argument("person_id", type=int, metavar="ID", help="the # shown by people list")


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async def work(db: Database) -> list[tuple[Person, list[tuple[RoleAssignment, Unit]]]]:
        async with db.session() as session:
            root = await named_unit(session=session, code=args.unit)
            return await people_with_roles(session=session, root=root)

    people = with_database(settings, work)
    if not people:
        if args.unit:
            print(f"No one holds an active role in {args.unit} or below it.")
        else:
            print("No people yet: they join through invite links (`chibo invite create`).")
        return OK
    for person, roles in people:
        print("\n".join(describe_person(person, roles)))
    print(f"{len(people)} people.")
    return OK


def cmd_deactivate(settings: Settings, args: argparse.Namespace) -> int:
    now = utcnow()

    async def work(db: Database) -> Deactivation:
        async with db.session() as session:
            done = await deactivate_person(session=session, person_id=args.person_id, now=now)
            if done is None:
                raise UsageError(f"No person #{args.person_id} (see `chibo people list`).")
            await record_many(session=session, actor=cli_actor(), changes=audit_changes(done, now))
            return done

    done = with_database(settings, work)
    who = f"#{done.person.id} {done.person.full_name}"
    if not done.changed:
        print(f"{who} was already inactive, with no active role: nothing changed.")
    else:
        revoked = ", ".join(f"{a.role} of {unit.code}" for a, unit in done.revoked) or "none"
        print(f"{who} is inactive now. Roles revoked: {revoked}.")
    return OK


def audit_changes(done: Deactivation, now: datetime) -> list[Change]:
    changes = [
        Change(
            "role.revoke",
            "role_assignment",
            assignment.id,
            {
                "person_id": assignment.person_id,
                "unit_id": assignment.unit_id,
                "role": assignment.role,
                "revoked_at": None,
            },
            {"revoked_at": now},
        )
        for assignment, _unit in done.revoked
    ]
    if done.was_active:
        changes.append(
            Change(
                "person.deactivate", "person", done.person.id, {"active": True}, {"active": False}
            )
        )
    return changes

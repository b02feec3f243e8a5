"""Who is speaking, read for every update in one statement: the person of a private chat,
their current roles with their units, and their conversations in progress (drafts).

This runs before every handler of every update, so it is written for the hot path: one
prebuilt Core statement (people, outer joins to the current roles, their units and the drafts),
no ORM unit of work. The rows come back as plain values; the objects the handlers use (Person,
RoleAssignment, Unit, Draft: detached, as if loaded by a session) are built from them.

The person and their roles are kept in a small cache (`SpeakerCache`) keyed by the values just
read: when the row of the person, of each current role and of its unit are what they were, the
objects built from them last time are handed out again; when anything differs (a language, a
role granted or revoked, a unit renamed, in this process or any other), they are built anew.
So the cache cannot go stale across processes: it is checked against the database in the same
statement that reads the drafts, on every update, and saves only the building. The handlers
treat these objects as read-only (an update that changes a person reads its own copy through
its session, as `/language` does). Drafts are never cached: they change at every step.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlmodel import SQLModel

from storage.chats import TELEGRAM, ZALO, messenger_of
from storage.models import Draft, Person, RoleAssignment, Unit, table_of

M = TypeVar("M", bound=SQLModel)

PEOPLE, ROLES, UNITS, DRAFTS = (table_of(m) for m in (Person, RoleAssignment, Unit, Draft))
# Each table's columns, in order: a row of the statement is these four runs side by side.
_PARTS = ((Person, PEOPLE), (RoleAssignment, ROLES), (Unit, UNITS), (Draft, DRAFTS))


def _statement(key: sa.Column[Any]) -> sa.Select[Any]:
    current = sa.and_(ROLES.c.person_id == PEOPLE.c.id, ROLES.c.revoked_at.is_(None))
    joined = (
        PEOPLE.outerjoin(ROLES, current)
        .outerjoin(UNITS, UNITS.c.id == ROLES.c.unit_id)
        .outerjoin(DRAFTS, DRAFTS.c.person_id == PEOPLE.c.id)
    )
    columns = [
        column.label(f"{table.name}_{column.name}") for _, table in _PARTS for column in table.c
    ]
    # One row per (role, draft); roles in the order granted, drafts most recently touched first.
    return (
        sa.select(*columns)
        .select_from(joined)
        .where(key == sa.bindparam("key"))
        .order_by(ROLES.c.id, DRAFTS.c.updated_at.desc(), DRAFTS.c.id.desc())
    )


BY_CHAT = {TELEGRAM: _statement(PEOPLE.c.telegram_id), ZALO: _statement(PEOPLE.c.zalo_id)}


@dataclass
class Speaker:
    person: Person | None = None
    roles: list[tuple[RoleAssignment, Unit]] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)  # the most recently touched first


class SpeakerCache:
    """The person and roles objects last built for a speaker, with the values they were built
    from; the least recently seen speakers are dropped beyond `size`."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._entries: OrderedDict[object, tuple[tuple[Any, ...], Speaker]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, lookup: object, values: tuple[Any, ...]) -> Speaker | None:
        entry = self._entries.get(lookup)
        if entry is None or entry[0] != values:
            self.misses += 1
            return None
        self._entries.move_to_end(lookup)
        self.hits += 1
        return entry[1]

    def put(self, lookup: object, values: tuple[Any, ...], speaker: Speaker) -> None:
        self._entries[lookup] = (values, speaker)
        self._entries.move_to_end(lookup)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


CACHE = SpeakerCache()


async def speaker_by_chat(
    connection: AsyncConnection, chat_id: int, *, cache: SpeakerCache = CACHE
) -> Speaker:
    """The speaker of a private chat, Telegram's or Zalo's (an empty Speaker when nobody has
    it), one statement."""
    messenger = messenger_of(chat_id)
    rows = (await connection.execute(BY_CHAT[messenger], {"key": chat_id})).all()
    return _speaker((messenger, chat_id), rows, cache)


async def wrote_from(connection: AsyncConnection, person: Person, chat_id: int) -> Person:
    """The person wrote from this chat: reachable there again, and their messages go there
    first from now on (storage.chats). Written only when that changes (the caller commits);
    returns the person as they now are (a copy: the cached one stays as read)."""
    messenger = messenger_of(chat_id)
    flag = "zalo_reachable" if messenger == ZALO else "reachable"
    if person.messenger == messenger and getattr(person, flag):
        return person
    changes = {"messenger": messenger, flag: True}
    await connection.execute(sa.update(PEOPLE).where(PEOPLE.c.id == person.id).values(changes))
    return copy_of(person, **changes)


def _speaker(lookup: object, rows: Sequence[sa.Row[Any]], cache: SpeakerCache) -> Speaker:
    if not rows:
        return Speaker()
    p, r, u, _ = (len(table.c) for _, table in _PARTS)
    person_values = tuple(rows[0][:p])
    roles: dict[Any, tuple[Any, ...]] = {}  # role id -> the role's and its unit's values
    drafts: dict[Any, tuple[Any, ...]] = {}  # draft id -> its values
    for row in rows:
        role, draft = tuple(row[p : p + r + u]), tuple(row[p + r + u :])
        if role[0] is not None:
            roles.setdefault(role[0], role)
        if draft[0] is not None:
            drafts.setdefault(draft[0], draft)
    values = (person_values, *roles.values())
    cached = cache.get(lookup, values)
    if cached is None:
        cached = Speaker(
            built(Person, PEOPLE, person_values),
            [
                (built(RoleAssignment, ROLES, v[:r]), built(Unit, UNITS, v[r:]))
                for v in roles.values()
            ],
        )
        cache.put(lookup, values, cached)
    fresh = [built(Draft, DRAFTS, v) for v in drafts.values()]  # the engine changes them
    return Speaker(cached.person, cached.roles, fresh)


def copy_of(person: Person, **changes: Any) -> Person:
    """A detached copy of a (cached) person with some values changed."""
    values = {column.name: getattr(person, column.name) for column in PEOPLE.c}
    return built(Person, PEOPLE, list({**values, **changes}.values()))


def built(model: type[M], table: sa.Table, values: Sequence[Any]) -> M:
    """A detached object of `model` holding a row's values (in the table's column order), made
    as a session makes what it loads: the instance without its __init__ (SQLModel's costs 40 µs,
    this 5), the values in place, then detached. JSON values stay plain: a change is saved by
    assigning a new value (storage.queries.drafts writes them whole)."""
    if not _MAPPERS_READY:
        _configure()
    item = sa.inspect(model).class_manager.new_instance()
    item.__dict__.update(zip(_NAMES[table], values, strict=True))
    make_transient_to_detached(item)
    return item


_NAMES = {table: [column.name for column in table.c] for _, table in _PARTS}
_MAPPERS_READY = False


def _configure() -> None:
    """Once per process, what a session's first query does: the mappers' attributes ready."""
    global _MAPPERS_READY
    configure_mappers()
    _MAPPERS_READY = True

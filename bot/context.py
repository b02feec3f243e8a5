"""The context every handler gets: settings, database, who is speaking, in which language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InputFile, Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot import i18n
from bot.config import Settings
from bot.files import photo_input
from bot.menu import commands_for
from bot.messengers import Bots, bots_of
from storage.chats import TELEGRAM
from storage.db import Database
from storage.models import Draft, Person, RoleAssignment, Unit
from storage.queries import speakers
from storage.queries.units import unit_by_id


@dataclass
class Identity:
    """The speaker of one update: a registered, active person with their roles, or a stranger;
    and their conversations in progress as the update found them (read in the same transaction,
    so that a step of a conversation costs one transaction to read and one to write)."""

    person: Person | None = None
    roles: list[tuple[RoleAssignment, Unit]] = field(default_factory=list)
    telegram_language: str | None = None
    drafts: list[Draft] = field(default_factory=list)  # the most recently touched first

    @property
    def is_member(self) -> bool:
        return self.person is not None and self.person.active and bool(self.roles)

    @property
    def role_names(self) -> set[str]:
        return {assignment.role for assignment, _ in self.roles}

    def unit(self, unit_id: int | None) -> Unit | None:
        """One of the units the speaker holds a role in, without a query."""
        return next((unit for _, unit in self.roles if unit.id == unit_id), None)

    def draft(self, kinds: Iterable[str]) -> Draft | None:
        """The most recently touched of the speaker's drafts of these kinds. It was read in an
        earlier transaction and belongs to no session: storage.queries.drafts writes it."""
        kinds = set(kinds)
        return next((draft for draft in self.drafts if draft.kind in kinds), None)


class ChiboContext(CallbackContext[ExtBot, dict, dict, dict]):
    identity: Identity = Identity()

    @property
    def settings(self) -> Settings:
        return self.application.bot_data["settings"]

    @property
    def db(self) -> Database:
        return self.application.bot_data["db"]

    @property
    def bots(self) -> Bots:
        return bots_of(self.application.bot_data)

    @property
    def messenger(self) -> str:
        """The messenger this update came by."""
        return self.application.bot_data["messenger"]

    def photo(self, ref: str) -> str | InputFile:
        """What to send for a stored photo here: a photo kept from Zalo goes to Telegram as its
        bytes (bot.files); Zalo's adapter takes any stored reference."""
        if self.messenger == TELEGRAM:
            return photo_input(self.application.bot_data["files"], ref)
        return ref

    @property
    def lang(self) -> str:
        person = self.identity.person
        if person is not None and person.language:
            return i18n.normalise(person.language)
        return self.settings.default_language

    def t(self, key: str, /, **values: object) -> str:
        return i18n.t(self.lang, key, **values)

    @property
    def actor(self) -> dict[str, Any]:
        """Who acts, as the audit trail names them: `record(..., **context.actor)`."""
        person = self.identity.person
        return actor_of(person) if person else {}

    async def unit(self, session: AsyncSession, unit_id: int | None) -> Unit | None:
        """A unit: one of the speaker's own without a query (a step of a report), else read."""
        if unit_id is None:
            return None
        return self.identity.unit(unit_id) or await unit_by_id(session=session, unit_id=unit_id)

    @property
    def my_commands(self) -> list[str]:
        """The registered commands the speaker's roles allow, in menu order."""
        return commands_for(self.identity.role_names, self.application.bot_data["commands"])


# The context type stays Any: PTB types handlers and jobs with its own type variable for it.
ChiboApplication = Application[ExtBot[Any], Any, dict, dict, dict, Any]


async def load_identity(update: Update, context: ChiboContext) -> None:
    """Runs first for every update: finds who is speaking, for every later handler."""
    i18n.VARIANT.set(context.messenger if context.messenger != TELEGRAM else None)
    user = update.effective_user
    if user is None or user.is_bot:
        context.identity = Identity()
        return
    context.identity = await identify(context.db, user.id, user.language_code)


def actor_of(person: Person) -> dict[str, Any]:
    """The audit trail's names of a person: "telegram:<id>" or "zalo:<chat number>"."""
    chat = person.telegram_id if person.messenger == TELEGRAM else person.zalo_id
    return {"actor": f"{person.messenger}:{chat}", "actor_id": person.id}


async def identify(db: Database, chat_id: int, telegram_language: str | None) -> Identity:
    """Who writes from this private chat (either messenger): one statement
    (storage.queries.speakers: the person, roles and drafts, a cache checked by it). A person
    who writes again is reachable again there, and their messages go there first from now on."""
    async with db.connection() as connection:
        found = await speakers.speaker_by_chat(connection, chat_id)
        person = found.person
        if person is None or not person.active:
            return Identity(person=person, telegram_language=telegram_language)
        person = await speakers.wrote_from(connection, person, chat_id)
    return Identity(person, found.roles, telegram_language, found.drafts)

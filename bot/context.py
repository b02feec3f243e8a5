"""The context every handler gets: settings, database, who is speaking, in which language."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot import i18n
from bot.config import Settings
from bot.menu import commands_for
from storage.db import Database
from storage.models import Person, RoleAssignment, Unit
from storage.queries.people import active_roles, person_by_telegram_id


@dataclass
class Identity:
    """The speaker of one update: a registered, active person with their roles, or a stranger."""

    person: Person | None = None
    roles: list[tuple[RoleAssignment, Unit]] = field(default_factory=list)
    telegram_language: str | None = None

    @property
    def is_member(self) -> bool:
        return self.person is not None and self.person.active and bool(self.roles)

    @property
    def role_names(self) -> set[str]:
        return {assignment.role for assignment, _ in self.roles}


class ChiboContext(CallbackContext[ExtBot, dict, dict, dict]):
    identity: Identity = Identity()

    @property
    def settings(self) -> Settings:
        return self.application.bot_data["settings"]

    @property
    def db(self) -> Database:
        return self.application.bot_data["db"]

    @property
    def lang(self) -> str:
        person = self.identity.person
        if person is not None and person.language:
            return i18n.normalise(person.language)
        return self.settings.default_language

    def t(self, key: str, /, **values: object) -> str:
        return i18n.t(self.lang, key, **values)

    @property
    def actor(self) -> dict[str, object]:
        """Who acts, as the audit trail names them: `record(..., **context.actor)`."""
        person = self.identity.person
        return {"actor": f"telegram:{person.telegram_id}", "actor_id": person.id} if person else {}

    @property
    def my_commands(self) -> list[str]:
        """The registered commands the speaker's roles allow, in menu order."""
        return commands_for(self.identity.role_names, self.application.bot_data["commands"])


ChiboApplication = Application[ExtBot, ChiboContext, dict, dict, dict, object]


async def load_identity(update: Update, context: ChiboContext) -> None:
    """Runs first for every update: finds who is speaking (one query), for every later handler."""
    user = update.effective_user
    if user is None or user.is_bot:
        context.identity = Identity()
        return
    context.identity = await identify(context.db, user.id, user.language_code)


async def identify(db: Database, telegram_id: int, telegram_language: str | None) -> Identity:
    """Who this Telegram account is; a person who writes again is reachable again."""
    async with db.session() as session:
        person = await person_by_telegram_id(session=session, telegram_id=telegram_id)
        roles = []
        if person is not None and person.active:
            roles = await active_roles(session=session, person_id=person.id)
            if not person.reachable:
                person.reachable = True
    return Identity(person=person, roles=roles, telegram_language=telegram_language)

"""Use cases: what the bot does, for the handlers, the jobs and the command line alike.

No Telegram objects come in or go out: a use case takes the database (or a session), the
settings, who acts (`Actor`) and plain values, and gives back what happened; saying it (a reply,
an alert, a notification) is the caller's part. Below: bot.rules (pure), bot.render (texts),
storage. Above: bot.handlers, bot.flows, bot.jobs, bot.cli.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from storage.models import Person, RoleAssignment, Unit


@dataclass(frozen=True)
class Actor:
    """Who acts: a person and their roles (each with its unit)."""

    person: Person
    roles: Sequence[tuple[RoleAssignment, Unit]] = field(default_factory=tuple)

"""The tables. Times are stored in UTC; periods are "YYYY-MM" strings; codes are unique."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator):
    """A timezone-aware datetime on every backend (SQLite drops the zone; we put UTC back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(*, nullable: bool = False, index: bool = False, default: bool = False) -> Any:
    return Field(
        default_factory=utcnow if default else None,
        sa_column=sa.Column(UtcDateTime(), nullable=nullable, index=index),
    )


def _json(factory: Any = None) -> Any:
    """A JSON column; `factory` (list, dict) makes a fresh default, None makes it nullable (dict).

    Python None is stored as SQL NULL (not the JSON text 'null'), so `.is_(None)` finds it.

    Changes in place at the top level (`draft.data["k"] = v`, `report.photos.append(p)`) are
    saved; a change inside a nested value is not: assign a new value to the column instead.
    """
    mutable = MutableList if factory is list else MutableDict
    return Field(
        default_factory=factory or (lambda: None),
        sa_column=sa.Column(
            mutable.as_mutable(sa.JSON(none_as_null=True)), nullable=factory is None
        ),
    )


def _big(*, nullable: bool = False, unique: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, nullable=nullable, unique=unique, index=index),
    )


class Unit(SQLModel, table=True):
    """A node of the organisation tree: province, commune-level committee, cell, ..."""

    __tablename__ = "units"
    # The cells of a subtree: kind = 'cell' and a range of paths compared byte by byte
    # (storage/queries/figures.py); on PostgreSQL that is COLLATE "C", which the
    # default-collation index on path cannot serve.
    __table_args__ = (
        sa.Index("ix_units_kind_path", "kind", "path", postgresql_ops={"path": 'COLLATE "C"'}),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=32, index=True)
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    # Materialised path of ids ("1/7/93/"), so a subtree is one indexed prefix match.
    path: str = Field(default="", max_length=1024, index=True)
    depth: int = 0
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: int | None = Field(default=None, foreign_key="units.id")
    created_at: datetime = _when(default=True)


class Person(SQLModel, table=True):
    """Someone with a role, on Telegram, Zalo or both (their chats: storage/chats.py)."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = _big(nullable=True, unique=True)
    # The number of their Zalo chat (a `zalo_chats` row's, see storage/chats.py).
    zalo_id: int | None = _big(nullable=True, unique=True)
    full_name: str = Field(default="", max_length=255)
    username: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    reachable: bool = True  # on Telegram: false once Telegram refused a message to them
    zalo_reachable: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # The messenger they wrote from last: where their reminders and alerts go first.
    messenger: str = Field(
        default="telegram", max_length=16, sa_column_kwargs={"server_default": "telegram"}
    )
    active: bool = True
    # A supervisor whose unit has a linked group still gets its scheduled messages privately,
    # unless they turn that off (the button under /link's confirmation).
    private_copies: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    created_at: datetime = _when(default=True)


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignments"
    __table_args__ = (sa.Index("ix_role_assignments_unit_role", "unit_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: int = Field(foreign_key="units.id")
    role: str = Field(max_length=32)
    invite_id: int | None = Field(default=None, foreign_key="invites.id")
    granted_at: datetime = _when(default=True)
    revoked_at: datetime | None = _when(nullable=True)


class Invite(SQLModel, table=True):
    """A one-time invite. Only a hash of the code is kept: the link is shown once, at creation."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    role: str = Field(max_length=32)
    created_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = _when(default=True)
    expires_at: datetime = _when()
    used_by_id: int | None = Field(default=None, foreign_key="people.id")
    used_at: datetime | None = _when(nullable=True)


class MeetingReport(SQLModel, table=True):
    """The current monthly report of one cell for one period; earlier versions are revisions."""

    __tablename__ = "meeting_reports"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "period", name="uq_report_unit_period"),
        # What the summary counts, and nothing else: its month's figures, the quarter's thematic
        # meetings and the chart's 12-month trend read this index, never the reports' long rows
        # (storage/queries/figures.py): a country's summary reads 2 million of them.
        sa.Index(
            "ix_meeting_reports_figures",
            "unit_id",
            "period",
            "first_submitted_at",
            "held",
            "meeting_type",
            "members",
            "exempt",
            "present",
            "absent_unexcused",
            "upper_attendee_name",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    period: str = Field(max_length=7, index=True)
    status: str = Field(default="submitted", max_length=16)
    held: bool = True
    not_held_reason: str | None = None
    meeting_date: date | None = None
    meeting_type: str | None = Field(default=None, max_length=16)
    topic: str | None = None
    members: int | None = None
    exempt: int | None = None
    present: int | None = None
    absent_excused: int | None = None
    absent_unexcused: int | None = None
    upper_attendee_name: str | None = None
    upper_attendee_position: str | None = None
    content: str | None = None
    conclusion: str | None = None
    candidates: int | None = None
    admissions: int | None = None
    full_memberships: int | None = None
    photos: list[str] = _json(list)
    version: int = 1
    submitted_by_id: int | None = Field(default=None, foreign_key="people.id")
    submitter_role: str | None = Field(default=None, max_length=32)
    first_submitted_at: datetime = _when(default=True)
    submitted_at: datetime = _when(default=True)
    return_comment: str | None = None
    returned_by_id: int | None = Field(default=None, foreign_key="people.id")
    returned_at: datetime | None = _when(nullable=True)


class ReportRevision(SQLModel, table=True):
    __tablename__ = "report_revisions"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="meeting_reports.id", index=True)
    version: int
    data: dict[str, Any] = _json(dict)
    submitted_by_id: int | None = Field(default=None, foreign_key="people.id")
    submitted_at: datetime = _when(default=True)


class Draft(SQLModel, table=True):
    """A conversation in progress, kept in the database so that it survives a restart."""

    __tablename__ = "drafts"
    __table_args__ = (sa.UniqueConstraint("person_id", "kind", name="uq_draft_person_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: str = Field(max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    period: str | None = Field(default=None, max_length=7)
    step: str = Field(default="", max_length=32)
    # Changes whenever the draft starts anew: buttons carry it, so old buttons are recognised.
    token: str = Field(default="", max_length=16)
    base_version: int | None = None
    data: dict[str, Any] = _json(dict)
    # What the last question offered (bot.flows.prompt.Prompt.stored): presses and typed
    # answers are checked against it; and the message that asked it, to take its buttons away.
    prompt: dict[str, Any] = _json(dict)
    message_id: int | None = _big(nullable=True)
    created_at: datetime = _when(default=True)
    updated_at: datetime = _when(default=True)


class Problem(SQLModel, table=True):
    """A difficulty, petition or proposal passed up by a cell (khó khăn, vướng mắc, kiến nghị)."""

    __tablename__ = "problems"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    handling_unit_id: int = Field(foreign_key="units.id", index=True)
    category: str = Field(max_length=32, index=True)
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)  # "cổng chợ", "đường liên thôn xóm 3"
    description: str = ""
    raised_by: str = Field(default="cell", max_length=16)
    urgency: str = Field(default="normal", max_length=16)
    status: str = Field(default="new", max_length=16, index=True)
    photos: list[str] = _json(list)
    latitude: float | None = None
    longitude: float | None = None
    reporter_id: int | None = Field(default=None, foreign_key="people.id")
    reporter_chat_id: int | None = _big(nullable=True)
    reporter_message_id: int | None = None
    report_id: int | None = Field(default=None, foreign_key="meeting_reports.id")
    duplicate_of_id: int | None = Field(default=None, foreign_key="problems.id")
    escalation_level: int = 0
    due_at: datetime = _when()
    created_at: datetime = _when(default=True, index=True)
    updated_at: datetime = _when(default=True)
    resolved_at: datetime | None = _when(nullable=True)


class ProblemEvent(SQLModel, table=True):
    __tablename__ = "problem_events"

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problems.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = None
    created_at: datetime = _when(default=True)


class GroupLink(SQLModel, table=True):
    """A Telegram group chat that receives a unit's summaries."""

    __tablename__ = "group_links"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _big(unique=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    title: str = Field(default="", max_length=255)
    linked_by_id: int | None = Field(default=None, foreign_key="people.id")
    linked_at: datetime = _when(default=True)


class Delivery(SQLModel, table=True):
    """One outgoing scheduled message: recorded before it is sent, so nothing goes twice.

    A message to a person is keyed by the person (whatever messenger it goes by: chosen when
    it is sent); one to a group by its chat."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("chat_id", "kind", "ref", name="uq_delivery_key"),
        sa.UniqueConstraint("person_id", "kind", "ref", name="uq_delivery_person"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _big()  # a person's: the chat it was recorded for; sent maybe to their other
    person_id: int | None = Field(default=None, foreign_key="people.id")
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=128)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=255)
    message_id: int | None = None
    # What to send (text and buttons, or a picture), so that any process can send a row a crashed
    # one recorded; cleared once the row is settled (meeting data does not linger here).
    payload: dict[str, Any] | None = _json()
    # A sender owns a pending row until this instant (a lease): see storage/queries/deliveries.py.
    claimed_until: datetime | None = _when(nullable=True)
    created_at: datetime = _when(default=True)
    sent_at: datetime | None = _when(nullable=True)


class ZaloChat(SQLModel, table=True):
    """A Zalo chat (a person's, or a group's), numbered for the layers above the adapter
    (storage/chats.py); and the choices its last message listed, so that a typed number
    chooses one (bot/zalo/choices.py)."""

    __tablename__ = "zalo_chats"

    id: int | None = Field(default=None, primary_key=True)
    zalo_id: str = Field(max_length=64, unique=True, index=True)
    is_group: bool = False
    name: str = Field(default="", max_length=255)
    choices: list[dict[str, Any]] = _json(list)
    choices_message: int | None = _big(nullable=True)
    created_at: datetime = _when(default=True)


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="people.id")
    actor: str = Field(default="", max_length=64)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str = Field(default="", max_length=64)
    before: dict[str, Any] | None = _json()
    after: dict[str, Any] | None = _json()
    created_at: datetime = _when(default=True, index=True)


class Lease(SQLModel, table=True):
    """A named lease held by one process until `expires_at` (the scheduled jobs' leader):
    see storage/queries/leases.py."""

    __tablename__ = "leases"

    name: str = Field(max_length=64, primary_key=True)
    holder: str = Field(max_length=128)
    expires_at: datetime = _when()


def table_of(model: type[SQLModel]) -> sa.Table:
    """A model's Core table, for bulk and Core queries (every table model has one; SQLModel's
    type does not say so)."""
    return model.__table__  # type: ignore[attr-defined]

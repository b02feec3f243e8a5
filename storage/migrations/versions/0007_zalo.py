"""Zalo: people on either messenger or both; Zalo chats numbered; deliveries keyed by person

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.models import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zalo_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zalo_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("choices", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("choices_message", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("zalo_chats") as batch:
        batch.create_index(batch.f("ix_zalo_chats_zalo_id"), ["zalo_id"], unique=True)
    with op.batch_alter_table("people") as batch:
        batch.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=True)
        batch.add_column(sa.Column("zalo_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("zalo_reachable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column(
                "messenger",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="telegram",
            )
        )
        batch.create_unique_constraint("uq_people_zalo_id", ["zalo_id"])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_deliveries_person_id", "people", ["person_id"], ["id"])
        batch.create_unique_constraint("uq_delivery_person", ["person_id", "kind", "ref"])
    # Rows recorded for a person's Telegram chat become the person's.
    op.execute(
        "UPDATE deliveries SET person_id = "
        "(SELECT people.id FROM people WHERE people.telegram_id = deliveries.chat_id) "
        "WHERE chat_id > 0"
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_delivery_person", type_="unique")
        batch.drop_constraint("fk_deliveries_person_id", type_="foreignkey")
        batch.drop_column("person_id")
    # Fails while someone is on Zalo only: they would have no account left.
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint("uq_people_zalo_id", type_="unique")
        batch.drop_column("messenger")
        batch.drop_column("zalo_reachable")
        batch.drop_column("zalo_id")
        batch.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("zalo_chats") as batch:
        batch.drop_index(batch.f("ix_zalo_chats_zalo_id"))
    op.drop_table("zalo_chats")

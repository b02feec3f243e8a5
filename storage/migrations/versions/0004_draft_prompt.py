"""drafts keep the options of their last question and the message that asked it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00

Conversations in progress are dropped: their data was written in the shape of the conversation
code before the engine (bot.flows), which reads only its typed models; a person starts again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM drafts")
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("prompt", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("message_id")
        batch.drop_column("prompt")

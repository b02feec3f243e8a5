"""an index holding what the summary counts, read instead of the reports' long rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_reports_figures",
            [
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
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_reports_figures")

"""online reporting: the reminder log (who was reminded of which report, when, by which channel, with what
result) and the in-app notices

Revision ID: 0019_reminders
Revises: 0018_online_reporting
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_reminders"
down_revision: str | None = "0018_online_reporting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("entity_key", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "sent_on", "form_code", "period", "entity_key", "channel",
                            name="uq_reminder_log_user_day_item_channel"),
    )
    op.create_index("ix_reminder_log_user_id", "reminder_log", ["user_id"])
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_zh", sa.String(length=200), nullable=False),
        sa.Column("subject_en", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.String(length=4000), nullable=False),
        sa.Column("body_en", sa.String(length=4000), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_user_read", "notice", ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_notice_user_read", table_name="notice")
    op.drop_table("notice")
    op.drop_index("ix_reminder_log_user_id", table_name="reminder_log")
    op.drop_table("reminder_log")

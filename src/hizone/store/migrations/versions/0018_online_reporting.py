"""online reporting: the browser form's drafts (one per report, versioned saves) and how each batch typed into
the form was filed (by whom, on behalf or not, the reason for confirmed warnings)

Revision ID: 0018_online_reporting
Revises: 0017_bulletins
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_online_reporting"
down_revision: str | None = "0017_bulletins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "online_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("entity_key", sa.String(length=18), nullable=False),
        sa.Column("zone_code", sa.String(length=8), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("saved_by", sa.String(length=64), nullable=False),
        sa.Column("saved_role", sa.String(length=16), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_code", "period", "entity_key", name="uq_online_draft_report"),
    )
    op.create_index("ix_online_draft_zone_code", "online_draft", ["zone_code"])
    op.create_table(
        "online_filing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("entity_key", sa.String(length=18), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("filed_role", sa.String(length=16), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("warning_reason", sa.String(length=500), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id"),
    )


def downgrade() -> None:
    op.drop_table("online_filing")
    op.drop_index("ix_online_draft_zone_code", table_name="online_draft")
    op.drop_table("online_draft")

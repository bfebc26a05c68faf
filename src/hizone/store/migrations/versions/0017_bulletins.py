"""bulletins: the Torch Center's bulletins (火炬动态), the facts extracted from them with their review, and a
character-bigram index (and each text folded) for full-text search that reads the same on SQLite and PostgreSQL

Revision ID: 0017_bulletins
Revises: 0016_contests
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_bulletins"
down_revision: str | None = "0016_contests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=256), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("issue", sa.String(length=64), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_bulletin_sha256"),
    )
    op.create_table(
        "bulletin_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=96), nullable=False),
        sa.Column("subject_name", sa.String(length=96), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=24), nullable=False),
        sa.Column("qualifier", sa.String(length=8), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("corrected_value", sa.Float(), nullable=True),
        sa.Column("corrected_unit", sa.String(length=16), nullable=True),
        sa.Column("corrected_period", sa.String(length=24), nullable=True),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bulletin_fact_bulletin_id", "bulletin_fact", ["bulletin_id"])
    op.create_index("ix_bulletin_fact_subject", "bulletin_fact", ["subject"])
    op.create_index("ix_bulletin_fact_status", "bulletin_fact", ["status"])
    op.create_table(
        "bulletin_gram",
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletin.id"]),
        sa.PrimaryKeyConstraint("gram", "bulletin_id"),
    )


def downgrade() -> None:
    op.drop_table("bulletin_gram")
    op.drop_index("ix_bulletin_fact_status", table_name="bulletin_fact")
    op.drop_index("ix_bulletin_fact_subject", table_name="bulletin_fact")
    op.drop_index("ix_bulletin_fact_bulletin_id", table_name="bulletin_fact")
    op.drop_table("bulletin_fact")
    op.drop_table("bulletin")

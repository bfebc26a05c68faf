"""carbon: published carbon accounts, one row a version, append-only

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carbon_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("warning", sa.String(length=8), nullable=False),
        sa.Column("factor_version", sa.String(length=256), nullable=False),
        sa.Column("factor_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("data_seq", sa.BigInteger(), nullable=False),
        sa.Column("data_key", sa.String(length=128), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_role", sa.String(length=16), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=512), nullable=True),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "level", "key", "version", name="uq_carbon_account_version"),
    )


def downgrade() -> None:
    op.drop_table("carbon_account")

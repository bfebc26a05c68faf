"""ranking: evaluation runs (framework, year, config, data fingerprint) and their results per zone and node

Revision ID: 0005
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_code", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("zone_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evaluation_run", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_run_framework_year", ["framework_code", "year"], unique=False)
    op.create_table(
        "evaluation_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("zone_code", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("rank_change", sa.Integer(), nullable=True),
        sa.Column("rank_p05", sa.Float(), nullable=True),
        sa.Column("rank_p95", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["evaluation_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "zone_code", "code"),
    )
    with op.batch_alter_table("evaluation_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_result_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_result_zone_code"), ["zone_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_result_zone_code"))
        batch_op.drop_index(batch_op.f("ix_evaluation_result_run_id"))
    op.drop_table("evaluation_result")
    with op.batch_alter_table("evaluation_run", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_run_framework_year")
    op.drop_table("evaluation_run")

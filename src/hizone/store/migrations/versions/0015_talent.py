"""talent: campaign targets a user imported, job fairs and their employers (reports go to the submission store)

Revision ID: 0015_talent
Revises: 0014_incubation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_talent"
down_revision: str | None = "0014_incubation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talent_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=8), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_talent_target_campaign", "talent_target", ["campaign"])
    op.create_table(
        "job_fair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("host_zone", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("platforms", sa.String(length=256), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("posts_by_field", sa.JSON(), nullable=False),
        sa.Column("resumes", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("interviews", sa.Integer(), nullable=False),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign", "name", "held_on"),
    )
    op.create_index("ix_job_fair_campaign", "job_fair", ["campaign"])
    op.create_index("ix_job_fair_host_zone", "job_fair", ["host_zone"])
    op.create_table(
        "job_fair_employer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), sa.ForeignKey("job_fair.id"), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fair_id", "credit_code"),
    )
    op.create_index("ix_job_fair_employer_fair_id", "job_fair_employer", ["fair_id"])
    op.create_index("ix_job_fair_employer_credit_code", "job_fair_employer", ["credit_code"])


def downgrade() -> None:
    op.drop_table("job_fair_employer")
    op.drop_table("job_fair")
    op.drop_table("talent_target")

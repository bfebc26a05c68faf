"""contests: editions (with their contest and rubric documents), entries, stage changes, judges, declared ties,
assignments, raw scores per dimension, documents

Revision ID: 0016_contests
Revises: 0015_talent
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_contests"
down_revision: str | None = "0015_talent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "contest_edition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contest_code", sa.String(32), nullable=False),
        sa.Column("edition", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(128), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("loaded_by", sa.String(64), nullable=False),
        _at("loaded_at"),
        sa.UniqueConstraint("contest_code", "edition", name="uq_contest_edition"),
    )
    op.create_table(
        "contest_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("contest_edition.id"), nullable=False, index=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=True, index=True),
        sa.Column("team_name", sa.String(128), nullable=True),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("zone_code", sa.String(8), sa.ForeignKey("zone.code"), nullable=True, index=True),
        sa.Column("field", sa.String(32), nullable=True),
        sa.Column("group_code", sa.String(16), nullable=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("award", sa.String(32), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint("edition_id", "code", name="uq_contest_entry_code"),
    )
    op.create_table(
        "contest_stage_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("contest_entry.id"), nullable=False, index=True),
        sa.Column("from_stage", sa.String(32), nullable=True),
        sa.Column("to_stage", sa.String(32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        _at("at"),
    )
    op.create_table(
        "contest_judge",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("edition_id", sa.Integer(), sa.ForeignKey("contest_edition.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("zone_code", sa.String(8), sa.ForeignKey("zone.code"), nullable=True),
        sa.UniqueConstraint("edition_id", "user_id", name="uq_contest_judge"),
    )
    op.create_table(
        "contest_tie",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("judge_id", sa.Integer(), sa.ForeignKey("contest_judge.id"), nullable=False, index=True),
        sa.Column("tied_to", sa.String(64), nullable=False),
        sa.UniqueConstraint("judge_id", "tied_to", name="uq_contest_tie"),
    )
    op.create_table(
        "contest_assignment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("judge_id", sa.Integer(), sa.ForeignKey("contest_judge.id"), nullable=False, index=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("contest_entry.id"), nullable=False, index=True),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.UniqueConstraint("judge_id", "entry_id", "stage", name="uq_contest_assignment"),
    )
    op.create_table(
        "contest_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("contest_assignment.id"), nullable=False,
                  index=True),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("mark", sa.Float(), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        _at("changed_at"),
        sa.UniqueConstraint("assignment_id", "dimension", name="uq_contest_score"),
    )
    op.create_table(
        "contest_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("contest_entry.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(256), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        _at("uploaded_at"),
    )


def downgrade() -> None:
    for table in ("contest_document", "contest_score", "contest_assignment", "contest_tie", "contest_judge",
                  "contest_stage_change", "contest_entry", "contest_edition"):
        op.drop_table(table)

"""contests: teams as entrants (leader, members, institution; linked to an enterprise later) and the documents'
media types at their full length (an Office type is over 64 characters)

Revision ID: 0021_contest_teams
Revises: 0020_revision_notes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_contest_teams"
down_revision: str | None = "0020_revision_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contest_entry", sa.Column("team_leader", sa.String(64), nullable=True))
    op.add_column("contest_entry", sa.Column("team_members", sa.Integer(), nullable=True))
    op.add_column("contest_entry", sa.Column("institution", sa.String(128), nullable=True))
    op.add_column("contest_entry", sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("contest_document") as batch:
        batch.alter_column("media_type", existing_type=sa.String(64), type_=sa.String(128),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("contest_document") as batch:
        batch.alter_column("media_type", existing_type=sa.String(128), type_=sa.String(64),
                           existing_nullable=False)
    for column in ("linked_at", "institution", "team_members", "team_leader"):
        op.drop_column("contest_entry", column)  # (SQLite ≥ 3.35 drops a column in place)

"""the note a row gave with its revision (更正说明 of a talent weekly report that corrects its figures)

Revision ID: 0020_revision_notes
Revises: 0019_reminders
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_revision_notes"
down_revision: str | None = "0019_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revision_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("entity_key", sa.String(length=18), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_code", "period", "entity_key", "revision",
                            name="uq_revision_note_form_period_entity_revision"),
    )


def downgrade() -> None:
    op.drop_table("revision_note")

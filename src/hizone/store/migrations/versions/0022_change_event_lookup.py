"""change_event: an index on (form, period, entity): who submitted a revision (the separation of duties at every
review or approval step) and a report's returns are looked up by them, which scanned every event

Revision ID: 0022_change_event_lookup
Revises: 0021_contest_teams
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_change_event_lookup"
down_revision: str | None = "0021_contest_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_change_event_report", "change_event", ["form_code", "period", "entity_key"])


def downgrade() -> None:
    op.drop_index("ix_change_event_report", table_name="change_event")

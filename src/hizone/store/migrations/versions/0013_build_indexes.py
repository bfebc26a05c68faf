"""store: an index on submission.batch_id, so that an incremental build finds the revisions of the batches written
since the last build without reading every revision of their periods

Revision ID: 0013_build_indexes
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_build_indexes"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_submission_batch_id", "submission", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_submission_batch_id", table_name="submission")

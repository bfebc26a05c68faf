"""registry: a qualification's identity as unique keys, so that re-importing a published list adds nothing

A qualification is identified by (enterprise, kind, number) when it has a certificate / registration number (kept
in ``detail``), else by (enterprise, kind, valid_from). Rows that repeat a key are removed first, keeping the
first one recorded (the lowest id): nothing but the list import's own matching kept them apart before.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (the key's columns besides enterprise_id and kind, the rows it holds)
KEYS = {"uq_qualification_number": ("detail", "detail IS NOT NULL"),
        "uq_qualification_start": ("valid_from", "detail IS NULL")}


def upgrade() -> None:
    for name, (column, where) in KEYS.items():
        op.execute(f"DELETE FROM qualification WHERE {where} AND EXISTS (SELECT 1 FROM qualification AS earlier "
                   "WHERE earlier.enterprise_id = qualification.enterprise_id AND earlier.kind = qualification.kind "
                   f"AND earlier.{column} = qualification.{column} AND earlier.{where} "
                   "AND earlier.id < qualification.id)")
        op.create_index(name, "qualification", ["enterprise_id", "kind", column], unique=True,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    for name in KEYS:
        op.drop_index(name, table_name="qualification")

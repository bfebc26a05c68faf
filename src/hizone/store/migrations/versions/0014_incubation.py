"""incubation: carriers of the incubation chain, their level history, the enterprises they incubate

Revision ID: 0014_incubation
Revises: 0013_build_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_incubation"
down_revision: str | None = "0013_build_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carrier",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("focus", sa.String(4), nullable=False),
        sa.Column("field", sa.String(64)),
        sa.Column("operator", sa.String(128)),
        sa.Column("address", sa.String(256)),
        sa.Column("longitude", sa.Float()),
        sa.Column("latitude", sa.Float()),
        sa.Column("zone_code", sa.String(8), sa.ForeignKey("zone.code")),
        sa.Column("province_code", sa.String(2), sa.ForeignKey("province.code"), nullable=False),
        sa.Column("founded_year", sa.Integer()),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_carrier_zone_code", "carrier", ["zone_code"])
    op.create_index("ix_carrier_province_code", "carrier", ["province_code"])
    op.create_table(
        "carrier_level",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carrier_id", sa.Integer(), sa.ForeignKey("carrier.id"), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("document", sa.String(128)),
        sa.Column("source", sa.String(256), nullable=False),
        sa.UniqueConstraint("carrier_id", "level", "event", "day", name="uq_carrier_level_event"),
    )
    op.create_index("ix_carrier_level_carrier_id", "carrier_level", ["carrier_id"])
    op.create_table(
        "incubatee",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carrier_id", sa.Integer(), sa.ForeignKey("carrier.id"), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), sa.ForeignKey("enterprise.id")),
        sa.Column("name", sa.String(128)),
        sa.Column("entry", sa.Date(), nullable=False),
        sa.Column("field", sa.String(64)),
        sa.Column("graduated", sa.Date()),
        sa.Column("criterion", sa.String(16)),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("source_row", sa.Integer()),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("carrier_id", "credit_code", "entry", name="uq_incubatee_stay"),
    )
    op.create_index("ix_incubatee_carrier_id", "incubatee", ["carrier_id"])
    op.create_index("ix_incubatee_credit_code", "incubatee", ["credit_code"])


def downgrade() -> None:
    op.drop_table("incubatee")
    op.drop_table("carrier_level")
    op.drop_table("carrier")

"""carbon: main energy-using units (重点用能单位), their meters and the append-only batches of meter readings

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "energy_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), sa.ForeignKey("enterprise.id"), nullable=False),
        sa.Column("zone_code", sa.String(length=8), sa.ForeignKey("zone.code"), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_energy_unit_enterprise_id", "energy_unit", ["enterprise_id"])
    op.create_index("ix_energy_unit_zone_code", "energy_unit", ["zone_code"])
    op.create_table(
        "energy_meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("energy_unit.id"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("energy", sa.String(length=32), nullable=False),
        sa.Column("measure_unit", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "code", name="uq_energy_meter_unit_code"),
    )
    op.create_index("ix_energy_meter_unit_id", "energy_meter", ["unit_id"])
    op.create_table(
        "energy_reading_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("reading_count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("meter_ids", sa.LargeBinary(), nullable=False),
        sa.Column("times", sa.LargeBinary(), nullable=False),
        sa.Column("quantities", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_energy_reading_batch_first_at", "energy_reading_batch", ["first_at"])
    op.create_index("ix_energy_reading_batch_last_at", "energy_reading_batch", ["last_at"])


def downgrade() -> None:
    op.drop_table("energy_reading_batch")
    op.drop_table("energy_meter")
    op.drop_table("energy_unit")

"""registry: an enterprise's dated history (enterprise_version); industry code and registration date optional

Every enterprise gets one version, valid from its registration date (1900-01-01 without one) and open-ended,
recorded as "migrated". A report need not carry an industry code or a registration date, so both become
nullable; the downgrade refuses a store holding an enterprise without them rather than invent values.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from hizone.errors import StoreError

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEGINNING = "1900-01-01"  # the start of a version whose enterprise has no registration date


@contextmanager
def _foreign_keys_unchecked() -> Iterator[None]:
    """SQLite alters a column by copying the table and dropping the old one, which the rows referring to it
    (qualifications, versions) forbid while foreign keys are enforced, even deferred. SQLite turns enforcement
    off only outside a transaction (and its DDL commits as it goes anyway): commit, alter, check every key,
    commit, and turn enforcement back on."""
    bind = op.get_bind()
    driver = bind.connection.driver_connection if bind.dialect.name == "sqlite" else None
    if driver is None:
        yield
        return
    driver.commit()
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"{len(broken)} row(s) refer to no row after the change, e.g. {broken[0]}",
                             where="migration 0008")
        driver.commit()
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def upgrade() -> None:
    op.create_table(
        "enterprise_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("zone_code", sa.String(length=8), nullable=False),
        sa.Column("industry_code", sa.String(length=4), nullable=True),
        sa.Column("founded", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["zone_code"], ["zone.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enterprise_version") as batch_op:
        batch_op.create_index("ix_enterprise_version_enterprise_valid_from", ["enterprise_id", "valid_from"])
    # One statement: the backfill of 200,000 enterprises never leaves the database.
    beginning = "DATE '1900-01-01'" if op.get_bind().dialect.name == "postgresql" else f"'{_BEGINNING}'"
    op.execute("INSERT INTO enterprise_version (enterprise_id, valid_from, valid_to, name, zone_code, industry_code, "
               "founded, source, source_sha256, source_row, recorded_by, recorded_at) "
               f"SELECT id, coalesce(founded, {beginning}), NULL, name, zone_code, industry_code, founded, 'migrated', "
               "'', NULL, 'migration 0008', CURRENT_TIMESTAMP FROM enterprise")
    with _foreign_keys_unchecked(), op.batch_alter_table("enterprise") as batch_op:
        batch_op.alter_column("industry_code", existing_type=sa.String(length=4), nullable=True)
        batch_op.alter_column("founded", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    conn = op.get_bind()
    incomplete = conn.execute(sa.text("SELECT count(*) FROM enterprise WHERE industry_code IS NULL "
                                      "OR founded IS NULL")).scalar_one()
    if incomplete:
        raise StoreError(f"{incomplete} enterprise(s) have no industry code or registration date, which schema "
                         "0007 requires: give them one before downgrading", where="enterprise")
    with _foreign_keys_unchecked(), op.batch_alter_table("enterprise") as batch_op:
        batch_op.alter_column("industry_code", existing_type=sa.String(length=4), nullable=False)
        batch_op.alter_column("founded", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("enterprise_version") as batch_op:
        batch_op.drop_index("ix_enterprise_version_enterprise_valid_from")
    op.drop_table("enterprise_version")

"""intake: submission values packed as float64 rows under their import batch's layout (was JSON text)

Every submission now belongs to a batch (submissions stored without one get a batch per form, version
and period, named "migrated"); the unique key leads with form and period, replacing two indexes; no
foreign keys (see models.Submission).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from hizone.store.values import ValueLayout, layout_of

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPIED = ("id", "batch_id", "form_code", "form_version", "entity_key", "zone_code", "period", "revision", "state",
           "created_by", "created_at", "synthetic")
_TYPES: dict[str, sa.types.TypeEngine[Any]] = {"created_at": sa.DateTime(timezone=True), "synthetic": sa.Boolean()}


def _copied() -> list[Any]:
    """The columns both shapes share, typed where the driver's raw value differs (SQLite stores text)."""
    return [sa.column(c, _TYPES[c]) if c in _TYPES else sa.column(c) for c in _COPIED]


def _submission_table(values: sa.types.TypeEngine[Any]) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=32), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("entity_key", sa.String(length=18), nullable=False),
        sa.Column("zone_code", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("packed_values", values, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_code", "period", "entity_key", "revision",
                            name="uq_submission_form_period_entity_revision"),
    ]


def _orphan_batches(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """A "migrated" batch per (form, version, period) for submissions stored without a batch."""
    batches = sa.table("import_batch", *(sa.column(c) for c in (
        "id", "form_code", "form_version", "period", "source_name", "source_sha256", "row_count", "created_by")),
        sa.column("created_at", sa.DateTime(timezone=True)))
    made: dict[tuple[str, int, str], int] = {}
    for row in rows:
        if row["batch_id"] is not None:
            continue
        key = (row["form_code"], row["form_version"], row["period"])
        if key not in made:
            made[key] = conn.execute(batches.insert().values(
                form_code=key[0], form_version=key[1], period=key[2], source_name="migrated", source_sha256="",
                row_count=0, created_by=row["created_by"], created_at=row["created_at"])
                .returning(batches.c.id)).scalar_one()
        row["batch_id"] = made[key]


def upgrade() -> None:
    conn = op.get_bind()
    old = sa.table("submission", *_copied(), sa.column("values", sa.JSON()))
    rows = [dict(r) for r in conn.execute(sa.select(old)).mappings()]
    with op.batch_alter_table("import_batch") as batch_op:
        batch_op.add_column(sa.Column("value_layout", sa.JSON(), nullable=True))
    _orphan_batches(conn, rows)
    by_batch: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_batch.setdefault(row["batch_id"], []).append(row)
    layouts = {batch: layout_of(r["values"] or {} for r in members) for batch, members in by_batch.items()}
    op.drop_table("submission")
    batches = sa.table("import_batch", sa.column("id"), sa.column("value_layout", sa.JSON()))
    empty = ValueLayout((), ()).to_json()
    conn.execute(batches.update().values(value_layout=empty))
    for batch, layout in layouts.items():
        conn.execute(batches.update().where(batches.c.id == batch).values(value_layout=layout.to_json()))
    with op.batch_alter_table("import_batch") as batch_op:
        batch_op.alter_column("value_layout", existing_type=sa.JSON(), nullable=False)
    new = op.create_table("submission", *_submission_table(sa.LargeBinary()))
    with op.batch_alter_table("submission") as batch_op:
        batch_op.create_index("ix_submission_zone_code", ["zone_code"], unique=False)
    if rows:
        op.bulk_insert(new, [{**{c: r[c] for c in _COPIED},
                              "packed_values": layouts[r["batch_id"]].pack_one(r["values"] or {})} for r in rows])
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('submission', 'id'), max(id)) FROM submission"))


def downgrade() -> None:
    conn = op.get_bind()
    batches = sa.table("import_batch", sa.column("id"), sa.column("value_layout", sa.JSON()))
    layouts = {i: ValueLayout.from_json(v) for i, v in conn.execute(sa.select(batches))}
    current = sa.table("submission", *_copied(), sa.column("packed_values", sa.LargeBinary()))
    rows = [dict(r) for r in conn.execute(sa.select(current)).mappings()]
    op.drop_table("submission")
    with op.batch_alter_table("import_batch") as batch_op:
        batch_op.drop_column("value_layout")
    before: dict[str, sa.Column[Any]] = {"packed_values": sa.Column("values", sa.JSON(), nullable=False),
              "batch_id": sa.Column("batch_id", sa.Integer(), nullable=True)}
    columns = [before.get(c.name, c) for c in _submission_table(sa.LargeBinary()) if isinstance(c, sa.Column)]
    old = op.create_table("submission", *columns, sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
                          sa.ForeignKeyConstraint(["zone_code"], ["zone.code"]), sa.PrimaryKeyConstraint("id"),
                          sa.UniqueConstraint("form_code", "entity_key", "period", "revision"))
    with op.batch_alter_table("submission") as batch_op:
        batch_op.create_index("ix_submission_batch_id", ["batch_id"], unique=False)
        batch_op.create_index("ix_submission_form_period", ["form_code", "period"], unique=False)
        batch_op.create_index("ix_submission_zone_code", ["zone_code"], unique=False)
    if rows:
        op.bulk_insert(old, [{**{c: r[c] for c in _COPIED},
                              "values": layouts[r["batch_id"]].unpack(r["packed_values"])} for r in rows])

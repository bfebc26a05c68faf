"""Stored reports for test fixtures: a Submission with its own one-row import batch holding its values (for
seeding a store), or one written with its change event (for a change a later build must see)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from hizone.store.changes import Who, open_batch
from hizone.store.models import ImportBatch, Submission, utcnow
from hizone.store.values import layout_of


def report(*, values: dict[str, float | int], **fields: Any) -> Submission:
    """``Submission(**fields)`` whose ``values`` are packed in a batch of their own (saved with it)."""
    layout = layout_of([values])
    batch = ImportBatch(form_code=fields["form_code"], form_version=fields["form_version"], period=fields["period"],
                        source_name="fixture", source_sha256="", row_count=1,
                        created_by=fields.get("created_by", "test"), value_layout=layout.to_json())
    return Submission(batch=batch, packed_values=layout.pack_one(values), **fields)


def write_report(engine: Engine, *, values: dict[str, float | int], state: str, **fields: Any) -> int:
    """Store one revision through the store's change path (its batch and event with it); its event's number."""
    layout = layout_of([values])
    with engine.begin() as conn:
        writing = open_batch(conn, Who(fields.get("created_by", "test"), "admin"), form_code=fields["form_code"],
                             form_version=fields["form_version"], period=fields["period"], state=state,
                             source_name="fixture", source_sha256="", row_count=1, layout=layout, at=utcnow())
        writing.add({"entity_key": fields["entity_key"], "zone_code": fields["zone_code"],
                     "revision": fields["revision"], "packed_values": pa.array([layout.pack_one(values)])}, 1)
        return writing.finish(utcnow(), rows=1)

"""Stored reports for test fixtures: a Submission with its own one-row import batch holding its values."""

from __future__ import annotations

from typing import Any

from hizone.store.models import ImportBatch, Submission
from hizone.store.values import layout_of


def report(*, values: dict[str, float | int], **fields: Any) -> Submission:
    """``Submission(**fields)`` whose ``values`` are packed in a batch of their own (saved with it)."""
    layout = layout_of([values])
    batch = ImportBatch(form_code=fields["form_code"], form_version=fields["form_version"], period=fields["period"],
                        source_name="fixture", source_sha256="", row_count=1,
                        created_by=fields.get("created_by", "test"), value_layout=layout.to_json())
    return Submission(batch=batch, packed_values=layout.pack_one(values), **fields)

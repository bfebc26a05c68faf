"""Write a generated DemoData into the store in one transaction, with fast bulk inserts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from hizone.catalog import Catalog
from hizone.demo.generate import ANNUAL_FORM, MONTHLY_FORM, DemoData
from hizone.errors import StoreError
from hizone.store import session_scope
from hizone.store.bulk import bulk_insert
from hizone.store.models import DatasetInfo, Enterprise, Incubator, Qualification, Submission, utcnow
from hizone.store.registry_sync import sync_registry

Progress = Callable[[str, int], None]
SUBMISSION_COLUMNS = ("form_code", "form_version", "entity_key", "zone_code", "period", "revision", "state",
                      "values", "created_by", "created_at", "synthetic")


def _values_json(elements: Sequence[str], integer: np.ndarray, row: list[float]) -> str:
    values = {e: (int(v) if is_int else v) for e, v, is_int in zip(elements, row, integer, strict=True)}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _annual_rows(data: DemoData, catalog: Catalog, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    codes, zone_codes = data.enterprises.credit_code, [z.code for z in data.zones]
    for year, matrix in data.annual.items():
        form = catalog.form(ANNUAL_FORM, year)
        integer = np.array([f.element.type == "integer" for f in form.fields])
        for i in np.flatnonzero(~np.isnan(matrix[:, 0])):
            yield (ANNUAL_FORM, form.version, str(codes[i]), zone_codes[data.enterprises.zone[i]], str(year), 1,
                   "approved", _values_json(data.annual_elements, integer, matrix[i].tolist()), "demo", now, True)


def _monthly_rows(data: DemoData, catalog: Catalog, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    for month, matrix in data.monthly.items():
        form = catalog.form(MONTHLY_FORM, int(month[:4]))
        integer = np.array([f.element.type == "integer" for f in form.fields])
        for z in np.flatnonzero(~np.isnan(matrix[:, 0])):
            code = data.zones[z].code
            yield (MONTHLY_FORM, form.version, code, code, month, 1, "approved",
                   _values_json(data.monthly_elements, integer, matrix[z].tolist()), "demo", now, True)


def load(engine: Engine, data: DemoData, catalog: Catalog, progress: Progress | None = None) -> dict[str, int]:
    """Load ``data`` into an empty store (registry tables may exist); all of it or, on error, none."""
    report = progress or (lambda _step, _count: None)
    counts: dict[str, int] = {}
    now = utcnow()
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Enterprise)):
            raise StoreError("the store already holds enterprises; the demo loads only into an empty store "
                             "(use --replace to start again)", where=str(engine.url.render_as_string()))
        sync_registry(session, data.provinces, data.zones)
        conn = session.connection()
        ent = data.enterprises
        zone_codes = [z.code for z in data.zones]
        founded = ent.founded.astype(dt.date)
        counts["enterprises"] = bulk_insert(
            conn, Enterprise.__tablename__, ("id", "credit_code", "name", "zone_code", "industry_code", "founded",
                                         "synthetic"),
            ((i + 1, str(ent.credit_code[i]), ent.name[i], zone_codes[ent.zone[i]], str(ent.industry[i]),
              founded[i], True) for i in range(len(ent))))
        report("enterprises", counts["enterprises"])
        q = data.qualifications
        counts["qualifications"] = bulk_insert(
            conn, Qualification.__tablename__, ("enterprise_id", "kind", "valid_from", "valid_to", "detail"),
            zip((int(i) + 1 for i in q.enterprise), q.kind, q.valid_from, q.valid_to, q.detail, strict=True))
        report("qualifications", counts["qualifications"])
        counts["incubators"] = bulk_insert(conn, Incubator.__tablename__, ("name", "kind", "level", "zone_code",
                                                                       "synthetic"),
                                           ((*row, True) for row in data.incubators))
        counts["annual reports"] = bulk_insert(conn, Submission.__tablename__, SUBMISSION_COLUMNS,
                                               _annual_rows(data, catalog, now))
        report("annual reports", counts["annual reports"])
        counts["monthly reports"] = bulk_insert(conn, Submission.__tablename__, SUBMISSION_COLUMNS,
                                                _monthly_rows(data, catalog, now))
        report("monthly reports", counts["monthly reports"])
        info = {"synthetic": "true", "seed": str(data.seed), "enterprises": str(len(ent)),
                "scale": f"{data.scale:.6g}", "planted_anomalies": json.dumps(data.anomalies, ensure_ascii=False),
                "generated_at": now.isoformat(timespec="seconds")}
        for key, value in info.items():
            session.merge(DatasetInfo(key=key, value=value))
    return counts

"""Write a generated DemoData into the store in one transaction, with fast bulk inserts.

The last month's open work (reports awaiting review or returned) then moves through the intake workflow's own
``transition``, so its states and audit rows are those a real zone and province would leave."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from hizone.catalog import Catalog
from hizone.demo import reporting
from hizone.demo.carbon import load_carbon
from hizone.demo.generate import ANNUAL_FORM, MONTHLY_FORM, DemoData
from hizone.demo.incubation import load_incubation
from hizone.demo.online import add_online_drafts
from hizone.demo.talent import load_talent
from hizone.errors import StoreError
from hizone.intake.service import transition
from hizone.registry.sync import sync_registry
from hizone.store import session_scope
from hizone.store.bulk import bulk_insert
from hizone.store.changes import Who, open_batch
from hizone.store.models import (
    DatasetInfo,
    Enterprise,
    EnterpriseVersion,
    Incubator,
    Qualification,
    utcnow,
)
from hizone.store.values import ValueLayout

Progress = Callable[[str, int], None]


def _layout(catalog: Catalog, form_code: str, year: int, elements: Sequence[str]) -> tuple[int, ValueLayout]:
    form = catalog.form(form_code, year)
    integer = {f.element.code: f.element.type == "integer" for f in form.fields}
    return form.version, ValueLayout(tuple(elements), tuple(integer.get(e, False) for e in elements))


def _insert_period(conn: Connection, form_code: str, period: str, version_layout: tuple[int, ValueLayout],
                   reports: tuple[np.ndarray, np.ndarray, np.ndarray], now: dt.datetime, state: str = "approved",
                   revision: int = 1) -> int:
    """One batch: the reports (entity keys, zone codes, value matrix) of one form and period, received ``now``."""
    version, layout = version_layout
    keys, zones, matrix = reports
    columns = {code: matrix[:, j] for j, code in enumerate(layout.codes)}
    with open_batch(conn, Who("demo", None), form_code=form_code, form_version=version, period=period,
                    state=state, source_name="demo", source_sha256="", row_count=len(keys), layout=layout,
                    at=now, synthetic=True) as writing:
        writing.add({"entity_key": keys, "zone_code": zones, "revision": revision,
                     "packed_values": layout.pack(columns, len(keys))}, len(keys), created_at=now)
        writing.finish(now, file="demo", rows=len(keys), synthetic=True)
    return writing.rows


def _annual(conn: Connection, data: DemoData, catalog: Catalog) -> int:
    """Annual reports, approved; the last year's with its reporting loop (demo.reporting): some late, a few
    corrections in the demo zone stored as drafts, moved on by ``_move_open_work``."""
    codes = np.asarray(data.enterprises.credit_code, dtype=np.str_)
    zone_codes = np.asarray([z.code for z in data.zones], dtype=np.str_)[np.asarray(data.enterprises.zone)]
    count, last = 0, max(data.annual)
    for year, matrix in data.annual.items():
        rows = np.flatnonzero(~np.isnan(matrix[:, 0]))
        layout = _layout(catalog, ANNUAL_FORM, year, data.annual_elements)
        late = reporting.late_days(rows) if year == last else {}
        on_time = np.setdiff1d(rows, np.concatenate([np.asarray([], dtype=rows.dtype), *late.values()]))
        for chosen, days in ((on_time, 0), *((r, d) for d, r in late.items())):
            count += _insert_period(conn, ANNUAL_FORM, str(year), layout,
                                    (codes[chosen], zone_codes[chosen], matrix[chosen]),
                                    reporting.arrival(ANNUAL_FORM, str(year), days))
    _annual_corrections(conn, data, catalog)
    return count


def _corrections(data: DemoData) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Credit codes, their zones and the rows of the last year's corrections by what happens to them."""
    codes = np.asarray(data.enterprises.credit_code, dtype=np.str_)
    zone_codes = np.asarray([z.code for z in data.zones], dtype=np.str_)[np.asarray(data.enterprises.zone)]
    reported = ~np.isnan(data.annual[max(data.annual)][:, 0])
    return codes, zone_codes, reporting.correction_plan(codes, zone_codes, reported)


def _annual_corrections(conn: Connection, data: DemoData, catalog: Catalog) -> None:
    """Revision 2 of a few of the demo zone's last-year reports, with more R&D (the province will query it)."""
    last = max(data.annual)
    matrix = data.annual[last]
    codes, zone_codes, plan = _corrections(data)
    rows = np.concatenate(list(plan.values()))
    if not len(rows):
        return
    corrected = matrix[rows].copy()
    corrected[:, data.annual_elements.index("rd_expenditure")] *= 1.05
    _insert_period(conn, ANNUAL_FORM, str(last), _layout(catalog, ANNUAL_FORM, last, data.annual_elements),
                   (codes[rows], zone_codes[rows], corrected.round(1)),
                   reporting.arrival(ANNUAL_FORM, str(last), reporting.CORRECTION_DAYS), state="draft", revision=2)


def _move_corrections(engine: Engine, data: DemoData) -> None:
    """The demo zone's corrections go through the workflow: submitted by the zone, some returned (``reporting``)."""
    last = max(data.annual)
    codes, zone_codes, plan = _corrections(data)
    rows = np.concatenate(list(plan.values()))
    if not len(rows):
        return
    zone = str(zone_codes[rows[0]])
    province = next(z.province_code for z in data.zones if z.code == zone)
    reporting.move_corrections(engine, ANNUAL_FORM, str(last), zone, province,
                               {state: [str(c) for c in codes[found]] for state, found in plan.items()})


def _open_work(data: DemoData, kinds: set[str]) -> dict[str, set[str]]:
    """Zones per period whose monthly report the plan leaves in one of ``kinds``."""
    out: dict[str, set[str]] = {}
    for item in data.workflow:
        if item["kind"] in kinds:
            out.setdefault(item["period"], set()).add(item["zone"])
    return out


def _monthly(conn: Connection, data: DemoData, catalog: Catalog) -> int:
    """Monthly reports, on time and approved, except the planned late ones and the drafts still to move on."""
    zone_codes = np.asarray([z.code for z in data.zones], dtype=np.str_)
    late, pending = _open_work(data, {"late_report"}), _open_work(data, {"awaiting_review", "returned"})
    count = 0
    for month, matrix in data.monthly.items():
        layout = _layout(catalog, MONTHLY_FORM, int(month[:4]), data.monthly_elements)
        reported = ~np.isnan(matrix[:, 0])
        is_late, is_pending = (np.isin(zone_codes, list(z.get(month, ()))) for z in (late, pending))
        on_time, days_late = reporting.arrival(MONTHLY_FORM, month), reporting.arrival(MONTHLY_FORM, month, 8)
        for rows, when, state in ((reported & ~is_late & ~is_pending, on_time, "approved"),
                                  (reported & is_late, days_late, "approved"),
                                  (reported & is_pending, on_time, "draft")):
            if rows.any():
                count += _insert_period(conn, MONTHLY_FORM, month, layout,
                                        (zone_codes[rows], zone_codes[rows], matrix[rows]), when, state)
    return count


def _move_open_work(engine: Engine, data: DemoData) -> None:
    """The drafts go through the intake workflow itself: submitted by their zone, some returned by whom the
    monthly form's workflow names (its province)."""
    province = {z.code: z.province_code for z in data.zones}
    for item in data.workflow:
        if item["kind"] not in ("awaiting_review", "returned"):
            continue
        zone, period = item["zone"], item["period"]
        transition(engine, "submit", reporting.filer(zone), form=MONTHLY_FORM, period=period, zone_code=zone)
        if item["kind"] == "returned":
            transition(engine, "return", reporting.reviewer(MONTHLY_FORM, period, "return", zone, province[zone]),
                       form=MONTHLY_FORM, period=period, zone_code=zone,
                       comment="（合成）营业收入与上月累计不衔接，请核实后重新报送")


def planted_anomalies(data: DemoData) -> list[dict[str, Any]]:
    """What the monitoring should find: the planted anomalies, and the last month's reports not published
    (missing, or still in the workflow) — only a late report is in the published data as usual."""
    return data.anomalies + [item for item in data.workflow if item["kind"] != "late_report"]


def _compact(value: list[dict[str, Any]]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
        bulk_insert(conn, EnterpriseVersion.__tablename__, ("enterprise_id", "valid_from", "name", "zone_code",
                                                            "industry_code", "founded", "source", "source_sha256",
                                                            "recorded_by", "recorded_at"),
                    ((i + 1, founded[i], ent.name[i], zone_codes[ent.zone[i]], str(ent.industry[i]), founded[i],
                      "demo", "", "demo", now) for i in range(len(ent))))
        report("enterprises", counts["enterprises"])
        q = data.qualifications
        counts["qualifications"] = bulk_insert(
            conn, Qualification.__tablename__, ("enterprise_id", "kind", "valid_from", "valid_to", "detail"),
            zip((int(i) + 1 for i in q.enterprise), q.kind, q.valid_from, q.valid_to, q.detail, strict=True))
        report("qualifications", counts["qualifications"])
        counts["incubators"] = bulk_insert(conn, Incubator.__tablename__, ("name", "kind", "level", "zone_code",
                                                                       "synthetic"),
                                           ((*row, True) for row in data.incubators))
        counts["annual reports"] = _annual(conn, data, catalog)
        report("annual reports", counts["annual reports"])
        counts["monthly reports"] = _monthly(conn, data, catalog)
        report("monthly reports", counts["monthly reports"])
        counts["energy and carbon reports"] = load_carbon(conn, data, catalog)
        counts |= load_incubation(conn, data, catalog)
        counts["talent reports"] = load_talent(conn, zone_codes, np.bincount(ent.zone, minlength=len(zone_codes)),
                                               catalog, data.seed, _insert_period)
        info = {"synthetic": "true", "seed": str(data.seed), "enterprises": str(len(ent)),
                "scale": f"{data.scale:.6g}", "planted_anomalies": _compact(planted_anomalies(data)),
                "open_work": _compact(data.workflow),
                "generated_at": now.isoformat(timespec="seconds")}
        for key, value in info.items():
            session.merge(DatasetInfo(key=key, value=value))
    _move_open_work(engine, data)
    _move_corrections(engine, data)
    counts["online drafts"] = add_online_drafts(engine)
    return counts

"""Every figure the pages show, computed from the store's approved submissions, in ONE module.

Until hizone.analytics offers its indicator API this module sums the latest approved revision of
each enterprise's annual report per zone and year (and reads zone monthly reports) with one SQL
query each, and keeps the result in memory keyed by a cheap data-version probe, so pages never
scan the submissions table on a request. Replace the two loaders below with analytics calls when it
lands; the rest of the web package only sees ``Figures``.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine, Select, func, inspect, select
from sqlalchemy.orm import Session, aliased

from hizone.analytics.disclosure_rules import largest_needed
from hizone.analytics.extract import statement_sql
from hizone.intake.service import layouts
from hizone.registry.history import period_end_text, valid_on
from hizone.store.models import (
    Alert,
    ChangeEvent,
    DatasetInfo,
    Enterprise,
    EnterpriseVersion,
    EvaluationRun,
    Province,
    Qualification,
    Submission,
    Zone,
)
from hizone.store.values import gather
from hizone.web.services.views import Indicator, Views, load_views


@dataclass(frozen=True)
class ZoneMeta:
    code: str
    name_zh: str
    name_en: str
    province_code: str
    city: str
    region: str
    approved_year: int

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class ProvinceMeta:
    code: str
    name_zh: str
    name_en: str
    region: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


Sums = dict[str, float]  # element code (or "enterprises") -> sum in the catalog unit
Largest = dict[str, tuple[float, ...]]  # element code -> the largest enterprises' values, descending


@dataclass
class Figures:
    """A consistent snapshot of zone × year sums and zone × month cumulative figures."""

    version: Version
    zones: dict[str, ZoneMeta]
    provinces: dict[str, ProvinceMeta]
    years: list[str]  # ascending, years that have approved annual reports
    annual: dict[tuple[str, str], Sums]  # (zone, year)
    months: list[str]  # ascending "YYYY-MM"
    monthly: dict[tuple[str, str], Sums]  # (zone, month), cumulative from January
    synthetic: bool
    largest: dict[tuple[str, str], Largest] = field(default_factory=dict)  # (zone, year): for disclosure control
    memo: dict[tuple[object, ...], object] = field(default_factory=dict)  # derived values of this snapshot

    @property
    def latest_year(self) -> str | None:
        return self.years[-1] if self.years else None

    def previous_year(self, year: str) -> str | None:
        prev = str(int(year) - 1)
        return prev if prev in self.years else None

    def sums(self, year: str, zone_codes: list[str] | None = None) -> Sums:
        """Sums over a set of zones (all zones when None) for one year."""
        codes = self.zones if zone_codes is None else zone_codes
        total: Sums = {}
        for code in codes:
            for key, value in self.annual.get((code, year), {}).items():
                total[key] = total.get(key, 0.0) + value
        return total

    def zones_of_province(self, province_code: str) -> list[str]:
        return [z.code for z in self.zones.values() if z.province_code == province_code]

    def zones_of_region(self, region: str) -> list[str]:
        return [z.code for z in self.zones.values() if z.region == region]


def value_of(indicator: Indicator, sums: Sums, zone_count: int | None = None) -> float | None:
    """The display value of an indicator from sums (ratios as sum/sum), None when undefined."""
    if indicator.code == "zones":
        return float(zone_count) if zone_count is not None else None
    if indicator.ratio is not None:
        num, den = sums.get(indicator.ratio.numerator), sums.get(indicator.ratio.denominator)
        if num is None or not den:
            return None
        return num / den * indicator.ratio.scale
    raw = sums.get(indicator.code)
    return raw * indicator.factor if raw is not None else None


def yoy(current: float | None, previous: float | None) -> float | None:
    """Year-on-year change in per cent, None when there is no positive base."""
    if current is None or previous is None or previous <= 0:
        return None
    return (current / previous - 1.0) * 100.0


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


Version = tuple[object, ...]


def version_probe(engine: Engine) -> Select[Any]:
    """One cheap SELECT whose row changes whenever what the pages show may change: the latest change of the
    submissions (its number, see store.changes: revisions written, approvals), zones, enterprises or
    qualifications added, an evaluation run stored, an alert raised or handled by the monitor."""
    probes: list[Any] = [
        select(func.max(ChangeEvent.seq)).scalar_subquery(),
        select(func.count()).select_from(Zone).scalar_subquery(),
        select(func.max(Enterprise.id)).scalar_subquery(), select(func.max(EnterpriseVersion.id)).scalar_subquery(),
        select(func.max(Qualification.id)).scalar_subquery()]
    present = set(inspect(engine).get_table_names())
    if EvaluationRun.__tablename__ in present:
        probes.append(select(func.max(EvaluationRun.id)).scalar_subquery())
    if Alert.__tablename__ in present:
        probes += [select(func.max(Alert.id)).scalar_subquery(), select(func.max(Alert.changed_at)).scalar_subquery()]
    return select(*probes)


def data_version(session: Session, probe: Select[Any]) -> Version:
    row = session.execute(probe).one()
    return tuple(row)


def _load_sums(session: Session, form_code: str, elements: tuple[str, ...],
               count_entities: bool) -> tuple[dict[tuple[str, str], Sums], dict[tuple[str, str], Largest]]:
    """Per (zone, period): sums of the current values (each entity's latest approved revision) and, when the
    entities are counted, their largest values (what the dominance rules of disclosure control look at)."""
    later = aliased(Submission)
    newer_approved = (select(later.id).where(
        later.form_code == Submission.form_code, later.entity_key == Submission.entity_key,
        later.period == Submission.period, later.revision > Submission.revision, later.state == "approved")
        .exists())
    # An enterprise's figures of a period count for the zone it belonged to then (its dated history); a zone's
    # report, or a period before the enterprise's history, for the zone the submission names.
    zone_then = func.coalesce(EnterpriseVersion.zone_code, Submission.zone_code)
    query = (select(zone_then, Submission.period, Submission.batch_id, Submission.packed_values)
             .outerjoin(Enterprise, Enterprise.credit_code == Submission.entity_key)
             .outerjoin(EnterpriseVersion, (EnterpriseVersion.enterprise_id == Enterprise.id)
                        & valid_on(period_end_text(Submission.period)))
             .where(Submission.form_code == form_code, Submission.state == "approved", ~newer_approved))
    # Straight from the driver: a million rows without a Row object each (seconds at 200,000 enterprises).
    conn = session.connection()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement_sql(conn.engine, query))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return {}, {}
    zone, period, batch, packed = (list(c) for c in zip(*rows, strict=True))
    columns = gather(np.asarray(batch, dtype=np.int64), packed, layouts(session.connection(), sorted(set(batch))),
                     elements)
    table = pa.table({"zone": zone, "period": period, "n": np.ones(len(zone), dtype=np.int64),
                      **{code: pa.array(columns[code], mask=np.isnan(columns[code])) for code in elements}})
    grouped = table.group_by(["zone", "period"]).aggregate([("n", "sum"), *((code, "sum") for code in elements)])
    out: dict[tuple[str, str], Sums] = {}
    for row in grouped.to_pylist():
        sums: Sums = {code: float(row[f"{code}_sum"]) for code in elements if row[f"{code}_sum"] is not None}
        if count_entities:
            sums["enterprises"] = float(row["n_sum"])
        out[(row["zone"], row["period"])] = sums
    return out, (_largest(table, elements, largest_needed()) if count_entities else {})


def _largest(table: pa.Table, elements: tuple[str, ...], keep: int) -> dict[tuple[str, str], Largest]:
    if keep == 0:
        return {}
    picks = ", ".join(f'list_slice(list("{code}" ORDER BY "{code}" DESC) FILTER (WHERE "{code}" IS NOT NULL), '
                      f'1, {keep})' for code in elements)
    with duckdb.connect() as con:
        con.register("entities", table)
        rows = con.execute(f"SELECT zone, period, {picks} FROM entities GROUP BY zone, period").fetchall()
    return {(row[0], row[1]): {code: tuple(values or ()) for code, values in zip(elements, row[2:], strict=True)}
            for row in rows}


def _dataset_says_synthetic(session: Session) -> bool:
    row = session.get(DatasetInfo, "synthetic")
    return row is not None and row.value.strip().lower() in ("1", "true", "yes")


def load_figures(session: Session, views: Views, version: Version) -> Figures:
    provinces = {p.code: ProvinceMeta(p.code, p.name_zh, p.name_en, p.region)
                 for p in session.scalars(select(Province))}
    zones = {z.code: ZoneMeta(z.code, z.name_zh, z.name_en, z.province_code, z.city,
                              provinces[z.province_code].region if z.province_code in provinces else "",
                              z.approved_year)
             for z in session.scalars(select(Zone).order_by(Zone.code))}
    annual, largest = _load_sums(session, views.annual_form, views.annual_elements, count_entities=True)
    monthly, _ = _load_sums(session, views.monthly_form, tuple(i.code for i in views.monthly_elements),
                            count_entities=False)
    synthetic = session.scalar(select(Submission.id).where(Submission.synthetic.is_(True)).limit(1)) is not None \
        or _dataset_says_synthetic(session)
    return Figures(version=version, zones=zones, provinces=provinces,
                   years=sorted({period for _, period in annual}), annual=annual,
                   months=sorted({period for _, period in monthly}), monthly=monthly, synthetic=synthetic,
                   largest=largest)


class FiguresCache:
    """The current Figures, rebuilt when the data version changes.

    A rebuild that took less than ``sync_seconds`` last time is done at once (small stores: a page always
    shows the latest approval). A slower one runs in a background thread while pages keep showing the
    previous snapshot, so a change to a large store never stalls every request behind a rebuild.
    """

    def __init__(self, engine: Engine, views: Views | None = None, sync_seconds: float = 1.0) -> None:
        self.engine = engine
        self.views = views or load_views()
        self.sync_seconds = sync_seconds
        self._current: Figures | None = None
        self._last_build_seconds = 0.0
        self._lock = threading.Lock()
        self._rebuilding = threading.Event()
        self._probe = version_probe(engine)

    def _version(self) -> Version:
        with Session(self.engine) as session:
            return data_version(session, self._probe)

    def _build(self, version: Version) -> Figures:
        started = time.perf_counter()
        with Session(self.engine) as session:
            figures = load_figures(session, self.views, version)
        self._last_build_seconds = time.perf_counter() - started
        return figures

    def _rebuild_in_background(self) -> None:
        try:
            with self._lock:
                version = self._version()
                if self._current is None or self._current.version != version:
                    self._current = self._build(version)
        finally:
            self._rebuilding.clear()

    def get(self) -> Figures:
        version = self._version()
        current = self._current
        if current is not None and current.version == version:
            return current
        if current is not None and self._last_build_seconds >= self.sync_seconds:
            if not self._rebuilding.is_set():
                self._rebuilding.set()
                threading.Thread(target=self._rebuild_in_background, name="figures-rebuild", daemon=True).start()
            return current
        with self._lock:
            if self._current is None or self._current.version != version:
                self._current = self._build(version)
            return self._current

    def warm(self) -> None:
        """Build the first snapshot in the background (a server start should not wait for it)."""
        threading.Thread(target=self.get, name="figures-warm", daemon=True).start()

"""Analytic build + every indicator for every zone, province, region and the nation, against pandas; then one
zone's batch approved and the incremental build after it, against the full build.

The store holds the demo at 200,000 enterprises × 5 years (SQLite). Timed: `build` (read the store, wide
fact tables in DuckDB, all indicators at every level, both views). Baseline in the same run: a plain
pandas reading of the same submissions with a groupby computing the annual figures (sums, counts,
high-tech shares, ratios, comparable y/y) for zones, provinces, regions and the nation. Then the zone
with the most enterprises sends a second 2023 revision of all of them (stored reviewed: it waits for the
national approval); timed: `hizone approve` of that zone's batch, and the incremental `build` after it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import heading, measure, row

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth.policy import Principal
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.intake.service import transition
from hizone.registry import load_provinces, load_zones
from hizone.store import bulk_transaction, connect, upgrade
from hizone.store.changes import Who, open_batch
from hizone.store.models import utcnow
from hizone.store.values import ValueLayout

ENTERPRISES = int(os.environ.get("HIZONE_BENCH_ENTERPRISES", "200000"))


def _build(url: str, path: str) -> dict[str, Any]:
    report = build(connect(url), Path(path), full=True)
    return {"rows": sum(report.rows.values()), "values": report.indicator_rows}


def _pandas(url: str) -> dict[str, float]:
    engine = connect(url)
    subs = pd.read_sql("SELECT entity_key, zone_code, period, revision, batch_id, packed_values FROM submission "
                       "WHERE form_code = 'enterprise_annual' AND state = 'approved'", engine)
    subs = subs.sort_values("revision").drop_duplicates(["entity_key", "period"], keep="last")
    layouts = {i: ValueLayout.from_json(v if isinstance(v, dict) else json.loads(v)) for i, v in
               pd.read_sql("SELECT id, value_layout FROM import_batch", engine).itertuples(index=False)}
    parts = [pd.DataFrame(layouts[batch].matrix(group["packed_values"].tolist()), index=group.index,
                          columns=list(layouts[batch].codes)) for batch, group in subs.groupby("batch_id")]
    values = pd.concat(parts).loc[subs.index]
    facts = pd.concat([subs.drop(columns=["packed_values", "batch_id"]), values], axis=1)
    zones = pd.read_sql("SELECT z.code AS zone_code, z.province_code, p.region FROM zone z "
                        "JOIN province p ON p.code = z.province_code", engine)
    quals = pd.read_sql("SELECT e.credit_code AS entity_key, q.valid_from, q.valid_to FROM qualification q "
                        "JOIN enterprise e ON e.id = q.enterprise_id WHERE q.kind = 'high_tech'", engine)
    facts = facts.merge(zones, on="zone_code", how="left")
    facts["year_end"] = pd.to_datetime(facts["period"] + "-12-31")
    q = quals.merge(facts[["entity_key", "period", "year_end"]], on="entity_key")
    valid = (pd.to_datetime(q["valid_from"]) <= q["year_end"]) & (
        q["valid_to"].isna() | (pd.to_datetime(q["valid_to"]) >= q["year_end"]))
    holders = q[valid][["entity_key", "period"]].drop_duplicates().assign(high_tech=True)
    facts = facts.merge(holders, on=["entity_key", "period"], how="left")
    facts["high_tech"] = facts["high_tech"].fillna(False).astype(bool)
    facts["n"] = 1.0
    facts["ht_n"] = facts["high_tech"].astype(float)
    facts["ht_revenue"] = facts["revenue"].where(facts["high_tech"], 0.0)
    facts["rd5_revenue"] = facts["revenue"].where(facts["rd_expenditure"] >= 0.05 * facts["revenue"], 0.0)
    facts["nation"] = "CN"
    previous = facts[["entity_key", "period", "revenue", "value_added", "employees", "total_profit"]].copy()
    previous["period"] = (previous["period"].astype(int) + 1).astype(str)
    cmp = facts.merge(previous, on=["entity_key", "period"], suffixes=("", "_prev"))
    measures = [c for c in values.columns if c not in ("entity_key",)] + ["n", "ht_n", "ht_revenue", "rd5_revenue"]
    cmp_measures = ["revenue", "revenue_prev", "value_added", "value_added_prev", "employees", "employees_prev",
                    "total_profit", "total_profit_prev"]
    out: dict[str, float] = {}
    for level in ("zone_code", "province_code", "region", "nation"):
        sums = facts.groupby([level, "period"])[measures].sum(min_count=1)
        growth = cmp.groupby([level, "period"])[cmp_measures].sum(min_count=1)
        ratios = pd.DataFrame({
            "rd_intensity": sums["rd_expenditure"] / sums["revenue"].replace(0, np.nan) * 100,
            "patents_per_10k": sums["valid_invention_patents"] / sums["employees"].replace(0, np.nan) * 1e4,
            "grants_per_10k": sums["invention_patent_grants"] / sums["employees"].replace(0, np.nan) * 1e4,
            "bachelor_share": sums["emp_bachelor_plus"] / sums["employees"].replace(0, np.nan) * 100,
            "rd_fte_share": sums["rd_fte"] / sums["employees"].replace(0, np.nan) * 100,
            "ht_share": sums["ht_revenue"] / sums["revenue"].replace(0, np.nan) * 100,
            "rd5_share": sums["rd5_revenue"] / sums["revenue"].replace(0, np.nan) * 100,
            "tse_share": sums["tech_service_export"] / sums["export"].replace(0, np.nan) * 100,
            "va_per_emp": sums["value_added"] / sums["employees"].replace(0, np.nan),
            "energy": sums["energy_consumption"] / (sums["value_added"] / 10).replace(0, np.nan),
        })
        yoy = pd.DataFrame({
            "revenue_yoy": (growth["revenue"] / growth["revenue_prev"].replace(0, np.nan) - 1) * 100,
            "profit_yoy": (growth["total_profit"] / growth["total_profit_prev"].replace(0, np.nan) - 1) * 100,
            "lp_yoy": ((growth["value_added"] / growth["employees"])
                       / (growth["value_added_prev"] / growth["employees_prev"]) - 1) * 100,
        })
        if level == "nation":
            out["rd_intensity_2023"] = float(ratios.loc[("CN", "2023"), "rd_intensity"])
            out["revenue_yoy_2023"] = float(yoy.loc[("CN", "2023"), "revenue_yoy"])
            out["cells"] = float(sums.size + ratios.size + yoy.size)
    return out


def _stage_zone_batch(url: str) -> tuple[str, int]:
    """A new 2023 revision (revenue +10%) over each latest one of the largest zone's enterprises, reviewed;
    (zone, rows)."""
    engine = connect(url)
    with bulk_transaction(engine) as conn:
        zone = conn.exec_driver_sql(
            "SELECT zone_code FROM submission WHERE form_code = 'enterprise_annual' AND period = '2023' "
            "GROUP BY zone_code ORDER BY count(*) DESC LIMIT 1").scalar_one()
        rows = conn.exec_driver_sql(
            "SELECT s.entity_key, s.revision, s.packed_values, b.value_layout, b.form_version FROM submission s "
            "JOIN import_batch b ON b.id = s.batch_id WHERE s.form_code = 'enterprise_annual' "
            "AND s.period = '2023' AND s.zone_code = ? AND s.revision = (SELECT max(l.revision) FROM submission l "
            "WHERE l.form_code = s.form_code AND l.period = s.period AND l.entity_key = s.entity_key) "
            "ORDER BY s.entity_key", (zone,)).all()
        stored = rows[0][3]
        layout = ValueLayout.from_json(stored if isinstance(stored, dict) else json.loads(stored))
        matrix = layout.matrix([r[2] for r in rows])
        columns = {code: matrix[:, j] * (1.1 if code == "revenue" else 1.0) for j, code in enumerate(layout.codes)}
        writing = open_batch(conn, Who(f"bench-{zone}", "zone"), form_code="enterprise_annual",
                             form_version=rows[0][4], period="2023", state="reviewed", source_name="bench",
                             source_sha256="", row_count=len(rows), layout=layout, at=utcnow())
        writing.add({"entity_key": np.asarray([r[0] for r in rows], dtype=np.str_), "zone_code": zone,
                     "revision": np.asarray([r[1] + 1 for r in rows], dtype=np.int64),
                     "packed_values": layout.pack(columns, len(rows))}, len(rows))
        writing.finish(utcnow(), rows=len(rows))
    engine.dispose()
    return zone, len(rows)


def _approve(url: str, zone: str) -> int:
    return transition(connect(url), "approve", Principal("bench", "admin"), form="enterprise_annual", period="2023",
                      zone_code=zone).count


def _incremental(url: str, path: str) -> dict[str, list[str]]:
    return build(connect(url), Path(path)).rebuilt


def _duckdb_figures(path: str) -> dict[str, float]:
    analytics = Analytics(Path(path))
    figures = {v.indicator: v.value for v in analytics.values(["rd_intensity", "revenue_yoy"], "nation", ["CN"],
                                                              ["2023"])}
    return {"rd_intensity_2023": float(figures["rd_intensity"] or 0),
            "revenue_yoy_2023": float(figures["revenue_yoy"] or 0)}


def main() -> None:
    heading(f"analytics: build + all indicators, {ENTERPRISES:,} enterprises × 5 years (SQLite store)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite"
        engine = connect(url)
        upgrade(engine)
        catalog = default_catalog()
        counts = load(engine, generate(catalog, load_provinces(), load_zones(), ENTERPRISES, 2021), catalog)
        engine.dispose()
        row("annual reports in the store", counts["annual reports"], "rows")
        seconds, peak, result = measure(_build, url, f"{folder}/analytics.duckdb")
        row("hizone build (store → DuckDB, every indicator, every level)", seconds, "s",
            f"{result['values']:,} values; target 6 s")
        row("  peak memory (build)", peak, "MB")
        base_seconds, base_peak, base = measure(_pandas, url)
        row("pandas groupby baseline (annual figures, published only)", base_seconds, "s")
        row("  peak memory (baseline)", base_peak, "MB")
        row("speed-up over the baseline", base_seconds / seconds, "×", "target ≥ 2")
        ours = _duckdb_figures(f"{folder}/analytics.duckdb")
        for key, value in ours.items():
            row(f"  check {key}: hizone − pandas", value - base[key], "", "(should be ~0)")
        zone, staged = _stage_zone_batch(url)
        approve_seconds, _, approved = measure(_approve, url, zone)
        row(f"hizone approve of one zone's batch ({zone}, {staged:,} revisions)", approve_seconds, "s",
            f"{approved:,} approved")
        inc_seconds, _, rebuilt = measure(_incremental, url, f"{folder}/analytics.duckdb")
        row("incremental hizone build after it", inc_seconds, "s",
            f"rebuilt {', '.join(f'{f} {p}' for f, ps in rebuilt.items() for p in ps)}; target 1 s")
        row("  approve + incremental build", approve_seconds + inc_seconds, "s")
        row("  incremental build / full build", inc_seconds / seconds, "×")


if __name__ == "__main__":
    main()

"""A framework's indicator values per zone and year, computed on the analytic tables.

The framework's formulas go through the same compiler and roll-up SQL as every analytics indicator
(hizone.analytics.compiler / rollup), run read-only on the analytics DuckDB file: one way to evaluate a
formula. ``change: true`` indicators are this year's value minus last year's.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hizone.analytics.build import fact_table_name
from hizone.analytics.compiler import AtomRegistry, Compiler
from hizone.analytics.definitions import FactTable
from hizone.analytics.query import Analytics
from hizone.analytics.rollup import plan
from hizone.catalog import default_catalog
from hizone.errors import HizoneError
from hizone.ranking.framework import Framework, scope_of

ZoneValues = dict[str, dict[str, float | None]]  # zone code -> indicator code -> value (None: no value)


@dataclass(frozen=True)
class ZoneInfo:
    code: str
    name_zh: str
    name_en: str
    province_code: str
    region: str


def zone_indicator_values(analytics: Analytics, framework: Framework, year: int, view: str = "published"
                          ) -> ZoneValues:
    """Every computable indicator of ``framework`` for each zone that reported for ``year``."""
    return values_by_year(analytics, framework, [year], view)[year]


def values_by_year(analytics: Analytics, framework: Framework, years: Sequence[int], view: str = "published"
                   ) -> dict[int, ZoneValues]:
    """:func:`zone_indicator_values` for several years, in one query over the analytic tables."""
    changes = any(i.change for i in framework.computable)
    wanted = {y for year in years for y in ((year, year - 1) if changes else (year,))}
    raw = _raw_values(analytics, framework, wanted, view)
    out: dict[int, ZoneValues] = {}
    for year in years:
        values: ZoneValues = {}
        for (zone, period), row in raw.items():
            if period != str(year):
                continue
            previous = raw.get((zone, str(year - 1)), {})
            values[zone] = {}
            for indicator in framework.computable:
                current = row.get(indicator.code)
                if indicator.change:
                    before = previous.get(indicator.code)
                    current = None if current is None or before is None else current - before
                values[zone][indicator.code] = current
        out[year] = dict(sorted(values.items()))
    return out


def _raw_values(analytics: Analytics, framework: Framework, years: set[int], view: str
                ) -> dict[tuple[str, str], dict[str, float | None]]:
    compiler = Compiler(scope_of(framework.form, default_catalog(), analytics.indicators, framework.formulas,
                                 framework.path), AtomRegistry())
    compiled = [compiler.compile(i.code, framework.formulas[i.code], i.where) for i in framework.computable]
    fact = fact_table_name(FactTable(framework.form, "annual"), view)
    # y/y needs the year before each wanted year
    periods = sorted({str(y) for year in years for y in (year, year - 1)})
    steps = plan("fact", compiler.registry, compiled, "groups", tag="ev")
    ctes = [f"fact AS (SELECT * FROM main.{fact} WHERE period IN (SELECT UNNEST(?)))",
            "membership AS (SELECT * FROM main.membership WHERE grp_level = 'zone')",
            *(f"{step.name} AS ({step.sql})" for step in steps[:-1])]
    sql = f"WITH {', '.join(ctes)} SELECT grp_key, period, indicator, value FROM ({steps[-1].sql})"
    with analytics.connect() as con:
        if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                           [fact]).fetchall()[0][0]:
            raise HizoneError(f"the analytics file has no table {fact}: no {framework.form} reports yet",
                              where=str(analytics.path))
        rows = con.execute(sql, [periods]).fetchall()
    out: dict[tuple[str, str], dict[str, float | None]] = {}
    for zone, period, code, value in rows:
        if int(period) in years:
            number = None if value is None or not math.isfinite(value) else float(value)
            out.setdefault((zone, period), {})[code] = number
    return out


def zone_info(analytics: Analytics) -> dict[str, ZoneInfo]:
    with analytics.connect() as con:
        rows = con.execute("SELECT code, name_zh, name_en, province_code, region FROM zone ORDER BY code").fetchall()
    return {row[0]: ZoneInfo(row[0], row[1] or row[0], row[2] or "", row[3] or "", row[4] or "") for row in rows}


def data_fingerprint(analytics: Analytics) -> str:
    """A digest of the analytics build state (the last change it holds, the registry's and the indicators'
    fingerprints): the data a run read."""
    with analytics.connect() as con:
        state = con.execute("SELECT key, fingerprint FROM build_state ORDER BY key").fetchall()
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


def periods_available(analytics: Analytics, framework: Framework, view: str = "published") -> list[int]:
    fact = fact_table_name(FactTable(framework.form, "annual"), view)
    with analytics.connect() as con:
        rows = con.execute(f"SELECT DISTINCT period FROM main.{fact} ORDER BY 1").fetchall()
    return [int(row[0]) for row in rows]

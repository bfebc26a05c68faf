"""Scale-out: the indicator definitions on PySpark (local mode) over the Parquet export agree with DuckDB.

One demo store (2,000 enterprises, every zone), one build with its Parquet export; then every indicator
at zone, province and national level, both views, from Spark and from the analytics file, compared to a
relative 1e-9 (sums are added in another order), nulls and their reasons exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hizone.analytics.build import build
from hizone.analytics.definitions import default_indicators
from hizone.analytics.spark import indicator_values, local_session
from hizone.catalog import default_catalog
from hizone.demo import generate, load
from hizone.registry import load_provinces, load_zones
from hizone.store import connect

pytestmark = [pytest.mark.spark,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]
LEVELS = ("zone", "province", "nation")
Key = tuple[str, str, str, str, str, str]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    folder = tmp_path_factory.mktemp("spark")
    store = folder / "store.sqlite"
    store.write_bytes(sqlite_template.read_bytes())
    engine = connect(f"sqlite:///{store}")
    catalog = default_catalog()
    load(engine, generate(catalog, load_provinces(), load_zones(), 2000, 7), catalog)
    build(engine, folder / "analytics.duckdb", parquet=folder / "parquet")
    engine.dispose()
    return folder


@pytest.fixture(scope="module")
def spark_rows(exported: Path) -> Iterator[dict[Key, tuple[Any, Any, Any]]]:
    with local_session("hizone-test") as spark:
        frame = indicator_values(spark, exported / "parquet").where(
            "level IN ('zone', 'province', 'nation')")
        yield {(r["view"], r["period_type"], r["indicator"], r["level"], r["key"], r["period"]):
               (r["value"], r["value_raw"], r["reason"]) for r in frame.collect()}


def duckdb_rows(exported: Path) -> dict[Key, tuple[Any, Any, Any]]:
    with duckdb.connect(str(exported / "analytics.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT view, period_type, indicator, level, key, period, value, value_raw, reason "
                           "FROM indicator_value WHERE level IN (SELECT UNNEST(?))", [list(LEVELS)]).fetchall()
    return {(r[0], r[1], r[2], r[3], r[4], r[5]): (r[6], r[7], r[8]) for r in rows}


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_spark_gives_the_duckdb_values_for_every_indicator_level_and_period(
        exported: Path, spark_rows: dict[Key, tuple[Any, Any, Any]]) -> None:
    ours = duckdb_rows(exported)
    assert set(spark_rows) == set(ours)
    indicators = {key[2] for key in ours}
    assert indicators == set(default_indicators().indicators)
    assert {key[3] for key in ours} == set(LEVELS)
    different = [(key, spark_rows[key], ours[key]) for key in ours
                 if not (same(spark_rows[key][0], ours[key][0]) and same(spark_rows[key][1], ours[key][1])
                         and spark_rows[key][2] == ours[key][2])]
    assert different == []
    # The comparison is not vacuous: most figures are numbers, some y/y have a raw basis beside them.
    # (Over the indicators the fixture has data for: the carbon forms' indicators have no rows here.)
    with_data = {key[2] for key, (v, _, _) in ours.items() if v is not None}
    considered = [v for key, (v, _, _) in ours.items() if key[2] in with_data]
    assert len(with_data) > 0.5 * len(indicators)
    assert sum(v is not None for v in considered) > 0.8 * len(considered)
    assert any(raw is not None for _, raw, _ in ours.values())

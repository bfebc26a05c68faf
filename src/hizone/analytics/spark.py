"""Scale-out: the same compiled indicator SQL on PySpark, over the Parquet export of the analytic build.

``hizone build --parquet DIR`` (``build(..., parquet=DIR)``) writes every fact table and the group
membership as Parquet. Here each becomes a Spark temporary view under its DuckDB name, and the roll-up
plan of :mod:`hizone.analytics.rollup`, compiled from the same indicator definitions, runs step by step
through ``spark.sql``. The result has the shape of DuckDB's ``indicator_value`` table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from hizone.analytics.build import VIEWS, fact_table_name
from hizone.analytics.definitions import IndicatorSet, default_indicators
from hizone.analytics.rollup import plan
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

INDICATOR_COLUMNS = ("view", "period_type", "indicator", "level", "key", "period", "value", "value_raw", "reason")


@contextmanager
def local_session(app: str = "hizone-analytics", memory: str = "1g") -> Iterator[SparkSession]:
    """A small single-threaded local Spark session (no UI), stopped at the end of the block. With 512m the
    driver ran out of memory broadcasting the roll-up's joins in CI (the test fixture's store, all forms)."""
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName(app)
             .config("spark.ui.enabled", "false")
             .config("spark.driver.memory", memory)
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    try:
        yield spark
    finally:
        spark.stop()


def _register(spark: SparkSession, directory: Path, name: str) -> bool:
    path = directory / f"{name}.parquet"
    if not path.exists():
        return False
    spark.read.parquet(str(path)).createOrReplaceTempView(name)
    return True


def indicator_values(spark: SparkSession, directory: Path, indicators: IndicatorSet | None = None,
                     views: Sequence[str] = VIEWS) -> DataFrame:
    """Every indicator for every group and period, for ``views``, from the Parquet export in ``directory``."""
    indicators = indicators or default_indicators()
    if not _register(spark, directory, "membership"):
        raise HizoneError("no membership.parquet: export the build with `hizone build --parquet DIR` first",
                          where=str(directory))
    parts: list[DataFrame] = []
    for table, codes in indicators.by_table().items():
        compiled = [indicators.compiled[c] for c in codes]
        for view in views:
            fact = fact_table_name(table, view)
            if not _register(spark, directory, fact):
                continue
            steps = plan(fact, indicators.registries[table], compiled, "groups", tag="s")
            cached = []
            for step in steps[:-1]:
                # Cached: the later steps read each one more than once (the year before, the comparable basis).
                frame = spark.sql(step.sql).cache()
                frame.createOrReplaceTempView(step.name)
                cached.append(frame)
            parts.append(spark.sql(f"SELECT '{view}' AS view, '{table.period_type}' AS period_type, indicator, "
                                   f"grp_level AS level, grp_key AS key, period, value, value_raw, reason "
                                   f"FROM ({steps[-1].sql})").localCheckpoint())
            for frame in cached:
                frame.unpersist()
    if not parts:
        raise HizoneError("no fact tables in the Parquet export", where=str(directory))
    result = parts[0]
    for part in parts[1:]:
        result = result.unionByName(part)
    return result

"""Scale-out: the meter readings' roll-up on PySpark, over the Parquet export of the readings
(``hizone.store.readings.export_parquet``: readings.parquet and meters.parquet, or many years of files of the same
columns). The same rules as the embedded roll-up (``hizone.carbon.readings.rollup``): of the readings of one meter
and time the latest batch's counts; days and months are China Standard Time's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hizone.carbon.readings import CHINA_OFFSET_S, GRAINS, LEVELS
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_PERIOD = {"day": "yyyy-MM-dd", "month": "yyyy-MM"}


def readings_rollup(spark: SparkSession, readings: Path | list[Path], meters: Path, level: str,
                    grain: str) -> DataFrame:
    """(key, energy, period, total, readings) per meter, unit or zone, energy and day or month. The session's
    time zone must be UTC (``analytics.spark.local_session`` sets it)."""
    if level not in LEVELS or grain not in GRAINS:
        raise HizoneError(f"level must be one of {', '.join(LEVELS)} and grain one of {', '.join(GRAINS)}")
    paths = [str(p) for p in (readings if isinstance(readings, list) else [readings])]
    spark.read.parquet(*paths).createOrReplaceTempView("reading")
    spark.read.parquet(str(meters)).createOrReplaceTempView("meter")
    return spark.sql(f"""
        WITH current AS (
            SELECT meter_id, ts, max_by(quantity, batch_id) AS quantity FROM reading GROUP BY meter_id, ts)
        SELECT m.{level} AS key, m.energy AS energy,
               date_format(timestamp_seconds(c.ts + {CHINA_OFFSET_S}), '{_PERIOD[grain]}') AS period,
               sum(c.quantity) AS total, count(*) AS readings
        FROM current c JOIN meter m ON m.meter_id = c.meter_id
        GROUP BY 1, 2, 3""")

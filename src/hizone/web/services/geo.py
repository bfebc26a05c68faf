"""The vendored China province map: which map feature is which province, and where its centre is."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

MAP_FILE = Path(__file__).resolve().parents[1] / "static" / "vendor" / "china-provinces.json"


@cache
def province_features() -> dict[str, tuple[str, tuple[float, float]]]:
    """Province code (2 digits) -> (feature name on the map, centre longitude/latitude)."""
    doc = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    out = {}
    for feature in doc["features"]:
        props = feature["properties"]
        out[str(feature["id"])[:2]] = (props["name"], (float(props["cp"][0]), float(props["cp"][1])))
    return out


def zone_point(province_code: str, index: int) -> tuple[float, float] | None:
    """A display position for the index-th zone of a province: a small spiral around the province centre.

    The registry holds no zone coordinates, so points show which province a zone is in, not where.
    """
    feature = province_features().get(province_code)
    if feature is None:
        return None
    lon, lat = feature[1]
    if index == 0:
        return lon, lat
    angle = index * 2.4  # golden-angle spiral keeps points apart
    radius = 0.45 * math.sqrt(index)
    return lon + radius * math.cos(angle), lat + radius * math.sin(angle)

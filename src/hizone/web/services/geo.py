"""Map geometry: the vendored China province map (which feature is which province, its centre) and zone seats."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from hizone.registry import load_zones

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


@cache
def _zone_seats() -> dict[str, tuple[float, float]]:
    return {z.code: (z.longitude, z.latitude) for z in load_zones()}


def zone_point(zone_code: str, province_code: str) -> tuple[float, float] | None:
    """Where a zone is drawn: its seat from the registry (zones.csv), or, for a zone the package's registry no
    longer lists (kept in a store that holds its data), its province's centre; None off the map."""
    seat = _zone_seats().get(zone_code)
    if seat is not None:
        return seat
    feature = province_features().get(province_code)
    return feature[1] if feature else None

"""Zone coordinates: what the cpca data set gives for each zone's seat, inside the zone's province on the map."""

from __future__ import annotations

import csv
import json

import pytest

from hizone.registry import load_zones
from hizone.registry.compile_coordinates import SEATS, compile_rows, dataset_version, divisions
from hizone.registry.tables import DATA
from hizone.web.services.geo import MAP_FILE, province_features, zone_point

MARGIN = 0.05  # degrees: the vendored map's outlines are simplified


def _decode_ring(encoded: str, offsets: list[int], scale: float = 1024.0) -> list[tuple[float, float]]:
    """ECharts' compressed polygon encoding (UTF8Encoding): zigzag deltas from the offsets, in 1/1024 °."""
    x, y = offsets
    points = []
    for i in range(0, len(encoded), 2):
        dx, dy = ord(encoded[i]) - 64, ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        points.append((x / scale, y / scale))
    return points


def _province_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Province code -> (west, south, east, north) of its outline on the vendored map."""
    doc = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    boxes = {}
    for feature in doc["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        offsets = geometry["encodeOffsets"] if geometry["type"] == "MultiPolygon" else [geometry["encodeOffsets"]]
        points = [p for polygon, polygon_offsets in zip(polygons, offsets, strict=True)
                  for ring, ring_offsets in zip(polygon, polygon_offsets, strict=True)
                  for p in _decode_ring(ring, ring_offsets)]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        boxes[str(feature["id"])[:2]] = (min(lons), min(lats), max(lons), max(lats))
    return boxes


def test_the_map_decoder_reads_real_outlines() -> None:
    boxes = _province_boxes()
    west, south, east, north = boxes["11"]  # Beijing: about 115.4–117.5 E, 39.4–41.1 N
    assert 115.0 < west < 115.8 and 117.2 < east < 117.8 and 39.2 < south < 39.7 and 40.8 < north < 41.3


def test_zones_csv_holds_what_the_data_set_gives() -> None:
    with (DATA / "zones.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    compiled = compile_rows(rows)
    assert {r["code"]: (r["longitude"], r["latitude"], r["coordinates_source"]) for r in rows} == compiled
    assert all(source.startswith(f"cpca {dataset_version()} adcodes.csv ") for _, _, source in compiled.values())


def test_district_seats_are_the_districts_and_say_so() -> None:
    table = divisions()
    zones = {z.code: z for z in load_zones()}
    for code, (adcode, why) in SEATS.items():
        zone = zones[code]
        assert (zone.longitude, zone.latitude) == (table[adcode].longitude, table[adcode].latitude)
        assert zone.coordinates_source.endswith(f"{adcode} {table[adcode].name} ({why})")
    assert "110108 海淀区" in zones["Z1101"].coordinates_source
    assert "310115 浦东新区" in zones["Z3101"].coordinates_source
    assert "440305 南山区" in zones["Z4403"].coordinates_source


@pytest.mark.parametrize("zone", load_zones(), ids=lambda z: z.code)
def test_each_zone_lies_inside_its_province(zone: object) -> None:
    west, south, east, north = _province_boxes()[zone.province_code]  # type: ignore[attr-defined]
    lon, lat = zone.longitude, zone.latitude  # type: ignore[attr-defined]
    assert west - MARGIN <= lon <= east + MARGIN and south - MARGIN <= lat <= north + MARGIN


def test_no_two_zones_share_a_point() -> None:
    """Two zones of one city (长春, 长春净月) would hide each other on the map: SEATS tells them apart."""
    points = [(zone.longitude, zone.latitude) for zone in load_zones()]
    assert len(set(points)) == len(points)


def test_the_map_places_a_registry_zone_at_its_seat_and_an_unknown_one_at_its_province() -> None:
    zhangjiang = next(z for z in load_zones() if z.code == "Z3101")
    assert zone_point("Z3101", "31") == (zhangjiang.longitude, zhangjiang.latitude)
    assert zone_point("Z9999", "31") == province_features()["31"][1]
    assert zone_point("Z9999", "99") is None

"""Compile each zone's seat coordinates into zones.csv from the administrative divisions that `cpca` ships.

A build-time tool (``python -m hizone.registry.compile_coordinates``), not a runtime dependency: cpca is
pinned in the test extra, and a test checks that zones.csv holds what this script computes. The seat is the
zone's prefecture-level city unless SEATS names the district or county the zone lies in (or is run with).
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from hizone.registry.tables import DATA

DATASET = "cpca"
COLUMNS = ("longitude", "latitude", "coordinates_source")

# Zones whose seat is a district or county rather than their city's seat: adcode and why.
SEATS: dict[str, tuple[str, str]] = {
    "Z1101": ("110108", "中关村's core area in 海淀区"),
    "Z1201": ("120116", "in 滨海新区"),
    "Z1304": ("131082", "燕郊 is a town of 三河市"),
    "Z1306": ("130638", "雄安新区 has no division in the data set; the zone's core around 雄安站 lies in 雄县"),
    "Z2203": ("222401", "延吉市, seat of the prefecture's zone"),
    "Z2204": ("220102", "净月 was formed from 南关区, south-east of the city seat"),
    "Z3101": ("310115", "张江 lies in 浦东新区"),
    "Z3102": ("310112", "紫竹 lies in 闵行区"),
    "Z3201": ("320111", "in 浦口区"),
    "Z3204": ("320505", "run with 虎丘区 by one administration"),
    "Z3205": ("320500", "the data set has no division for the park; 苏州市's seat in 姑苏区, west of it"),
    "Z3207": ("320583", "in 昆山市"),
    "Z3208": ("320281", "in 江阴市"),
    "Z3210": ("320412", "in 武进区"),
    "Z3214": ("320581", "in 常熟市"),
    "Z3301": ("330108", "run with 滨江区 by one administration"),
    "Z3307": ("330521", "莫干山 zone lies in 德清县"),
    "Z3308": ("330109", "in 萧山区"),
    "Z3608": ("360482", "in 共青城市"),
    "Z3609": ("360981", "in 丰城市"),
    "Z3712": ("371200", "莱芜市 as the data set has it (济南市莱芜区 since 2019)"),
    "Z4201": ("420111", "东湖 zone was formed mainly from 洪山区"),
    "Z4212": ("420281", "大冶湖 lies in 大冶市"),
    "Z4309": ("430124", "宁乡县 as the data set has it (宁乡市 since 2017)"),
    "Z4402": ("440112", "run with 黄埔区 by one administration"),
    "Z4403": ("440305", "the park lies in 南山区"),
    "Z5001": ("500107", "the zone's original area in 九龙坡区"),
    "Z5002": ("500120", "in 璧山区"),
    "Z5003": ("500118", "in 永川区"),
    "Z5004": ("500153", "in 荣昌区"),
    "Z5303": ("532301", "楚雄市, seat of the prefecture"),
    "Z6101": ("610113", "in 雁塔区"),
    "Z6103": ("610403", "杨凌 lies in 杨陵区"),
    "Z6502": ("652301", "昌吉市, seat of the prefecture"),
}


@dataclass(frozen=True)
class Division:
    adcode: str  # 6 digits (GB/T 2260)
    name: str
    longitude: float
    latitude: float


def dataset_version() -> str:
    return importlib.metadata.version(DATASET)


def divisions() -> dict[str, Division]:
    """cpca's adcodes.csv by 6-digit code (the rows that have coordinates), read from the installed
    distribution without importing cpca (whose import builds its address matcher)."""
    path = Path(str(importlib.metadata.distribution(DATASET).locate_file("cpca/resources/adcodes.csv")))
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["adcode"][:6]: Division(row["adcode"][:6], row["name"], float(row["longitude"]),
                                            float(row["latitude"]))
                for row in csv.DictReader(handle) if row["longitude"] and row["latitude"]}


def _city(table: dict[str, Division], province_code: str, city: str) -> Division:
    """The prefecture-level division (or a county-level city directly under the province) named ``city``."""
    found = [d for code, d in table.items() if code[:2] == province_code and code[2:4] != "00"
             and (code[4:] == "00" or code[2:4] == "90") and d.name.startswith(city)]
    if len(found) != 1:
        raise LookupError(f"{len(found)} divisions named {city}* in province {province_code}")
    return found[0]


def seat(table: dict[str, Division], code: str, province_code: str, city: str) -> tuple[Division, str | None]:
    """The division whose coordinates stand for the zone, and why it is not the city's seat (if it is not)."""
    if code in SEATS:
        adcode, why = SEATS[code]
        return table[adcode], why
    return _city(table, province_code, city), None


def compile_rows(rows: list[dict[str, str]]) -> dict[str, tuple[str, str, str]]:
    """Zone code -> (longitude, latitude, coordinates_source) as zones.csv writes them."""
    table, version = divisions(), dataset_version()
    out = {}
    for row in rows:
        division, why = seat(table, row["code"], row["province_code"], row["city"])
        source = f"{DATASET} {version} adcodes.csv {division.adcode} {division.name}"
        out[row["code"]] = (f"{division.longitude:.6f}", f"{division.latitude:.6f}",
                            source + (f" ({why})" if why else ""))
    return out


def main(path: Path = DATA / "zones.csv") -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [c for c in (reader.fieldnames or []) if c not in COLUMNS]
        rows = list(reader)
    compiled = compile_rows(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, [*header, *COLUMNS], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**{c: row[c] for c in header}, **dict(zip(COLUMNS, compiled[row["code"]], strict=True))})
    path.write_text(out.getvalue(), encoding="utf-8")
    print(f"{len(rows)} zones: coordinates from {DATASET} {dataset_version()} written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()

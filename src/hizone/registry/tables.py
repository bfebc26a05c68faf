"""The registry's reference tables (provinces, zones, qualifications, industries), read and validated."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hizone.catalog import read_yaml
from hizone.errors import CatalogError, RegistryError
from hizone.text import ascii_digits

DATA = Path(__file__).parent / "data"
REGIONS = ("east", "central", "west", "northeast")


@dataclass(frozen=True)
class ProvinceRow:
    code: str
    name_zh: str
    name_en: str
    region: str


@dataclass(frozen=True)
class ZoneRow:
    code: str
    name_zh: str
    name_en: str
    province_code: str
    city: str
    approved_year: int
    demo_zone: str | None
    source: str
    longitude: float  # the zone's seat (city, or district where the zone lies): see compile_coordinates
    latitude: float
    coordinates_source: str


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; a RegistryError if the header lacks a column."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise RegistryError(f"missing column(s) {', '.join(missing)}", where=f"{path}: header")
            return [(i + 2, row) for i, row in enumerate(reader)]
    except OSError as exc:
        raise RegistryError(f"cannot read: {exc.strerror}", where=str(path)) from None


def load_provinces(path: Path = DATA / "provinces.csv") -> list[ProvinceRow]:
    rows = []
    for line, row in _read_rows(path, ("code", "name_zh", "name_en", "region")):
        if row["region"] not in REGIONS:
            raise RegistryError(f"unknown region '{row['region']}' (one of {', '.join(REGIONS)})",
                                where=f"{path}:{line}, column region")
        rows.append(ProvinceRow(row["code"], row["name_zh"], row["name_en"], row["region"]))
    return rows


def load_zones(path: Path = DATA / "zones.csv", provinces: list[ProvinceRow] | None = None) -> list[ZoneRow]:
    """Every zone row, checked: known province, plausible approval year, unique code and name."""
    known = {p.code for p in (provinces if provinces is not None else load_provinces())}
    columns = ("code", "name_zh", "name_en", "province_code", "city", "approved_year", "demo_zone", "source",
               "longitude", "latitude", "coordinates_source")
    zones: list[ZoneRow] = []
    seen: set[str] = set()
    for line, row in _read_rows(path, columns):
        for column in ("code", "name_zh", "province_code", "source", "coordinates_source"):
            if not (row[column] or "").strip():
                raise RegistryError("empty value", where=f"{path}:{line}, column {column}")
        if row["province_code"] not in known:
            raise RegistryError(f"unknown province '{row['province_code']}'",
                                where=f"{path}:{line}, column province_code")
        year = row["approved_year"].strip()
        if not (ascii_digits(year) and 1988 <= int(year) <= 2100):
            raise RegistryError(f"approval year '{year}' is not a year from 1988 on",
                                where=f"{path}:{line}, column approved_year")
        longitude = _coordinate(row, "longitude", (73.0, 136.0), f"{path}:{line}")
        latitude = _coordinate(row, "latitude", (3.0, 54.0), f"{path}:{line}")
        for key in (row["code"], row["name_zh"]):
            if key in seen:
                raise RegistryError(f"'{key}' appears twice", where=f"{path}:{line}")
            seen.add(key)
        zones.append(ZoneRow(row["code"], row["name_zh"], row["name_en"], row["province_code"], row["city"],
                             int(year), row["demo_zone"] or None, row["source"], longitude, latitude,
                             row["coordinates_source"]))
    return zones


def _coordinate(row: dict[str, str], column: str, bounds: tuple[float, float], where: str) -> float:
    """A longitude or latitude in degrees, within China's extent."""
    raw = (row[column] or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise RegistryError(f"'{raw}' is not a number of degrees", where=f"{where}, column {column}") from None
    if not bounds[0] <= value <= bounds[1]:
        raise RegistryError(f"{value} is outside China ({bounds[0]}–{bounds[1]})", where=f"{where}, column {column}")
    return value


VALIDITIES = ("from_issue", "calendar_year")


@dataclass(frozen=True)
class ListSpec:
    """How the published lists of a qualification are read (see qualifications.yaml)."""

    option: str  # the --kind spelling
    validity: str  # one of VALIDITIES
    date_required: bool = False
    number_required: bool = False
    number: re.Pattern[str] | None = None  # certificate / registration number; group "year" is the issue year


@dataclass(frozen=True)
class QualificationKind:
    code: str
    name_zh: str
    name_en: str
    validity_years: int | None
    list_spec: ListSpec | None = None  # None: no published list to import


def _list_spec(spec: dict[str, Any] | None, where: str) -> ListSpec | None:
    if spec is None:
        return None
    if spec.get("validity") not in VALIDITIES:
        raise CatalogError(f"validity must be one of {', '.join(VALIDITIES)}", where=where)
    try:
        number = re.compile(spec["number"]) if spec.get("number") else None
    except re.error as exc:
        raise CatalogError(f"number pattern: {exc}", where=where) from None
    return ListSpec(str(spec.get("option") or ""), spec["validity"], bool(spec.get("date_required")),
                    bool(spec.get("number_required")), number)


@cache
def qualification_kinds() -> dict[str, QualificationKind]:
    path = DATA / "qualifications.yaml"
    doc = read_yaml(path)
    return {code: QualificationKind(code, spec["name_zh"], spec["name_en"], spec.get("validity_years"),
                                    _list_spec(spec.get("list"), f"{path}: qualifications.{code}.list"))
            for code, spec in doc["qualifications"].items()}


@cache
def _industry_divisions() -> dict[int, str]:
    doc = read_yaml(DATA / "industry_sections.yaml")
    return {d: section for section, spec in doc["sections"].items()
            for d in range(spec["divisions"][0], spec["divisions"][1] + 1)}


def validate_industry_code(raw: str, where: str | None = None) -> str:
    """A GB/T 4754-2017 class code (4 digits) whose division (first two) exists."""
    code = raw.strip()
    if not (len(code) == 4 and ascii_digits(code)):
        raise RegistryError(f"industry code '{raw}' must be 4 digits (GB/T 4754 class)", where=where)
    if int(code[:2]) not in _industry_divisions():
        raise RegistryError(f"industry code '{raw}': no GB/T 4754 division {code[:2]}", where=where)
    return code


def industry_section(code: str) -> str:
    """The section letter (门类) of a valid class code, e.g. 'C' for 3911."""
    return _industry_divisions()[int(code[:2])]

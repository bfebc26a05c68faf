"""Job fairs (招聘会): the events a user imports (CSV) checked row by row, and the national summaries the
bulletins print (catalog/data/talent/fairs/*.yaml). Pure: parsing and checks, no store."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from hizone.catalog.loader import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError, RegistryError
from hizone.registry.credit_code import validate_credit_code
from hizone.text import ascii_digits

MODES = ("online", "live", "both")
FAIR_COLUMNS = ("name", "date", "host_zone", "mode", "platforms", "posts", "resumes", "views", "interviews",
                "offers")
EMPLOYER_COLUMNS = ("fair", "date", "credit_code", "name", "posts")
COUNTS = ("posts", "resumes", "views", "interviews", "offers")


@dataclass(frozen=True)
class Fair:
    name: str
    held_on: dt.date
    host_zone: str
    mode: str
    platforms: tuple[str, ...]
    posts: int
    resumes: int
    views: int
    interviews: int
    offers: int
    posts_by_field: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Employer:
    fair: str
    held_on: dt.date
    credit_code: str
    name: str
    posts: int


@dataclass(frozen=True)
class Summary:
    as_of: dt.date
    text: str
    figures: dict[str, int]
    at_least: tuple[str, ...]


@dataclass(frozen=True)
class FairSeries:
    code: str
    version: int
    name_zh: str
    name_en: str
    campaign: str
    summaries: tuple[Summary, ...]


def _rows(text: str, columns: tuple[str, ...], where: str) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in columns if c not in (reader.fieldnames or []) and c != "platforms"]
    if missing:
        return [], [f"{where}, row 1: missing column(s) {', '.join(missing)}"]
    return [(row, {k: (v or "").strip() for k, v in r.items() if k}) for row, r in enumerate(reader, start=2)], []


def _count(record: dict[str, str], column: str, at: str, errors: list[str]) -> int:
    raw = record.get(column, "").replace(",", "")
    if not ascii_digits(raw):
        errors.append(f"{at}, column {column}: {record.get(column, '')!r} is not a whole number ≥ 0")
        return 0
    return int(raw)


def _day(record: dict[str, str], at: str, errors: list[str]) -> dt.date:
    try:
        return dt.date.fromisoformat(record.get("date", ""))
    except ValueError:
        errors.append(f"{at}, column date: {record.get('date', '')!r} is not a date (YYYY-MM-DD)")
        return dt.date.min


def _fields(raw: str, at: str, errors: list[str]) -> dict[str, int]:
    """"研发=30;工程=20": posts by field."""
    found: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in raw.replace("；", ";").split(";"))):
        name, _, count = part.partition("=")
        if not name.strip() or not ascii_digits(count.strip()):
            errors.append(f"{at}, column posts_by_field: {part!r} is not field=posts")
            continue
        found[name.strip()] = int(count)
    return found


def parse_fairs(text: str, where: str, zones: frozenset[str], start: dt.date, end: dt.date
                ) -> tuple[list[Fair], list[str]]:
    """Fairs from CSV and every row's errors (file, row, column, reason); no fairs if any error."""
    rows, errors = _rows(text, FAIR_COLUMNS, where)
    fairs: list[Fair] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for row, record in rows:
        at = f"{where}, row {row}"
        day = _day(record, at, errors)
        if day != dt.date.min and not start <= day <= end:
            errors.append(f"{at}, column date: {day} is outside the campaign ({start}..{end})")
        if not record.get("name"):
            errors.append(f"{at}, column name: blank")
        if record.get("host_zone") not in zones:
            errors.append(f"{at}, column host_zone: zone {record.get('host_zone')!r} is not in the registry")
        if record.get("mode") not in MODES:
            errors.append(f"{at}, column mode: {record.get('mode')!r} is not one of {', '.join(MODES)}")
        counts = {c: _count(record, c, at, errors) for c in COUNTS}
        by_field = _fields(record.get("posts_by_field", ""), at, errors)
        if sum(by_field.values()) > counts["posts"]:
            errors.append(f"{at}, column posts_by_field: {sum(by_field.values())} posts by field > "
                          f"{counts['posts']} posts")
        key = (record.get("name", ""), day)
        if key in seen:
            errors.append(f"{at}, column name: the same fair as row {seen[key]}")
        seen.setdefault(key, row)
        platforms = tuple(p.strip() for p in record.get("platforms", "").replace("；", ";").split(";") if p.strip())
        fairs.append(Fair(record.get("name", ""), day, record.get("host_zone", ""), record.get("mode", ""),
                          platforms, counts["posts"], counts["resumes"], counts["views"], counts["interviews"],
                          counts["offers"], by_field))
    return ([] if errors else fairs), errors


def parse_employers(text: str, where: str, fairs: set[tuple[str, dt.date]]) -> tuple[list[Employer], list[str]]:
    """Participating employers from CSV (fair, date, credit_code, name, posts) and every row's errors."""
    rows, errors = _rows(text, EMPLOYER_COLUMNS, where)
    found: list[Employer] = []
    seen: set[tuple[str, dt.date, str]] = set()
    for row, record in rows:
        at = f"{where}, row {row}"
        day = _day(record, at, errors)
        if (record.get("fair", ""), day) not in fairs:
            errors.append(f"{at}, column fair: no fair {record.get('fair')!r} on {record.get('date')}")
        try:
            code = validate_credit_code(record.get("credit_code", ""))
        except RegistryError as exc:
            errors.append(f"{at}, column credit_code: {exc.reason}")
            code = ""
        if code and (record.get("fair", ""), day, code) in seen:
            errors.append(f"{at}, column credit_code: {code} is listed twice for this fair")
        seen.add((record.get("fair", ""), day, code))
        found.append(Employer(record.get("fair", ""), day, code, record.get("name", ""),
                              _count(record, "posts", at, errors)))
    return ([] if errors else found), errors


def _summary(doc: Any, where: str) -> Summary:
    if not isinstance(doc, dict) or not isinstance(doc.get("as_of"), dt.date) or not isinstance(
            doc.get("figures"), dict):
        raise CatalogError("a summary needs as_of (a date) and figures", where=where)
    figures = {str(k): int(v) for k, v in doc["figures"].items()}
    at_least = tuple(str(k) for k in doc.get("at_least") or ())
    if not set(at_least) <= set(figures):
        raise CatalogError("at_least names a figure not listed", where=where)
    return Summary(doc["as_of"], str(doc.get("text", "")), figures, at_least)


def fair_series() -> dict[str, FairSeries]:
    """The fair series of the catalog (talent/fairs/*.yaml), by ``code-version``."""
    files: dict[str, Any] = {}
    for root in [package_directory("talent"), *user_directories("talent")]:
        files.update({p.name: p for p in sorted((root / "fairs").glob("*.yaml"))})
    found: dict[str, FairSeries] = {}
    for path in files.values():
        doc, where = read_yaml(path), str(path)
        series = FairSeries(str(doc.get("code")), int(doc.get("version", 0)), str(doc.get("name_zh", "")),
                            str(doc.get("name_en", "")), str(doc.get("campaign", "")),
                            tuple(_summary(s, where) for s in doc.get("summaries") or ()))
        found[f"{series.code}-{series.version}"] = series
    return found

"""Campaigns with targets, read from catalog/data/talent/ (the package's, then a user's directories).

A campaign file names its dates, schedule, employer kinds, graduate levels and its targets file (CSV:
level, key, target, set_by, source). A user's catalog directory overrides a file of the same name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hizone.catalog.loader import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError
from hizone.talent.progress import scheduled_share
from hizone.text import ascii_digits

TARGET_COLUMNS = ("level", "key", "target", "set_by", "source")
LEVELS = ("zone", "province")
SET_BY = ("national", "provincial")


@dataclass(frozen=True)
class Label:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Target:
    level: str  # zone / province
    key: str  # zone code or province code
    target: int
    set_by: str  # national / provincial
    source: str = ""


@dataclass(frozen=True)
class Campaign:
    code: str
    version: int
    name_zh: str
    name_en: str
    source: str
    start: dt.date
    deadline: dt.date
    report_form: str
    schedule: tuple[tuple[dt.date, float], ...]  # () = straight line start..deadline
    employer_kinds: tuple[Label, ...]
    graduate_levels: tuple[Label, ...]
    targets_file: str

    @property
    def key(self) -> str:
        return f"{self.code}-{self.version}"

    def due(self, on: dt.date) -> float:
        """The share of the target due by ``on``: the straight line, or the configured points joined."""
        if not self.schedule:
            return scheduled_share(self.start, self.deadline, on)
        points = [(self.start, 0.0), *self.schedule]
        if on <= points[0][0]:
            return 0.0
        for (d0, s0), (d1, s1) in itertools.pairwise(points):
            if on <= d1:
                return s0 + (s1 - s0) * (on - d0).days / (d1 - d0).days
        return points[-1][1]


def _date(doc: dict[str, Any], key: str, where: str) -> dt.date:
    value = doc.get(key)
    if not isinstance(value, dt.date):
        raise CatalogError(f"'{key}' must be a date (YYYY-MM-DD), got {value!r}", where=where)
    return value


def _labels(doc: dict[str, Any], key: str, where: str) -> tuple[Label, ...]:
    items = doc.get(key)
    if not isinstance(items, list) or not items:
        raise CatalogError(f"'{key}' must be a non-empty list", where=where)
    try:
        return tuple(Label(str(i["code"]), str(i["name_zh"]), str(i["name_en"])) for i in items)
    except (KeyError, TypeError):
        raise CatalogError(f"each of '{key}' needs code, name_zh and name_en", where=where) from None


def _schedule(value: Any, start: dt.date, deadline: dt.date, where: str) -> tuple[tuple[dt.date, float], ...]:
    if value == "linear":
        return ()
    if not isinstance(value, list) or not value:
        raise CatalogError("'schedule' must be 'linear' or a list of {date, share}", where=where)
    points: list[tuple[dt.date, float]] = []
    for i, point in enumerate(value):
        at = f"{where}: schedule[{i}]"
        day, share = (point.get("date"), point.get("share")) if isinstance(point, dict) else (None, None)
        if not isinstance(day, dt.date) or not isinstance(share, int | float):
            raise CatalogError("a point needs a date and a share", where=at)
        if not start < day <= deadline or not 0 <= share <= 1:
            raise CatalogError(f"{day} must fall in {start}..{deadline} and {share} in 0..1", where=at)
        if points and (day <= points[-1][0] or share < points[-1][1]):
            raise CatalogError("points must rise in date and share", where=at)
        points.append((day, float(share)))
    return tuple(points)


def parse_campaign(doc: dict[str, Any], where: str) -> Campaign:
    start, deadline = _date(doc, "start", where), _date(doc, "deadline", where)
    if deadline <= start:
        raise CatalogError(f"deadline {deadline} is not after start {start}", where=where)
    for key in ("code", "name_zh", "name_en", "report_form", "targets"):
        if not isinstance(doc.get(key), str):
            raise CatalogError(f"'{key}' must be text", where=where)
    if not isinstance(doc.get("version"), int):
        raise CatalogError("'version' must be a year", where=where)
    return Campaign(doc["code"], doc["version"], doc["name_zh"], doc["name_en"], str(doc.get("source", "")),
                    start, deadline, doc["report_form"], _schedule(doc.get("schedule", "linear"), start, deadline,
                                                                   where),
                    _labels(doc, "employer_kinds", where), _labels(doc, "graduate_levels", where), doc["targets"])


def _directories() -> list[Path]:
    return [package_directory("talent"), *user_directories("talent")]


@cache
def campaigns() -> dict[str, Campaign]:
    """Every campaign by key (``research_assistant-2022``); a user's file overrides one of the same name.
    Read once per process, like the monitor's rules (a page and each import's check ask for them)."""
    files: dict[str, Path] = {}
    for root in _directories():
        for path in sorted(root.glob("*.yaml")):
            files[path.name] = path
    found = [parse_campaign(read_yaml(path), str(path)) for path in files.values()]
    return {c.key: c for c in found}


def campaign(key: str) -> Campaign:
    known = campaigns()
    if key not in known:
        raise CatalogError(f"unknown campaign '{key}' (known: {', '.join(sorted(known))})", where="campaign")
    return known[key]


def for_form(form_code: str, on: dt.date) -> Campaign | None:
    """The campaign reported on form ``form_code`` whose year is ``on``'s (None: none)."""
    return next((c for c in campaigns().values() if c.report_form == form_code and c.version == on.year), None)


def parse_targets(text: str, where: str) -> tuple[list[Target], list[str]]:
    """Targets from CSV text and the errors per row (file, row, column, reason); no targets if any error."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in TARGET_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        return [], [f"{where}, row 1: missing column(s) {', '.join(missing)}"]
    targets: list[Target] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for row, record in enumerate(reader, start=2):
        at = f"{where}, row {row}"
        level, key = (record.get("level") or "").strip(), (record.get("key") or "").strip()
        set_by, raw = (record.get("set_by") or "").strip(), (record.get("target") or "").strip()
        if level not in LEVELS:
            errors.append(f"{at}, column level: {level!r} is not one of {', '.join(LEVELS)}")
        if not key:
            errors.append(f"{at}, column key: blank")
        if set_by not in SET_BY:
            errors.append(f"{at}, column set_by: {set_by!r} is not one of {', '.join(SET_BY)}")
        if not ascii_digits(raw) or int(raw) <= 0:
            errors.append(f"{at}, column target: {raw!r} is not a positive whole number")
        if (level, key) in seen:
            errors.append(f"{at}, column key: {level} {key} already has a target in row {seen[(level, key)]}")
        seen.setdefault((level, key), row)
        if ascii_digits(raw) and int(raw) > 0:
            targets.append(Target(level, key, int(raw), set_by, (record.get("source") or "").strip()))
    return ([] if errors else targets), errors


def package_targets(c: Campaign) -> list[Target]:
    """The campaign's targets file (the last directory holding it wins); a CatalogError on a bad row."""
    path = next((root / c.targets_file for root in reversed(_directories()) if (root / c.targets_file).exists()),
                None)
    if path is None:
        return []
    targets, errors = parse_targets(path.read_text(encoding="utf-8"), str(path))
    if errors:
        raise CatalogError("; ".join(errors[:5]), where=str(path))
    return targets

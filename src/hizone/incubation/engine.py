"""Pure engine: the 2018 national-level self-check, the 48-month warning, graduation, grades A-D."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml


def load_rules() -> dict[str, Any]:
    path = resources.files("hizone.catalog") / "data" / "incubation" / "national-2018.yaml"
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Check:
    code: str
    value: float | None
    threshold: float
    passed: bool | None


def self_check(figures: dict[str, float], kind: str = "综合") -> list[Check]:
    out = []
    for c in load_rules()["criteria"]:
        m = c["min"]
        threshold = float(m[kind] if isinstance(m, dict) else m)
        v = figures.get(c["field"])
        out.append(Check(c["code"], v, threshold, None if v is None else v >= threshold))
    return out


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def overdue(entry: date, today: date, limit: int = 48) -> bool:
    return months_between(entry, today) > limit


def graduated(hightech: bool, financing_wan: float, revenue_2y_wan: float, acquired_or_listed: bool) -> str | None:
    if hightech:
        return "hightech"
    if financing_wan > 500:
        return "financing"
    if revenue_2y_wan > 1000:
        return "revenue"
    if acquired_or_listed:
        return "acquired_listed"
    return None


def grades(scores: dict[str, float], shares: dict[str, int] | None = None) -> dict[str, str]:
    """A/B/C/D by rank, the shares (default 2021: 386/617/262/12) scaled to the number of carriers."""
    shares = shares or load_rules()["grades"]
    total = sum(shares.values())
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    n, out, start, cum = len(ranked), {}, 0, 0
    for g, count in shares.items():
        cum += count
        end = round(n * cum / total)
        for k in ranked[start:end]:
            out[k] = g
        start = end
    return out


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    column: str
    reason: str


def validate_incubatees(file: str, rows: list[dict[str, Any]]) -> list[RowError]:
    """Rows: credit_code, carrier, entry (date), graduation (date|None). Two carriers at once; graduation < entry."""
    errs: list[RowError] = []
    seen: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows, start=2):
        if r.get("graduation") and r["graduation"] < r["entry"]:
            errs.append(RowError(file, i, "graduation", "graduation before entry"))
        prev = seen.get(r["credit_code"])
        if prev and prev["carrier"] != r["carrier"] and not prev.get("graduation") and not r.get("graduation"):
            errs.append(RowError(file, i, "credit_code", f"already incubated by {prev['carrier']}"))
        seen[r["credit_code"]] = r
    return errs


def validate_carriers(file: str, rows: list[dict[str, Any]], held: dict[str, set[str]]) -> list[RowError]:
    errs = []
    for i, r in enumerate(rows, start=2):
        if r.get("level") and r["level"] not in held.get(r["code"], set()):
            errs.append(RowError(file, i, "level", f"level {r['level']} not held"))
        used = sum(float(r.get(k) or 0) for k in ("space_office", "space_incubated", "space_public", "space_other"))
        if used > float(r.get("space_total") or 0):
            errs.append(RowError(file, i, "space_total", "floor space by use exceeds the total"))
    return errs

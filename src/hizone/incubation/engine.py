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
class Stay:
    """An enterprise's stay in a carrier: from ``entry`` until ``end`` (its graduation, exclusive; None while in
    incubation). ``row`` is the file's row, 0 for a stay already stored."""

    credit_code: str
    carrier: str
    entry: date
    end: date | None
    row: int = 0


def overlapping(stays: list[Stay]) -> list[tuple[Stay, Stay]]:
    """Each pair (earlier stay, later stay) of one enterprise whose periods overlap, at least one of them from the
    file: an enterprise is incubated by one carrier at a time. One sort, then a sweep that keeps the open stay
    ending last, so a stay is checked against every earlier one, stored or in the file, not only its neighbour."""
    found: list[tuple[Stay, Stay]] = []
    ordered = sorted(stays, key=lambda s: (s.credit_code, s.entry, s.row))
    last: Stay | None = None
    for stay in ordered:
        if last is not None and last.credit_code == stay.credit_code:
            if (last.end is None or stay.entry < last.end) and (stay.row or last.row):
                found.append((last, stay))
            if last.end is not None and (stay.end is None or stay.end > last.end):
                last = stay
        else:
            last = stay
    return found


def held_levels(events: list[tuple[str, str, date]], on: date) -> set[str]:
    """The levels held on a day from a carrier's (level, event, day) history: from recognition, confirmed by a
    re-examination, until revocation."""
    held: set[str] = set()
    for level, event, day in sorted(events, key=lambda e: e[2]):
        if day > on:
            break
        if event == "revoked":
            held.discard(level)
        else:
            held.add(level)
    return held


def space_problems(figures: dict[str, Any]) -> list[str]:
    """Floor space by use (办公/在孵企业/公共服务/其他用房) exceeding the total 建筑总面积."""
    used = sum(float(figures.get(k) or 0) for k in ("space_office", "space_incubated", "space_public", "space_other"))
    total = float(figures.get("space_total") or 0)
    return [f"floor space by use {used:g} m² exceeds the total {total:g} m²"] if used > total else []

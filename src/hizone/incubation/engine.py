"""Pure engine: the 2018 national-level self-check, the 48-month warning, graduation, grades A-D."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import numpy as np
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


BASES = ("official", "inferred")  # an indicator's and its weights' standing: published, or hizone's own


def load_evaluation(text: str | None = None) -> dict[str, Any]:
    """The evaluation framework (catalog/data/incubation/evaluation-2019.yaml, or ``text``): every indicator says
    whether it and its weights are the official set's (``basis: official`` with its ``source``) or hizone's
    stand-in (``basis: inferred``), and has a weight for 综合 and for 专业."""
    where = "incubation/evaluation-2019.yaml"
    if text is None:
        text = (resources.files("hizone.catalog") / "data" / "incubation" / "evaluation-2019.yaml").read_text(
            encoding="utf-8")
    spec = dict(yaml.safe_load(text))
    for code, ind in (spec.get("indicators") or {}).items():
        basis = ind.get("basis")
        if basis not in BASES:
            raise ValueError(f"{where}: indicator {code}: basis must be one of {', '.join(BASES)}, got {basis!r}")
        if basis == "official" and not ind.get("source"):
            raise ValueError(f"{where}: indicator {code}: an official indicator names its source")
        if set(ind.get("weight") or {}) != {"综合", "专业"}:
            raise ValueError(f"{where}: indicator {code}: needs a weight for 综合 and for 专业")
    return spec


@dataclass(frozen=True)
class Indicator:
    """One indicator of the framework as a carrier's page shows it: its weight for the carrier's focus."""

    code: str
    name_zh: str
    dimension: str
    weight: float
    share: float  # of the focus's weights
    basis: str  # official or inferred


def framework(focus: str, spec: dict[str, Any] | None = None) -> list[Indicator]:
    spec = spec or load_evaluation()
    weights = {code: float(ind["weight"][focus]) for code, ind in spec["indicators"].items()}
    total = sum(weights.values()) or 1.0
    return [Indicator(code, str(ind.get("name_zh", code)), str(ind.get("dimension", "")), weights[code],
                      weights[code] / total, str(ind["basis"])) for code, ind in spec["indicators"].items()]


def self_check_figures(values: dict[str, Any], founded_year: int | None, year: int) -> dict[str, float]:
    """The 2018 conditions' figures from an incubator's annual report (money 千元 → 万元); a figure whose inputs
    are missing is left out (its check reads "not known", not failed)."""
    def ratio(part: float | None, whole: float | None) -> float | None:
        return part / whole if part is not None and whole else None

    space, incubatees = values.get("inc_space_total"), values.get("inc_incubatees")
    used = (None if values.get("inc_space_incubated") is None
            else float(values["inc_space_incubated"]) + float(values.get("inc_space_public") or 0))
    figures = {
        "years_operating": None if founded_year is None else float(year - founded_year),
        "space_m2": space, "incubated_space_share": ratio(used, space),
        "fund_wan": None if values.get("inc_fund") is None else float(values["inc_fund"]) / 10,
        "financed_share": ratio(values.get("inc_incubatees_financed"), incubatees),
        "ip_share": ratio(values.get("inc_incubatees_ip"), incubatees), "incubated": incubatees,
        "per_1000m2": None if incubatees is None or not space else float(incubatees) / float(space) * 1000,
        "graduated": values.get("inc_graduated_total")}
    return {k: float(v) for k, v in figures.items() if v is not None}


@dataclass(frozen=True)
class Graded:
    score: float
    grade: str
    stability: float  # share of weight draws in which the grade stays the same


def _indicator(values: dict[str, Any], spec: dict[str, Any]) -> float:
    top = sum(float(values.get(e) or 0) for e in spec["of"])
    if "per" not in spec:
        return top
    bottom = sum(float(values.get(e) or 0) for e in spec["per"])
    return top / bottom if bottom else 0.0


def _scores(columns: np.ndarray, focus: list[str], weights: dict[str, np.ndarray]) -> np.ndarray:
    """Min–max scaled (0–100) within each focus group, then the weighted mean with that group's weights."""
    out = np.zeros(len(focus))
    labels = np.array(focus)
    for group, w in weights.items():
        rows = labels == group
        if not rows.any():
            continue
        block = columns[rows]
        low, high = block.min(axis=0), block.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        out[rows] = ((block - low) / span * 100) @ w / w.sum()
    return out


def evaluate(reports: dict[str, tuple[str, dict[str, Any]]], spec: dict[str, Any] | None = None,
             shares: dict[str, int] | None = None) -> dict[str, Graded]:
    """Score, grade (by the shares of ``grades``) and the grade's stability under perturbed weights for each
    incubator: ``reports`` maps its code to (综合 or 专业, its annual report's values)."""
    spec = spec or load_evaluation()
    codes = sorted(reports)
    if not codes:
        return {}
    names = list(spec["indicators"])
    columns = np.array([[_indicator(reports[c][1], spec["indicators"][n]) for n in names] for c in codes])
    focus = [reports[c][0] for c in codes]
    base = {g: np.array([float(spec["indicators"][n]["weight"][g]) for n in names]) for g in ("综合", "专业")}
    central = _scores(columns, focus, base)
    graded = grades(dict(zip(codes, central.tolist(), strict=True)), shares)
    draws = spec.get("uncertainty") or {}
    rng = np.random.default_rng(int(draws.get("seed", 0)))
    same = np.zeros(len(codes))
    samples = int(draws.get("samples", 0))
    for _ in range(samples):
        varied = {g: w * np.exp(float(draws["noise"]) * rng.standard_normal(len(w))) for g, w in base.items()}
        drawn = grades(dict(zip(codes, _scores(columns, focus, varied).tolist(), strict=True)), shares)
        same += np.array([drawn[c] == graded[c] for c in codes])
    return {c: Graded(round(float(central[i]), 4), graded[c], float(same[i] / samples) if samples else 1.0)
            for i, c in enumerate(codes)}

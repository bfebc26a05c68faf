"""Early-warning rules (经济运行监测): definitions from YAML and their evaluation over arrays (pure).

Kinds of rule (catalog/data/alerts/*.yaml)::

  threshold     value below/above a bound for ``periods`` consecutive periods (y/y growth below -30%)
  trend         ``periods`` consecutive declines, each by at least ``min_drop``
  peer_outlier  robust z-score (median, MAD) against the zones of the same ``peer_group`` above ``z``
  jump          data quality: a value more than ``factor`` times (or below 1/factor of) the median of the
                ``window`` values before it, or negative where the series cannot be
  missing       data quality: a period that other groups reported and this one did not

Evaluation works on a :class:`SeriesTable` (groups × periods); nothing here reads a database or a file
except the loader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hizone.analytics.definitions import IndicatorSet, default_indicators, mapping_lines
from hizone.analytics.rollup import LEVELS
from hizone.catalog import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError

ALERT_DIR = package_directory("alerts")
KINDS = ("threshold", "trend", "peer_outlier", "jump", "missing")
SEVERITIES = ("info", "warning", "critical")
Kind = Literal["threshold", "trend", "peer_outlier", "jump", "missing"]
MAD_SCALE = 1.4826  # makes the MAD a consistent estimator of the standard deviation for normal data


@dataclass(frozen=True)
class Rule:
    code: str
    kind: Kind
    indicator: str
    level: str
    severity: str
    name_zh: str
    name_en: str
    params: Mapping[str, Any]
    source: str  # "file:line"

    def number(self, name: str) -> float:
        return float(self.params[name])


@dataclass(frozen=True)
class SeriesTable:
    """One indicator for many groups: ``values[g, t]`` (NaN when null), ``present[g, t]`` (a row exists)."""

    indicator: str
    level: str
    keys: tuple[str, ...]
    periods: tuple[str, ...]
    values: np.ndarray
    present: np.ndarray
    peer_groups: Mapping[str, str] = field(default_factory=dict)  # key -> peer group (e.g. region)

    @classmethod
    def from_series(cls, indicator: str, level: str, series: Mapping[str, Sequence[tuple[str, float | None]]],
                    peer_groups: Mapping[str, str] | None = None) -> SeriesTable:
        keys = tuple(sorted(series))
        periods = tuple(sorted({p for pairs in series.values() for p, _ in pairs}))
        column = {p: j for j, p in enumerate(periods)}
        values = np.full((len(keys), len(periods)), np.nan)
        present = np.zeros((len(keys), len(periods)), dtype=bool)
        for i, key in enumerate(keys):
            for period, value in series[key]:
                present[i, column[period]] = True
                if value is not None:
                    values[i, column[period]] = value
        return cls(indicator, level, keys, periods, values, present, dict(peer_groups or {}))


@dataclass(frozen=True)
class Alert:
    rule: str
    kind: str
    severity: str
    indicator: str
    level: str
    key: str
    period: str
    message: str
    evidence: dict[str, Any]


# --- loading --------------------------------------------------------------------------------------

_REQUIRED: dict[str, tuple[str, ...]] = {
    "threshold": (), "trend": ("periods",), "peer_outlier": ("peer_group", "z"),
    "jump": ("factor", "window"), "missing": (),
}


def _rule(code: str, spec: Any, indicators: IndicatorSet, where: str, lines: Mapping[str, int]) -> Rule:
    if not isinstance(spec, dict):
        raise CatalogError(f"rule '{code}' must be a mapping", where=where)
    kind = spec.get("kind")
    if kind not in KINDS:
        raise CatalogError(f"rule '{code}': 'kind' must be one of {', '.join(KINDS)}, got {kind!r}", where=where)
    indicator = spec.get("indicator")
    at = f"{where.rsplit(':', 1)[0]}:{lines.get('indicator', lines.get('', '?'))}"
    if indicator not in indicators.indicators:
        raise CatalogError(f"rule '{code}' uses unknown indicator {indicator!r}", where=at)
    level = spec.get("level", "zone")
    if level not in LEVELS:
        raise CatalogError(f"rule '{code}': 'level' must be one of {', '.join(LEVELS)}, got {level!r}", where=where)
    severity = spec.get("severity", "warning")
    if severity not in SEVERITIES:
        raise CatalogError(f"rule '{code}': 'severity' must be one of {', '.join(SEVERITIES)}", where=where)
    params = {k: v for k, v in spec.items() if k not in ("kind", "indicator", "level", "severity", "name_zh",
                                                          "name_en")}
    missing = [p for p in _REQUIRED[kind] if p not in params]
    if kind == "threshold" and not ({"below", "above"} & set(params)):
        missing.append("below or above")
    if missing:
        raise CatalogError(f"rule '{code}' ({kind}) needs {', '.join(missing)}", where=where)
    for name, value in params.items():
        if name != "peer_group" and not (isinstance(value, int | float) and not isinstance(value, bool)
                                         and math.isfinite(value)):
            raise CatalogError(f"rule '{code}': '{name}' must be a number, got {value!r}",
                               where=f"{where.rsplit(':', 1)[0]}:{lines.get(name, lines.get('', '?'))}")
    if "peer_group" in params and params["peer_group"] not in LEVELS:
        raise CatalogError(f"rule '{code}': 'peer_group' must be one of {', '.join(LEVELS)}", where=where)
    name_zh = str(spec.get("name_zh", code))
    return Rule(code, kind, indicator, level, severity, name_zh, str(spec.get("name_en", name_zh)), params, where)


def load_rules(directories: Iterable[Path] = (), indicators: IndicatorSet | None = None) -> list[Rule]:
    """Every rule under ``directories`` (the package's first; same file names override), checked."""
    indicators = indicators or default_indicators()
    files: dict[str, Path] = {}
    for root in [ALERT_DIR, *directories]:
        files.update({p.name: p for p in sorted(root.glob("*.yaml"))})
    rules: dict[str, Rule] = {}
    for path in files.values():
        doc = read_yaml(path)
        if "applies_to" in doc:  # rules of another stream (e.g. energy_readings), which their own engine loads
            continue
        lines = mapping_lines(path, "rules")
        entries = doc.get("rules")
        if not isinstance(entries, dict):
            raise CatalogError("'rules' must be a mapping", where=str(path))
        for code, spec in entries.items():
            entry_lines = lines.get(str(code), {})
            where = f"{path}:{entry_lines.get('', '?')}"
            if code in rules:
                raise CatalogError(f"rule '{code}' is also defined at {rules[code].source}", where=where)
            rules[str(code)] = _rule(str(code), spec, indicators, where, entry_lines)
    return list(rules.values())


@cache
def default_rules() -> list[Rule]:
    return load_rules(user_directories("alerts"))


# --- evaluation -----------------------------------------------------------------------------------


def _evidence(table: SeriesTable, row: int, upto: int, count: int = 12) -> dict[str, Any]:
    start = max(0, upto - count + 1)
    return {"indicator": table.indicator,
            "series": [[table.periods[t], None if np.isnan(table.values[row, t]) else float(table.values[row, t])]
                       for t in range(start, upto + 1) if table.present[row, t]]}


def _alert(rule: Rule, table: SeriesTable, row: int, t: int, message: str, **detail: Any) -> Alert:
    evidence = _evidence(table, row, t)
    evidence.update(detail)
    return Alert(rule.code, rule.kind, rule.severity, rule.indicator, rule.level, table.keys[row],
                 table.periods[t], message, evidence)


def _runs(flags: np.ndarray, length: int) -> list[int]:
    """Positions where a run of ``length`` consecutive True values first completes."""
    ends = []
    run = 0
    for t, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run == length:
            ends.append(t)
    return ends


def threshold(rule: Rule, table: SeriesTable) -> list[Alert]:
    periods = int(rule.params.get("periods", 1))
    values = table.values
    with np.errstate(invalid="ignore"):
        hit = np.zeros(values.shape, dtype=bool)
        if "below" in rule.params:
            hit |= values < rule.number("below")
        if "above" in rule.params:
            hit |= values > rule.number("above")
    bound = " and ".join(f"{side} {rule.params[side]}" for side in ("below", "above") if side in rule.params)
    alerts = []
    for row in range(len(table.keys)):
        for t in _runs(hit[row], periods):
            since = table.periods[t - periods + 1]
            alerts.append(_alert(rule, table, row, t, f"{rule.indicator} {bound} for {periods} consecutive "
                                 f"period(s) since {since}", since=since))
    return alerts


def trend(rule: Rule, table: SeriesTable) -> list[Alert]:
    periods = int(rule.number("periods"))
    min_drop = float(rule.params.get("min_drop", 0.0))
    values = table.values
    with np.errstate(invalid="ignore"):
        falling = np.zeros(values.shape, dtype=bool)
        falling[:, 1:] = (values[:, :-1] - values[:, 1:]) > min_drop
    alerts = []
    for row in range(len(table.keys)):
        for t in _runs(falling[row], periods):
            since = table.periods[t - periods]
            alerts.append(_alert(rule, table, row, t, f"{rule.indicator} fell {periods} periods in a row "
                                 f"(each by more than {min_drop}) since {since}", since=since))
    return alerts


def robust_z(values: np.ndarray) -> np.ndarray:
    """(x − median) / (1.4826 · MAD) over the finite values; NaN where the MAD is 0 or x is NaN."""
    finite = values[np.isfinite(values)]
    out = np.full(values.shape, np.nan)
    if finite.size < 3:
        return out
    median = np.median(finite)
    mad = np.median(np.abs(finite - median)) * MAD_SCALE
    if mad == 0:
        return out
    return (values - median) / mad


def peer_outlier(rule: Rule, table: SeriesTable) -> list[Alert]:
    limit = rule.number("z")
    groups: dict[str, list[int]] = {}
    for row, key in enumerate(table.keys):
        if key in table.peer_groups:
            groups.setdefault(table.peer_groups[key], []).append(row)
    alerts = []
    for group, rows in groups.items():
        block = table.values[rows]
        for t in range(len(table.periods)):
            z = robust_z(block[:, t])
            for position, score in enumerate(z):
                if np.isfinite(score) and abs(score) > limit:
                    peers = {table.keys[r]: float(block[i, t]) for i, r in enumerate(rows)
                             if np.isfinite(block[i, t])}
                    alerts.append(_alert(rule, table, rows[position], t,
                                         f"{rule.indicator} is {score:+.1f} robust SDs from the zones of "
                                         f"{group}", z=float(score), peer_group=group,
                                         peer_median=float(np.median(list(peers.values()))), peers=peers))
    return alerts


def jump(rule: Rule, table: SeriesTable) -> list[Alert]:
    factor = rule.number("factor")
    window = int(rule.number("window"))
    alerts = []
    for row in range(len(table.keys)):
        series = table.values[row]
        for t in range(len(series)):
            value = series[t]
            history = series[max(0, t - window):t]
            history = history[np.isfinite(history)]
            if not np.isfinite(value) or history.size < min(3, window):
                continue
            median = float(np.median(history))
            if median <= 0:
                continue
            ratio = value / median
            if value < 0 or ratio > factor or ratio < 1 / factor:
                alerts.append(_alert(rule, table, row, t, f"{rule.indicator} is {ratio:.2f}× the median of the "
                                     f"{history.size} period(s) before", ratio=ratio, median=median))
    return alerts


def missing(rule: Rule, table: SeriesTable) -> list[Alert]:
    alerts = []
    reported: np.ndarray = np.asarray(table.present.any(axis=0))
    for row in range(len(table.keys)):
        own = np.flatnonzero(table.present[row])
        if own.size == 0:
            continue
        # From the group's first report on: a period someone reported and this group did not.
        for t in range(own[0], len(table.periods)):
            if reported[t] and not table.present[row, t]:
                alerts.append(_alert(rule, table, row, t, f"no report for {table.periods[t]} "
                                     f"(other groups reported {rule.indicator})"))
    return alerts


EVALUATORS = {"threshold": threshold, "trend": trend, "peer_outlier": peer_outlier, "jump": jump,
              "missing": missing}


def evaluate(rule: Rule, table: SeriesTable) -> list[Alert]:
    """The alerts ``rule`` raises on ``table`` (which must hold the rule's indicator at its level)."""
    if table.indicator != rule.indicator or table.level != rule.level:
        raise ValueError(f"rule {rule.code} needs {rule.indicator} at {rule.level}, got {table.indicator}"
                         f" at {table.level}")
    return EVALUATORS[rule.kind](rule, table)

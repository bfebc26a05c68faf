"""Laggard warnings before the deadline: the monitor's threshold rules (catalog/data/alerts/talent.yaml) over
weekly standings. Pure apart from reading the rules file through the catalog loader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from hizone.catalog import read_yaml, user_directories
from hizone.errors import CatalogError
from hizone.monitor.rules import ALERT_DIR, SEVERITIES, Alert, Rule, SeriesTable, evaluate
from hizone.talent.progress import Progress

APPLIES_TO = "talent"
INDICATORS = ("pace", "completion")
LEVELS = ("zone", "province")


def load_rules(directories: Iterable[Path] | None = None) -> list[Rule]:
    """The talent rules of every alerts file that ``applies_to: talent`` (the package's first; same names
    override), checked."""
    files: dict[str, Path] = {}
    for root in [ALERT_DIR, *(user_directories("alerts") if directories is None else directories)]:
        files.update({p.name: p for p in sorted(root.glob("*.yaml"))})
    rules: list[Rule] = []
    for path in files.values():
        doc = read_yaml(path)
        if doc.get("applies_to") != APPLIES_TO:
            continue
        for code, spec in (doc.get("rules") or {}).items():
            rules.append(_rule(str(code), spec, str(path)))
    return rules


def _rule(code: str, spec: object, where: str) -> Rule:
    if not isinstance(spec, dict):
        raise CatalogError(f"rule '{code}' must be a mapping", where=where)
    kind, indicator, level = spec.get("kind"), spec.get("indicator"), spec.get("level", "zone")
    severity = spec.get("severity", "warning")
    if kind != "threshold":
        raise CatalogError(f"rule '{code}': talent rules are of kind threshold, got {kind!r}", where=where)
    if indicator not in INDICATORS or level not in LEVELS or severity not in SEVERITIES:
        raise CatalogError(f"rule '{code}': indicator one of {', '.join(INDICATORS)}, level one of "
                           f"{', '.join(LEVELS)}, severity one of {', '.join(SEVERITIES)}", where=where)
    params = {k: v for k, v in spec.items() if k not in ("kind", "indicator", "level", "severity", "name_zh",
                                                          "name_en")}
    if not {"below", "above"} & set(params) or not all(isinstance(v, int | float) for v in params.values()):
        raise CatalogError(f"rule '{code}' needs a numeric 'below' or 'above'", where=where)
    name_zh = str(spec.get("name_zh", code))
    return Rule(code, "threshold", indicator, level, severity, name_zh, str(spec.get("name_en", name_zh)), params,
                where)


@cache
def default_rules() -> list[Rule]:
    """The package's and the user's talent rules, read once per process (as monitor.rules.default_rules)."""
    return load_rules()


def laggards(weeks: Mapping[str, tuple[dt.date, Sequence[Progress]]], deadline: dt.date,
             rules: Sequence[Rule]) -> list[Alert]:
    """The alerts the rules raise on ``weeks`` (period → (report day, standings of zones and provinces))."""
    found: list[Alert] = []
    for rule in rules:
        limit = rule.params.get("within_days")
        series: dict[str, list[tuple[str, float | None]]] = {}
        for period in sorted(weeks):
            day, rows = weeks[period]
            if limit is not None and (deadline - day).days > limit:
                continue
            for row in rows:
                if row.level == rule.level:
                    value = row.pace if rule.indicator == "pace" else row.completion
                    series.setdefault(row.key, []).append((period, value))
        found += evaluate(rule, SeriesTable.from_series(rule.indicator, rule.level, series))
    return found

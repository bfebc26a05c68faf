"""A fact from a bulletin beside the reported statistic it states: which indicator and year it matches, and
whether the two disagree beyond the tolerance (catalog/data/bulletins/compare.yaml).

Pure: the reported value is given by the caller, who reads it through the analytics layer for its viewer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hizone.bulletins.lexicon import _file
from hizone.catalog import read_yaml
from hizone.errors import CatalogError

_YEAR = re.compile(r"(\d{4})(?:-12-31)?")  # a year (2021) or its end (截至2021年底: 2021-12-31)


@dataclass(frozen=True)
class Mapping:
    """A fact metric's indicator, the fact's unit it applies to, and the factor from that unit to the
    indicator's (元 → 千元: 0.001)."""

    indicator: str
    unit: str
    scale: float


@dataclass(frozen=True)
class CompareRules:
    tolerance: float  # relative: |bulletin − reported| / |reported|
    metrics: dict[str, Mapping]


@dataclass(frozen=True)
class Target:
    """The reported figure a fact states: an indicator of a zone in a year."""

    indicator: str
    year: str
    scale: float


@dataclass(frozen=True)
class Comparison:
    """The bulletin's and the reported value in the fact's unit; ``relative`` None when there is no reported
    value (not reported, or withheld from the viewer: ``reason``)."""

    indicator: str
    year: str
    bulletin: float
    reported: float | None
    relative: float | None
    flagged: bool
    reason: str | None = None


def load_rules(path: Path | None = None) -> CompareRules:
    where = path or _file("compare.yaml")
    doc = read_yaml(where)
    tolerance = doc.get("tolerance")
    if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or not 0 <= tolerance < 1:
        raise CatalogError("'tolerance' must be a number from 0 to 1 (a relative difference)", where=str(where))
    metrics = {}
    for code, spec in (doc.get("metrics") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("indicator"), str) or \
                not isinstance(spec.get("unit"), str) or not isinstance(spec.get("scale"), int | float):
            raise CatalogError("expected {indicator, unit, scale}", where=f"{where}: metrics.{code}")
        metrics[str(code)] = Mapping(spec["indicator"], spec["unit"], float(spec["scale"]))
    return CompareRules(float(tolerance), metrics)


@cache
def default_rules() -> CompareRules:
    return load_rules()


def target(metric: str, unit: str, period: str, rules: CompareRules) -> Target | None:
    """The reported figure a fact of ``metric`` in ``unit`` over ``period`` states (None: none to compare)."""
    mapping = rules.metrics.get(metric)
    year = _YEAR.fullmatch(period)
    if mapping is None or mapping.unit != unit or year is None:
        return None
    return Target(mapping.indicator, year.group(1), mapping.scale)


def compare(value: float, goal: Target, reported: float | None, rules: CompareRules,
            reason: str | None = None) -> Comparison:
    """The fact's ``value`` against the indicator's ``reported`` value (in the indicator's unit)."""
    if reported is None:
        return Comparison(goal.indicator, goal.year, value, None, None, False, reason or "no data")
    shown = reported / goal.scale
    if shown == 0:  # no relative difference to a zero: any other value disagrees
        return Comparison(goal.indicator, goal.year, value, 0.0, None, value != 0, "reported zero")
    relative = abs(value - shown) / abs(shown)
    return Comparison(goal.indicator, goal.year, value, shown, relative, relative > rules.tolerance)

"""创新积分制: an enterprise's innovation points within its zone and year, from ``innovation_points-<version>.yaml``.

Pure: the rules and each enterprise's figures (this year's and last year's elements, in the form's units), its
founding year when known and its qualification flags in; per enterprise its stage, each indicator's value,
normalised value and weighted contribution (or that it is missing), bonus, penalty, score and rank out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hizone.errors import CatalogError, HizoneError
from hizone.ladder.rules import versions_of

CODE = "innovation_points"
NORMALISATIONS = ("percentile", "min_max")

Figures = Mapping[str, float | None]  # element -> value


@dataclass(frozen=True)
class Stage:
    code: str
    label: str
    max_age: int | None
    max_revenue: float | None
    max_employees: float | None

    def holds(self, age: int | None, revenue: float | None, employees: float | None) -> bool:
        """Every limit given holds; an unknown age skips the age limit, an unknown size fails a size limit."""
        return ((self.max_age is None or age is None or age <= self.max_age)
                and _within(revenue, self.max_revenue) and _within(employees, self.max_employees))


def _within(value: float | None, limit: float | None) -> bool:
    return limit is None or (value is not None and value <= limit)


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    group: str
    how: str  # element, ratio or growth
    elements: tuple[str, ...]
    weights: Mapping[str, float]  # stage -> weight

    def value(self, now: Figures, before: Figures) -> float | None:
        if self.how == "element":
            return now.get(self.elements[0])
        if self.how == "ratio":
            top, bottom = now.get(self.elements[0]), now.get(self.elements[1])
            return None if top is None or not bottom else top / bottom
        current, last = now.get(self.elements[0]), before.get(self.elements[0])
        return None if current is None or not last else current / last - 1


@dataclass(frozen=True)
class FlagPoints:
    flag: str
    label: str
    points: float


@dataclass(frozen=True)
class PointsRules:
    version: int
    form: str
    official: bool
    normalisation: str
    stages: tuple[Stage, ...]
    groups: tuple[tuple[str, str], ...]  # (code, label)
    indicators: tuple[Indicator, ...]
    bonus: tuple[FlagPoints, ...]
    penalty: tuple[FlagPoints, ...]

    @property
    def elements(self) -> list[str]:
        return sorted({e for i in self.indicators for e in i.elements})

    @property
    def flags(self) -> list[str]:
        return sorted({f.flag for f in (*self.bonus, *self.penalty)})

    def stage(self, age: int | None, revenue: float | None, employees: float | None) -> Stage:
        return next((s for s in self.stages if s.holds(age, revenue, employees)), self.stages[-1])


# -- the rules file

def _need(doc: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in doc:
        raise CatalogError(f"'{key}' is missing", where=where)
    return doc[key]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"not a number: {value!r}", where=where)
    return float(value)


def _optional(spec: Mapping[str, Any], key: str, where: str) -> float | None:
    return None if spec.get(key) is None else _number(spec[key], f"{where}: {key}")


def _stage(spec: Mapping[str, Any], where: str) -> Stage:
    age = _optional(spec, "max_age", where)
    return Stage(str(_need(spec, "code", where)), str(spec.get("label", spec["code"])),
                 None if age is None else int(age), _optional(spec, "max_revenue", where),
                 _optional(spec, "max_employees", where))


def _indicator(spec: Mapping[str, Any], group: str, stages: Sequence[str], where: str) -> Indicator:
    code = str(_need(spec, "code", where))
    here = f"{where}: indicator {code}"
    hows = [how for how in ("element", "ratio", "growth") if how in spec]
    if len(hows) != 1:
        raise CatalogError("give exactly one of element, ratio (two elements) or growth", where=here)
    raw = spec[hows[0]]
    elements = tuple(str(e) for e in raw) if isinstance(raw, list) else (str(raw),)
    if len(elements) != (2 if hows[0] == "ratio" else 1):
        raise CatalogError(f"{hows[0]} takes {'two elements' if hows[0] == 'ratio' else 'one element'}", where=here)
    weights = _need(spec, "weights", here)
    if not isinstance(weights, Mapping) or set(weights) != set(stages):
        raise CatalogError(f"weights must be given for exactly the stages {', '.join(stages)}", where=here)
    return Indicator(code, str(spec.get("label", code)), group, hows[0], elements,
                     {str(s): _number(w, f"{here}: weight {s}") for s, w in weights.items()})


def _flag_points(specs: Any, where: str) -> tuple[FlagPoints, ...]:
    return tuple(FlagPoints(str(_need(s, "flag", where)), str(s.get("label", s["flag"])),
                            _number(_need(s, "points", where), f"{where}: {s['flag']}")) for s in specs or ())


def parse_points(doc: Mapping[str, Any], where: str) -> PointsRules:
    """The rules of one file; a CatalogError naming the file and the item otherwise."""
    version = _need(doc, "version", where)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CatalogError("'version' (the first data year) must be a whole number", where=where)
    normalisation = str(_need(doc, "normalisation", where))
    if normalisation not in NORMALISATIONS:
        raise CatalogError(f"normalisation must be one of {', '.join(NORMALISATIONS)}", where=where)
    stages = tuple(_stage(s, f"{where}: stages") for s in _need(doc, "stages", where))
    if not stages:
        raise CatalogError("at least one stage is needed", where=where)
    codes = [s.code for s in stages]
    groups, indicators = [], []
    for group in _need(doc, "groups", where):
        code = str(_need(group, "code", where))
        groups.append((code, str(group.get("label", code))))
        indicators += [_indicator(i, code, codes, f"{where}: group {code}") for i in _need(group, "indicators", where)]
    return PointsRules(version, str(_need(doc, "form", where)), bool(doc.get("official", False)), normalisation,
                       stages, tuple(groups), tuple(indicators), _flag_points(doc.get("bonus"), f"{where}: bonus"),
                       _flag_points(doc.get("penalty"), f"{where}: penalty"))


def load_points_rules(directories: Iterable[Path] | None = None) -> dict[int, PointsRules]:
    """Every innovation-points file by version; a later directory's file of the same version replaces one."""
    return versions_of(CODE, parse_points, directories)


def points_rules(year: int, directories: Iterable[Path] | None = None) -> PointsRules:
    """The latest rules whose version is not after ``year``."""
    known = load_points_rules(directories)
    usable = [v for v in known if v <= year]
    if not usable:
        raise HizoneError(f"no innovation-points rules for {year} (they apply from {min(known, default='-')})",
                          where="year")
    return known[max(usable)]


# -- the scores

@dataclass(frozen=True)
class Enterprise:
    credit_code: str
    now: Figures  # this year's elements
    before: Figures  # last year's (growth)
    flags: Mapping[str, bool]
    age: int | None = None  # whole years since founding; None when unknown


@dataclass(frozen=True)
class Contribution:
    indicator: Indicator
    value: float | None  # None: missing (scores 0)
    normalised: float | None
    weight: float
    points: float


@dataclass(frozen=True)
class Score:
    credit_code: str
    stage: Stage
    contributions: tuple[Contribution, ...]
    bonus: tuple[FlagPoints, ...]
    penalty: tuple[FlagPoints, ...]
    score: float
    rank: int  # 1 is best; ties share the best rank

    @property
    def missing(self) -> list[str]:
        return [c.indicator.code for c in self.contributions if c.value is None]


def percentile(value: float, others: Sequence[float]) -> float:
    """The share of the zone's values below ``value``, equal ones counting half (the value itself excluded)."""
    rest = len(others) - 1
    if rest == 0:
        return 1.0
    below = sum(v < value for v in others)
    equal = sum(v == value for v in others) - 1
    return (below + equal / 2) / rest


def min_max(value: float, others: Sequence[float]) -> float:
    low, high = min(others), max(others)
    return 1.0 if high == low else (value - low) / (high - low)


NORMALISE = {"percentile": percentile, "min_max": min_max}


def score_zone(rules: PointsRules, enterprises: Sequence[Enterprise]) -> list[Score]:
    """The scores of one zone's enterprises in one year, best first (ties by credit code)."""
    normalise = NORMALISE[rules.normalisation]
    values = {(e.credit_code, i.code): i.value(e.now, e.before) for e in enterprises for i in rules.indicators}
    present = {i.code: [v for (_, code), v in values.items() if code == i.code and v is not None]
               for i in rules.indicators}
    unranked = []
    for firm in enterprises:
        stage = rules.stage(firm.age, firm.now.get("revenue"), firm.now.get("employees"))
        parts = []
        for indicator in rules.indicators:
            value, weight = values[(firm.credit_code, indicator.code)], indicator.weights[stage.code]
            scaled = None if value is None else normalise(value, present[indicator.code])
            parts.append(Contribution(indicator, value, scaled, weight, 0.0 if scaled is None else scaled * weight))
        bonus = tuple(b for b in rules.bonus if firm.flags.get(b.flag))
        penalty = tuple(p for p in rules.penalty if firm.flags.get(p.flag))
        total = sum(p.points for p in parts) + sum(b.points for b in bonus) - sum(p.points for p in penalty)
        unranked.append((firm.credit_code, stage, tuple(parts), bonus, penalty, round(total, 9)))
    unranked.sort(key=lambda s: (-s[5], s[0]))
    scores: list[Score] = []
    for index, item in enumerate(unranked):
        tied = bool(scores) and scores[-1].score == item[5]
        scores.append(Score(*item, rank=scores[-1].rank if tied else index + 1))
    return scores

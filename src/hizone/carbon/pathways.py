"""Pathways to the 2025 targets, red/yellow/green warnings and enterprise carbon-efficiency grades.

The targets, levels and grade bounds are data (catalog/data/carbon/targets.yaml, loaded through the catalog
loader); the functions below are pure.

A zone's pathway starts from its first year with an account (the base year): 单位工业增加值能耗 falls in a straight
line from the base value to the target by the target year (a zone already below it keeps its base value as its
ceiling), and tCO2/万元 falls by the required share every year. The warning level is the first of the YAML's
levels whose condition holds; a measure that cannot be computed (no previous year) satisfies no condition.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from hizone.catalog import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError

TARGETS_FILE = "targets.yaml"
MEASURES = ("co2_intensity_yoy", "co2_yoy_shortfall", "energy_intensity_over_path")
OPERATORS = {"above": lambda v, b: v > b, "at_least": lambda v, b: v >= b, "below": lambda v, b: v < b,
             "at_most": lambda v, b: v <= b}


@dataclass(frozen=True)
class Condition:
    measure: str
    operator: str
    bound: float

    def holds(self, measures: Mapping[str, float | None]) -> bool:
        value = measures.get(self.measure)
        return value is not None and OPERATORS[self.operator](value, self.bound)


@dataclass(frozen=True)
class Level:
    level: str
    name_zh: str
    name_en: str
    any: tuple[Condition, ...]  # empty: the default level


@dataclass(frozen=True)
class Targets:
    target_year: int
    industrial_energy_intensity: float  # tce/万元
    co2_intensity_yearly_decline: float  # %
    levels: tuple[Level, ...]
    grade_bounds: tuple[float, ...]
    revision: int
    industrial_form: str  # 单位工业增加值能耗 takes the energy of the enterprises whose report on this form
    industrial_element: str  # has this element above 0

    def energy_path(self, base_year: int, base_value: float, year: int) -> float:
        """The zone's ceiling for 单位工业增加值能耗 in ``year``."""
        goal = min(base_value, self.industrial_energy_intensity)
        if year >= self.target_year or base_year >= self.target_year:
            return goal
        done = max(0, year - base_year) / (self.target_year - base_year)
        return base_value + (goal - base_value) * done

    def co2_path(self, base_year: int, base_value: float, year: int) -> float:
        """The zone's tCO2/万元 on the path in ``year``."""
        return base_value * (1 - self.co2_intensity_yearly_decline / 100) ** max(0, year - base_year)

    def measures(self, co2_intensity_yoy: float | None, industrial_energy_intensity: float | None,
                 energy_path: float | None) -> dict[str, float | None]:
        over = None if industrial_energy_intensity is None or energy_path is None else \
            industrial_energy_intensity - energy_path
        shortfall = None if co2_intensity_yoy is None else co2_intensity_yoy + self.co2_intensity_yearly_decline
        return {"co2_intensity_yoy": co2_intensity_yoy, "co2_yoy_shortfall": shortfall,
                "energy_intensity_over_path": over}

    def warning(self, measures: Mapping[str, float | None]) -> Level:
        """The first level whose condition holds (the last level, which has none, otherwise)."""
        for level in self.levels:
            if not level.any or any(c.holds(measures) for c in level.any):
                return level
        return self.levels[-1]


def grades(co2: np.ndarray, value_added: np.ndarray, industry: Sequence[str], bounds: Sequence[float]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Each enterprise's K (its tCO2/万元 over its industry's Σ/Σ) and grade 1–len(bounds)+1; 0 and NaN where it
    has no value added or its industry emits nothing."""
    co2, value_added = np.asarray(co2, dtype=np.float64), np.asarray(value_added, dtype=np.float64)
    keys, group = np.unique(np.asarray(industry, dtype=np.str_), return_inverse=True)
    with_value = value_added > 0  # the average is over the enterprises that have an intensity of their own
    industry_co2 = np.bincount(group, weights=np.where(with_value, co2, 0.0), minlength=len(keys))
    industry_va = np.bincount(group, weights=np.where(with_value, value_added, 0.0), minlength=len(keys))
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(value_added > 0, co2 / value_added, np.nan)
        average = np.where(industry_va > 0, industry_co2 / industry_va, np.nan)[group]
        k = np.where(average > 0, own / average, np.nan)
    graded = np.where(np.isnan(k), 0, np.searchsorted(np.asarray(bounds), np.nan_to_num(k), side="left") + 1)
    return k, graded.astype(np.int64)


# --- loading --------------------------------------------------------------------------------------------------


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"expected a number, got {value!r}", where=where)
    return float(value)


def _levels(spec: Any, where: str) -> tuple[Level, ...]:
    if not isinstance(spec, list) or not spec:
        raise CatalogError("'levels' must be a non-empty list", where=where)
    levels = []
    for i, raw in enumerate(spec):
        at = f"{where}[{i}]"
        conditions = []
        for j, condition in enumerate(raw.get("any") or ()):
            operators = [op for op in OPERATORS if op in condition]
            if condition.get("measure") not in MEASURES or len(operators) != 1:
                raise CatalogError(f"a condition needs a measure of {', '.join(MEASURES)} and one of "
                                   f"{', '.join(OPERATORS)}", where=f"{at}.any[{j}]")
            conditions.append(Condition(condition["measure"], operators[0],
                                        _number(condition[operators[0]], f"{at}.any[{j}]")))
        levels.append(Level(str(raw.get("level")), str(raw.get("name_zh", "")), str(raw.get("name_en", "")),
                            tuple(conditions)))
    if levels[-1].any:
        raise CatalogError("the last level must have no condition (the default)", where=where)
    return tuple(levels)


def load_targets(directories: Iterable[Path] = ()) -> Targets:
    """targets.yaml of the package, or of the last of ``directories`` that has one."""
    path = package_directory("carbon") / TARGETS_FILE
    for root in directories:
        if (root / TARGETS_FILE).exists():
            path = root / TARGETS_FILE
    doc = read_yaml(path)
    pathway, warnings, grade = (doc.get(k) or {} for k in ("pathway", "warnings", "grades"))
    bounds = tuple(_number(b, f"{path}: grades.bounds") for b in grade.get("bounds") or ())
    if not bounds or list(bounds) != sorted(bounds):
        raise CatalogError("grades.bounds must be ascending numbers", where=str(path))
    industrial = pathway.get("industrial_enterprises") or {}
    if not isinstance(industrial.get("form"), str) or not isinstance(industrial.get("element"), str):
        raise CatalogError("pathway.industrial_enterprises needs a form and an element", where=str(path))
    year = pathway.get("target_year")
    if not isinstance(year, int):
        raise CatalogError(f"pathway.target_year must be a year, got {year!r}", where=str(path))
    return Targets(target_year=year,
                   industrial_energy_intensity=_number(pathway.get("industrial_energy_intensity"),
                                                       f"{path}: pathway.industrial_energy_intensity"),
                   co2_intensity_yearly_decline=_number(pathway.get("co2_intensity_yearly_decline"),
                                                        f"{path}: pathway.co2_intensity_yearly_decline"),
                   levels=_levels(warnings.get("levels"), f"{path}: warnings.levels"), grade_bounds=bounds,
                   revision=int(doc.get("revision") or 0), industrial_form=industrial["form"],
                   industrial_element=industrial["element"])


@cache
def default_targets() -> Targets:
    return load_targets(user_directories("carbon"))

"""Who pulls a zone down (拖后腿): each enterprise's leave-one-out contribution to a ratio-of-sums indicator.

A zone's ratio indicator is R = scale · Σnum / Σden over its enterprises. The ratio without enterprise i is
R₋ᵢ = scale · (Σnum − num_i) / (Σden − den_i), and its drag is

    drag_i = direction · (R₋ᵢ − R)

how much better the zone would stand without it: for a more-is-better ratio (direction +1) the ratio without i
minus the zone's ratio, for a less-is-better one (direction −1, e.g. energy per value added) the other way round.
Positive: the enterprise pulls the zone down; negative: it lifts it. Undefined (None) when no denominator is left
without i.

Pure: arrays of numbers in, numbers out. Which indicators are ratios of sums is read from a framework's parsed
formulas (``numerator / denominator`` times or over a constant, each side a sum or difference of elements).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hizone.analytics.formula import BinOp, Name, Node, Num

DRAG_DEFINITION = ("drag of enterprise i = direction × (R₋ᵢ − R), R = scale·Σnum/Σden over the zone's enterprises that "
                   "reported both, R₋ᵢ = scale·(Σnum − num_i)/(Σden − den_i); positive: the enterprise pulls the "
                   "zone down")


@dataclass(frozen=True)
class Linear:
    """A sum of elements with signs (``emp_foreign + emp_returnees``): evaluated per enterprise."""

    terms: tuple[tuple[str, int], ...]  # (element, +1 or −1)

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(element for element, _ in self.terms)

    def of(self, values: Mapping[str, float | None]) -> float | None:
        """The enterprise's value, or None when it did not report one of the elements."""
        total = 0.0
        for element, sign in self.terms:
            value = values.get(element)
            if value is None:
                return None
            total += sign * value
        return total


@dataclass(frozen=True)
class RatioIndicator:
    code: str
    name_zh: str
    unit: str
    numerator: Linear
    denominator: Linear
    scale: float  # R = scale · Σnum / Σden
    direction: int  # 1: more is better; −1: less is better

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.numerator.elements + self.denominator.elements))


def _linear(node: Node, elements: frozenset[str]) -> Linear | None:
    if isinstance(node, Name):
        return Linear(((node.name, 1),)) if node.name in elements else None
    if isinstance(node, BinOp) and node.op in "+-":
        left, right = _linear(node.left, elements), _linear(node.right, elements)
        if left is None or right is None:
            return None
        sign = 1 if node.op == "+" else -1
        return Linear(left.terms + tuple((e, s * sign) for e, s in right.terms))
    return None


def ratio_of(node: Node, elements: frozenset[str]) -> tuple[Linear, Linear, float] | None:
    """(numerator, denominator, scale) when ``node`` is a ratio of element sums times or over a constant."""
    if isinstance(node, BinOp) and node.op in "*/" and isinstance(node.right, Num):
        inner = ratio_of(node.left, elements)
        if inner is None or (node.op == "/" and node.right.value == 0):
            return None
        factor = node.right.value if node.op == "*" else 1 / node.right.value
        return inner[0], inner[1], inner[2] * factor
    if isinstance(node, BinOp) and node.op == "/":
        numerator, denominator = _linear(node.left, elements), _linear(node.right, elements)
        if numerator is None or denominator is None:
            return None
        return numerator, denominator, 1.0
    return None


@dataclass(frozen=True)
class LeaveOneOut:
    zone_ratio: float | None  # None when Σden is 0
    without: list[float | None]  # R₋ᵢ per enterprise
    drag: list[float | None]  # direction · (R₋ᵢ − R) per enterprise


def leave_one_out(numerators: Sequence[float], denominators: Sequence[float], scale: float = 1.0,
                  direction: int = 1) -> LeaveOneOut:
    """The zone's ratio and, per enterprise, the ratio without it and its drag (see the module doc)."""
    num, den = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    if num.shape != den.shape:
        raise ValueError("numerators and denominators differ in length")
    total_num, total_den = float(num.sum()), float(den.sum())
    zone = None if total_den == 0 else scale * total_num / total_den
    rest_den = total_den - den
    defined = rest_den != 0
    without = np.full(num.shape, np.nan)
    np.divide(scale * (total_num - num), rest_den, out=without, where=defined)
    without_list = [float(w) if ok else None for w, ok in zip(without, defined, strict=True)]
    drag = [None if zone is None or w is None else direction * (w - zone) for w in without_list]
    return LeaveOneOut(zone, without_list, drag)


@dataclass(frozen=True)
class Drag:
    credit_code: str
    numerator: float
    denominator: float
    own_ratio: float | None  # scale · num_i / den_i (None when den_i is 0)
    without: float | None  # the zone's ratio without this enterprise
    drag: float | None  # direction · (without − zone ratio): positive pulls the zone down


@dataclass(frozen=True)
class ZoneDrag:
    indicator: RatioIndicator
    zone_ratio: float | None
    enterprises: int  # those that reported every element of the ratio
    missing: int  # those that left one out (not in the sums)
    drags: list[Drag]  # largest drag (the worst) first; undefined last


def zone_drag(indicator: RatioIndicator, rows: Sequence[tuple[str, Mapping[str, float | None]]]) -> ZoneDrag:
    """The drag of each enterprise (credit code, element values) on ``indicator`` over the enterprises that
    reported both sides of the ratio."""
    complete: list[tuple[str, float, float]] = []
    for code, values in rows:
        numerator, denominator = indicator.numerator.of(values), indicator.denominator.of(values)
        if numerator is not None and denominator is not None:
            complete.append((code, numerator, denominator))
    found = leave_one_out([c[1] for c in complete], [c[2] for c in complete], indicator.scale, indicator.direction)
    drags = [Drag(code, num, den, None if den == 0 else indicator.scale * num / den, without, drag)
             for (code, num, den), without, drag in zip(complete, found.without, found.drag, strict=True)]
    drags.sort(key=lambda d: (d.drag is None, -(d.drag or 0.0), d.credit_code))
    return ZoneDrag(indicator, found.zone_ratio, len(complete), len(rows) - len(complete), drags)

"""Unit reports: a unit's scores and ranks at every level, its strengths and weaknesses, and a gap
table against a benchmark with the index points that closing each gap would add (对标找差)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hizone.errors import HizoneError
from hizone.evaluate.config import AggregateConfig, WeightConfig
from hizone.evaluate.data import FloatArray
from hizone.evaluate.pipeline import PipelineResult
from hizone.evaluate.uncertainty import rank_descending
from hizone.evaluate.weights import aggregate_tree
from hizone.text import ascii_digits


@dataclass(frozen=True)
class Score:
    code: str
    name: str
    level: int
    value: float
    rank: float  # 1 = best among the units with a value
    of: int  # units with a value


@dataclass(frozen=True)
class Gap:
    code: str
    name: str
    own: float
    benchmark: float
    gap: float  # benchmark - own, in normalised points
    index_gain: float  # top index points gained if this indicator alone reached the benchmark


@dataclass(frozen=True)
class UnitReport:
    unit: str
    unit_name: str
    benchmark: str  # what was compared against, e.g. "unit CHE", "top 5 mean", "peers EurAsia_group=Asia"
    scores: tuple[Score, ...]
    strengths: tuple[Score, ...]
    weaknesses: tuple[Score, ...]
    gaps: tuple[Gap, ...]  # largest index gain first


def unit_report(result: PipelineResult, unit: str, benchmark: str, top: int = 5) -> UnitReport:
    """Report on ``unit``; ``benchmark`` is a unit code, ``top:N`` (mean of the N best by the index) or
    ``peers:GROUP`` (mean of the other units with the same label in group column GROUP)."""
    stage = result.aggregated
    if unit not in stage.unit_codes:
        raise HizoneError(f"unit {unit!r} is not among the {len(stage.unit_codes)} units of the result",
                          where="--unit")
    scores = _scores(result, unit)
    indicator_scores = [s for s in scores if s.code in result.tree.indicators and not math.isnan(s.value)]
    by_rank = sorted(indicator_scores, key=lambda s: (s.rank / s.of, s.code))
    label, benchmark_values = _benchmark(result, unit, benchmark)
    position = stage.unit_codes.index(unit)
    return UnitReport(
        unit=unit,
        unit_name=result.data.unit_names[position],
        benchmark=label,
        scores=tuple(scores),
        strengths=tuple(by_rank[:top]),
        weaknesses=tuple(reversed(by_rank[-top:])) if by_rank else (),
        gaps=_gaps(result, unit, benchmark_values),
    )


def _scores(result: PipelineResult, unit: str) -> list[Score]:
    stage, tree = result.aggregated, result.tree
    ranks = rank_descending(stage.values.T)  # codes × units
    position = stage.unit_codes.index(unit)
    return [Score(code, tree.name.get(code, code), tree.level[code], float(stage.values[position, j]),
                  float(ranks[j, position]), int((~np.isnan(stage.values[:, j])).sum()))
            for j, code in enumerate(stage.codes)]


def _benchmark(result: PipelineResult, unit: str, benchmark: str) -> tuple[str, FloatArray]:
    """The benchmark's normalised indicator values."""
    stage, tree = result.aggregated, result.tree
    indicators = np.column_stack([stage.column(code) for code in tree.indicators])
    kind, _, argument = benchmark.partition(":")
    if not argument:
        kind, argument = "unit", benchmark
    if kind == "unit":
        if argument not in stage.unit_codes:
            raise HizoneError(f"benchmark unit {argument!r} is not among the units of the result",
                              where="--benchmark")
        return f"unit {argument}", indicators[stage.unit_codes.index(argument)]
    if kind == "top":
        if not ascii_digits(argument) or int(argument) < 1:
            raise HizoneError(f"top:N needs a whole number N >= 1, not {argument!r}", where="--benchmark")
        if tree.root not in stage.codes:
            raise HizoneError("top:N needs an aggregated index (add an aggregate step)", where="--benchmark")
        order = rank_descending(stage.column(tree.root))[0]
        best = order <= int(argument)
        return f"top {argument} mean", _column_means(indicators[best])
    if kind == "peers":
        groups = result.data.groups
        if argument not in groups:
            raise HizoneError(f"peers:{argument}: not a Group column (known: {', '.join(groups) or 'none'})",
                              where="--benchmark")
        labels = np.asarray(groups[argument])
        own = labels[stage.unit_codes.index(unit)]
        peers = (labels == own) & (np.asarray(stage.unit_codes) != unit)
        if not peers.any():
            raise HizoneError(f"unit {unit!r} has no peers in {argument}={own}", where="--benchmark")
        return f"peers {argument}={own} mean", _column_means(indicators[peers])
    raise HizoneError(f"unknown benchmark {benchmark!r} (a unit code, top:N or peers:GROUP)", where="--benchmark")


def _column_means(block: FloatArray) -> FloatArray:
    present = ~np.isnan(block)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(present, block, 0.0).sum(axis=0) / present.sum(axis=0))


def _gaps(result: PipelineResult, unit: str, benchmark: FloatArray) -> tuple[Gap, ...]:
    """Close one gap at a time and re-aggregate the unit's index with the weights of the build."""
    tree, stage = result.tree, result.aggregated
    own = np.array([stage.values[stage.unit_codes.index(unit), stage.codes.index(code)] for code in tree.indicators])
    gains = np.zeros(len(own))
    aggregate = result.config.step("aggregate")
    if isinstance(aggregate, AggregateConfig):
        closing = np.tile(own, (len(own) + 1, 1))  # row k closes gap k; the last row is the unit as it is
        for k in range(len(own)):
            if benchmark[k] > own[k] or (math.isnan(own[k]) and not math.isnan(benchmark[k])):
                closing[k, k] = benchmark[k]
        weights = WeightConfig("given", tuple(result.weights.items()))
        units = [f"{unit} with {code} at the benchmark" for code in tree.indicators] + [unit]
        aggregated, _ = aggregate_tree(closing, tree, aggregate.method, weights, units)
        index = aggregated[:, tree.aggregates.index(tree.root)]
        gains = index[:-1] - index[-1]
    gaps = [Gap(code, tree.name.get(code, code), float(own[k]), float(benchmark[k]), float(benchmark[k] - own[k]),
                float(gains[k])) for k, code in enumerate(tree.indicators)]
    return tuple(sorted(gaps, key=lambda g: (-(g.index_gain if not math.isnan(g.index_gain) else -math.inf), g.code)))

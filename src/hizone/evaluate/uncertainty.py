"""Uncertainty and sensitivity of the index ranks: Monte Carlo over method choices and weights.

Every replication is a point of the unit hypercube, one coordinate per varied input: a discrete choice
(e.g. treat.max_points, a normalise block, the aggregation method) or the multiplicative noise on one
weight. Replications that share their discrete choices share one pipeline run up to normalisation; their
weights are aggregated together, all replications at once (matrix products over a replications axis).
Sobol indices come from SALib's Saltelli design, the weight noise of one level being one group of inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hizone.errors import HizoneError
from hizone.evaluate.config import (
    STEP_NAMES,
    AggregateConfig,
    PipelineConfig,
    StepConfig,
    WeightConfig,
    parse_step,
    to_block,
)
from hizone.evaluate.data import FloatArray, IndexData
from hizone.evaluate.pipeline import PipelineResult, run_pipeline
from hizone.evaluate.tree import IndexTree
from hizone.evaluate.weights import DATA_DRIVEN, static_weights

CHUNK = 2048  # replications aggregated together: bounds memory at about CHUNK × units × children floats


@dataclass(frozen=True)
class DiscreteInput:
    """A varied method choice: the alternatives replace one step of the base pipeline."""

    name: str
    alternatives: tuple[StepConfig, ...]


@dataclass(frozen=True)
class NoiseInput:
    """Uniform multiplicative noise ±factor on the weights of the nodes of one level."""

    level: int
    factor: float
    codes: tuple[str, ...]


@dataclass(frozen=True)
class UncertaintySpec:
    samples: int
    seed: int
    discrete: tuple[DiscreteInput, ...]
    noise: tuple[NoiseInput, ...]
    sobol_samples: int = 256

    @property
    def dimension(self) -> int:
        return len(self.discrete) + sum(len(noise.codes) for noise in self.noise)

    @property
    def input_groups(self) -> list[str]:
        """The input (group) name of each coordinate of the hypercube."""
        return [d.name for d in self.discrete] + [f"weights.level{n.level}" for n in self.noise for _ in n.codes]


@dataclass(frozen=True)
class UnitRanks:
    unit: str
    nominal: float
    mean: float
    median: float
    q05: float
    q95: float


@dataclass(frozen=True)
class UncertaintyResult:
    unit_codes: tuple[str, ...]
    nominal_ranks: FloatArray  # per unit
    ranks: FloatArray  # replications × units
    spec: UncertaintySpec

    def summary(self) -> list[UnitRanks]:
        with np.errstate(all="ignore"):
            mean = np.nanmean(self.ranks, axis=0)
            median = np.nanmedian(self.ranks, axis=0)
            q05, q95 = np.nanpercentile(self.ranks, [5, 95], axis=0)
        return [UnitRanks(unit, float(self.nominal_ranks[i]), float(mean[i]), float(median[i]), float(q05[i]),
                          float(q95[i])) for i, unit in enumerate(self.unit_codes)]


@dataclass(frozen=True)
class SobolIndex:
    input: str
    first_order: float
    total: float
    first_order_conf: float
    total_conf: float


# ---------------------------------------------------------------- the specification


def parse_uncertainty_spec(raw: Any, base: PipelineConfig, tree: IndexTree, source: str = "spec") -> UncertaintySpec:
    """``{samples, seed, [sobol_samples], vary: {step.option: [values], step: [blocks], weights: {noise}}}``."""
    if not isinstance(raw, Mapping):
        raise HizoneError("expected a mapping with samples, seed and vary", where=source)
    unknown = set(raw) - {"samples", "seed", "vary", "sobol_samples"}
    if unknown:
        raise HizoneError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", where=source)
    samples = _positive_int(raw.get("samples", 100), "samples", source)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise HizoneError(f"seed must be a whole number, not {seed!r}", where=source)
    vary = raw.get("vary", {})
    if not isinstance(vary, Mapping) or not vary:
        raise HizoneError("'vary' must map inputs to their alternatives", where=source)
    if base.step("aggregate") is None:
        raise HizoneError("the pipeline has no aggregate step, so there is no index to rank", where=source)
    discrete: list[DiscreteInput] = []
    noise: list[NoiseInput] = []
    for key, value in vary.items():
        where = f"{source}, vary {key!r}"
        if key == "weights":
            noise.extend(_parse_noise(value, tree, where))
        else:
            discrete.append(_parse_discrete(str(key), value, base, where))
    sobol_samples = _positive_int(raw.get("sobol_samples", 256), "sobol_samples", source)
    return UncertaintySpec(samples, seed, tuple(discrete), tuple(noise), sobol_samples)


def _positive_int(value: Any, key: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HizoneError(f"{key} must be a whole number >= 1, not {value!r}", where=source)
    return value


def _parse_discrete(key: str, value: Any, base: PipelineConfig, where: str) -> DiscreteInput:
    if not isinstance(value, list) or not value:
        raise HizoneError("expected a list of alternatives", where=where)
    step_name, _, option = key.partition(".")
    if step_name not in STEP_NAMES:
        raise HizoneError(f"unknown step {step_name!r} (expected one of {', '.join(STEP_NAMES)})", where=where)
    base_step = base.step(step_name)
    if base_step is None and step_name != "weight":
        raise HizoneError(f"the pipeline has no {step_name!r} step to vary", where=where)
    base_block = to_block(base_step) if base_step is not None else {}
    # "step.option: [values]" varies one option of the base block; "step: [blocks]" replaces the block
    blocks = [{**base_block, option: alternative} for alternative in value] if option else list(value)
    return DiscreteInput(key, tuple(parse_step(step_name, block, where) for block in blocks))


def _parse_noise(value: Any, tree: IndexTree, where: str) -> list[NoiseInput]:
    if not isinstance(value, Mapping) or set(value) != {"noise"} or not isinstance(value["noise"], Mapping):
        raise HizoneError("expected {noise: {level: factor}}", where=where)
    inputs = []
    for level, factor in value["noise"].items():
        codes = tuple(code for code in tree.codes if tree.level[code] == level and code in tree.parent)
        if not codes:
            raise HizoneError(f"level {level!r} has no weighted nodes", where=where)
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 <= factor < 1:
            raise HizoneError(f"noise factor of level {level} must be in [0, 1), not {factor!r}", where=where)
        inputs.append(NoiseInput(int(level), float(factor), codes))
    return inputs


# ---------------------------------------------------------------- design points -> replications


@dataclass(frozen=True)
class _Replications:
    """The design decoded: a discrete choice per input and a weight multiplier per noisy node."""

    choices: np.ndarray  # replications × discrete inputs (alternative index)
    multipliers: FloatArray  # replications × tree codes


def _decode(design: FloatArray, spec: UncertaintySpec, tree: IndexTree) -> _Replications:
    n_discrete = len(spec.discrete)
    counts = np.array([len(d.alternatives) for d in spec.discrete], dtype=int)
    choices = np.minimum((design[:, :n_discrete] * counts).astype(int), counts - 1)
    multipliers = np.ones((len(design), len(tree.codes)))
    column = n_discrete
    for noise in spec.noise:
        for code in noise.codes:
            multipliers[:, tree.codes.index(code)] = 1.0 + noise.factor * (2.0 * design[:, column] - 1.0)
            column += 1
    return _Replications(choices, multipliers)


def _config_for(choice: Sequence[int], spec: UncertaintySpec, base: PipelineConfig) -> PipelineConfig:
    config = base
    for discrete, index in zip(spec.discrete, choice, strict=True):
        alternative = discrete.alternatives[index]
        if config.step(alternative.name) is None:  # a varied weight step the base did not have
            steps = list(config.steps)
            steps.insert(len(steps) - 1, alternative)
            config = PipelineConfig(tuple(steps))
        else:
            config = config.replace_step(alternative)
    return config


def _choice_groups(choices: np.ndarray) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    if choices.shape[1] == 0:
        yield (), np.arange(len(choices))
        return
    unique, inverse = np.unique(choices, axis=0, return_inverse=True)
    for k, row in enumerate(unique):
        yield tuple(int(v) for v in row), np.flatnonzero(inverse.ravel() == k)


# ---------------------------------------------------------------- vectorised evaluation


def evaluate_design(design: FloatArray, data: IndexData, tree: IndexTree, base: PipelineConfig,
                    spec: UncertaintySpec, source: str = "spec") -> FloatArray:
    """Top-level index scores, replications × units (all units of ``data``; NaN where screened out)."""
    decoded = _decode(design, spec, tree)
    scores = np.full((len(design), len(data.unit_codes)), np.nan)
    cache: dict[PipelineConfig, PipelineResult] = {}
    for choice, rows in _choice_groups(decoded.choices):
        config = _config_for(choice, spec, base)
        if config not in cache:
            label = ", ".join(f"{d.name} choice {k + 1}" for d, k in zip(spec.discrete, choice, strict=True))
            cache[config] = run_pipeline(data, tree, config, source=f"{source} (replications with {label})")
        result = cache[config]
        aggregate = config.step("aggregate")
        assert isinstance(aggregate, AggregateConfig)
        base_weights = np.array([result.weights[code] for code in tree.codes])
        normalised = result.stage("normalised")
        positions = np.array([data.unit_codes.index(unit) for unit in normalised.unit_codes], dtype=int)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            weights = decoded.multipliers[chunk] * base_weights
            root = aggregate_replications(normalised.values, tree, weights, aggregate.method)
            scores[np.ix_(chunk, positions)] = root
    return scores


def aggregate_replications(values: FloatArray, tree: IndexTree, weights: FloatArray, method: str) -> FloatArray:
    """Aggregate one units × indicators table under many weight sets at once.

    ``weights`` is replications × tree codes; returns the top index, replications × units. Indicator
    columns are shared by every replication, so the first level is a matrix product per aggregate.
    """
    transform, combine = _METHODS[method]
    code_index = {code: i for i, code in enumerate(tree.codes)}
    shared: dict[str, FloatArray] = {code: values[:, j] for j, code in enumerate(tree.indicators)}
    per_replication: dict[str, FloatArray] = {}
    for _, parents in tree.aggregate_levels:
        for parent in parents:
            children = tree.children[parent]
            w = weights[:, [code_index[child] for child in children]]
            if all(child in shared for child in children):
                block = np.column_stack([shared[child] for child in children])  # units × children
                present = ~np.isnan(block)
                numerator = w @ np.where(present, transform(block), 0.0).T
                denominator = w @ present.T.astype(float)
            else:
                stacked = np.stack([np.broadcast_to(shared[child], (len(w), len(values)))
                                    if child in shared else per_replication[child] for child in children], axis=2)
                present = ~np.isnan(stacked)
                numerator = np.einsum("ruk,rk->ru", np.where(present, transform(stacked), 0.0), w)
                denominator = np.einsum("ruk,rk->ru", present.astype(float), w)
            with np.errstate(divide="ignore", invalid="ignore"):
                per_replication[parent] = np.where(denominator > 0, combine(numerator, denominator), np.nan)
    return per_replication[tree.root]


def _identity(x: FloatArray) -> FloatArray:
    return x


def _log(x: FloatArray) -> FloatArray:
    if np.any(x <= 0):
        raise HizoneError("geometric aggregation needs values > 0")
    return np.asarray(np.log(np.where(np.isnan(x), 1.0, x)))


def _reciprocal(x: FloatArray) -> FloatArray:
    if np.any(x == 0):
        raise HizoneError("harmonic aggregation needs values other than 0")
    return np.asarray(1.0 / x)


_METHODS = {
    "arithmetic": (_identity, lambda num, den: num / den),
    "geometric": (_log, lambda num, den: np.exp(num / den)),
    "harmonic": (_reciprocal, lambda num, den: den / num),
}


def rank_descending(scores: FloatArray) -> FloatArray:
    """Rank units within each replication (row): 1 = highest score, ties share the best rank, NaN stays NaN."""
    scores = np.atleast_2d(scores)
    keyed = np.where(np.isnan(scores), np.inf, -scores)  # missing scores sort last
    order = np.argsort(keyed, axis=1, kind="stable")
    ordered = np.take_along_axis(keyed, order, axis=1)
    new_value = np.ones(ordered.shape, dtype=bool)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first_of_tie = np.maximum.accumulate(np.where(new_value, np.arange(ordered.shape[1]), 0), axis=1)
    ranks = np.empty(scores.shape)
    np.put_along_axis(ranks, order, first_of_tie + 1.0, axis=1)
    ranks[np.isnan(scores)] = np.nan
    return ranks


# ---------------------------------------------------------------- uncertainty and sensitivity


def run_uncertainty(data: IndexData, tree: IndexTree, base: PipelineConfig, spec: UncertaintySpec,
                    source: str = "spec") -> UncertaintyResult:
    """Monte Carlo: ``samples`` uniformly random replications; rank statistics of the top index."""
    nominal = run_pipeline(data, tree, base, source=source)
    design = np.random.default_rng(spec.seed).random((spec.samples, spec.dimension))
    return _ranks_result(nominal, design, data, tree, base, spec, source)


def _ranks_result(nominal: PipelineResult, design: FloatArray, data: IndexData, tree: IndexTree,
                  base: PipelineConfig, spec: UncertaintySpec, source: str) -> UncertaintyResult:
    scores = evaluate_design(design, data, tree, base, spec, source)
    units = nominal.aggregated.unit_codes
    positions = [data.unit_codes.index(unit) for unit in units]
    ranks = rank_descending(scores)[:, positions]
    nominal_ranks = rank_descending(nominal.index_scores)[0]
    return UncertaintyResult(units, nominal_ranks, ranks, spec)


def sobol_problem(spec: UncertaintySpec) -> dict[str, Any]:
    groups = spec.input_groups
    names = [f"{group}#{k}" for k, group in enumerate(groups)]
    return {"num_vars": len(groups), "names": names, "bounds": [[0.0, 1.0]] * len(groups), "groups": groups}


def run_sobol(data: IndexData, tree: IndexTree, base: PipelineConfig, spec: UncertaintySpec,
              source: str = "spec") -> list[SobolIndex]:
    """First-order and total Sobol indices of the mean absolute rank shift from the nominal ranking."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = sobol_problem(spec)
    design = np.asarray(sobol_sample.sample(problem, spec.sobol_samples, calc_second_order=False,
                                            scramble=True, seed=spec.seed))
    nominal = run_pipeline(data, tree, base, source=source)
    result = _ranks_result(nominal, design, data, tree, base, spec, source)
    shift = np.nanmean(np.abs(result.ranks - result.nominal_ranks), axis=1)
    indices = sobol_analyze.analyze(problem, shift, calc_second_order=False, seed=spec.seed)
    inputs = list(dict.fromkeys(spec.input_groups))  # SALib reports groups in order of first appearance
    return [SobolIndex(name, float(indices["S1"][k]), float(indices["ST"][k]), float(indices["S1_conf"][k]),
                       float(indices["ST_conf"][k])) for k, name in enumerate(inputs)]


# ---------------------------------------------------------------- the plain baseline


def run_replications_one_by_one(design: FloatArray, data: IndexData, tree: IndexTree, base: PipelineConfig,
                                spec: UncertaintySpec) -> FloatArray:
    """The straightforward way: one full pipeline run per replication (a baseline and a cross-check)."""
    decoded = _decode(design, spec, tree)
    scores = np.full((len(design), len(data.unit_codes)), np.nan)
    for r in range(len(design)):
        config = _config_for(tuple(decoded.choices[r]), spec, base)
        weight_step = config.step("weight")
        weight_config = weight_step if isinstance(weight_step, WeightConfig) else WeightConfig()
        weighted = (run_pipeline(data, tree, config).weights if weight_config.method in DATA_DRIVEN
                    else static_weights(tree, weight_config))
        given = tuple((code, weighted[code] * float(decoded.multipliers[r, k])) for k, code in enumerate(tree.codes)
                      if code in weighted)
        steps = [step for step in config.steps if step.name != "weight"]
        steps.insert(len(steps) - 1, WeightConfig("given", given))
        result = run_pipeline(data, tree, PipelineConfig(tuple(steps)))
        positions = [data.unit_codes.index(unit) for unit in result.aggregated.unit_codes]
        scores[r, positions] = result.index_scores
    return scores

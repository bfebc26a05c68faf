"""Run a pipeline of named steps over an index data set, keeping every stage and the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hizone.errors import HizoneError
from hizone.evaluate import steps
from hizone.evaluate.config import (
    STAGES,
    AggregateConfig,
    ImputeConfig,
    NormaliseConfig,
    PipelineConfig,
    ScreenConfig,
    TreatConfig,
    WeightConfig,
)
from hizone.evaluate.data import FloatArray, IndexData
from hizone.evaluate.steps import Treatment
from hizone.evaluate.tree import IndexTree
from hizone.evaluate.weights import aggregate_tree, static_weights


@dataclass(frozen=True)
class Stage:
    """One named state of the data: a units × codes table."""

    name: str
    unit_codes: tuple[str, ...]
    codes: tuple[str, ...]
    values: FloatArray

    def column(self, code: str) -> FloatArray:
        return self.values[:, self.codes.index(code)]

    def row(self, unit: str) -> FloatArray:
        return self.values[self.unit_codes.index(unit)]


@dataclass(frozen=True)
class PipelineResult:
    """Every stage of a build plus what produced it: the configuration, tree, weights and treatments."""

    config: PipelineConfig
    tree: IndexTree
    data: IndexData  # the raw data of the units that remain after screening
    stages: Mapping[str, Stage]
    weights: Mapping[str, float]
    treatments: tuple[Treatment, ...]
    screened_out: tuple[str, ...]

    def stage(self, name: str) -> Stage:
        if name not in self.stages:
            raise HizoneError(f"unknown stage {name!r} (expected one of {', '.join(STAGES)})")
        return self.stages[name]

    @property
    def aggregated(self) -> Stage:
        return self.stages["aggregated"]

    @property
    def index_scores(self) -> FloatArray:
        """The top-level index of each remaining unit."""
        return self.aggregated.column(self.tree.root) if self.tree.root in self.aggregated.codes else np.array([])


def run_pipeline(data: IndexData, tree: IndexTree, config: PipelineConfig, source: str = "pipeline") -> PipelineResult:
    """Apply the configured steps in order; a stage whose step is left out equals the previous stage."""
    codes = tree.indicators
    stages: dict[str, Stage] = {"raw": Stage("raw", data.unit_codes, codes, data.values)}
    current = data
    values = data.values
    treatments: tuple[Treatment, ...] = ()
    screened_out: tuple[str, ...] = ()
    denominate = config.step("denominate")
    if denominate is not None:
        values = steps.denominate(current, tree)
    stages["denominated"] = Stage("denominated", current.unit_codes, codes, values)
    impute = config.step("impute")
    if isinstance(impute, ImputeConfig):
        values = steps.impute(values, impute, current.groups, where=f"{source}, step 'impute'")
    stages["imputed"] = Stage("imputed", current.unit_codes, codes, values)
    screen = config.step("screen")
    if isinstance(screen, ScreenConfig):
        keep = steps.screen(values, screen.min_availability)
        screened_out = tuple(code for code, kept in zip(current.unit_codes, keep, strict=True) if not kept)
        current, values = current.select_units(keep), values[keep]
    stages["screened"] = Stage("screened", current.unit_codes, codes, values)
    treat = config.step("treat")
    if isinstance(treat, TreatConfig):
        values, treatments = steps.treat(values, codes, treat)
    stages["treated"] = Stage("treated", current.unit_codes, codes, values)
    normalise = config.step("normalise")
    if isinstance(normalise, NormaliseConfig):
        values = steps.normalise(values, codes, tree, normalise, where=f"{source}, step 'normalise'")
    stages["normalised"] = Stage("normalised", current.unit_codes, codes, values)
    weight = config.step("weight")
    weight_config = weight if isinstance(weight, WeightConfig) else WeightConfig()
    aggregate = config.step("aggregate")
    if isinstance(aggregate, AggregateConfig):
        aggregates, weights = aggregate_tree(values, tree, aggregate.method, weight_config, current.unit_codes,
                                             where=f"{source}, step 'aggregate'")
        stages["aggregated"] = Stage("aggregated", current.unit_codes, tree.codes, np.hstack([values, aggregates]))
    else:
        weights = static_weights(tree, weight_config, where=f"{source}, step 'weight'")
        stages["aggregated"] = Stage("aggregated", current.unit_codes, codes, values)
    return PipelineResult(config, tree, current, stages, weights, treatments, screened_out)

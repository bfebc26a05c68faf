"""The composite-index engine (pure): an index tree, a table of units × indicators, and a pipeline of
named steps (denominate, impute, screen, treat, normalise, weight, aggregate) whose numbers match COINr's
where the names match. Uncertainty/sensitivity, analysis and unit reports build on a pipeline result."""

from hizone.evaluate.analysis import Correlation, GroupPCA, alpha_of, correlations, cronbach_alpha, pca_by_group
from hizone.evaluate.config import (
    STAGES,
    STEP_ORDER,
    AggregateConfig,
    DenominateConfig,
    ImputeConfig,
    NormaliseConfig,
    PipelineConfig,
    ScreenConfig,
    TreatConfig,
    WeightConfig,
    parse_pipeline,
    parse_step,
)
from hizone.evaluate.data import IndexData, table_from_records
from hizone.evaluate.pipeline import PipelineResult, Stage, run_pipeline
from hizone.evaluate.report import Gap, Score, UnitReport, unit_report
from hizone.evaluate.stats import kurtosis, skew_kurt, skewness
from hizone.evaluate.steps import Treatment
from hizone.evaluate.tree import IndexTree, tree_from_records
from hizone.evaluate.uncertainty import (
    SobolIndex,
    UncertaintyResult,
    UncertaintySpec,
    UnitRanks,
    parse_uncertainty_spec,
    rank_descending,
    run_sobol,
    run_uncertainty,
)

__all__ = [
    "STAGES",
    "STEP_ORDER",
    "AggregateConfig",
    "Correlation",
    "DenominateConfig",
    "Gap",
    "GroupPCA",
    "ImputeConfig",
    "IndexData",
    "IndexTree",
    "NormaliseConfig",
    "PipelineConfig",
    "PipelineResult",
    "Score",
    "ScreenConfig",
    "SobolIndex",
    "Stage",
    "TreatConfig",
    "Treatment",
    "UncertaintyResult",
    "UncertaintySpec",
    "UnitRanks",
    "UnitReport",
    "WeightConfig",
    "alpha_of",
    "correlations",
    "cronbach_alpha",
    "kurtosis",
    "parse_pipeline",
    "parse_step",
    "parse_uncertainty_spec",
    "pca_by_group",
    "rank_descending",
    "run_pipeline",
    "run_sobol",
    "run_uncertainty",
    "skew_kurt",
    "skewness",
    "table_from_records",
    "tree_from_records",
    "unit_report",
]

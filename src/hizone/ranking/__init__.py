"""The comprehensive evaluation of the zones (综合评价): frameworks from the catalog, indicator values from the
analytic tables, the composite-index engine for scores, ranks, rank changes and uncertainty, stored runs and
an .xlsx results workbook with gap reports."""

from hizone.ranking.compute import Evaluation, ResultRow, evaluate, gap_report, index_data
from hizone.ranking.framework import ROOT, Dimension, Framework, FrameworkIndicator, framework_for, load_framework
from hizone.ranking.service import Inputs, Outcome, StoredRun, read_inputs, run_evaluation, stored_run
from hizone.ranking.values import values_by_year, zone_indicator_values

__all__ = [
    "ROOT",
    "Dimension",
    "Evaluation",
    "Framework",
    "FrameworkIndicator",
    "Inputs",
    "Outcome",
    "ResultRow",
    "StoredRun",
    "evaluate",
    "framework_for",
    "gap_report",
    "index_data",
    "load_framework",
    "read_inputs",
    "run_evaluation",
    "stored_run",
    "values_by_year",
    "zone_indicator_values",
]

"""Statistical checks of an index build: correlations within and across levels, Cronbach's alpha per
aggregate, and principal components of each aggregate's children."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from hizone.evaluate.data import FloatArray
from hizone.evaluate.pipeline import PipelineResult


@dataclass(frozen=True)
class Correlation:
    code_a: str
    code_b: str
    level_a: int
    level_b: int
    relation: str  # "same level", "child of" (a is a child of b), "descendant of", "across levels"
    pearson: float
    units: int  # units with both values


@dataclass(frozen=True)
class GroupPCA:
    aggregate: str
    children: tuple[str, ...]
    eigenvalues: tuple[float, ...]  # of the children's correlation matrix, largest first
    explained: tuple[float, ...]  # share of variance per component
    first_loadings: tuple[float, ...]  # first component, signed so that the loadings sum to >= 0
    units: int


def pearson(x: FloatArray, y: FloatArray) -> tuple[float, int]:
    """Pearson correlation over the units where both are present (NaN if fewer than 3 or no spread)."""
    both = ~np.isnan(x) & ~np.isnan(y)
    n = int(both.sum())
    if n < 3:
        return math.nan, n
    dx, dy = x[both] - x[both].mean(), y[both] - y[both].mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return (float(dx @ dy) / denominator if denominator > 0 else math.nan), n


def correlations(result: PipelineResult) -> list[Correlation]:
    """Every pair of columns of the aggregated stage, labelled by how the two relate in the tree."""
    tree, stage = result.tree, result.aggregated
    found = []
    for a, b in itertools.combinations(stage.codes, 2):
        r, n = pearson(stage.column(a), stage.column(b))
        found.append(Correlation(a, b, tree.level[a], tree.level[b], _relation(result, a, b), r, n))
    return found


def _relation(result: PipelineResult, a: str, b: str) -> str:
    tree = result.tree
    if tree.level[a] == tree.level[b]:
        return "same level"
    if tree.parent.get(a) == b:
        return "child of"
    if b in tree.ancestors(a):
        return "descendant of"
    return "across levels"


def cronbach_alpha(result: PipelineResult) -> dict[str, float]:
    """Cronbach's alpha of each aggregate's children (units with every child present)."""
    tree, stage = result.tree, result.aggregated
    alphas = {}
    for aggregate in tree.aggregates:
        children = tree.children[aggregate]
        if not all(child in stage.codes for child in children):
            continue
        block = np.column_stack([stage.column(child) for child in children])
        alphas[aggregate] = alpha_of(block)
    return alphas


def alpha_of(block: FloatArray) -> float:
    """k/(k-1) · (1 - Σ var(item) / var(Σ items)), sample variances, complete rows only."""
    complete = block[~np.isnan(block).any(axis=1)]
    k = block.shape[1]
    if k < 2 or len(complete) < 2:
        return math.nan
    total_variance = float(np.var(complete.sum(axis=1), ddof=1))
    if total_variance == 0:
        return math.nan
    return k / (k - 1) * (1 - float(np.var(complete, axis=0, ddof=1).sum()) / total_variance)


def pca_by_group(result: PipelineResult) -> list[GroupPCA]:
    """Principal components of each aggregate's children (their correlation matrix, complete rows)."""
    tree, stage = result.tree, result.aggregated
    groups = []
    for aggregate in tree.aggregates:
        children = tree.children[aggregate]
        if len(children) < 2 or not all(child in stage.codes for child in children):
            continue
        block = np.column_stack([stage.column(child) for child in children])
        complete = block[~np.isnan(block).any(axis=1)]
        if len(complete) < 3 or np.any(complete.std(axis=0) == 0):
            continue
        values, vectors = np.linalg.eigh(np.corrcoef(complete, rowvar=False))
        order = np.argsort(values)[::-1]
        values, first = values[order], vectors[:, order[0]]
        first = first if first.sum() >= 0 else -first
        groups.append(GroupPCA(aggregate, children, tuple(float(v) for v in values),
                               tuple(float(v / values.sum()) for v in values), tuple(float(v) for v in first),
                               len(complete)))
    return groups

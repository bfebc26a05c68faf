"""Weights for aggregation: from iMeta, equal, user-given, or derived from the data (PCA, entropy),
and the level-by-level aggregation of the tree that uses them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from hizone.errors import HizoneError
from hizone.evaluate.config import WeightConfig
from hizone.evaluate.data import FloatArray
from hizone.evaluate.steps import aggregate_level, check_weights_usable
from hizone.evaluate.tree import IndexTree

DATA_DRIVEN = ("pca", "entropy")


def static_weights(tree: IndexTree, config: WeightConfig, where: str = "weight") -> dict[str, float]:
    """Weights known before seeing the data: iMeta's, all equal, or iMeta's overridden by given ones."""
    weights = dict.fromkeys(tree.weight, 1.0) if config.method == "equal" else dict(tree.weight)
    for code, weight in config.weights:
        if code not in weights:
            raise HizoneError(f"weight given for {code!r}, which is not an indicator or aggregate", where=where)
        weights[code] = weight
    check_weights_usable(weights, tree, where)
    return weights


def pca_weights(children: FloatArray) -> FloatArray:
    """Squared loadings of the first principal component of the children's correlations (sum to 1)."""
    complete = children[~np.isnan(children).any(axis=1)]
    if children.shape[1] == 1:
        return np.ones(1)
    if len(complete) < 3:
        raise HizoneError("PCA weights need at least 3 units with every value present")
    correlation = np.corrcoef(complete, rowvar=False)
    if not np.isfinite(correlation).all():
        raise HizoneError("PCA weights need children that vary across units")
    _, vectors = np.linalg.eigh(correlation)
    first = vectors[:, -1]  # eigh sorts eigenvalues ascending
    return np.asarray(first**2 / np.sum(first**2))


def entropy_weights(children: FloatArray) -> FloatArray:
    """The entropy method: children whose values are spread more unevenly weigh more.

    Values are shifted so each child's minimum is 0 (the method needs non-negative shares).
    """
    shifted = children - np.nanmin(children, axis=0)
    present = ~np.isnan(shifted)
    totals = np.nansum(shifted, axis=0)
    count = present.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(present, shifted / totals, 0.0)
        plogp = np.where(shares > 0, shares * np.log(shares), 0.0)
        entropy = -plogp.sum(axis=0) / np.log(count)
    # a child with no spread carries no information: it gets no weight
    diversity = np.where(np.isfinite(entropy) & (totals > 0), 1.0 - entropy, 0.0)
    if diversity.sum() <= 0:
        return np.full(children.shape[1], 1.0 / children.shape[1])
    return np.asarray(diversity / diversity.sum())


def aggregate_tree(values: FloatArray, tree: IndexTree, method: str, config: WeightConfig,
                   unit_codes: Sequence[str], where: str = "aggregate") -> tuple[FloatArray, dict[str, float]]:
    """Aggregate indicator columns level by level; return (units × aggregates, the weights used)."""
    weights = static_weights(tree, config, where)
    columns: dict[str, FloatArray] = {code: values[:, j] for j, code in enumerate(tree.indicators)}
    for _, parents in tree.aggregate_levels:
        child_codes = [child for parent in parents for child in tree.children[parent]]
        children = np.column_stack([columns[child] for child in child_codes])
        if config.method in DATA_DRIVEN:
            weights.update(_data_weights(config.method, children, child_codes, parents, tree))
        membership = _membership(child_codes, parents, tree.parent)
        child_weights = np.array([weights[child] for child in child_codes])
        aggregated = aggregate_level(children, child_weights, membership, method,
                                     names=(unit_codes, child_codes), where=where)
        columns.update({parent: aggregated[:, k] for k, parent in enumerate(parents)})
    return np.column_stack([columns[code] for code in tree.aggregates]), weights


def _data_weights(method: str, children: FloatArray, child_codes: Sequence[str], parents: Sequence[str],
                  tree: IndexTree) -> dict[str, float]:
    derive = pca_weights if method == "pca" else entropy_weights
    found: dict[str, float] = {}
    for parent in parents:
        positions = [j for j, child in enumerate(child_codes) if tree.parent[child] == parent]
        derived = derive(children[:, positions])
        found.update({child_codes[j]: float(w) for j, w in zip(positions, derived, strict=True)})
    return found


def _membership(child_codes: Sequence[str], parents: Sequence[str], parent_of: Mapping[str, str]) -> FloatArray:
    index = {parent: k for k, parent in enumerate(parents)}
    membership = np.zeros((len(child_codes), len(parents)))
    for j, child in enumerate(child_codes):
        membership[j, index[parent_of[child]]] = 1.0
    return membership


def effective_weights(tree: IndexTree, weights: Mapping[str, float]) -> dict[str, float]:
    """Each indicator's share of the top index under arithmetic aggregation with no missing values."""
    shares: dict[str, float] = {}
    for indicator in tree.indicators:
        share, code = 1.0, indicator
        while code in tree.parent:
            parent = tree.parent[code]
            siblings = math.fsum(weights[child] for child in tree.children[parent])
            share *= weights[code] / siblings
            code = parent
        shares[indicator] = share
    return shares

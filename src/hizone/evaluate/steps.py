"""The data steps of an index build, each a pure function over a units × indicators array.

Where a step shares its name with COINr (v1.1.14) it computes COINr's numbers; the definitions are
in /work/shared/methods/composite-index.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hizone.errors import HizoneError
from hizone.evaluate.config import ImputeConfig, NormaliseConfig, TreatConfig
from hizone.evaluate.data import BoolArray, FloatArray, IndexData
from hizone.evaluate.stats import r_mean, skew_kurt
from hizone.evaluate.tree import IndexTree

# ---------------------------------------------------------------- denominate


def denominate(data: IndexData, tree: IndexTree) -> FloatArray:
    """Divide each indicator that names a Denominator in iMeta by that iData column."""
    values = data.values.copy()
    for column, code in enumerate(data.indicator_codes):
        denominator = tree.denominator.get(code)
        if denominator is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                values[:, column] = values[:, column] / data.denominators[denominator]
    values[~np.isfinite(values)] = np.nan  # a zero denominator gives no value, not infinity
    return values


# ---------------------------------------------------------------- impute


def impute(values: FloatArray, config: ImputeConfig, groups: Mapping[str, Sequence[str]],
           where: str = "impute") -> FloatArray:
    """Fill missing values with the column mean/median, overall or within the unit's group."""
    if config.method == "none":
        return values.copy()
    statistic = r_mean if config.method.endswith("mean") else _column_median
    if not config.method.startswith("group_"):
        return _fill_within(values, statistic)
    assert config.group is not None
    if config.group not in groups:
        known = ", ".join(groups) or "none"
        raise HizoneError(f"group {config.group!r} is not a Group column of iMeta (known: {known})", where=where)
    labels = np.asarray(groups[config.group])
    filled = values.copy()
    for label in sorted(set(groups[config.group])):  # np.unique of text would import numpy.ma
        members = labels == label
        filled[members] = _fill_within(values[members], statistic)
    return filled


def _column_median(columns: FloatArray) -> FloatArray:
    return np.asarray(np.nanmedian(columns, axis=0))


def _fill_within(values: FloatArray, statistic: Callable[[FloatArray], FloatArray]) -> FloatArray:
    missing = np.isnan(values)
    if not missing.any():
        return values.copy()
    filled = values.copy()
    fillable = missing & ~missing.all(axis=0)  # a column with no value in the group stays missing
    columns = np.flatnonzero(fillable.any(axis=0))
    centre = statistic(values[:, columns])
    rows, positions = np.nonzero(fillable[:, columns])
    filled[rows, columns[positions]] = centre[positions]
    return filled


# ---------------------------------------------------------------- screen


def availability(values: FloatArray) -> FloatArray:
    """Each unit's share of indicators with a value."""
    return np.asarray((~np.isnan(values)).mean(axis=1), dtype=float)


def screen(values: FloatArray, min_availability: float) -> BoolArray:
    """Units to keep: those whose data availability is not below the threshold."""
    return np.asarray(availability(values) >= min_availability)


# ---------------------------------------------------------------- treat


@dataclass(frozen=True)
class Treatment:
    """What the treat step did to one indicator (COINr's Dets_Table, in short)."""

    code: str
    skew_before: float
    kurtosis_before: float
    winsorised_points: int
    log_transformed: bool
    skew_after: float
    kurtosis_after: float
    passes: bool


def treat(values: FloatArray, codes: Sequence[str], config: TreatConfig) -> tuple[FloatArray, tuple[Treatment, ...]]:
    """COINr's default outlier treatment, all indicators at once.

    Failing indicators are winsorised one extreme value (with its ties) per round on the side of the skew,
    until they pass or max_points points are reassigned; those still failing get log_CT of their ORIGINAL
    values instead.
    """
    skew0, kurt0 = skew_kurt(values)
    passing = _passes(skew0, kurt0, config)
    treated = values.copy()
    counts = np.zeros(values.shape[1], dtype=int)
    if config.method == "winsorise":
        counts = _winsorise(treated, passing, skew0.copy(), kurt0.copy(), config)
        skew1, kurt1 = skew_kurt(treated)
        passing = _passes(skew1, kurt1, config)
    logged = ~passing & (config.fallback == "log_ct")
    if logged.any():
        treated[:, logged] = _log_ct(values[:, logged])
        counts[logged] = 0
    skew2, kurt2 = skew_kurt(treated)
    final_pass = _passes(skew2, kurt2, config)
    records = tuple(
        Treatment(code, float(skew0[i]), float(kurt0[i]), int(counts[i]), bool(logged[i]),
                  float(skew2[i]), float(kurt2[i]), bool(final_pass[i]))
        for i, code in enumerate(codes)
    )
    return treated, records


def _passes(skew: FloatArray, kurt: FloatArray, config: TreatConfig) -> BoolArray:
    # COINr leaves an indicator untreated when skew/kurtosis are undefined (too few values, no spread)
    undefined = np.isnan(skew) | np.isnan(kurt)
    return np.asarray(undefined | (np.abs(skew) < config.skew) | (kurt < config.kurtosis))


def _winsorise(treated: FloatArray, passing: BoolArray, skew: FloatArray, kurt: FloatArray,
               config: TreatConfig) -> np.ndarray:
    """Winsorise the failing columns of ``treated`` in place; return the count per column.

    The count follows COINr: the number of points now at the high cap plus those at the low cap.
    """
    n_columns = treated.shape[1]
    high_count = np.zeros(n_columns, dtype=int)
    low_count = np.zeros(n_columns, dtype=int)
    active = ~passing & (config.max_points > 0)
    while active.any():
        columns = np.flatnonzero(active)
        block = treated[:, columns]
        present = ~np.isnan(block)
        high_side = skew[columns] >= 0
        extreme = np.where(high_side, np.max(np.where(present, block, -np.inf), axis=0),
                           np.min(np.where(present, block, np.inf), axis=0))
        at_extreme = present & (block == extreme)
        others = present & ~at_extreme
        next_value = np.where(high_side, np.max(np.where(others, block, -np.inf), axis=0),
                              np.min(np.where(others, block, np.inf), axis=0))
        next_value = np.where(np.isfinite(next_value), next_value, extreme)  # all tied: nothing to move
        treated[:, columns] = np.where(at_extreme, next_value, block)
        reassigned = at_extreme.sum(axis=0)
        high_count[columns] = np.where(high_side, reassigned, high_count[columns])
        low_count[columns] = np.where(high_side, low_count[columns], reassigned)
        new_skew, new_kurt = skew_kurt(treated[:, columns])
        skew[columns], kurt[columns] = new_skew, new_kurt
        still_failing = ~_passes(new_skew, new_kurt, config)
        active[columns] = still_failing & (high_count[columns] + low_count[columns] < config.max_points)
    return high_count + low_count


def _log_ct(columns: FloatArray) -> FloatArray:
    """COINr's log_CT: log(x - min + 0.01 (max - min)), per column."""
    low = np.nanmin(columns, axis=0)
    high = np.nanmax(columns, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.log(columns - low + 0.01 * (high - low)))


# ---------------------------------------------------------------- normalise


def normalise(values: FloatArray, codes: Sequence[str], tree: IndexTree, config: NormaliseConfig,
              where: str = "normalise") -> FloatArray:
    """Apply directions (multiply by Direction), then the chosen normalisation, column by column."""
    directions = np.array([tree.direction[code] for code in codes])
    oriented = values * directions
    method = config.method
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "none":
            return oriented
        if method == "minmax":
            low, high = config.range
            minimum, maximum = _column_min(oriented), _column_max(oriented)
            return np.asarray((oriented - minimum) / (maximum - minimum) * (high - low) + low)
        if method == "zscore":
            mean = np.nanmean(oriented, axis=0)
            sd = np.nanstd(oriented, axis=0, ddof=1)
            return np.asarray((oriented - mean) / sd * config.sd + config.mean)
        if method == "rank":
            return rank_min(oriented)
        if method == "percentile_rank":
            count = (~np.isnan(oriented)).sum(axis=0)
            return np.asarray((rank_min(oriented) - 1) / (count - 1))
        if method == "dist2max":
            minimum, maximum = _column_min(oriented), _column_max(oriented)
            return np.asarray(1 - (maximum - oriented) / (maximum - minimum))
        if method == "dist2target":
            return _dist2target(oriented, codes, tree, directions, config.cap_max, where)
        return _goalposts(oriented, codes, tree, directions, config, where)


def rank_min(columns: FloatArray) -> FloatArray:
    """Rank within each column, 1 = smallest, ties share the lowest rank; NaN stays NaN."""
    ranks = np.full(columns.shape, np.nan)
    for j in range(columns.shape[1]):
        column = columns[:, j]
        present = ~np.isnan(column)
        ordered = np.sort(column[present])
        ranks[present, j] = np.searchsorted(ordered, column[present], side="left") + 1
    return ranks


def _column_min(values: FloatArray) -> FloatArray:
    return np.asarray(np.min(np.where(np.isnan(values), np.inf, values), axis=0))


def _column_max(values: FloatArray) -> FloatArray:
    return np.asarray(np.max(np.where(np.isnan(values), -np.inf, values), axis=0))


def _dist2target(oriented: FloatArray, codes: Sequence[str], tree: IndexTree, directions: FloatArray,
                 cap_max: bool, where: str) -> FloatArray:
    """COINr's n_dist2targ: (x - min)/(target - min) on direction-adjusted values and target."""
    missing = [code for code in codes if code not in tree.target]
    if missing:
        raise HizoneError(f"dist2target needs a Target in iMeta for {', '.join(missing)}", where=where)
    targets = np.array([tree.target[code] for code in codes]) * directions
    minimum = _column_min(oriented)
    scores = (oriented - minimum) / (targets - minimum)
    return np.asarray(np.minimum(scores, 1.0) if cap_max else scores)


def _goalposts(oriented: FloatArray, codes: Sequence[str], tree: IndexTree, directions: FloatArray,
               config: NormaliseConfig, where: str) -> FloatArray:
    """COINr's n_goalposts: (x - lower)/(upper - lower), goalposts flipped with the direction."""
    given = {code: (lower, upper) for code, lower, upper in config.goalposts}
    posts = np.array([given.get(code) or _meta_goalposts(tree, code, where) for code in codes])
    # flipping the values flips the goalposts too: lower becomes -upper and upper becomes -lower
    lower = np.where(directions > 0, posts[:, 0], -posts[:, 1])
    upper = np.where(directions > 0, posts[:, 1], -posts[:, 0])
    scores = (oriented - lower) / (upper - lower)
    if config.trunc:
        scores = np.clip(scores, 0.0, 1.0)
    return np.asarray(scores * config.scale)


def _meta_goalposts(tree: IndexTree, code: str, where: str) -> tuple[float, float]:
    extra = tree.extra_columns.get(code, {})
    try:
        return float(extra["goalpost_lower"]), float(extra["goalpost_upper"])
    except (KeyError, ValueError):
        raise HizoneError(f"no goalposts for {code!r}: give them in the step or as iMeta columns "
                          "goalpost_lower/goalpost_upper", where=where) from None


# ---------------------------------------------------------------- aggregate


def aggregate_level(children: FloatArray, weights: FloatArray, membership: FloatArray, method: str,
                    names: tuple[Sequence[str], Sequence[str]] | None = None,
                    where: str = "aggregate") -> FloatArray:
    """Aggregate child columns into parent columns: units × children -> units × parents.

    ``membership`` is children × parents (1 where the child belongs to the parent). Missing children are
    left out together with their weights, so the weights are re-normalised over what is present.
    """
    present = ~np.isnan(children)
    weighted = membership * weights[:, None]
    total_weight = present.astype(float) @ weighted
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "arithmetic":
            result = np.where(present, children, 0.0) @ weighted / total_weight
        elif method == "geometric":
            _refuse(children, present & (children <= 0), "geometric aggregation needs values > 0", names, where)
            result = np.exp(np.where(present, np.log(children), 0.0) @ weighted / total_weight)
        else:
            _refuse(children, present & (children == 0), "harmonic aggregation needs values other than 0",
                    names, where)
            result = total_weight / (np.where(present, 1.0 / children, 0.0) @ weighted)
    return np.asarray(np.where(total_weight > 0, result, np.nan))


def _refuse(children: FloatArray, bad: BoolArray, reason: str,
            names: tuple[Sequence[str], Sequence[str]] | None, where: str) -> None:
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        units, codes = names if names is not None else ([f"row {i + 1}" for i in range(len(children))],
                                                         [f"column {j + 1}" for j in range(children.shape[1])])
        raise HizoneError(f"{reason}; {codes[column]!r} of unit {units[row]!r} is {float(children[row, column])!r}",
                          where=where)


def check_weights_usable(weights: Mapping[str, float], tree: IndexTree, where: str) -> None:
    """Refuse negative weights and aggregates whose children all weigh zero."""
    for code, weight in weights.items():
        if weight < 0 or not math.isfinite(weight):
            raise HizoneError(f"weight {weight} of {code!r} is negative or not finite", where=where)
    for parent, children in tree.children.items():
        if all(weights[child] == 0 for child in children):
            raise HizoneError(f"all weights of the children of {parent!r} are zero", where=where)

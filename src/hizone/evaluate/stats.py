"""Skewness and kurtosis as e1071 type 2 (= Excel = COINr), and means as R computes them; column by column,
NaN ignored."""

from __future__ import annotations

import numpy as np

from hizone.evaluate.data import FloatArray


def skew_kurt(columns: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sample skewness and excess kurtosis of each column (NaN where too few values: 3 and 4)."""
    present = ~np.isnan(columns)
    n = present.sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, columns, 0.0).sum(axis=0) / n
        deviation = np.where(present, columns - mean, 0.0)
        squared = deviation * deviation
        sum2 = squared.sum(axis=0)
        sum3 = (squared * deviation).sum(axis=0)
        sum4 = (squared * squared).sum(axis=0)
        g = np.sqrt(n) * sum3 / sum2**1.5
        skew = g * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * sum4 / sum2**2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    skew[n < 3] = np.nan
    kurt[n < 4] = np.nan
    return skew, kurt


def skewness(values: FloatArray) -> float:
    return float(skew_kurt(values.reshape(-1, 1))[0][0])


def kurtosis(values: FloatArray) -> float:
    return float(skew_kurt(values.reshape(-1, 1))[1][0])


def r_mean(columns: FloatArray) -> FloatArray:
    """Each column's mean as R's ``mean()`` computes it, which COINr's mean imputation (``i_mean``,
    ``i_mean_grp``) calls: R's ``real_mean`` (src/main/summary.c) sums the values in order in extended
    precision (``LDOUBLE``), divides by n, adds the mean of the residuals summed the same way, and rounds to
    double. NumPy's double sum can end an ulp away: an imputed mean of 0.1, 0.2, 0.3 is 0.20000000000000004
    there and exactly 0.2 in R, so an observed 0.2 ties with it in COINr's ranks (R's ``rank(ties.method =
    "min")``) and not in ours. ``cumsum`` adds in order; NumPy's ``longdouble`` is the platform's long
    double, as R's ``LDOUBLE`` is."""
    present = ~np.isnan(columns)
    count = present.sum(axis=0)
    values = np.where(present, columns, 0.0).astype(np.longdouble)  # a missing value adds an exact zero
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.cumsum(values, axis=0)[-1] / count
        residuals = np.cumsum(np.where(present, values - mean, 0.0), axis=0)[-1]
        return np.asarray(mean + residuals / count, dtype=np.float64)


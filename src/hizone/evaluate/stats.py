"""Skewness and kurtosis as e1071 type 2 (= Excel = COINr), column by column, NaN ignored."""

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

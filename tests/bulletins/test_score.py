"""Matching extracted facts to an answer key: subject, unit, value within 1e-6 and overlapping spans; once each."""

from __future__ import annotations

import dataclasses

from hizone.bulletins.model import Fact
from hizone.bulletins.score import misses, score

KEY = Fact("b.txt", 10, 30, "Z4403", "深圳市高新技术产业园区", "high_tech_enterprise_count", 5450.0, "家",
           "2021-12-31", "", "")


def test_a_match_needs_subject_unit_value_and_overlap() -> None:
    same = dataclasses.replace(KEY, start=25, end=60, value=5450.000001, metric="", period="2021")
    result = score([same], [KEY])
    assert (result.recall, result.precision, result.metric_agrees, result.period_agrees) == (1.0, 1.0, 0, 0)
    for other in (dataclasses.replace(KEY, subject="national_zones"), dataclasses.replace(KEY, unit="个"),
                  dataclasses.replace(KEY, value=5451.0), dataclasses.replace(KEY, start=30, end=40)):
        assert score([other], [KEY]).matched == 0


def test_each_fact_matches_once() -> None:
    result = score([KEY, KEY], [KEY])
    assert (result.matched, result.recall, result.precision) == (1, 1.0, 0.5)
    missed, extra = misses([KEY, KEY], [KEY, dataclasses.replace(KEY, value=1.0)])
    assert [f.value for f in missed] == [1.0] and extra == [KEY]

"""Loading and validating evaluation frameworks: the shipped one, and one-line errors naming file and item."""

from __future__ import annotations

from pathlib import Path

import pytest

from hizone.errors import CatalogError
from hizone.ranking.framework import ROOT, find_framework, framework_for, load_framework
from tests.ranking.tiny import TINY_YAML, write_framework


def test_the_shipped_framework_loads_with_its_five_dimensions() -> None:
    framework = framework_for("zone_evaluation", 2021)
    assert framework.version == 2021
    assert [d.name_zh for d in framework.dimensions] == ["创新能力和创业活跃度", "结构优化和产业价值链",
                                                         "绿色发展和宜居包容性", "开放创新和国际竞争力",
                                                         "综合质效和持续创新力"]
    assert sum(d.weight for d in framework.dimensions) == 100
    assert len(framework.indicators) == 46
    assert len(framework.computable) == 24
    assert framework.tree.children["D1"] == ("I1_2", "I1_3", "I1_4", "I1_5", "I1_8")
    assert framework.tree.direction["I3_1"] == -1.0
    assert framework.tree.weight["I1_2"] == 1.2 and framework.tree.weight["D5"] == 30
    assert framework.tree.root == ROOT
    assert framework.uncertainty().samples == 500
    # later years use the newest version not after them; earlier years have none
    assert framework_for("zone_evaluation", 2023).path == framework.path
    with pytest.raises(CatalogError, match="no framework 'zone_evaluation' for 2019"):
        find_framework("zone_evaluation", 2019)


def test_a_framework_can_be_named_by_its_file(tmp_path: Path) -> None:
    path = write_framework(tmp_path)
    framework = framework_for(str(path), 2021)
    assert framework.code == "tiny"
    assert [i.code for i in framework.computable] == ["A1", "A2", "B1", "B2"]
    assert framework.indicator("B3").reason == "not collected"
    assert framework.config()["indicators"]["A2"]["change"] is True


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in TINY_YAML
    return write_framework(tmp_path, TINY_YAML.replace(old, new))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("A2: {dimension: A,", "A2: {dimension: C,", r"tiny-2020\.yaml:\d+, indicator 'A2': unknown dimension 'C'"),
    ("B: {name_zh: 效益, weight: 40}", "B: {name_zh: 效益, weight: 0}",
     r"tiny-2020\.yaml:\d+, dimension 'B': 'weight' must be positive, not 0"),
    ("B: {name_zh: 效益, weight: 40}", "B: {name_zh: 效益, weight: -5}",
     r"dimension 'B': 'weight' must be positive, not -5"),
    ("weight: 2, formula", "weight: -1, formula", r"indicator 'A1': 'weight' must be positive, not -1"),
    ("formula: rd_expenditure / revenue * 100", "formula: rd_expenditure / / revenue",
     r"tiny-2020\.yaml:\d+, indicator 'A1': expected a number, a name or '\(' at column 18"),
    ("formula: rd_expenditure, change", "formula: rd_spending, change",
     r"indicator 'A2': unknown name 'rd_spending'"),
    ("B1: {dimension: B,", "A1: {dimension: B,", r"tiny-2020\.yaml:\d+, indicator 'A1': duplicate code 'A1'"),
    ("B3: {dimension: B,", "A: {dimension: B,", r"indicator 'A': duplicate code 'A' \(also in dimensions"),
    ("direction: -1,", "direction: 2,", r"indicator 'B1': 'direction' must be 1 or -1, not 2"),
    ("B3: {dimension: B, name_zh: 绿地率, available: false, reason: not collected}",
     "B3: {dimension: B, name_zh: 绿地率}", r"indicator 'B3': has no formula"),
    ("  - aggregate: {method: arithmetic}", "  - aggregate: {method: median}", r"unknown method 'median'"),
    ("name_en: A tiny evaluation", "colour: blue", r"tiny-2020\.yaml: unknown key 'colour'"),
])
def test_mistakes_are_one_line_naming_file_and_item(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(CatalogError, match=expected) as caught:
        load_framework(path)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_dimension_without_computable_indicators_is_refused(tmp_path: Path) -> None:
    text = TINY_YAML.replace("B1: {dimension: B,", "B1: {dimension: A,").replace("B2: {dimension: B,",
                                                                                  "B2: {dimension: A,")
    with pytest.raises(CatalogError, match=r"dimension 'B': no computable indicator"):
        load_framework(write_framework(tmp_path, text))


def test_the_duplicate_line_is_the_second_occurrence(tmp_path: Path) -> None:
    path = _broken(tmp_path, "B1: {dimension: B,", "A1: {dimension: B,")
    lines = path.read_text(encoding="utf-8").splitlines()
    second = [n for n, line in enumerate(lines, start=1) if line.strip().startswith("A1:")][1]
    with pytest.raises(CatalogError, match=rf"tiny-2020\.yaml:{second}, indicator 'A1'"):
        load_framework(path)

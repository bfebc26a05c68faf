"""Pathways, warning levels and carbon-efficiency grades against values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hizone.carbon.pathways import default_targets, grades, load_targets
from hizone.errors import CatalogError


def test_the_energy_path_runs_straight_to_the_target_and_the_co2_path_falls_four_percent_a_year() -> None:
    targets = default_targets()
    # base 0.6 tce/万元 in 2021, target 0.4 in 2025: 0.05 a year.
    assert [targets.energy_path(2021, 0.6, y) for y in (2021, 2023, 2025, 2027)] == pytest.approx([0.6, 0.5, 0.4, 0.4])
    assert targets.energy_path(2021, 0.3, 2023) == pytest.approx(0.3)  # already below: its own level is its ceiling
    assert targets.co2_path(2021, 2.0, 2023) == pytest.approx(2.0 * 0.96 * 0.96)


@pytest.mark.parametrize(("yoy", "energy", "path", "level"), [
    (1.0, 0.3, 0.5, "red"),      # intensity rose: 不降反升
    (0.0, 0.3, 0.5, "red"),      # flat counts as not falling
    (-5.0, 0.55, 0.5, "red"),    # fell fast enough, but energy intensity is above the path
    (-2.0, 0.45, 0.5, "yellow"),  # fell 2% where the path asks 4%
    (-4.0, 0.45, 0.5, "green"),  # exactly on the path
    (None, None, None, "green"),  # a first year: nothing to compare
])
def test_warning_levels_in_the_manner_of_the_barometer(yoy: float | None, energy: float | None,
                                                       path: float | None, level: str) -> None:
    targets = default_targets()
    assert targets.warning(targets.measures(yoy, energy, path)).level == level


def test_grades_compare_each_enterprise_with_its_industrys_sum_over_sum() -> None:
    # industry A: CO2 10 + 30 + 60 = 100 t over 100 + 100 + 100 万元 = 0.333 t/万元; K = 0.3, 0.9, 1.8.
    # industry B: one enterprise, K = 1; one without value added is not graded.
    k, grade = grades(np.array([10.0, 30, 60, 5, 7]), np.array([100.0, 100, 100, 50, 0]), ["A", "A", "A", "B", "B"],
                      default_targets().grade_bounds)
    assert k[:4] == pytest.approx([0.3, 0.9, 1.8, 1.0])
    assert np.isnan(k[4])
    assert grade.tolist() == [1, 3, 4, 3, 0]


def test_a_targets_file_whose_last_level_has_a_condition_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "src/hizone/catalog/data/carbon/targets.yaml").read_text("utf-8")
    conditioned = "      name_en: Green\n      any: [{measure: co2_intensity_yoy, below: 0}]\n"
    (tmp_path / "targets.yaml").write_text(text.replace("      name_en: Green — on track\n", conditioned),
                                           encoding="utf-8")
    with pytest.raises(CatalogError, match="the last level must have no condition"):
        load_targets([tmp_path])

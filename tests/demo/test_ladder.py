"""The demo's ladder: its lists land on calibration.yaml's bands, each listed enterprise's own reported figures agree
with the ladder rules of its rung (the same engine the ladder pages use), and the zones' ladders move."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine

from hizone.analytics.read import Viewer
from hizone.catalog import default_catalog, read_yaml
from hizone.demo import DemoData, generate, load
from hizone.demo.generate import CALIBRATION
from hizone.demo.ladder import Reports, held_at_year_end, meets_gazelle
from hizone.ladder.assess import assess_tech_sme
from hizone.ladder.rules import gazelle_rules, report_mapping, rules_for
from hizone.ladder.service import stage_counts, transitions, zone_stages
from hizone.ladder.stages import LIST_KINDS, EnterpriseStages, enterprise_stages, firm_from_reports
from hizone.registry import load_provinces, load_zones
from tests.web.conftest import make_app

LADDER = read_yaml(CALIBRATION)["ladder"]
BANDS = LADDER["bands"]
YEAR = 2023
SAMPLE = 600  # enterprises per rung whose stages are recomputed (every one for the short lists)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    # The demo's own size: at 3 000 enterprises almost none is small enough for the size-limited rungs.
    return generate(default_catalog(), load_provinces(), load_zones(), enterprises=20_000, seed=2021)


@pytest.fixture(scope="module")
def held(demo: DemoData) -> dict[str, dict[int, np.ndarray]]:
    rows = list(zip(demo.qualifications.enterprise.tolist(), demo.qualifications.kind, demo.qualifications.valid_from,
                    demo.qualifications.valid_to, demo.qualifications.detail, strict=True))
    years = sorted(demo.annual)
    return {kind: held_at_year_end(rows, kind, years, len(demo.enterprises)) for kind in (*LIST_KINDS, "listed")}


def _reporting(demo: DemoData, year: int) -> np.ndarray:
    return ~np.isnan(demo.annual[year][:, demo.annual_elements.index("revenue")])


def _share(demo: DemoData, held: dict[str, dict[int, np.ndarray]], kind: str, year: int = YEAR) -> float:
    reporting = _reporting(demo, year)
    return float((held[kind][year] & reporting).sum() / reporting.sum())


def _within(value: float, band: list[float]) -> bool:
    return band[0] <= value <= band[1]


def test_the_counts_land_in_the_calibrated_bands(demo: DemoData, held: dict[str, dict[int, np.ndarray]]) -> None:
    for kind, band in (("high_tech", "high_tech_share"), ("gazelle", "gazelle_share"), ("srdi", "srdi_share"),
                       ("little_giant", "little_giant_share")):
        assert _within(_share(demo, held, kind), BANDS[band]), (kind, _share(demo, held, kind))
    assert held["little_giant"][YEAR].sum() < held["srdi"][YEAR].sum()
    assert not (held["little_giant"][YEAR] & ~held["srdi"][YEAR]).any()  # a 小巨人 is a 专精特新


def test_tech_smes_meet_the_ratio_or_take_every_possible_one(demo: DemoData,
                                                             held: dict[str, dict[int, np.ndarray]]) -> None:
    """The listed are never ruled out by the assessment on their reports; the count is the calibrated ratio to the
    高企, or every enterprise not ruled out when fewer are (calibration.yaml: the demo's enterprises are large)."""
    reports, rules, mapping = Reports(demo.annual, demo.annual_elements), rules_for(YEAR), report_mapping(YEAR)
    assert rules is not None and mapping is not None
    possible = np.array([assess_tech_sme(firm_from_reports("", YEAR, reports.enterprise(i, YEAR), mapping),
                                         rules.tech_sme).eligible is not False if reporting else False
                         for i, reporting in enumerate(_reporting(demo, YEAR))])
    listed = held["tech_sme"][YEAR]
    assert listed.sum() > 0 and not (listed & ~possible).any()
    ratio = listed.sum() / held["high_tech"][YEAR].sum()
    assert _within(ratio, BANDS["tech_sme_per_high_tech"]) or listed.sum() == possible.sum(), ratio


def test_few_young_unicorns_in_the_zones_the_lists_name(demo: DemoData) -> None:
    q = demo.qualifications
    found = [int(i) for i, kind in zip(q.enterprise, q.kind, strict=True) if kind == "unicorn"]
    assert len(found) == round(LADDER["unicorn"]["national"] * demo.scale)
    zones = {demo.zones[int(demo.enterprises.zone[i])].code for i in found}
    assert zones <= set(BANDS["unicorn_zones"]) and "Z1101" in zones
    founded = demo.enterprises.founded.astype("datetime64[Y]").astype(int) + 1970
    assert all(YEAR - founded[i] <= LADDER["unicorn"]["max_age"] for i in found)
    listed = {int(i) for i, kind in zip(q.enterprise, q.kind, strict=True) if kind == "listed"}
    assert not listed & set(found)  # privately funded, not listed


def test_every_recognition_has_a_validity_period(demo: DemoData) -> None:
    q = demo.qualifications
    for kind, start, end in zip(q.kind, q.valid_from, q.valid_to, strict=True):
        assert kind == "listed" or (end is not None and end >= start), kind
    lengths = {(kind, (end.year - start.year + 1) if end else None)
               for kind, start, end in zip(q.kind, q.valid_from, q.valid_to, strict=True)}
    assert ("high_tech", 3) in lengths and ("gazelle", 1) in lengths and ("srdi", 3) in lengths


def _stages(demo: DemoData, held: dict[str, dict[int, np.ndarray]], index: int, year: int) -> EnterpriseStages:
    rules, mapping = rules_for(year), report_mapping(year)
    zone = demo.zones[int(demo.enterprises.zone[index])].code
    gazelle = gazelle_rules(year, zone)
    assert rules is not None and mapping is not None and gazelle is not None
    reports = Reports(demo.annual, demo.annual_elements).enterprise(index, year)
    flags = {kind: bool(held[kind][year][index]) for kind in LIST_KINDS}
    founded = int(demo.enterprises.founded[index].astype("datetime64[Y]").astype(int)) + 1970
    return enterprise_stages(str(demo.enterprises.credit_code[index]), zone, year, reports, flags, rules, mapping,
                             gazelle, founded)


def _sample(mask: np.ndarray, seed: int) -> list[int]:
    found = np.flatnonzero(mask)
    return sorted(np.random.default_rng(seed).choice(found, min(SAMPLE, len(found)), replace=False).tolist())


@pytest.mark.parametrize("kind", ["high_tech", "tech_sme", "gazelle"])
def test_the_listed_pass_their_rung_on_their_own_figures(demo: DemoData, held: dict[str, dict[int, np.ndarray]],
                                                         kind: str) -> None:
    """What the reports can check of the rung never contradicts the list (the pages show list and data side by
    side); a 瞪羚's growth and R&D are all on the report, so it passes outright."""
    for index in _sample(held[kind][YEAR] & _reporting(demo, YEAR), 1):
        status = next(s for s in _stages(demo, held, index, YEAR).stages if s.stage == kind)
        assert status.listed is True
        failed = [c.code for c in status.criteria if c.passed is False]
        assert status.by_data is not False and not failed, (index, failed)
        if kind == "gazelle":
            assert status.by_data is True
        if kind == "high_tech" and all(not np.isnan(demo.annual[y][index, 0]) for y in range(YEAR - 2, YEAR + 1)):
            passed = {c.code for c in status.criteria if c.passed}
            assert {"rd_ratio", "hitech_revenue"} <= passed, (index, status.criteria)


def test_gazelles_are_the_ones_that_meet_the_definition(demo: DemoData, held: dict[str, dict[int, np.ndarray]]
                                                        ) -> None:
    reports = Reports(demo.annual, demo.annual_elements)
    founded = demo.enterprises.founded.astype("datetime64[Y]").astype(int) + 1970
    rules = gazelle_rules(YEAR)
    assert rules is not None
    meets = meets_gazelle(reports, YEAR, rules, founded)
    national = np.array([gazelle_rules(YEAR, demo.zones[int(z)].code) == rules for z in demo.enterprises.zone])
    assert not (held["gazelle"][YEAR] & national & ~meets).any()
    assert meets.sum() >= held["gazelle"][YEAR].sum()


def test_a_zones_ladder_moves_from_year_to_year(demo: DemoData, held: dict[str, dict[int, np.ndarray]]) -> None:
    zone = [z.code for z in demo.zones].index("Z1101")
    members = np.flatnonzero(demo.enterprises.zone == zone)

    def ladder(year: int) -> list[EnterpriseStages]:
        return [_stages(demo, held, int(i), year) for i in members if _reporting(demo, year)[i]]

    moves = transitions(ladder(YEAR - 1), ladder(YEAR))
    assert moves["up"] and moves["down"] and moves["same"]
    assert len(moves["same"]) > len(moves["up"]) + len(moves["down"])  # a ladder, not a lottery


def test_it_is_all_marked_synthetic(demo: DemoData) -> None:
    assert all(name.endswith("（合成）") for name in demo.enterprises.name)
    for kind in ("tech_sme", "gazelle", "srdi", "little_giant", "unicorn"):
        assert LADDER[kind]["basis"], kind  # where each count comes from


def test_the_loaded_demo_gives_the_zone_ladder_counts_and_moves(engine: Engine) -> None:
    """Through the store and the read path, as the zone ladder page reads it (a smaller demo: the store is real)."""
    small = generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)
    load(engine, small, default_catalog())
    app = make_app(engine)
    reader = app.state.figures.get()
    zone = "Z1101"
    now = zone_stages(reader, [zone], YEAR, Viewer.everyone())
    before = zone_stages(reader, [zone], YEAR - 1, Viewer.everyone())
    counts = {c.stage: c for c in stage_counts(now)}
    members = np.flatnonzero(small.enterprises.zone == [z.code for z in small.zones].index(zone))
    reporting = members[_reporting(small, YEAR)[members]]
    assert len(now) == len(reporting)
    rows = list(zip(small.qualifications.enterprise.tolist(), small.qualifications.kind,
                    small.qualifications.valid_from, small.qualifications.valid_to, small.qualifications.detail,
                    strict=True))
    for kind in ("high_tech", "gazelle", "srdi"):
        expected = int(held_at_year_end(rows, kind, [YEAR], len(small.enterprises))[YEAR][reporting].sum())
        assert counts[kind].listed == expected > 0, kind
    moves = transitions(before, now)
    assert moves["up"] and moves["same"]

"""Disclosure control against suppression patterns worked out by hand (the pure engine and its catalog rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hizone.analytics.disclosure import (
    COMPLEMENTARY,
    Cell,
    DisclosureRules,
    Dominance,
    Relation,
    combine,
    primary_reason,
    recoverable,
    suppress,
)
from hizone.analytics.disclosure_rules import disclosure_rules, load_disclosure_rules
from hizone.errors import CatalogError

RULES = DisclosureRules("test", 2019, {"zone": 3, "enterprise": 3},
                        (Dominance("enterprise", 1, 60), Dominance("enterprise", 2, 85), Dominance("zone", 1, 75)))


def zone(*enterprises: float) -> Cell:
    """A zone's cell from its enterprises' values."""
    return Cell(sum(enterprises), {"zone": 1, "enterprise": len(enterprises)},
                {"enterprise": tuple(sorted(enterprises, reverse=True)[:2]), "zone": (sum(enterprises),)})


def test_threshold_and_dominance_reasons() -> None:
    assert primary_reason(zone(10, 10, 10), RULES) == "min_zones"  # one zone
    three = combine([zone(10, 10, 10), zone(10, 10, 10), zone(10, 10, 10)], keep=2)
    assert three.contributors == {"zone": 3, "enterprise": 9} and three.largest["enterprise"] == (10, 10)
    assert primary_reason(three, RULES) is None
    assert primary_reason(combine([zone(1), zone(1), zone(1)], 2), RULES) is None  # 3 of each: enough
    assert primary_reason(combine([zone(5), zone(5)], 2), RULES) == "min_zones"
    # 61 of 100 in one enterprise: (1, 60) fails.
    assert primary_reason(combine([zone(61, 3), zone(12, 12), zone(12)], 2), RULES) == "dominance_enterprise"
    # 50 + 36 = 86 of 100 in two: (2, 85) fails though no single one holds 60.
    assert primary_reason(combine([zone(50, 1), zone(36, 1), zone(12)], 2), RULES) == "dominance_enterprise"
    # One zone holding 80 % through many small enterprises: the zone rule.
    assert primary_reason(combine([zone(*[8.0] * 10), zone(10), zone(5, 5)], 2), RULES) == "dominance_zone"
    # A table that does not count enterprises (zone monthly reports) is judged on zones only.
    assert primary_reason(Cell(30, {"zone": 3}, {"zone": (10, 10)}), RULES) is None
    assert primary_reason(Cell(0, {"zone": 0, "enterprise": 0}), RULES) is None  # nothing to protect


def _published(values: dict[str, float], counts: dict[str, int]) -> dict[str, Cell]:
    """Cells with the given totals and zone counts, enterprises plenty and none dominant."""
    return {key: Cell(value, {"zone": counts[key], "enterprise": 10 * counts[key]},
                      {"enterprise": (value / 20, value / 20)}) for key, value in values.items()}


# A nation of three provinces; province A has two zones (below the threshold), B and C three each.
TREE = [Relation("N", ("A", "B", "C")), Relation("A", ("a1", "a2")), Relation("B", ("b1", "b2", "b3")),
        Relation("C", ("c1", "c2", "c3"))]
VALUES = {"N": 300, "A": 40, "B": 160, "C": 100, "a1": 30, "a2": 10, "b1": 60, "b2": 50, "b3": 50,
          "c1": 40, "c2": 30, "c3": 30}
COUNTS = {"N": 8, "A": 2, "B": 3, "C": 3, **{k: 1 for k in VALUES if len(k) == 2}}
ZONES = {k: "min_zones" for k in VALUES if len(k) == 2}


def test_primary_suppression_alone_would_let_a_province_be_recovered_by_subtraction() -> None:
    cells = _published(VALUES, COUNTS)
    primary = {k for k, c in cells.items() if primary_reason(c, RULES)}
    assert primary == {"A", *ZONES}
    assert recoverable(TREE, primary) == {"A"}  # A = N − B − C
    found = suppress(cells, TREE, RULES)
    # The smaller sibling, C (100 < 160), is suppressed beside A; N and B stay published.
    assert found == {"A": "min_zones", "C": COMPLEMENTARY, **ZONES}
    assert recoverable(TREE, set(found)) == set()


def test_a_viewer_who_knows_a_sibling_gets_another_suppressed() -> None:
    """A province-C user sees C and its zones: C cannot hide A from it, so B is suppressed."""
    known = {"C", "c1", "c2", "c3"}
    found = suppress(_published(VALUES, COUNTS), TREE, RULES, known)
    assert found == {"A": "min_zones", "B": COMPLEMENTARY, "a1": "min_zones", "a2": "min_zones",
                     "b1": "min_zones", "b2": "min_zones", "b3": "min_zones"}
    assert recoverable(TREE, set(found)) == set()


def test_what_a_viewer_works_out_from_its_own_zone_is_not_hidden_from_it() -> None:
    """A zone user whose province has no other zone knows the province's total: it is shown to it, and
    nothing else is suppressed on its account (hiding it would only spread suppressions to no purpose)."""
    relations = [Relation("N", ("P", "Q", "R")), Relation("P", ("p1",)), Relation("Q", ("q1", "q2", "q3")),
                 Relation("R", ("r1", "r2", "r3"))]
    values = {"N": 100, "P": 10, "Q": 40, "R": 50, "p1": 10, "q1": 10, "q2": 10, "q3": 20, "r1": 20, "r2": 20,
              "r3": 10}
    counts = {"N": 7, "P": 1, "Q": 3, "R": 3, **{k: 1 for k in values if len(k) == 2}}
    cells = _published(values, counts)
    assert suppress(cells, relations, RULES, known={"p1"}) == {k: "min_zones" for k in values
                                                               if len(k) == 2 and k != "p1"}
    # The public knows neither: P and p1 hide each other, and Q (smaller than R) hides P from N − Q − R.
    assert suppress(cells, relations, RULES) == {"P": "min_zones", "Q": COMPLEMENTARY,
                                                 **{k: "min_zones" for k in values if len(k) == 2}}


def test_when_every_sibling_is_known_the_total_is_suppressed() -> None:
    relations = [Relation("R", ("A", "B")), Relation("A", ("a1", "a2")), Relation("B", ("b1", "b2", "b3"))]
    values = {k: VALUES[k] for k in ("A", "B", "a1", "a2", "b1", "b2", "b3")} | {"R": 200}
    counts = {k: COUNTS[k] for k in values if k != "R"} | {"R": 5}
    found = suppress(_published(values, counts), relations, RULES, known={"B", "b1", "b2", "b3"})
    assert found == {"A": "min_zones", "R": COMPLEMENTARY, "a1": "min_zones", "a2": "min_zones"}


def test_a_province_of_one_zone_is_suppressed_with_it_and_an_empty_cell_is_not() -> None:
    relations = [Relation("N", ("P", "Q", "E")), Relation("P", ("p1",)), Relation("Q", ("q1", "q2", "q3")),
                 Relation("E", ())]
    cells = _published({"N": 100, "P": 40, "Q": 60, "p1": 40, "q1": 20, "q2": 20, "q3": 20},
                       {"N": 4, "P": 1, "Q": 3, "p1": 1, "q1": 1, "q2": 1, "q3": 1})
    cells["E"] = Cell(0, {"zone": 0, "enterprise": 0})  # a province whose zones reported nothing
    found = suppress(cells, relations, RULES)
    # P alone would be N − Q − E (E is a known zero): Q goes too, though it passes the rules itself.
    assert found == {"P": "min_zones", "p1": "min_zones", "Q": COMPLEMENTARY, "q1": "min_zones",
                     "q2": "min_zones", "q3": "min_zones"}


def test_overlapping_groups_are_protected_beyond_one_relation_at_a_time() -> None:
    """Totals of a+b, b+c and a+c: with a, b and c suppressed every relation hides two cells, yet
    a = ((a+b) − (b+c) + (a+c)) / 2. The engine finds that and suppresses one total more."""
    relations = [Relation("ab", ("a", "b")), Relation("bc", ("b", "c")), Relation("ac", ("a", "c"))]
    assert recoverable(relations, {"a", "b", "c"}) == {"a", "b", "c"}
    counts = {"a": 1, "b": 3, "c": 3, "ab": 4, "bc": 6, "ac": 4}
    cells = _published({"a": 10, "b": 20, "c": 30, "ab": 30, "bc": 50, "ac": 40}, counts)
    found = suppress(cells, relations, RULES)
    assert found == {"a": "min_zones", "b": COMPLEMENTARY, "c": COMPLEMENTARY, "ab": COMPLEMENTARY}
    assert recoverable(relations, set(found)) == set()


def test_the_catalog_rules_are_versioned_and_checked(tmp_path: Path) -> None:
    rules = disclosure_rules(2023)
    assert rules.version == 2019 and rules.min_contributors == {"zone": 3, "enterprise": 3}
    assert rules.largest_needed == 2
    with pytest.raises(CatalogError, match="no disclosure rules"):
        disclosure_rules(2010)
    bad = tmp_path / "aggregates-2024.yaml"
    bad.write_text("code: aggregates\nversion: 2024\ndominance:\n  - {contributor: zone, n: 1, k: 120}\n",
                   encoding="utf-8")
    with pytest.raises(CatalogError, match="percentage") as raised:
        load_disclosure_rules(bad)
    assert "dominance[0].k" in str(raised.value.where)
    bad.write_text("code: aggregates\nversion: 2024\nmin_contributors: {city: 3}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown kind of contributor"):
        load_disclosure_rules(bad)

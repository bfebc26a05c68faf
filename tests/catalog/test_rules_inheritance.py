"""A form version's rules inherit an earlier version's (``inherit: <version>``): enterprise_annual's 2022 and 2024
rules are its 2019 ones, a later file's keys replace or add to what it inherits, and an inheritance that cannot
be resolved is a catalog error naming the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hizone.catalog import default_catalog
from hizone.catalog.loader import merged
from hizone.errors import CatalogError
from hizone.intake.rules import RULES_DIR, load_all_rules, rules_for
from hizone.intake.rules import Range as RuleRange

FORM = "enterprise_annual"


def _content(rules: object) -> dict[str, object]:
    """A rule set without its form version and file: what a version inherits."""
    found = dataclasses.asdict(rules)  # type: ignore[call-overload]
    return {k: v for k, v in found.items() if k not in ("form", "source")}


def test_the_2022_and_2024_rules_are_the_2019_ones() -> None:
    base = rules_for(FORM, 2019)
    assert len(base.cross_field) == 8 and len(base.outliers) == 3  # the 2019 file's, counted by hand
    for year in (2022, 2024):
        rules = rules_for(FORM, year)
        assert rules.form.version == year  # checked against its own version of the form
        assert rules.source.endswith(f"{FORM}-{year}.yaml")
        assert _content(rules) == _content(base)
    # The copies are gone: the later files state no rule of their own.
    for year in (2022, 2024):
        text = (RULES_DIR / f"{FORM}-{year}.yaml").read_text(encoding="utf-8")
        assert "inherit:" in text and "cross_field" not in text and "outliers" not in text


OVERRIDE = """\
form: enterprise_annual
version: 2024
inherit: 2022
ranges:
  employees: {max: 3000000}
  rd_fte: null
cross_field:
  - id: rd_fte_le_rd_staff
    check: rd_fte <= 2 * rd_staff
    message_zh: 改过的规则
    message_en: the changed rule
  - id: tech_and_hitech_le_twice_revenue
    check: tech_revenue + hitech_product_revenue <= 2 * revenue
    message_zh: 新规则
    message_en: a new rule
outliers:
  - {element: employees, max_ratio: 5, min_previous: 50}
duplicates: false
"""


def _user_rules(tmp_path: Path, name: str, text: str) -> Path:
    user = tmp_path / "rules"
    user.mkdir(exist_ok=True)
    (user / name).write_text(text, encoding="utf-8")
    return user


def test_a_later_file_replaces_and_adds_to_what_it_inherits(tmp_path: Path) -> None:
    user = _user_rules(tmp_path, f"{FORM}-2024.yaml", OVERRIDE)
    table = load_all_rules(default_catalog(), [RULES_DIR, user])
    base, rules = table[(FORM, 2019)], table[(FORM, 2024)]
    assert table[(FORM, 2022)] is not rules and _content(table[(FORM, 2022)]) == _content(base)  # untouched
    # ranges: merged by element (employees' bound changed, rd_fte's dropped by null).
    assert base.ranges == {"employees": RuleRange(None, 2_000_000), "rd_fte": RuleRange(0, None)}
    assert rules.ranges == {"employees": RuleRange(None, 3_000_000)}
    # cross_field: by id, the changed rule in its place, the new one last.
    assert [r.id for r in rules.cross_field] == [r.id for r in base.cross_field] + ["tech_and_hitech_le_twice_revenue"]
    changed = next(r for r in rules.cross_field if r.id == "rd_fte_le_rd_staff")
    assert (changed.text, changed.message_en, changed.right[0].coefficient) == ("rd_fte <= 2 * rd_staff",
                                                                                "the changed rule", 2.0)
    # outliers: by element, employees' replaced (no min_ratio now), the others kept in order.
    assert [(o.element, o.max_ratio, o.min_ratio) for o in rules.outliers] == [
        ("revenue", 10, 0.1), ("employees", 5, None), ("rd_expenditure", 20, None)]
    # Anything else replaced whole; what the file does not name, inherited.
    assert rules.duplicates is False and base.duplicates is True
    assert rules.columns == base.columns and rules.codes == base.codes


def test_a_users_earlier_version_is_what_the_later_ones_inherit(tmp_path: Path) -> None:
    text = (RULES_DIR / f"{FORM}-2019.yaml").read_text(encoding="utf-8")
    user = _user_rules(tmp_path, f"{FORM}-2019.yaml", text.replace("rd_fte: {min: 0}", "rd_fte: {min: 1}"))
    table = load_all_rules(default_catalog(), [RULES_DIR, user])
    assert {year: table[(FORM, year)].ranges["rd_fte"] for year in (2019, 2022, 2024)} == {
        2019: RuleRange(1, None), 2022: RuleRange(1, None), 2024: RuleRange(1, None)}


def test_a_missing_inherited_version_is_a_catalog_error_naming_the_file(tmp_path: Path) -> None:
    bad = OVERRIDE.replace("inherit: 2022", "inherit: 2020")
    user = _user_rules(tmp_path, f"{FORM}-2024.yaml", bad)
    with pytest.raises(CatalogError) as caught:
        load_all_rules(default_catalog(), [RULES_DIR, user])
    assert caught.value.where == f"{user / f'{FORM}-2024.yaml'}: inherit"
    assert caught.value.reason == (f"inherits version 2020 of {FORM}, but no file has that version (files for "
                                   f"{FORM}: 2019, 2022)")


@pytest.mark.parametrize("parent", ["2024", "2030", "'2019'", "true"])
def test_only_an_earlier_version_is_inherited(tmp_path: Path, parent: str) -> None:
    user = _user_rules(tmp_path, f"{FORM}-2024.yaml", OVERRIDE.replace("inherit: 2022", f"inherit: {parent}"))
    with pytest.raises(CatalogError, match=r"'inherit' must be an earlier version \(a year before 2024\)") as caught:
        load_all_rules(default_catalog(), [RULES_DIR, user])
    assert str(caught.value.where).endswith(f"{FORM}-2024.yaml: inherit")


def test_merging_keeps_the_earlier_order_and_replaces_unnamed_lists() -> None:
    earlier = {"a": {"x": 1, "y": 2}, "rules": [{"id": "p", "v": 1}, {"id": "q", "v": 2}], "checks": ["c1", "c2"],
               "inherit": 2019}
    later = {"a": {"y": None, "z": 3}, "rules": [{"id": "q", "v": 20}, {"id": "r", "v": 3}], "checks": ["c3"],
             "inherit": 2022, "version": 2024}
    assert merged(earlier, later) == {"a": {"x": 1, "z": 3},
                                      "rules": [{"id": "p", "v": 1}, {"id": "q", "v": 20}, {"id": "r", "v": 3}],
                                      "checks": ["c3"], "version": 2024}

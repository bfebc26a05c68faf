from __future__ import annotations

from pathlib import Path

import pytest

from hizone.catalog import load_catalog
from hizone.errors import CatalogError


def test_the_annual_form_has_the_torch_elements_with_units() -> None:
    catalog = load_catalog()
    form = catalog.form("enterprise_annual", 2021)
    codes = set(form.element_codes)
    assert {"revenue", "tech_revenue", "hitech_product_revenue", "industrial_output", "industrial_value_added",
            "net_profit", "total_profit", "taxes_paid", "export", "total_assets", "employees",
            "emp_bachelor_plus", "emp_master", "emp_phd", "emp_returnees", "emp_foreign", "emp_new_graduates",
            "rd_staff", "rd_fte", "rd_expenditure", "new_product_revenue", "patent_applications",
            "patent_grants", "valid_invention_patents", "tech_contract_value", "energy_consumption",
            "electricity_consumption"} <= codes
    revenue = catalog.elements["revenue"]
    assert (revenue.name_zh, revenue.unit.name, revenue.unit.factor) == ("营业收入", "千元", 1000.0)
    assert catalog.elements["employees"].type == "integer"
    assert catalog.elements["net_profit"].min is None  # losses are allowed


def test_monthly_form_is_cumulative_and_picks_the_version_in_force() -> None:
    catalog = load_catalog()
    monthly = catalog.form("zone_monthly", 2023)
    assert monthly.cumulative and monthly.frequency == "monthly" and monthly.version == 2022
    assert monthly.element_codes == ("revenue", "industrial_output", "net_profit", "taxes_paid", "export",
                                     "employees")
    with pytest.raises(CatalogError, match="no version for 2010"):
        catalog.form("zone_monthly", 2010)


def test_a_users_directory_adds_a_new_years_form_without_python(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "zone_monthly-2024.yaml").write_text(
        "code: zone_monthly\nversion: 2024\nname_zh: 月报\nname_en: Monthly\nentity: zone\n"
        "frequency: monthly\ncumulative: true\nfields: [revenue, export]\n", encoding="utf-8")
    catalog = load_catalog([tmp_path])
    assert catalog.form("zone_monthly", 2023).version == 2022
    assert catalog.form("zone_monthly", 2025).element_codes == ("revenue", "export")


@pytest.mark.parametrize(("text", "message"), [
    ("elements:\n  revenue: {name_zh: 营业收入, name_en: R, unit: 千元\n", r"elements.yaml:3: invalid YAML"),
    ("elements:\n  x1: {name_zh: 甲, name_en: X, unit: 斤}\n", r"elements.yaml: elements.x1: unknown unit '斤'"),
    ("elements:\n  x1: {name_zh: 甲, name_en: X, unit: 人, type: text}\n", r"'type' must be number or integer"),
    ("elements:\n  x1: {name_zh: 甲, name_en: X, unit: 人, min: 5, max: 1}\n", r"min 5 is above max 1"),
    ("elements:\n  x1: {name_zh: 营业收入, name_en: X, unit: 人}\n", r"label '营业收入' names both"),
])
def test_malformed_elements_are_one_line_errors_naming_file_and_field(tmp_path: Path, text: str,
                                                                       message: str) -> None:
    (tmp_path / "elements.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as caught:
        load_catalog([tmp_path])
    assert "\n" not in str(caught.value) and str(tmp_path) in str(caught.value)


def test_a_form_naming_an_unknown_element_is_refused(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "bad.yaml").write_text(
        "code: bad\nversion: 2024\nname_zh: 坏\nname_en: Bad\nentity: zone\nfrequency: annual\n"
        "fields: [revenue, no_such_thing]\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad.yaml: fields\[1\]: unknown element 'no_such_thing'"):
        load_catalog([tmp_path])

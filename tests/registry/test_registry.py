from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hizone.errors import RegistryError
from hizone.registry import (
    ALPHABET,
    check_character,
    industry_section,
    load_provinces,
    load_zones,
    validate_credit_code,
    validate_industry_code,
)
from hizone.registry.tables import DATA

# Published examples of 统一社会信用代码 (company registers), each with a valid check character.
REAL_CODES = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T", "91310000717854505W"]


def test_every_province_has_a_zone_and_the_2022_count_is_covered() -> None:
    provinces = load_provinces()
    zones = load_zones()
    assert len(provinces) == 31
    assert {z.province_code for z in zones} == {p.code for p in provinces}
    assert all(z.source.strip() for z in zones)
    by_name = {z.name_zh: z for z in zones}
    assert by_name["中关村科技园区"].approved_year == 1988
    assert by_name["中关村科技园区"].demo_zone == "中关村国家自主创新示范区"
    assert Counter(z.approved_year for z in zones)[1991] == 26  # the first batch of the State Council


# Published national totals after each upgrade round (苏州工业园区 is counted in the statistics but was not
# approved as a high-tech zone, so it is left out); the sources are listed in data/ZONES_SOURCES.md.
PUBLISHED_TOTALS = {1992: 52, 2007: 54, 2011: 88, 2012: 105, 2013: 114, 2017: 156, 2018: 168}


@pytest.mark.parametrize(("year", "total"), PUBLISHED_TOTALS.items())
def test_approval_years_add_up_to_the_published_totals(year: int, total: int) -> None:
    zones = [z for z in load_zones() if z.name_zh != "苏州工业园区"]
    assert sum(z.approved_year <= year for z in zones) == total


# The programme's own count, which includes 苏州工业园区: 169 at the end of 2020, 178 from November 2023 through
# November 2025. One zone of the 2022–2023 upgrades is named by no source found (data/ZONES_SOURCES.md).
PUBLISHED_TOTALS_WITH_SIP = {2020: 169, 2025: 178}
UNIDENTIFIED_BY = {2025: 1}


@pytest.mark.parametrize(("year", "total"), PUBLISHED_TOTALS_WITH_SIP.items())
def test_the_registry_adds_up_to_the_programmes_count(year: int, total: int) -> None:
    assert sum(z.approved_year <= year for z in load_zones()) + UNIDENTIFIED_BY.get(year, 0) == total


def test_the_upgrades_since_2022_are_in_the_registry_with_their_approval_year() -> None:
    zones = {z.name_zh: z for z in load_zones()}
    expected = {"许昌高新技术产业开发区": ("41", 2022), "宁乡高新技术产业开发区": ("43", 2022),
                "拉萨高新技术产业开发区": ("54", 2022), "阿克苏阿拉尔高新技术产业开发区": ("65", 2023),
                "河北雄安高新技术产业开发区": ("13", 2026)}
    assert {name: (zones[name].province_code, zones[name].approved_year) for name in expected} == expected
    assert len(zones) == 178  # 177 of the programme's 178 through 2025, and 雄安 (2026)


def test_every_zone_cites_a_public_page() -> None:
    """A URL, and at most a note after it; the notes in use are listed so a new kind is seen in review."""
    notes = set()
    for zone in load_zones():
        url, _, note = zone.source.partition(" ")
        assert re.fullmatch(r"https?://[\w.-]+\.[a-z]{2,}(/\S*)?", url), (zone.code, zone.source)
        notes.add(note)
    assert notes == {"", "(approval year unverified)"}


def test_zone_codes_are_province_and_sequence() -> None:
    """Z + province code + two-digit sequence, numbered from 01 without gaps within each province."""
    by_province: dict[str, list[int]] = {}
    for zone in load_zones():
        assert re.fullmatch(rf"Z{zone.province_code}\d\d", zone.code), zone.code
        by_province.setdefault(zone.province_code, []).append(int(zone.code[3:]))
    assert all(sorted(seq) == list(range(1, len(seq) + 1)) for seq in by_province.values())


def _write_zones(tmp_path: Path, replace: tuple[str, str]) -> Path:
    path = tmp_path / "zones.csv"
    text = (DATA / "zones.csv").read_text(encoding="utf-8")
    assert replace[0] in text
    path.write_text(text.replace(replace[0], replace[1], 1), encoding="utf-8")
    return path


def test_a_zone_row_with_an_unknown_province_names_file_row_and_column(tmp_path: Path) -> None:
    row = ",中关村科技园区,Zhongguancun Science Park,{},"
    path = _write_zones(tmp_path, (row.format("11"), row.format("99")))
    with pytest.raises(RegistryError, match=rf"{path}:2, column province_code: unknown province '99'"):
        load_zones(path)


def test_a_zone_file_without_a_column_is_refused(tmp_path: Path) -> None:
    path = _write_zones(tmp_path, ("approved_year", "approved"))
    with pytest.raises(RegistryError, match="header: missing column"):
        load_zones(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    shutil.rmtree(tmp_path)
    with pytest.raises(RegistryError, match="cannot read"):
        load_zones(tmp_path / "zones.csv")


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass(code: str) -> None:
    assert validate_credit_code(code.lower()) == code


@pytest.mark.parametrize(("code", "reason"), [
    ("91350100M000100Y44", "last character should be '3'"),
    ("91350100M000100Y4", "has 17 characters"),
    ("91350100M000100I43", "character 'I' is not allowed"),
    ("9135A100M000100Y43", "positions 3–8 must be a division code"),
])
def test_invalid_credit_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(RegistryError, match=reason):
        validate_credit_code(code, where="enterprises.csv:7, column 统一社会信用代码")


def _independent_check(first17: str) -> str:
    # GB 32100-2015 written out: weight of position i is 3^(i) mod 31.
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return ALPHABET[-total % 31]


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_check_character_agrees_with_the_defining_formula(first17: str) -> None:
    assert check_character(first17) == _independent_check(first17)


def test_industry_codes() -> None:
    assert validate_industry_code("6513") == "6513" and industry_section("3911") == "C"
    with pytest.raises(RegistryError, match="no GB/T 4754 division 99"):
        validate_industry_code("9901")
    with pytest.raises(RegistryError, match="must be 4 digits"):
        validate_industry_code("65A3")

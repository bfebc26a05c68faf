"""The formula language: parsing, checking at load time (file and line in every error), compiling."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from hizone.analytics.compiler import AtomRegistry, Compiler, Scope
from hizone.analytics.definitions import load_indicators
from hizone.analytics.formula import BinOp, Count, Flag, FormulaError, Name, Num, Sum, Yoy, parse
from hizone.errors import CatalogError

SCOPE = Scope(elements={"revenue": 0, "rd_expenditure": 0, "employees": 0, "total_profit": None},
              flags=frozenset({"high_tech"}), indicators={})


def write(folder: Path, body: str, name: str = "extra.yaml") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


HEADER = "version: 1\nform: enterprise_annual\nperiod_type: annual\nindicators:\n"


def indicator(code: str, formula: str) -> str:
    return f"  {code}:\n    name_zh: 测试\n    name_en: test\n    unit: '%'\n    formula: {formula}\n"


def test_precedence_and_functions_parse_into_the_expected_tree() -> None:
    tree = parse("sum(revenue where high_tech) / revenue * 100", "t")
    assert tree == BinOp("*", BinOp("/", Sum(Name("revenue", 5), Flag("high_tech", 19)), Name("revenue", 32),
                                    "revenue"), Num(100.0), "100")
    assert parse("count()", "t") == Count(None)
    assert isinstance(parse("yoy(revenue) * 100", "t").left, Yoy)  # type: ignore[union-attr]


@pytest.mark.parametrize(("source", "message"), [
    ("revenue +", "expected a number, a name or '('"),
    ("revenue $ 2", "unexpected character '$'"),
    ("max(revenue)", "unknown function 'max'"),
    ("(revenue", "expected ')'"),
    ("", "empty formula"),
])
def test_syntax_errors_name_the_place(source: str, message: str) -> None:
    with pytest.raises(FormulaError, match=re.escape(message)) as error:
        parse(source, "file.yaml:7")
    assert str(error.value).startswith("file.yaml:7: ")


def compile_one(formula: str) -> str:
    return Compiler(SCOPE).compile("x", parse(formula, "f.yaml:3"), "f.yaml:3").value_sql["comparable"]


@pytest.mark.parametrize(("formula", "message"), [
    ("revenue / (revenue - rd_expenditure)", "may be zero or change sign"),
    ("revenue / total_profit", "may be zero or change sign"),
    ("revenue / 0", "always 0"),
    ("revenue / (employees - employees)", "may be zero"),
    ("turnover / revenue", "unknown name 'turnover'"),
    ("sum(revenue / employees)", "division inside sum"),
    ("count(where gazelle)", "unknown qualification flag 'gazelle'"),
    ("high_tech", "is a qualification flag"),
    ("yoy(yoy(revenue))", r"yoy\(\) inside yoy\(\)"),
])
def test_bad_formulas_fail_at_load_time(formula: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message) as error:
        compile_one(formula)
    assert error.value.where == "f.yaml:3"


def test_a_non_negative_denominator_is_accepted_and_guarded_at_run_time() -> None:
    registry = AtomRegistry()
    compiled = Compiler(SCOPE, registry).compile("r", parse("rd_expenditure / revenue * 100", "f"), "f")
    assert len(registry.atoms) == 2
    con = duckdb.connect()
    for a0, a1, expected, reason in ((5.0, 100.0, 5.0, None), (5.0, 0.0, None, "division by zero: revenue is 0"),
                                     (None, 10.0, None, "no data")):
        row = con.execute(f"SELECT {compiled.value_sql['comparable']}, {compiled.reason_sql['comparable']} "
                          "FROM (SELECT CAST(? AS DOUBLE) AS a0, CAST(? AS DOUBLE) AS a1)", [a0, a1]).fetchall()
        assert row == [(expected, reason)]


def test_the_package_indicators_load_and_compile() -> None:
    indicators = load_indicators()
    assert {"rd_intensity", "revenue_yoy", "revenue_month_yoy", "high_tech_enterprise_count"} <= set(
        indicators.indicators)
    assert indicators.compiled["revenue_yoy"].uses_yoy
    assert not indicators.compiled["rd_intensity"].uses_yoy
    assert indicators.indicators["rd_intensity"].source.endswith("enterprise_annual.yaml:62")  # the formula line


def test_an_unknown_element_in_a_user_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + indicator("ok", "revenue") + indicator("bad", "revenue / staff"))
    with pytest.raises(CatalogError, match="unknown name 'staff'") as error:
        load_indicators([tmp_path])
    assert error.value.where == f"{path}:14"  # the formula line of "bad"


def test_a_cycle_between_indicators_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + indicator("a_ratio", "b_ratio * 2") + indicator("b_ratio", "a_ratio / 2"))
    with pytest.raises(CatalogError, match="cycle: a_ratio -> b_ratio -> a_ratio") as error:
        load_indicators([tmp_path])
    assert error.value.where == f"{path}:9"


def test_a_possibly_zero_denominator_in_a_file_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + indicator("margin", "net_profit / (revenue - taxes_paid)"))
    with pytest.raises(CatalogError, match="may be zero or change sign") as error:
        load_indicators([tmp_path])
    assert error.value.where == f"{path}:9"


def test_indicators_may_refer_to_each_other(tmp_path: Path) -> None:
    write(tmp_path, HEADER + indicator("per_head", "revenue / employees") + indicator("per_head_k", "per_head * 1000"))
    indicators = load_indicators([tmp_path])
    assert "e_revenue" not in indicators.compiled["per_head_k"].value_sql["comparable"]  # atoms, not columns
    assert indicators.compiled["per_head_k"].atoms == indicators.compiled["per_head"].atoms


def test_a_duplicate_code_and_a_code_that_is_an_element_are_refused(tmp_path: Path) -> None:
    write(tmp_path, HEADER + indicator("rd_intensity", "revenue"))
    with pytest.raises(CatalogError, match="also defined at"):
        load_indicators([tmp_path])
    write(tmp_path, HEADER + indicator("revenue", "revenue"))
    with pytest.raises(CatalogError, match="also an element"):
        load_indicators([tmp_path])

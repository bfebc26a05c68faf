"""`hizone registry import-list`: qualifications from published lists, matched by credit code, the rest reviewed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pickle
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hizone.auth.policy import Principal
from hizone.cli import app as cli
from hizone.errors import RegistryError
from hizone.registry.enterprises import import_enterprises
from hizone.registry.lists import import_list
from hizone.registry.sheets import ListRefused, list_rules
from hizone.registry.sync import sync_store
from hizone.store import session_scope
from hizone.store.models import AuditLog, Enterprise, Qualification
from tests.registry.lists_factory import WRITERS, code, write, wrong_check

ADMIN = Principal("analyst1", "admin")
REGISTERED = [  # credit code, name, zone
    (code(1), "北京甲科技有限公司", "Z1101"),
    (code(2), "北京乙（中国）生物技术有限公司", "Z1101"),
    (code(3), "石家庄丙智能装备股份有限公司", "Z1301"),
    (code(4), "保定丁新材料有限公司", "Z1302"),
    (code(5), "保定同名有限公司", "Z1302"),
    (code(6), "保定同名有限公司", "Z1301"),
]
HIGHTECH_HEADER = ["序号", "企业名称", "统一社会信用代码", "证书编号", "发证日期"]
runner = CliRunner()


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    """The real zones and the enterprises of REGISTERED, as `import-enterprises` registers them."""
    sync_store(engine)
    rows = [["统一社会信用代码", "企业名称", "高新区代码", "行业代码", "成立日期"],
            *([c, n, z, "3911", "2012-05-01"] for c, n, z in REGISTERED)]
    import_enterprises(engine, write(tmp_path / "registered", "csv-utf8", rows), ADMIN)
    return engine


def _qualifications(engine: Engine) -> list[tuple[str, str, dt.date, dt.date | None, str | None]]:
    with session_scope(engine) as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(Enterprise.credit_code, Qualification.kind, Qualification.valid_from, Qualification.valid_to,
                   Qualification.detail).join(Enterprise, Enterprise.id == Qualification.enterprise_id)
            .order_by(Enterprise.credit_code, Qualification.valid_from))]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_hightech_certificate_list_is_stored_valid_three_years(store: Engine, tmp_path: Path, writer: str) -> None:
    path = write(tmp_path / "2023年高新技术企业名单", writer, [
        ["北京市2023年第一批认定报备的高新技术企业名单"],
        HIGHTECH_HEADER,
        [1, "北京甲科技有限公司", code(1), "GR202311000123", dt.date(2023, 11, 20)],
        # full-width brackets in the store, half-width and extra spaces in the list: the same name
        [2, " 北京乙(中国)生物技术 有限公司", code(2), "GR202311000124", dt.date(2023, 11, 20)],
        [3, "石家庄丙智能装备股份有限公司", code(3).lower(), "GR202413000125", dt.date(2024, 2, 29)],
    ])
    result = import_list(store, path, "hightech", ADMIN)
    assert (result.stored, result.review) == ([code(1), code(2), code(3)], [])
    assert _qualifications(store) == [
        (code(1), "high_tech", dt.date(2023, 11, 20), dt.date(2026, 11, 19), "GR202311000123"),
        (code(2), "high_tech", dt.date(2023, 11, 20), dt.date(2026, 11, 19), "GR202311000124"),
        (code(3), "high_tech", dt.date(2024, 2, 29), dt.date(2027, 2, 27), "GR202413000125")]
    again = import_list(store, path, "hightech", ADMIN)
    assert (again.stored, again.unchanged) == ([], [code(1), code(2), code(3)])
    assert len(_qualifications(store)) == 3


def test_mismatched_names_and_names_without_codes_go_to_review_not_to_the_store(store: Engine,
                                                                                tmp_path: Path) -> None:
    path = write(tmp_path / "specialized", "xlsxwriter", [
        ["序号", "企业名称", "统一社会信用代码", "认定日期"],
        [1, "北京甲科技有限公司", code(1), dt.date(2024, 7, 1)],
        [2, "北京乙生物技术有限公司", code(2), dt.date(2024, 7, 1)],  # not the name registered under code(2)
        [3, "石家庄丙智能装备股份有限公司", None, dt.date(2024, 7, 1)],  # name only: one registered enterprise
        [4, "保定同名有限公司", None, dt.date(2024, 7, 1)],  # name only: two enterprises of that name
        [5, "无此企业有限公司", None, dt.date(2024, 7, 1)],
        [6, "未登记有限公司", code(77), dt.date(2024, 7, 1)],
    ])
    result = import_list(store, path, "specialized", ADMIN)
    assert result.stored == [code(1)]
    assert _qualifications(store) == [(code(1), "srdi", dt.date(2024, 7, 1), dt.date(2027, 6, 30), None)]
    where = "specialized.xlsx, sheet '名单', row"
    assert [str(item) for item in result.review] == [
        f"{where} 3, column B: name '北京乙生物技术有限公司' does not match '北京乙（中国）生物技术有限公司' "
        f"registered under {code(2)}",
        f"{where} 4, column C: no credit code; one registered enterprise has this name (proposal, not stored: "
        f"{code(3)})",
        f"{where} 5, column C: no credit code, and 2 registered enterprises have this name",
        f"{where} 6, column C: no credit code, and no registered enterprise has this name",
        f"{where} 7, column C: no enterprise is registered under {code(77)}"]
    review = list(csv.DictReader(io.StringIO(result.review_csv().decode("utf-8-sig"))))
    assert [(r["credit_code"], r["name"], r["proposed_credit_code"], r["registered_name"]) for r in review] == [
        (code(2), "北京乙生物技术有限公司", "", "北京乙（中国）生物技术有限公司"),
        ("", "石家庄丙智能装备股份有限公司", code(3), "石家庄丙智能装备股份有限公司"),
        ("", "保定同名有限公司", "", ""), ("", "无此企业有限公司", "", ""), (code(77), "未登记有限公司", "", "")]
    assert result.describe()[0] == ("specialized.xlsx (专精特新中小企业): 1 stored, 0 updated, 0 unchanged, "
                                    "5 for review (not stored)")


def test_yearly_lists_are_valid_for_the_calendar_year(store: Engine, tmp_path: Path) -> None:
    tech_sme = write(tmp_path / "tech_sme", "csv-gbk", [
        ["企业名称", "统一社会信用代码", "入库登记编号"],
        ["北京甲科技有限公司", code(1), "20241101080A000123"],
        ["保定丁新材料有限公司", code(4), None]])
    assert import_list(store, tech_sme, "tech_sme", ADMIN, year=2024).stored == [code(1), code(4)]
    gazelle = write(tmp_path / "gazelle", "openpyxl", [["统一社会信用代码", "企业名称"], [code(3), None]])
    with pytest.raises(RegistryError, match="no issue date and no year in the number: give --year"):
        import_list(store, gazelle, "gazelle", ADMIN)
    assert import_list(store, gazelle, "gazelle", ADMIN, year=2023).stored == [code(3)]
    assert _qualifications(store) == [
        (code(1), "tech_sme", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "20241101080A000123"),
        (code(3), "gazelle", dt.date(2023, 1, 1), dt.date(2023, 12, 31), None),
        (code(4), "tech_sme", dt.date(2024, 1, 1), dt.date(2024, 12, 31), None)]


def test_a_list_with_bad_cells_is_refused_whole(store: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "bad", "csv-utf8", [
        HIGHTECH_HEADER,
        [1, "北京甲科技有限公司", code(1), "GR202311000123", "2023-11-20"],
        [2, "北京乙（中国）生物技术有限公司", wrong_check(code(2)), "GR202311000124", "2023-11-20"],
        [3, "石家庄丙智能装备股份有限公司", code(3), "GX202313000125", "2023-11-20"],
        [4, "保定丁新材料有限公司", code(4), "GR202213000126", "2023-11-20"],
        [5, "北京甲科技有限公司", code(1), "GR202311000999", "2023-11-20"],
        [6, "保定同名有限公司", code(5), "GR209913000127", "2099年1月1日"],
    ])
    with pytest.raises(ListRefused) as refused:
        import_list(store, path, "hightech", ADMIN)
    assert str(refused.value).splitlines() == [
        f"bad.csv, row 3, column C: credit code '{wrong_check(code(2))}' fails the GB 32100 check: last character "
        f"should be '{code(2)[17]}'",
        r"bad.csv, row 4, column D: 'GX202313000125' is not a number of the form ^GR(?P<year>\d{4})"
        r"(?P<province>\d{2})\d{6}$",
        "bad.csv, row 5, column D: number GR202213000126 is of 2022 but the issue date is 2023-11-20",
        f"bad.csv, row 6, column D: {code(1)} has two numbers valid from 2023-11-20: GR202311000123 in row 2 and "
        "GR202311000999 in row 6",
        "bad.csv, row 7, column E: 2099-01-01 is in the future"]
    assert _qualifications(store) == []
    no_dates = write(tmp_path / "no_dates", "csv-utf8", [HIGHTECH_HEADER[:4], [1, "北京甲科技有限公司", code(1),
                                                                             "GR202311000123"]])
    with pytest.raises(RegistryError, match=r"^no_dates.csv, row 1: missing column\(s\) 发证日期 \(issued\)$"):
        import_list(store, no_dates, "hightech", ADMIN)


def test_a_scoped_user_records_qualifications_only_in_its_scope(store: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "little_giant", "csv-utf8", [
        ["企业名称", "统一社会信用代码", "公布日期"],
        ["北京甲科技有限公司", code(1), "2024-08-01"],
        ["石家庄丙智能装备股份有限公司", code(3), "2024-08-01"],
        ["保定丁新材料有限公司", None, "2024-08-01"]])
    result = import_list(store, path, "little_giant", Principal("z", "zone", zone_code="Z1301"))
    assert result.stored == [code(3)]
    assert [item.reason for item in result.review] == [
        f"no enterprise is registered under {code(1)} in your scope",
        "no credit code, and no registered enterprise in your scope has this name"]  # 保定丁 is in Z1302
    assert [c for c, *_ in _qualifications(store)] == [code(3)]


def test_the_commands_exit_2_on_bad_input_and_write_the_review_file(store: Engine, database_url: str,
                                                                   tmp_path: Path) -> None:
    env = {"HIZONE_DATABASE_URL": database_url}
    bad = write(tmp_path / "enterprises", "csv-utf8", [["统一社会信用代码", "企业名称", "高新区代码"],
                                                     [wrong_check(code(9)), "某企业", "Z1101"]])
    refused = runner.invoke(cli, ["registry", "import-enterprises", str(bad)], env=env)
    assert refused.exit_code == 2
    assert f"enterprises.csv, row 2, column A: credit code '{wrong_check(code(9))}'" in refused.output
    good = write(tmp_path / "new", "csv-utf8", [["统一社会信用代码", "企业名称", "高新区代码", "行业代码", "成立日期"],
                                                [code(9), "某企业", "Z1301", "3911", "2019-01-01"]])
    scoped = ["--role", "province", "--province", "13"]
    outcome = tmp_path / "outcome.csv"
    registered = runner.invoke(cli, ["registry", "import-enterprises", str(good), *scoped, "--outcome",
                                     str(outcome)], env=env)
    assert registered.exit_code == 0, registered.output
    assert "new.csv: 1 registered, 0 updated, 0 unchanged" in registered.output
    assert outcome.read_text(encoding="utf-8-sig").splitlines() == ["credit_code,outcome,changes",
                                                                    f"{code(9)},registered,"]
    listed = write(tmp_path / "hightech", "csv-utf8", [
        HIGHTECH_HEADER, [1, "某企业", code(9), "GR202313000001", "2023-12-01"],
        [2, "北京甲科技有限公司", None, "GR202311000002", "2023-12-01"]])
    strict = runner.invoke(cli, ["registry", "import-list", str(listed), "--kind", "hightech", "--strict"], env=env)
    assert strict.exit_code == 2 and _qualifications(store) == []
    assert (f"hightech.csv, row 3, column C: no credit code; one registered enterprise has this name (proposal, "
            f"not stored: {code(1)})") in strict.output
    review = tmp_path / "out" / "review.csv"
    review.parent.mkdir()
    stored = runner.invoke(cli, ["registry", "import-list", str(listed), "--kind", "hightech", "--review",
                                 str(review)], env=env)
    assert stored.exit_code == 0, stored.output
    assert "1 stored, 0 updated, 0 unchanged, 1 for review (not stored)" in stored.output
    assert review.read_text(encoding="utf-8-sig").splitlines()[1] == (
        f'"hightech.csv, row 3, column C",,北京甲科技有限公司,no credit code; one registered enterprise has this '
        f'name,{code(1)},北京甲科技有限公司')
    unknown = runner.invoke(cli, ["registry", "import-list", str(listed), "--kind", "hitech"], env=env)
    assert unknown.exit_code == 2 and "--kind: unknown list kind 'hitech'" in unknown.output
    with session_scope(store) as session:
        assert session.scalar(select(AuditLog.detail).where(AuditLog.action == "import_list"))["stored"] == 1


def test_a_list_of_names_only_is_all_for_review_with_proposals(store: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "瞪羚企业名单", "openpyxl", [
        ["2023年度瞪羚企业名单"], ["序号", "企业名称", "所在区"],
        [1, "北京甲科技有限公司", "海淀区"], [2, "石家庄丙智能装备股份有限公司 ", "高新区"],
        [3, "未登记有限公司", "东城区"]])
    result = import_list(store, path, "gazelle", ADMIN, year=2023)
    assert (result.stored, _qualifications(store)) == ([], [])
    assert [(item.where, item.proposed_credit_code) for item in result.review] == [
        ("瞪羚企业名单.xlsx, sheet 'Sheet1', row 3, column B", code(1)),
        ("瞪羚企业名单.xlsx, sheet 'Sheet1', row 4, column B", code(3)),
        ("瞪羚企业名单.xlsx, sheet 'Sheet1', row 5, column B", "")]


def test_a_list_without_dates_is_valid_from_the_year_given(store: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "小巨人", "csv-gbk", [
        ["企业名称", "统一社会信用代码", "有效期至"], ["保定丁新材料有限公司", code(4), None],
        ["北京甲科技有限公司", code(1), "2026年6月30日"]])
    with pytest.raises(RegistryError, match=r"^小巨人.csv, row 1: the list has no issue date column .* give --year$"):
        import_list(store, path, "little_giant", ADMIN)
    assert import_list(store, path, "little_giant", ADMIN, year=2024).stored == [code(4), code(1)]
    assert _qualifications(store) == [
        (code(1), "little_giant", dt.date(2024, 1, 1), dt.date(2026, 6, 30), None),
        (code(4), "little_giant", dt.date(2024, 1, 1), dt.date(2026, 12, 31), None)]


def test_thelist_rules_travel_to_the_intake_worker() -> None:
    """The web reads uploads in intake's worker process, which pickles the reader's arguments."""
    rules = list_rules()
    assert pickle.loads(pickle.dumps(rules)) == rules


def test_a_certificate_of_another_province_goes_to_review(store: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "hightech", "csv-utf8", [
        HIGHTECH_HEADER, [1, "保定丁新材料有限公司", code(4), "GR202311000126", "2023-11-20"],
        [2, "石家庄丙智能装备股份有限公司", code(3), "GR202313000127", "2023-11-20"]])
    result = import_list(store, path, "hightech", ADMIN)
    assert result.stored == [code(3)]
    assert [str(item) for item in result.review] == [
        f"hightech.csv, row 2, column D: number GR202311000126 was issued in province 11 but {code(4)} is "
        "registered in zone Z1302 of province 13"]


def test_a_renewed_certificate_adds_a_row_and_the_old_one_keeps_its_dates(store: Engine, tmp_path: Path) -> None:
    """A qualification is (enterprise, kind, number): re-importing either list adds nothing, the renewal (a new
    number, a new validity overlapping the old one by a few days, as 高企 renewals do) is a row of its own."""
    first = write(tmp_path / "2020", "csv-utf8", [HIGHTECH_HEADER, [1, "北京甲科技有限公司", code(1), "GR202011000001",
                                                                   "2020年12月2日"]])
    renewal = write(tmp_path / "2023", "openpyxl", [HIGHTECH_HEADER, [1, "北京甲科技有限公司", code(1),
                                                                     "GR202311000002", "2023/11/22"]])
    assert import_list(store, first, "hightech", ADMIN).stored == [code(1)]
    assert import_list(store, renewal, "hightech", ADMIN).stored == [code(1)]
    for path in (first, renewal):
        again = import_list(store, path, "hightech", ADMIN)
        assert (again.stored, again.updated, again.unchanged) == ([], [], [code(1)])
    assert _qualifications(store) == [
        (code(1), "high_tech", dt.date(2020, 12, 2), dt.date(2023, 12, 1), "GR202011000001"),
        (code(1), "high_tech", dt.date(2023, 11, 22), dt.date(2026, 11, 21), "GR202311000002")]
    both = write(tmp_path / "both", "xlsxwriter", [HIGHTECH_HEADER, [1, "北京甲科技有限公司", code(1), "GR202011000001",
                                                                    dt.date(2020, 12, 2)],
                                                  [2, "北京甲科技有限公司", code(1), "GR202311000002", 45252]])
    assert import_list(store, both, "hightech", ADMIN).unchanged == [code(1), code(1)]  # 45252: Excel's 2023-11-22
    assert len(_qualifications(store)) == 2


def test_a_list_without_numbers_is_identified_by_its_first_day(store: Engine, tmp_path: Path) -> None:
    unnumbered = write(tmp_path / "tech_sme", "csv-utf8", [["统一社会信用代码", "企业名称"],
                                                           [code(4), "保定丁新材料有限公司"]])
    numbered = write(tmp_path / "tech_sme_numbers", "csv-utf8", [["统一社会信用代码", "入库登记编号"],
                                                                 [code(4), "20241302060A000007"]])
    assert import_list(store, unnumbered, "tech_sme", ADMIN, year=2024).stored == [code(4)]
    assert import_list(store, unnumbered, "tech_sme", ADMIN, year=2024).unchanged == [code(4)]
    assert import_list(store, numbered, "tech_sme", ADMIN).updated == [code(4)]  # the one held gets its number
    assert import_list(store, unnumbered, "tech_sme", ADMIN, year=2024).unchanged == [code(4)]  # and keeps it
    assert import_list(store, unnumbered, "tech_sme", ADMIN, year=2025).stored == [code(4)]
    assert _qualifications(store) == [
        (code(4), "tech_sme", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "20241302060A000007"),
        (code(4), "tech_sme", dt.date(2025, 1, 1), dt.date(2025, 12, 31), None)]


def test_numbers_and_periods_that_contradict_the_file_or_the_store_refuse_the_list(store: Engine,
                                                                                  tmp_path: Path) -> None:
    held = write(tmp_path / "held", "csv-utf8", [
        HIGHTECH_HEADER, [1, "北京甲科技有限公司", code(1), "GR202311000001", "2023-11-20"],
        [2, "石家庄丙智能装备股份有限公司", code(3), "GR202313000003", "2023-11-20"]])
    import_list(store, held, "hightech", ADMIN)
    in_file = write(tmp_path / "in_file", "csv-utf8", [
        HIGHTECH_HEADER,
        [1, "北京乙（中国）生物技术有限公司", code(2), "GR202311000002", "2023-11-20"],
        [2, "石家庄丙智能装备股份有限公司", code(3), "GR202311000002", "2023-11-20"],  # row 2's number
        [3, "保定丁新材料有限公司", code(4), "GR202313000004", "2023-11-20"],
        [4, "保定丁新材料有限公司", code(4), "GR202313000004", "2023-12-01"],  # the same certificate, later
        [5, "保定丁新材料有限公司（改名）", code(4), "GR202313000005", "2023-12-01"]])
    with pytest.raises(ListRefused) as refused:
        import_list(store, in_file, "hightech", ADMIN)
    assert str(refused.value).splitlines() == [
        f"in_file.csv, row 3, column D: certificate number GR202311000002 is given to {code(2)} in row 2 and to "
        f"{code(3)} in row 3",
        "in_file.csv, row 5, column E: certificate GR202313000004 has overlapping validity periods: row 4 "
        "2023-11-20 to 2026-11-19, row 5 2023-12-01 to 2026-11-30",
        f"in_file.csv, row 6, column B: credit code {code(4)} appears twice with different names: row 4 "
        "'保定丁新材料有限公司', row 6 '保定丁新材料有限公司（改名）'"]
    def refusal(name: str, enterprise: str, credit_code: str, number: str, issued: str,
                principal: Principal = ADMIN) -> list[str]:
        path = write(tmp_path / name, "csv-utf8", [HIGHTECH_HEADER, [1, enterprise, credit_code, number, issued]])
        with pytest.raises(ListRefused) as refused:
            import_list(store, path, "hightech", principal)
        return str(refused.value).splitlines()

    assert refusal("taken", "北京乙（中国）生物技术有限公司", code(2), "GR202311000001", "2023-11-20") == [
        f"taken.csv, row 2, column D: certificate number GR202311000001 is already recorded for {code(1)}, not for "
        f"{code(2)}"]
    assert refusal("later", "北京甲科技有限公司", code(1), "GR202311000001", "2023-12-20") == [
        "later.csv, row 2, column E: certificate GR202311000001 would have overlapping validity periods: stored "
        "2023-11-20 to 2026-11-19, this row 2023-12-20 to 2026-12-19"]
    assert refusal("second", "北京甲科技有限公司", code(1), "GR202311000009", "2023-11-20") == [
        f"second.csv, row 2, column D: {code(1)} already holds number GR202311000001 valid from 2023-11-20, not "
        "GR202311000009"]
    assert refusal("outside", "保定丁新材料有限公司", code(4), "GR202313000003", "2023-11-20",
                   Principal("z", "zone", zone_code="Z1302")) == [  # code(3) is in Z1301: not named
        f"outside.csv, row 2, column D: certificate number GR202313000003 is already recorded for an enterprise "
        f"outside your scope, not for {code(4)}"]
    assert [q[4] for q in _qualifications(store)] == ["GR202311000001", "GR202313000003"]  # nothing refused stored

"""Readers and safety checks: what agencies send is read; broken or unsafe files get one precise error."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastexcel
import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import Engine

import hizone
from hizone.catalog import default_catalog
from hizone.intake.errors import IntakeError
from hizone.intake.readers import Limits, read_source
from hizone.intake.rules import rules_for
from hizone.intake.service import import_file, list_submissions
from hizone.intake.validate import Context, validate
from tests.intake import xlsx_variants
from tests.intake.factory import HEADER, TODAY, credit_code, csv_bytes, good_rows, seed_registry, xlsx_bytes
from tests.intake.test_service import snapshot

FORM = "enterprise_annual"
CODES = [credit_code(i + 1) for i in range(3)]
CTX = Context(today=TODAY)
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "intake"


def check(source: bytes | Path, name: str = "f.csv", **kw: object) -> list[tuple[str, int | None, str | None]]:
    report = validate(source, FORM, "2021", context=CTX, name=name, **kw)  # type: ignore[arg-type]
    return [(i.rule, i.row, i.column) for i in report.issues if i.severity == "error"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_agencies_use(encoding: str) -> None:
    report = validate(csv_bytes(good_rows(CODES), encoding=encoding, title=True), FORM, "2021", context=CTX,
                      name="r.csv")
    assert report.ok and report.row_count == 3


def test_checked_in_gbk_sample_with_title_units_and_trailing_blank_rows() -> None:
    report = validate(DATA / "enterprise_annual_gbk.csv", FORM, "2021", context=CTX)
    assert report.ok, report.issues
    assert report.row_count == 2


def test_headers_in_element_codes_with_units_in_brackets() -> None:
    header = ["credit_code", "name", "zone_code", "revenue(万元)", "total_profit", "net_profit", "total_assets",
              "employees", "rd_staff", "emp_bachelor_plus", "tech_revenue"]
    rows = good_rows(CODES)
    rows[0][3] = "1.5"  # 1.5 万元 = 15 千元, under the 200 千元 of technology income
    assert check(csv_bytes(rows, header=header)) == [("cross:tech_revenue_le_revenue", 2, "K")]


def test_title_rows_offsets_and_blank_trailing_rows_in_xlsx_keep_true_cell_positions() -> None:
    rows = [*good_rows(CODES), [None] * 11, ["", "", ""]]
    rows[1][7] = "五十"
    data = xlsx_bytes(rows, start_row=2, start_col=1, title=True)
    # Title at row 3, header at row 4, data from row 5, table starting at column B.
    assert check(data, "r.xlsx") == [("not_a_number", 6, "I")]


def test_blank_trailing_and_spacer_rows_in_csv_keep_line_numbers() -> None:
    text = csv_bytes(good_rows(CODES)).decode()
    lines = text.splitlines()
    lines[2:2] = ["", ",,,,"]
    broken = lines[:]
    broken[-1] = broken[-1].replace(",50,", ",x,").replace(",52,", ",x,")
    data = ("\n".join(broken) + "\n\n\n,,,\n").encode()
    assert check(data) == [("not_a_number", 6, "H")]


def test_short_csv_rows_are_padded_and_later_rows_keep_their_line_numbers() -> None:
    lines = csv_bytes(good_rows(CODES)).decode().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0]  # the last cell left out, with its comma
    lines[2] = lines[2].replace("企业2", '"企业\n2"')  # a name spanning two lines
    lines[3] = lines[3].replace(",52,", ",x,")
    report = validate(("\n".join(lines) + "\n").encode(), FORM, "2021", context=CTX, name="f.csv")
    assert report.row_count == 3
    assert [(i.rule, i.row, i.column) for i in report.errors] == [("not_a_number", 5, "H")]


def test_a_csv_row_wider_than_the_header_names_its_line() -> None:
    lines = csv_bytes(good_rows([credit_code(i + 1) for i in range(40)])).decode().splitlines()
    lines[35] += ",99"  # past the rows read to find the header
    with pytest.raises(IntakeError, match=r"f\.csv, row 36: 12 cells, more than the 11 columns"):
        validate(("\n".join(lines) + "\n").encode(), FORM, "2021", context=CTX, name="f.csv")


def test_an_unclosed_quote_in_a_csv_is_refused_with_its_line() -> None:
    lines = csv_bytes(good_rows(CODES)).decode().splitlines()
    lines[2] = lines[2].replace("企业2", '"企业2')
    with pytest.raises(IntakeError, match=r"f\.csv, row \d+: cannot read the CSV"):
        validate(("\n".join(lines) + "\n").encode(), FORM, "2021", context=CTX, name="f.csv")


def test_truncated_xlsx() -> None:
    data = xlsx_bytes(good_rows(CODES))
    with pytest.raises(IntakeError, match=r"^t\.xlsx: the \.xlsx is truncated or damaged"):
        check(data[: len(data) // 2], "t.xlsx")


def test_wrong_sheet_name_lists_the_sheets() -> None:
    with pytest.raises(IntakeError, match=r"no sheet named '年报' \(sheets: 企业年报\)"):
        check(xlsx_bytes(good_rows(CODES)), "r.xlsx", sheet="年报")


def test_the_sheet_with_the_header_is_found_and_one_without_is_refused() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("说明").write_string(0, 0, "本表由高新区管委会填报")
    data_sheet = book.add_worksheet("数据")
    data_sheet.write_row(0, 0, HEADER)
    for i, row in enumerate(good_rows(CODES), start=1):
        data_sheet.write_row(i, 0, row)
    book.close()
    report = validate(buffer.getvalue(), FORM, "2021", context=CTX, name="two.xlsx")
    assert report.ok and report.sheet == "数据"
    with pytest.raises(IntakeError, match=r"two\.xlsx, sheet '说明': no header row with the form's column names"):
        check(buffer.getvalue(), "two.xlsx", sheet="说明")


def test_shifted_header_gives_errors_on_the_misread_columns() -> None:
    # The header starts one column right of the data: the code column now holds names.
    data = csv_bytes(good_rows(CODES), header=["", *HEADER[:-1]])
    errors = check(data)
    assert ("credit_code", 2, "B") in errors and len([e for e in errors if e[0] == "credit_code"]) == 3


def test_a_file_without_the_entity_column() -> None:
    with pytest.raises(IntakeError, match=r"the header \(row 1\) has no entity column"):
        check(csv_bytes([r[1:] for r in good_rows(CODES)], header=HEADER[1:]))


def test_missing_required_column() -> None:
    keep = [i for i, h in enumerate(HEADER) if h != "资产总计"]
    rows = [[r[i] for i in keep] for r in good_rows(CODES)]
    with pytest.raises(IntakeError, match="missing required column '资产总计' \\(total_assets\\)"):
        check(csv_bytes(rows, header=[HEADER[i] for i in keep]))


def test_text_negative_counts_and_duplicates() -> None:
    rows = good_rows(CODES)
    rows[0][3] = "约1000"
    rows[1][7] = -3
    rows[2][0] = CODES[0]
    report = validate(csv_bytes(rows), FORM, "2021", context=CTX, name="bad.csv")
    found = {(i.rule, i.row, i.column, i.value) for i in report.errors}
    assert found == {("not_a_number", 2, "D", "约1000"), ("below_min", 3, "H", "-3"),
                     ("duplicate", 4, "A", CODES[0])}
    duplicate = next(i for i in report.errors if i.rule == "duplicate")
    assert duplicate.message_en == "duplicates row 2 (same credit code)"
    assert duplicate.message_zh == "与第2行重复（同一统一社会信用代码）"


@pytest.mark.parametrize("name", ["＝1+1", "＠SUM(1)", "\u3000=1+1", "+1-1", "-2+3"])
def test_names_a_spreadsheet_would_run_are_refused_full_width_too(name: str) -> None:
    rows = good_rows(CODES)
    rows[0][1] = name
    report = validate(csv_bytes(rows), FORM, "2021", context=CTX, name="inj.csv")
    assert {(i.rule, i.row, i.column) for i in report.errors} == {("formula_text", 2, "B")}


def test_csv_cells_starting_with_equals_are_refused() -> None:
    rows = good_rows(CODES)
    rows[0][1] = '=HYPERLINK("http://x","点击")'
    rows[1][3] = "=1+1"
    report = validate(csv_bytes(rows), FORM, "2021", context=CTX, name="inj.csv")
    assert {(i.rule, i.row, i.column) for i in report.errors} == {("formula_text", 2, "B"), ("formula", 3, "D")}
    # The report's copy keeps the text as text: no formula reaches the workbook.
    with zipfile.ZipFile(io.BytesIO(report.to_xlsx())) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet


@pytest.mark.parametrize(("period", "message"), [
    ("2030", "2030 is in the future"), ("2023-13", "not a annual period"), ("21", "not a annual period")])
def test_bad_periods(period: str, message: str) -> None:
    with pytest.raises(IntakeError, match=message):
        validate(csv_bytes(good_rows(CODES)), FORM, period, context=CTX)


def test_monthly_period_checks() -> None:
    with pytest.raises(IntakeError, match="month 13 is not between 1 and 12"):
        validate(b"x", "zone_monthly", "2023-13", context=CTX)
    with pytest.raises(IntakeError, match="2024-07 is in the future"):
        validate(b"x", "zone_monthly", "2024-07", context=CTX)


def test_a_period_column_must_match_the_import_period() -> None:
    rows = [[*r, "2021"] for r in good_rows(CODES)]
    rows[2][-1] = "2020"
    assert check(csv_bytes(rows, header=[*HEADER, "报告期"])) == [("period_mismatch", 4, "L")]


def _patched_xlsx(data: bytes, change: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def test_formula_without_cached_value_names_the_cell() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("企业年报")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, good_rows(CODES)[0])
    sheet.write_formula(1, 3, "=1000+1", None, 1001)
    sheet.write_formula(1, 4, "=50*2", None, 100)
    book.close()
    assert not check(buffer.getvalue(), "cached.xlsx")  # with cached values: accepted

    def strip_value(name: str, content: bytes) -> bytes:
        return re.sub(rb"(<c r=\"E2\"[^>]*><f>[^<]*</f>)<v>[^<]*</v>", rb"\1", content) if "sheet1" in name \
            else content

    with pytest.raises(IntakeError, match=r"f\.xlsx, sheet '企业年报', cell E2: a formula has no cached value"):
        check(_patched_xlsx(buffer.getvalue(), strip_value), "f.xlsx")


def test_macros_are_refused() -> None:
    data = _patched_xlsx(xlsx_bytes(good_rows(CODES)), lambda _n, c: c, {"xl/vbaProject.bin": b"\0" * 64})
    with pytest.raises(IntakeError, match=r"m\.xlsm: the workbook contains macros"):
        check(data, "m.xlsm")


def test_password_protected_and_legacy_workbooks_are_refused() -> None:
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
    encrypted = cfb + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100
    with pytest.raises(IntakeError, match=r"p\.xlsx: the workbook is password-protected"):
        check(encrypted, "p.xlsx")
    with pytest.raises(IntakeError, match=r"old\.xls: legacy \.xls workbooks are not accepted"):
        check(cfb, "old.xls")


def test_files_over_the_size_limit_are_refused_before_reading() -> None:
    with pytest.raises(IntakeError, match=r"big\.csv: file is 0\.0 MiB, over the limit of 0 MiB"):
        check(csv_bytes(good_rows(CODES)), "big.csv", limits=Limits(max_file_bytes=100))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A well-formed .xlsx whose sheet unpacks to 1 GiB of spaces: about 1 MB on disk."""
    data = xlsx_bytes(good_rows(CODES))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b" " * (16 << 20)
            for _ in range(64):
                member.write(block)
    return out.getvalue()


def test_a_1gb_decompression_bomb_is_refused(bomb: bytes) -> None:
    assert len(bomb) < 8 << 20
    with pytest.raises(IntakeError, match=r"bomb\.xlsx: the \.xlsx unpacks to 1024 MiB, over the limit of 768 MiB"):
        check(bomb, "bomb.xlsx")


def test_a_bomb_whose_directory_lies_about_its_size_is_refused(bomb: bytes) -> None:
    # Rewrite the declared size to 1 MiB everywhere: unpacking stops at the lie (zip64 sizes live in extras).
    forged = bomb.replace((1 << 30).to_bytes(8, "little"), (1 << 20).to_bytes(8, "little"))
    tail = len(forged) - 2048  # the central directory may also hold the size in a 4-byte field
    forged = forged[:tail] + forged[tail:].replace((1 << 30).to_bytes(4, "little"), (1 << 20).to_bytes(4, "little"))
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(forged)).infolist()) < 768 << 20
    with pytest.raises(IntakeError, match=r"lie\.xlsx: the \.xlsx unpacks to more than its directory says"):
        check(forged, "lie.xlsx")


def test_a_damaged_sheet_inside_an_intact_zip_is_refused() -> None:
    data = bytearray(xlsx_bytes(good_rows(CODES)))
    info = next(i for i in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist() if i.filename.endswith("sheet1.xml"))
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF
    with pytest.raises(IntakeError, match=r"d\.xlsx: the \.xlsx is truncated or damaged"):
        check(bytes(data), "d.xlsx")


def test_json_payloads() -> None:
    rows = [dict(zip(HEADER, r, strict=True)) for r in good_rows(CODES)]
    rows[1]["营业收入"] = "１２万"
    rows[2]["年末从业人员"] = -1
    report = validate(json.dumps({"rows": rows}, ensure_ascii=False).encode(), FORM, "2021", context=CTX,
                      name="api.json")
    assert [(i.rule, i.row, i.column) for i in report.errors] == [("below_min", 3, "年末从业人员")]
    with pytest.raises(IntakeError, match=r"api\.json: not valid JSON"):
        validate(b'{"rows": [', FORM, "2021", context=CTX, name="api.json")


def test_the_xlsx_report_marks_bad_cells_with_comments() -> None:
    rows = good_rows(CODES)
    rows[1][7] = "很多"
    report = validate(xlsx_bytes(rows, start_row=1, title=True), FORM, "2021", context=CTX, name="r.xlsx")
    data = report.to_xlsx()
    book = fastexcel.read_excel(data)
    assert book.sheet_names == ["企业年报", "问题清单 Problems"]
    copy = book.load_sheet("企业年报", header_row=None, dtypes="string").to_arrow().to_pylist()
    assert list(copy[3].values())[7] == "很多"  # row 5 of the sheet: its range starts at row 2
    problems = book.load_sheet("问题清单 Problems", dtypes="string").to_arrow().to_pylist()
    assert [(p["规则 rule"], p["行 row"], p["列 column"]) for p in problems] == [("not_a_number", "5", "H")]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        comments = next(n for n in z.namelist() if "comments" in n)
        text = z.read(comments).decode()
    assert 'ref="H5"' in text and "“很多”不是数字" in text and "is not a number" in text


BAD_FILES: dict[str, Callable[[], tuple[bytes, str]]] = {
    "text in numbers": lambda: (csv_bytes([[*r[:3], "abc", *r[4:]] for r in good_rows(CODES)]), "a.csv"),
    "negative count": lambda: (csv_bytes([[*r[:7], -1, *r[8:]] for r in good_rows(CODES)]), "b.csv"),
    "duplicate codes": lambda: (csv_bytes(good_rows(CODES) + good_rows(CODES[:1])), "c.csv"),
    "formula cell": lambda: (csv_bytes([[*r[:3], "=1+1", *r[4:]] for r in good_rows(CODES)]), "d.csv"),
    "truncated": lambda: (xlsx_bytes(good_rows(CODES))[:900], "e.xlsx"),
    "shifted header": lambda: (csv_bytes(good_rows(CODES), header=["", *HEADER[:-1]]), "f.csv"),
    "no header": lambda: (b"a,b,c\n1,2,3\n", "g.csv"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_leave_the_store_exactly_as_it_was(engine: Engine, case: str) -> None:
    codes = seed_registry(engine, 3)
    assert codes == CODES
    import_file(engine, csv_bytes(good_rows(codes, scale=0.5)), FORM, "2021", "alice", today=TODAY)
    before = snapshot(engine)
    data, name = BAD_FILES[case]()
    try:
        result = import_file(engine, data, FORM, "2021", "alice", name=name, today=TODAY)
        assert result.status == "rejected" and result.report and result.report.errors
    except IntakeError as error:
        assert name in str(error)
    assert snapshot(engine) == before


def test_the_bomb_leaves_the_store_as_it_was(engine: Engine, bomb: bytes) -> None:
    seed_registry(engine, 3)
    before = snapshot(engine)
    with pytest.raises(IntakeError, match="possible zip bomb"):
        import_file(engine, bomb, FORM, "2021", "alice", name="bomb.xlsx", today=TODAY)
    assert snapshot(engine) == before


def test_text_deep_in_a_numeric_xlsx_column_is_an_error_not_a_silent_blank() -> None:
    # fastexcel infers column types from a sample of rows; every row must count, or row 1,502's text
    # would be read as a blank.
    codes = [credit_code(i + 1) for i in range(1600)]
    rows = good_rows(codes)
    rows[1500][3] = "一千"
    assert check(xlsx_bytes(rows), "big.xlsx") == [("not_a_number", 1502, "D")]


def test_numbers_in_xlsx_keep_their_value_and_number_cells_in_text_columns_read_as_digits() -> None:
    rows = [[*r, 2021] for r in good_rows(CODES)]  # the period as a number cell
    rows[0][3] = 1234.5678
    report = validate(xlsx_bytes(rows, header=[*HEADER, "报告期"]), FORM, "2021", context=CTX, name="n.xlsx")
    assert report.ok, report.issues
    rows[1][-1] = 2020
    assert check(xlsx_bytes(rows, header=[*HEADER, "报告期"]), "n.xlsx") == [("period_mismatch", 3, "L")]


def test_the_header_is_read_from_the_sheet_xml_as_fastexcel_would_read_it() -> None:
    from hizone.intake.readers import head_rows, inspect_xlsx

    data = xlsx_bytes(good_rows(CODES), start_row=2, start_col=1, title=True)
    facts = inspect_xlsx(data, "h.xlsx", Limits())
    member = facts.sheet_paths["企业年报"]
    row0, col0 = facts.offsets[member]
    head = head_rows(facts, member, row0, col0)
    grid = fastexcel.read_excel(data).load_sheet(0, header_row=None, dtypes="string").to_arrow().to_pylist()
    assert head is not None and (row0, col0) == (2, 1)
    assert head == [list(row.values()) for row in grid]
    truncated = facts.heads[member][:200]  # an XML start that ends inside the search rows
    facts.heads[member] = truncated + b"x" * (1 << 20)
    assert head_rows(facts, member, row0, col0) is None


def test_a_header_given_as_inline_strings_is_found() -> None:
    def inline(name: str, content: bytes) -> bytes:
        if "sheet1" not in name:
            return content
        return re.sub(rb'<c r="([A-Z]+1)" t="s"><v>(\d+)</v></c>',
                      lambda m: b'<c r="' + m.group(1) + b'" t="inlineStr"><is><t>' +
                      HEADER[int(m.group(2))].replace("&", "&amp;").encode() + b"</t></is></c>", content)

    data = _patched_xlsx(xlsx_bytes(good_rows(CODES)), inline)
    assert b"inlineStr" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert check(data, "inline.xlsx") == []


# ---- sheets that would make fastexcel allocate a huge grid (issue #12) -------------------------------------


def _with_far_cell(rows: int, write: Callable[[Any, Any], None]) -> bytes:
    """An annual report of ``rows`` rows (past the first megabyte of XML from ~3,000 rows on), then ``write``."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("企业年报")
    sheet.write_row(0, 0, HEADER)
    for i, row in enumerate(good_rows([credit_code(i + 1) for i in range(rows)]), start=1):
        sheet.write_row(i, 0, row)
    write(book, sheet)
    book.close()
    return buffer.getvalue()


def _far_number(_book: Any, sheet: Any) -> None:
    sheet.write_number(1048575, 16383, 1)  # XFD1048576, the last cell of a sheet


HOSTILE = _with_far_cell(1, _far_number)
SOURCE = str(Path(hizone.__file__).resolve().parents[1])  # the child runs the code under test, not an installed copy
_NO_CORE = "import resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); "


def test_the_hostile_workbook_aborts_fastexcel_when_nothing_stops_it(tmp_path: Path) -> None:
    # The reason for the checks below: calamine allocates the dense grid A1:XFD1048576 (512 GB) and aborts.
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(HOSTILE)
    code = _NO_CORE + f"import fastexcel; fastexcel.read_excel({str(path)!r}).load_sheet(0)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode in (-6, 134) and "memory allocation of 549755813888 bytes failed" in run.stderr


def test_hizone_import_refuses_the_hostile_workbook_with_one_line_and_exit_2(engine: Engine, database_url: str,
                                                                             tmp_path: Path) -> None:
    seed_registry(engine, 1)
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(HOSTILE)
    assert len(HOSTILE) < 8000
    run = subprocess.run([sys.executable, "-c", _NO_CORE + "from hizone.cli import main; main()", "import", str(path),
                          "--form", FORM, "--period", "2021"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HIZONE_DATABASE_URL": database_url, "PYTHONPATH": SOURCE})
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == ("error: hostile.xlsx, sheet '企业年报', cell XFD1048576: a value in column "
                                  "16,384 (XFD), past the limit of 1,000 columns; delete what lies right of the "
                                  "table and save again"), run.stderr
    assert list_submissions(engine) == []


@pytest.mark.parametrize("rows", [3, 4000])  # all in the first megabyte of XML, or far past it
def test_formatting_out_to_xfd_and_a_bogus_dimension_do_not_matter(rows: int) -> None:
    def format_everything(book: Any, sheet: Any) -> None:
        fmt = book.add_format({"bg_color": "#FFFF00"})
        sheet.set_column(0, 16383, 12, fmt)
        sheet.write_blank(1048575, 16383, None, fmt)  # a styled empty cell: <c r="XFD1048576" s="1"/>
        sheet.write_blank(rows + 5, 200, None, fmt)

    def bogus_dimension(name: str, content: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', content) \
            if "sheet1" in name else content

    data = _patched_xlsx(_with_far_cell(rows, format_everything), bogus_dimension)
    sheet1 = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b'r="XFD1048576"' in sheet1 and b'ref="A1:XFD1048576"' in sheet1
    report = validate(data, FORM, "2021", context=CTX, name="styled.xlsx")
    assert report.row_count == rows


def test_a_value_far_down_in_a_big_sheet_is_refused_by_the_cell_limit() -> None:
    data = _with_far_cell(4000, lambda _b, sheet: sheet.write_number(1048575, 999, 1))  # ALL1048576: column 1,000
    with pytest.raises(IntakeError, match=r"^far\.xlsx, sheet '企业年报', cell ALL1048576: the sheet's values span "
                                          r"A1:ALL1048576, 1,048,576,000 cells, over the limit of 20,000,000 cells"):
        check(data, "far.xlsx")
    near = _with_far_cell(4000, lambda _b, sheet: sheet.write_number(100_000, 3, 1))  # D100001: 1.1 million cells
    assert validate(near, FORM, "2021", context=CTX, name="near.xlsx").row_count == 4001
    with pytest.raises(IntakeError, match=r"cell D100001: the sheet's values span A1:K100001, 1,100,011 cells, "
                                          r"over the limit of 1,000,000 cells"):
        check(near, "near.xlsx", limits=Limits(max_cells=1_000_000))


def test_a_far_value_in_a_sheet_without_cell_references_is_refused() -> None:
    # Positional rows and cells (no r=): 16,384 cells in one row put the last in column XFD.
    def positional_row(name: str, content: bytes) -> bytes:
        if "sheet1" not in name:
            return content
        return content.replace(b"</sheetData>", b"<row>" + b"<c/>" * 16383 + b"<c><v>1</v></c></row></sheetData>")

    with pytest.raises(IntakeError, match=r"sheet '企业年报', cell XFD5: a value in column 16,384"):
        check(_patched_xlsx(xlsx_bytes(good_rows(CODES)), positional_row), "p.xlsx")


def test_a_csv_row_of_100000_cells_is_refused_by_the_column_limit() -> None:
    wide = ",".join(["x"] * 100_000).encode() + b"\n"
    with pytest.raises(IntakeError, match=r"^wide\.csv, row 1: 100,000 cells, more than the limit of 1,000 columns$"):
        check(wide, "wide.csv")
    lines = csv_bytes(good_rows([credit_code(i + 1) for i in range(40)])).decode().splitlines()
    lines[35] += "," * 5000  # past the rows read to find the header: Arrow finds it, the row reader names it
    with pytest.raises(IntakeError, match=r"^f\.csv, row 36: 5,011 cells, more than the limit of 1,000 columns$"):
        check(("\n".join(lines) + "\n").encode(), "f.csv")


@pytest.mark.parametrize(("payload", "message"), [
    (b'{"rows": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "nested too deeply"),
    (b'{"rows": [{"a": ' + b"9" * 5000 + b"}]}", "a number with more than 4,300 digits"),
    ('{"rows": [{"统一社会信用代码": "x", "企业名称": "y", "营业收入": 1e999}]}'.encode(),
     "record 1: a number too large"),
])
def test_hostile_json_is_one_clear_error(payload: bytes, message: str) -> None:
    with pytest.raises(IntakeError, match=rf"^api\.json.*{message}"):
        validate(payload, FORM, "2021", context=CTX, name="api.json")


def test_a_json_payload_wider_than_the_column_limit_is_refused() -> None:
    payload = json.dumps({"columns": [f"c{i}" for i in range(1001)], "rows": []}).encode()
    with pytest.raises(IntakeError, match=r"api\.json: 1,001 columns, more than the limit of 1,000"):
        validate(payload, FORM, "2021", context=CTX, name="api.json")


# ---- every writer's valid OOXML ------------------------------------------------------------------------------


def _read(data: bytes, name: str) -> tuple[object, ...]:
    raw = read_source(data, rules_for(FORM, 2021), default_catalog(), name=name)
    return (raw.sheet, raw.labels, raw.table.to_pylist(), raw.row_numbers.tolist(), raw.header_row, raw.first_column,
            raw.preamble)


ORIGINAL = xlsx_bytes(good_rows(CODES), start_row=2, start_col=1, title=True)  # as the fixtures were made


@pytest.mark.parametrize("variant", ["prefixed", "strict", "positional", "absolute_targets"])
def test_other_writers_forms_of_the_same_workbook_read_the_same(variant: str) -> None:
    data = getattr(xlsx_variants, variant)(ORIGINAL)
    assert data != ORIGINAL
    assert _read(data, "v.xlsx") == _read(ORIGINAL, "v.xlsx")
    assert check(data, "v.xlsx") == []


def test_the_variants_are_what_they_claim() -> None:
    sheet = "xl/worksheets/sheet1.xml"
    prefixed = zipfile.ZipFile(io.BytesIO(xlsx_variants.prefixed(ORIGINAL))).read(sheet)
    assert b'<x:worksheet xmlns:r="' in prefixed and b'<x:row r="4"' in prefixed and b"<x:c " in prefixed
    strict = zipfile.ZipFile(io.BytesIO(xlsx_variants.strict(ORIGINAL)))
    assert xlsx_variants.STRICT_MAIN.encode() in strict.read(sheet)
    assert b'conformance="strict"' in strict.read("xl/workbook.xml")
    assert xlsx_variants.MAIN.encode() not in b"".join(strict.read(n) for n in strict.namelist() if "theme" not in n)
    positional = zipfile.ZipFile(io.BytesIO(xlsx_variants.positional(ORIGINAL))).read(sheet)
    assert b" r=" not in positional.split(b"<sheetData>")[1]
    rels = zipfile.ZipFile(io.BytesIO(xlsx_variants.absolute_targets(ORIGINAL))).read("xl/_rels/workbook.xml.rels")
    assert b'Target="/xl/worksheets/sheet1.xml"' in rels


def test_a_header_in_rich_runs_with_a_phonetic_reading_is_found() -> None:
    data = xlsx_variants.phonetic(ORIGINAL, "营业收入")
    assert b"<rPh" in zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")
    assert _read(data, "v.xlsx") == _read(ORIGINAL, "v.xlsx")


def test_a_prefixed_header_given_as_inline_strings_is_found(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "i.xlsx"), {"constant_memory": True})  # inline strings
    sheet = book.add_worksheet("企业年报")
    sheet.write_row(0, 0, HEADER)
    for i, row in enumerate(good_rows(CODES), start=1):
        sheet.write_row(i, 0, row)
    book.close()
    data = xlsx_variants.prefixed((tmp_path / "i.xlsx").read_bytes())
    assert b"<x:is><x:t>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert check(data, "inline.xlsx") == []


def test_a_prefixed_formula_without_a_cached_value_is_refused() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("企业年报")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, good_rows(CODES)[0])
    sheet.write_formula(1, 4, "=50*2", None, 100)
    book.close()
    data = xlsx_variants.prefixed(buffer.getvalue())
    assert check(data, "f.xlsx") == []

    def strip_value(name: str, content: bytes) -> bytes:
        return re.sub(rb"(<x:c r=\"E2\"[^>]*><x:f>[^<]*</x:f>)<x:v>[^<]*</x:v>", rb"\1", content) \
            if "sheet1" in name else content

    with pytest.raises(IntakeError, match=r"f\.xlsx, sheet '企业年报', cell E2: a formula has no cached value"):
        check(_patched_xlsx(data, strip_value), "f.xlsx")


def test_openpyxl_libreoffice_and_rust_xlsxwriter_files_read_the_same() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "企业年报"
    sheet.cell(3, 2, "国家高新区企业统计年报表")
    sheet.merge_cells(start_row=3, start_column=2, end_row=3, end_column=1 + len(HEADER))
    for r, row in enumerate([HEADER, *good_rows(CODES)], start=4):
        for c, value in enumerate(row, start=2):
            sheet.cell(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    expected = _read(ORIGINAL, "w.xlsx")
    for data in (buffer.getvalue(), (DATA / "libreoffice_enterprise_annual.xlsx").read_bytes(),
                 (DATA / "rust_xlsxwriter_enterprise_annual.xlsx").read_bytes()):
        assert _read(data, "w.xlsx") == expected


def test_a_dtd_in_a_workbook_part_is_refused() -> None:
    def with_dtd(name: str, content: bytes) -> bytes:
        if name != "xl/workbook.xml":
            return content
        return content.replace(b"?>", b'?><!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>', 1)

    with pytest.raises(IntakeError, match=r"d\.xlsx: xl/workbook\.xml holds a DTD"):
        check(_patched_xlsx(xlsx_bytes(good_rows(CODES)), with_dtd), "d.xlsx")


@pytest.mark.parametrize("window", [8 << 20, 1 << 16])  # one window for the rest of the sheet, or twenty
def test_a_formula_without_cached_value_far_past_the_first_megabyte_names_its_cell(
        window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from hizone.intake import sheetxml

    monkeypatch.setattr(sheetxml, "_WINDOW", window)

    def formula(_book: Any, sheet: Any) -> None:
        sheet.write_formula(3500, 4, "=50*2", None, 100)

    data = _with_far_cell(4000, formula)
    assert len(zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")) > 1 << 20
    assert validate(data, FORM, "2021", context=CTX, name="f.xlsx").row_count == 4000

    def strip_value(name: str, content: bytes) -> bytes:
        return re.sub(rb"(<c r=\"E3501\"[^>]*><f>[^<]*</f>)<v>[^<]*</v>", rb"\1", content) \
            if "sheet1" in name else content

    for variant in (lambda d: d, xlsx_variants.prefixed):
        with pytest.raises(IntakeError, match=r"f\.xlsx, sheet '企业年报', cell E3501: a formula has no cached value"):
            check(variant(_patched_xlsx(data, strip_value)), "f.xlsx")


def test_the_quick_checks_reference_patterns_are_exactly_the_comparisons() -> None:
    from hizone.intake.headers import column_letter
    from hizone.intake.sheetxml import _DIGITS, _LETTERS, _greater, _less

    for bound in (0, 1, 25, 26, 35, 701, 702, 999, 16383):
        above = re.compile("|".join(_greater(column_letter(bound), _LETTERS)))
        below = re.compile("|".join(_less(column_letter(bound), _LETTERS, "[0-9]")) or "(?!)")
        for column in range(0, 1100):
            ref = column_letter(column) + "7"
            assert bool(above.match(ref)) == (column > bound), (bound, column)
            assert bool(below.match(ref)) == (column < bound), (bound, column)
    for limit in ("1", "9", "10", "200001", "1048576"):
        above = re.compile("|".join(_greater(limit, _DIGITS)))
        below = re.compile("|".join(_less(limit, _DIGITS, '"')) or "(?!)")
        for number in (*range(1, 130), 199_999, 200_000, 200_001, 200_002, 999_999, 1_048_575, 1_048_576, 1_048_577,
                       10_000_000):
            assert bool(above.match(f'{number}"')) == (number > int(limit)), (limit, number)
            assert bool(below.match(f'{number}"')) == (number < int(limit)), (limit, number)


def test_a_second_r_attribute_past_the_head_is_caught() -> None:
    # calamine places the cell by the last r (fastexcel alone aborts on this file); expat refuses the duplicate.
    def duplicate(name: str, content: bytes) -> bytes:
        return content.replace(b'<c r="D3001"', b'<c r="D3001" s="0" r="XFD1048576"', 1) if "sheet1" in name \
            else content

    data = _patched_xlsx(_with_far_cell(4000, lambda _b, _s: None), duplicate)
    with pytest.raises(IntakeError, match=r"^d\.xlsx: the \.xlsx is truncated or damaged \(ExpatError: duplicate attr"):
        check(data, "d.xlsx")


@pytest.mark.parametrize("window", [8 << 20, 1 << 16])
@pytest.mark.parametrize(("row", "message"), [
    (b'<row r="3001"><c r="XFD3001"><v>1</v></c></row>', "cell XFD3001: a value in column 16,384"),
    (b'<row r="1048576"><c r="D1048576"><v>1</v></c></row>', "cell D1048576: the sheet's values span A1:K1048576"),
    (b'<row r="900"><c r="B900"><v>2</v></c><c r="K900"><v>1</v></c><c><v>3</v></c></row>', "cell L900"),
    (b'<row r="900"><!-- --><c r="A900"><v>1</v></c><x:c r="ALM901" xmlns:x="y"><v>1</v></x:c></row>',
     "cell ALM901"),
])
def test_a_far_value_in_the_middle_of_a_big_sheet_is_refused(row: bytes, message: str, window: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Rows out of order, a cell without r= after one far right, another prefix, a comment: each makes the quick
    # check hand the sheet to the exact reading, which finds the value.
    from hizone.intake import sheetxml

    monkeypatch.setattr(sheetxml, "_WINDOW", window)

    def insert(name: str, content: bytes) -> bytes:
        return content.replace(b'<row r="2001"', row + b'<row r="2001"', 1) if "sheet1" in name else content

    data = _patched_xlsx(_with_far_cell(4000, lambda _b, _s: None), insert)
    with pytest.raises(IntakeError, match=rf"^m\.xlsx, sheet '企业年报', {message}"):
        check(data, "m.xlsx", limits=Limits(max_columns=11, max_cells=1_000_000))


@pytest.mark.parametrize(("target", "member"), [
    ("worksheets/../evil.xml", "xl/worksheets/../evil.xml"),  # calamine takes the name as written
    ("/xl/data/evil.xml", "xl/data/evil.xml"),
    ("evil%20sheet.xml", "xl/evil sheet.xml"),
])
def test_the_hostile_sheet_under_another_member_name_is_still_checked(target: str, member: str) -> None:
    source = zipfile.ZipFile(io.BytesIO(HOSTILE))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b'Target="worksheets/sheet1.xml"', f'Target="{target}"'.encode())
            archive.writestr(member if info.filename == "xl/worksheets/sheet1.xml" else info.filename, content)
    with pytest.raises(IntakeError, match=r"^odd\.xlsx, sheet '企业年报', cell XFD1048576: a value in column 16,384"):
        check(out.getvalue(), "odd.xlsx")

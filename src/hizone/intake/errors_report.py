"""The error report: every problem with file, sheet, row, column, value, rule and a message in Chinese
and English; as JSON for the API and as an .xlsx copy of the submitted sheet with the bad cells marked."""

from __future__ import annotations

import io
import json
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import xlsxwriter

if TYPE_CHECKING:
    from hizone.intake.readers import RawSheet

# Messages for the built-in checks; cross-field rules bring their own from the rules YAML.
MESSAGES: dict[str, tuple[str, str]] = {
    "not_a_number": ("“{value}”不是数字", "'{value}' is not a number"),
    "formula": ("单元格以“=”开头：不接受公式，请填写数值", "the cell starts with '=': formulas are not accepted, "
                "enter the value"),
    "formula_text": ("单元格以“{prefix}”开头：可能是公式注入，不予接受", "the cell starts with '{prefix}': "
                     "possible formula injection, not accepted"),
    "unknown_unit": ("“{value}”的单位“{suffix}”无法换算为{unit}", "'{value}': unit '{suffix}' does not convert "
                     "to {unit}"),
    "required": ("必填项{name}为空", "required field {name_en} is blank"),
    "integer": ("{name}应为整数，实为{value}", "{name_en} must be a whole number, got {value}"),
    "not_in_codes": ("{name}为{value}，不在代码表“{list_zh}”中（可填：{choices_zh}）",
                     "{name_en} is {value}, not a code of the list '{list_en}' (one of: {choices_en})"),
    "below_min": ("{name}为{value}，低于下限{bound}", "{name_en} is {value}, below the minimum {bound}"),
    "above_max": ("{name}为{value}，超过上限{bound}", "{name_en} is {value}, above the maximum {bound}"),
    "entity_blank": ("{name}为空", "{name_en} is blank"),
    "credit_code": ("统一社会信用代码“{value}”无效：{reason_zh}", "credit code '{value}' is invalid: {reason_en}"),
    "duplicate": ("与第{other}行重复（同一{name}）", "duplicates row {other} (same {name_en})"),
    "unknown_zone": ("高新区代码“{value}”不存在", "zone code '{value}' does not exist"),
    "unknown_entity": ("{name}“{value}”未在名录中登记，请先登记", "{name_en} '{value}' is not in the registry; "
                       "register it first"),
    "wrong_zone": ("企业{key}登记在{registered}（{registered_name}）；迁往{value}由省级科技管理部门或火炬中心登记",
                   "enterprise {key} is registered in {registered} ({registered_name}); a move to {value} is "
                   "recorded by the province or the Torch Center"),
    "period_mismatch": ("报告期“{value}”与导入的报告期{period}不符", "period '{value}' does not match the "
                        "import period {period}"),
    "outlier": ("{name}为{value}，是上年同期{previous}的{ratio:.1f}倍，请核实后确认",
                "{name_en} is {value}, {ratio:.1f}× the same period last year ({previous}); check and confirm"),
    "locked": ("该报表已由国家级审核通过并锁定，不能修改", "approved by the national level and locked; it "
               "cannot be changed"),
    "out_of_scope": ("不在您的报送范围（{scope}）内：只能报送范围内已登记的{name}",
                     "outside your scope ({scope}): only a {name_en} registered within it can be reported"),
}


def message(rule: str, **fields: Any) -> tuple[str, str]:
    """The rule's Chinese and English message; ``name_en`` defaults to ``name``."""
    fields.setdefault("name_en", fields.get("name"))
    zh, en = MESSAGES[rule]
    return zh.format(**fields), en.format(**fields)


@dataclass(frozen=True)
class Issue:
    severity: str  # "error" refuses the file; "warning" needs the submitter's confirmation
    rule: str
    message_zh: str
    message_en: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None  # spreadsheet column letter (the JSON key for JSON payloads)
    field: str | None  # element code or identifying role
    value: str | None
    entity_key: str | None = None

    @property
    def cell(self) -> str:
        return f"{self.column or ''}{self.row or ''}"


def max_issues() -> int:
    """How many issues a report lists (HIZONE_INTAKE_MAX_ISSUES); every issue is still counted by rule."""
    return int(os.environ.get("HIZONE_INTAKE_MAX_ISSUES") or 1000)


@dataclass
class IssueTally:
    """Issues as they are found: every one counted by (severity, rule), the first ``limit`` of each rule
    kept, so a file of 40,000 bad rows costs 1,000 Issue objects, not 120,000."""

    limit: int = field(default_factory=max_issues)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def room(self, severity: str, rule: str, found: int) -> int:
        """Count ``found`` more issues of a rule; how many of them to keep (the first ones)."""
        if not found:
            return 0
        kept = min(self.counts[(severity, rule)], self.limit)
        self.counts[(severity, rule)] += found
        return max(0, min(found, self.limit - kept))


@dataclass
class ValidationReport:
    source_name: str
    sha256: str
    sheet: str | None
    form: str
    form_version: int
    period: str
    row_count: int
    issues: list[Issue] = field(default_factory=list)  # those listed: at most max_issues()
    raw: RawSheet | None = field(default=None, repr=False)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # every issue, by (severity, rule)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = Counter((i.severity, i.rule) for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def error_count(self) -> int:
        return sum(n for (severity, _), n in self.counts.items() if severity == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for (severity, _), n in self.counts.items() if severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.error_count

    def add(self, issues: list[Issue], counts: Counter[tuple[str, str]]) -> None:
        """Issues found after the report was made (rows locked at storing), listed first."""
        self.issues = (issues + self.issues)[:max_issues()]
        self.counts += counts

    def omitted(self) -> list[tuple[str, str, int]]:
        """(severity, rule, how many) of the issues counted but not listed."""
        listed = Counter((i.severity, i.rule) for i in self.issues)
        return [(severity, rule, total - listed[(severity, rule)])
                for (severity, rule), total in sorted(self.counts.items()) if total > listed[(severity, rule)]]

    def omitted_lines(self) -> list[tuple[str, str]]:
        """One line per rule with issues not listed, in Chinese and English."""
        return [(f"……另有{count}条“{rule}”问题未列出", f"… and {count} more of rule {rule}")
                for _, rule, count in self.omitted()]

    def to_json(self) -> dict[str, Any]:
        return {"file": self.source_name, "sha256": self.sha256, "sheet": self.sheet, "form": self.form,
                "form_version": self.form_version, "period": self.period, "rows": self.row_count,
                "error_count": self.error_count, "warning_count": self.warning_count,
                "issue_counts": [{"severity": s, "rule": r, "count": n} for (s, r), n in sorted(self.counts.items())],
                "omitted": [{"severity": s, "rule": r, "count": n, "message_zh": zh, "message_en": en}
                            for (s, r, n), (zh, en) in zip(self.omitted(), self.omitted_lines(), strict=True)],
                "issues": [asdict(i) for i in self.issues]}

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1)

    def to_xlsx(self, original: RawSheet | None = None) -> bytes:
        """A copy of the submitted sheet, problem cells filled red (warnings amber) with a comment each,
        and a second sheet listing every problem."""
        raw = original or self.raw
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
        if raw is not None:
            _write_copy(book, raw, self.issues)
        _write_list(book, self)
        book.close()
        return buffer.getvalue()


def _write_copy(book: xlsxwriter.Workbook, raw: RawSheet, issues: list[Issue]) -> None:
    sheet = book.add_worksheet((raw.sheet or "数据 Data")[:31])
    error = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    warning = book.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
    by_cell: dict[tuple[int, int], list[Issue]] = defaultdict(list)
    letters = {raw.letter(i): i for i in range(len(raw.labels))}
    for issue in issues:
        if issue.row is not None and issue.column in letters:
            by_cell[(issue.row, letters[issue.column])].append(issue)
    for r, cells in enumerate(raw.preamble):
        for c, value in enumerate(cells):
            if value is not None:
                sheet.write_string(r, raw.first_column + c, str(value))
    columns = [raw.table.column(i).to_pylist() for i in range(raw.table.num_columns)]
    rows = [int(n) for n in raw.row_numbers]
    json_offset = 1 if raw.kind == "json" else 0  # JSON records sit under a one-line header
    for j, values in enumerate(columns):
        for i, value in enumerate(values):
            if value is None:
                continue
            row = rows[i] - 1 + json_offset
            found = by_cell.get((rows[i], j))
            fmt = (error if any(x.severity == "error" for x in found) else warning) if found else None
            sheet.write_string(row, raw.first_column + j, str(value), fmt)
    index_of = {r: i for i, r in enumerate(rows)}
    for (row_number, j), found in by_cell.items():
        row = row_number - 1 + json_offset
        note = "\n".join(f"[{x.rule}] {x.message_zh}\n{x.message_en}" for x in found)
        sheet.write_comment(row, raw.first_column + j, note, {"x_scale": 2, "y_scale": 2})
        slot = index_of.get(row_number)
        if slot is None or columns[j][slot] is None:
            fmt = error if any(x.severity == "error" for x in found) else warning
            sheet.write_blank(row, raw.first_column + j, None, fmt)


def _write_list(book: xlsxwriter.Workbook, report: ValidationReport) -> None:
    sheet = book.add_worksheet("问题清单 Problems")
    bold = book.add_format({"bold": True})
    headers = ["级别 severity", "规则 rule", "文件 file", "工作表 sheet", "行 row", "列 column", "字段 field",
               "值 value", "企业/园区 entity", "说明", "message"]
    sheet.write_row(0, 0, headers, bold)
    for i, issue in enumerate(report.issues, start=1):
        cells = [issue.severity, issue.rule, issue.file, issue.sheet or "", issue.row, issue.column or "",
                 issue.field or "", issue.value or "", issue.entity_key or "", issue.message_zh, issue.message_en]
        for j, cell in enumerate(cells):
            if isinstance(cell, int):
                sheet.write_number(i, j, cell)
            else:
                sheet.write_string(i, j, cell)
    for i, (zh, en) in enumerate(report.omitted_lines(), start=len(report.issues) + 1):
        sheet.write_string(i, 9, zh)
        sheet.write_string(i, 10, en)
    sheet.autofilter(0, 0, max(len(report.issues), 1), len(headers) - 1)
    sheet.set_column(9, 10, 48)

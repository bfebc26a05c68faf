"""An .xlsx template per form and year: Chinese headers with units, codes under them, drop-downs and
number validation, and an instructions sheet built from the catalog and the rules."""

from __future__ import annotations

import io
from collections.abc import Sequence

import xlsxwriter

from hizone.catalog import Catalog, default_catalog
from hizone.intake.rules import RuleSet, rules_for

DATA_ROWS = 5000  # rows that carry data validation


def build_template(form: str, year: int, zones: Sequence[tuple[str, str]] = (),
                   catalog: Catalog | None = None) -> bytes:
    """The template as bytes; ``zones`` (code, name) fills the zone drop-down."""
    cat = catalog or default_catalog()
    rules = rules_for(form, year, catalog)
    spec = rules.form
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    code_fmt = book.add_format({"font_color": "#808080", "italic": True, "border": 1})
    sheet = book.add_worksheet("数据")
    identity = [(role.role, next((x for x in role.labels if not x.isascii()), role.labels[0]), role.labels[0])
                for role in rules.columns if role.role != "period"]
    headers = [(label, code) for _role, label, code in identity]
    for f in spec.fields:
        mark = "*" if f.required else ""
        headers.append((f"{mark}{f.element.name_zh}({f.element.unit.name})", f.element.code))
    sheet.merge_range(0, 0, 0, len(headers) - 1, f"{spec.name_zh}（{year}年）", title)
    for col, (label, code) in enumerate(headers):
        sheet.write_string(1, col, label, head)
        sheet.write_string(2, col, code, code_fmt)
    sheet.set_row(1, 36)
    sheet.set_column(0, len(identity) - 1, 22)
    sheet.set_column(len(identity), len(headers) - 1, 14)
    sheet.freeze_panes(3, 1)
    positions = {role: i for i, (role, _l, _c) in enumerate(identity)}
    # The drop-down goes on the zone column (enterprise forms) or on the entity column (zone forms).
    zone_column = positions.get("zone") if spec.entity == "enterprise" else positions.get("entity")
    if zones and zone_column is not None:
        lists = book.add_worksheet("代码表")
        for i, (code, name) in enumerate(zones):
            lists.write_string(i, 0, code)
            lists.write_string(i, 1, name)
        lists.hide()
        sheet.data_validation(3, zone_column, DATA_ROWS, zone_column, {
            "validate": "list", "source": f"=代码表!$A$1:$A${len(zones)}",
            "input_title": "高新区", "input_message": "从下拉列表选择高新区代码"})
    if spec.entity == "enterprise" and "entity" in positions:
        col = positions["entity"]
        sheet.data_validation(3, col, DATA_ROWS, col, {
            "validate": "length", "criteria": "==", "value": 18,
            "error_message": "统一社会信用代码应为18位 / the credit code has 18 characters"})
    for offset, f in enumerate(spec.fields):
        col = len(identity) + offset
        element = f.element
        bounds = rules.ranges.get(element.code)
        low = bounds.min if bounds and bounds.min is not None else element.min
        high = bounds.max if bounds and bounds.max is not None else element.max
        if element.codes is not None:  # a coded field: the drop-down of its code list, as on the online form
            listed = "、".join(f"{c.value} {c.name_zh}" for c in element.codes.codes)
            sheet.data_validation(3, col, DATA_ROWS, col, {
                "validate": "list", "source": [str(c.value) for c in element.codes.codes], "ignore_blank": True,
                "input_title": element.name_zh[:32], "input_message": listed[:255],
                "error_message": f"{element.name_zh}应为代码表“{element.codes.name_zh}”中的代码：{listed}"[:255]})
            continue
        kind = "integer" if element.type == "integer" else "decimal"
        options = {"validate": kind, "ignore_blank": True,
                   "error_message": f"{element.name_zh}应为{'整数' if kind == 'integer' else '数值'}"
                                    f"（单位：{element.unit.name}）"}
        if low is not None and high is not None:
            options.update(criteria="between", minimum=low, maximum=high)
        elif low is not None:
            options.update(criteria=">=", value=low)
        elif high is not None:
            options.update(criteria="<=", value=high)
        else:
            options.update(criteria="between", minimum=-1e15, maximum=1e15)
        sheet.data_validation(3, col, DATA_ROWS, col, options)
    _instructions(book, rules, year, cat, head)
    book.close()
    return buffer.getvalue()


def _instructions(book: xlsxwriter.Workbook, rules: RuleSet, year: int, catalog: Catalog,
                  head: xlsxwriter.workbook.Format) -> None:
    spec = rules.form
    sheet = book.add_worksheet("填表说明")
    lines = [
        f"{spec.name_zh}（{year}年） / {spec.name_en}",
        "1. 每个报告主体填一行；第2行为中文表头（括号内为计量单位），第3行为指标代码，勿删改。",
        "2. 金额单位为千元；可填写“万”“亿”或带单位（如“3.5万元”），系统自动换算。可用全角数字和千分位。",
        "3. 标*的为必填项。不接受公式：请填写数值。",
        "4. 同一文件中每个主体只能出现一次。重复导入同一文件不会产生新版本；更正后的文件产生新版本。",
        "5. 名录中尚未登记的企业随报表一并登记：须填企业名称和高新区代码，行业代码（GB/T 4754-2017）、注册日期有则填。",
        "1. One row per reporting entity; row 2 holds the Chinese headers (units in brackets), row 3 the codes.",
        "2. Money is in thousand yuan; 万/亿 and unit suffixes (e.g. 3.5万元) are converted. * marks required.",
        "3. An enterprise not yet registered is registered with its report: fill in name and zone, and the industry "
        "code and registration date where known.",
    ]
    for i, line in enumerate(lines):
        sheet.write_string(i, 0, line)
    row = len(lines) + 1
    sheet.write_row(row, 0, ["代码 code", "指标 name", "indicator", "单位 unit", "必填 required",
                             "下限 min", "上限 max"], head)
    for f in spec.fields:
        row += 1
        e = f.element
        bounds = rules.ranges.get(e.code)
        low = bounds.min if bounds and bounds.min is not None else e.min
        high = bounds.max if bounds and bounds.max is not None else e.max
        sheet.write_row(row, 0, [e.code, e.name_zh, e.name_en, e.unit.name, "是" if f.required else "",
                                 "" if low is None else low, "" if high is None else high])
    row += 2
    sheet.write_row(row, 0, ["校验规则 rule", "说明", "description", "check"], head)
    for rule in rules.cross_field:
        row += 1
        sheet.write_row(row, 0, [rule.id, rule.message_zh, rule.message_en, rule.text])
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 3, 36)

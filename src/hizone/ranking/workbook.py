"""The results workbook (.xlsx, XlsxWriter): overall ranking, a sheet per dimension, indicator values and
scores, the method and configuration, and optionally a zone's gap report (对标找差) against a benchmark."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from hizone.errors import HizoneError
from hizone.evaluate import UnitReport
from hizone.ranking.compute import Evaluation, ResultRow
from hizone.ranking.framework import ROOT, FrameworkIndicator
from hizone.ranking.values import ZoneInfo

OVERALL_SHEET = "综合排名"
VALUES_SHEET = "指标值"
SCORES_SHEET = "指标得分"
METHOD_SHEET = "方法与配置"
GAP_SHEET_PREFIX = "对标 "


@dataclass(frozen=True)
class RunInfo:
    run_id: int | None
    data_fingerprint: str
    synthetic: bool
    created_by: str


def sheet_name(text: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31].strip()


def dimension_sheet(code: str, name: str) -> str:
    return sheet_name(f"{code} {name}")


def write_workbook(path: Path, evaluation: Evaluation, zones: Mapping[str, ZoneInfo], run: RunInfo,
                   gap: UnitReport | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False})
    except OSError as exc:
        raise HizoneError(f"cannot write the workbook: {exc}", where=str(path)) from None
    styles = _Styles(book)
    rows = _by_zone(evaluation.rows)
    _overall(book, styles, evaluation, rows, zones)
    for dimension in evaluation.framework.dimensions:
        _dimension(book, styles, evaluation, rows, zones, dimension.code, dimension.name_zh)
    _indicators(book, styles, evaluation, rows, zones, VALUES_SHEET, lambda row: row.value)
    _indicators(book, styles, evaluation, rows, zones, SCORES_SHEET, lambda row: row.score)
    _method(book, styles, evaluation, run)
    if gap is not None:
        _gap(book, styles, gap)
    book.set_properties({"title": f"{evaluation.framework.name_zh} {evaluation.year}",
                         "comments": "synthetic demo data" if run.synthetic else ""})
    try:
        book.close()
    except OSError as exc:
        raise HizoneError(f"cannot write the workbook: {exc}", where=str(path)) from None
    return path


class _Styles:
    def __init__(self, book: Workbook) -> None:
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.number = book.add_format({"num_format": "0.0000"})
        self.bold = book.add_format({"bold": True})


def _by_zone(rows: Sequence[ResultRow]) -> dict[str, dict[str, ResultRow]]:
    out: dict[str, dict[str, ResultRow]] = {}
    for row in rows:
        out.setdefault(row.zone_code, {})[row.code] = row
    return out


def _cell(sheet: Worksheet, row: int, col: int, value: Any, styles: _Styles) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None)
    elif isinstance(value, float):
        sheet.write_number(row, col, value, styles.number)
    elif isinstance(value, int | bool):
        sheet.write(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def _table(sheet: Worksheet, styles: _Styles, header: Sequence[str], body: Sequence[Sequence[Any]],
           first_row: int = 0) -> None:
    for col, title in enumerate(header):
        sheet.write_string(first_row, col, title, styles.header)
    for r, values in enumerate(body, start=first_row + 1):
        for col, value in enumerate(values):
            _cell(sheet, r, col, value, styles)
    sheet.freeze_panes(first_row + 1, 3 if len(header) > 3 else 0)
    sheet.set_column(0, len(header) - 1, 12)


def _order(rows: Mapping[str, Mapping[str, ResultRow]], code: str) -> list[str]:
    def key(zone: str) -> tuple[float, str]:
        rank = rows[zone][code].rank if code in rows[zone] else None
        return (rank if rank is not None else math.inf, zone)
    return sorted(rows, key=key)


def _overall(book: Workbook, styles: _Styles, evaluation: Evaluation, rows: Mapping[str, Mapping[str, ResultRow]],
             zones: Mapping[str, ZoneInfo]) -> None:
    dimensions = evaluation.framework.dimensions
    header = ["排名 rank", "代码 zone", "名称 name", "区域 region", "总分 score", "排名变化 change",
              "排名5% p05", "排名95% p95"]
    header += [f"{d.code} 得分 score" for d in dimensions] + [f"{d.code} 排名 rank" for d in dimensions]
    body = []
    for zone in _order(rows, ROOT):
        overall = rows[zone][ROOT]
        info = zones.get(zone)
        body.append([overall.rank, zone, info.name_zh if info else zone, info.region if info else "",
                     overall.score, overall.rank_change, overall.rank_p05, overall.rank_p95,
                     *(rows[zone][d.code].score for d in dimensions), *(rows[zone][d.code].rank for d in dimensions)])
    _table(book.add_worksheet(OVERALL_SHEET), styles, header, body)


def _dimension(book: Workbook, styles: _Styles, evaluation: Evaluation,
               rows: Mapping[str, Mapping[str, ResultRow]], zones: Mapping[str, ZoneInfo], code: str,
               name: str) -> None:
    members = evaluation.framework.tree.children[code]
    header = ["排名 rank", "代码 zone", "名称 name", "得分 score", "排名变化 change"]
    header += [f"{m} 值 value" for m in members] + [f"{m} 得分 score" for m in members]
    body = []
    for zone in _order(rows, code):
        node = rows[zone][code]
        info = zones.get(zone)
        body.append([node.rank, zone, info.name_zh if info else zone, node.score, node.rank_change,
                     *(rows[zone][m].value for m in members), *(rows[zone][m].score for m in members)])
    _table(book.add_worksheet(dimension_sheet(code, name)), styles, header, body)


def _indicators(book: Workbook, styles: _Styles, evaluation: Evaluation,
                rows: Mapping[str, Mapping[str, ResultRow]], zones: Mapping[str, ZoneInfo], title: str,
                pick: Any) -> None:
    codes = evaluation.framework.tree.indicators
    header = ["代码 zone", "名称 name", *codes]
    body = [[zone, zones[zone].name_zh if zone in zones else zone, *(pick(rows[zone][c]) for c in codes)]
            for zone in sorted(rows)]
    sheet = book.add_worksheet(title)
    _table(sheet, styles, header, body)
    sheet.freeze_panes(1, 2)


def _status(indicator: FrameworkIndicator) -> str:
    if not indicator.available:
        return "unavailable"
    return "approximated" if indicator.approximated else "computed"


def _method(book: Workbook, styles: _Styles, evaluation: Evaluation, run: RunInfo) -> None:
    framework = evaluation.framework
    sheet = book.add_worksheet(METHOD_SHEET)
    facts: list[tuple[str, Any]] = [
        ("框架 framework", f"{framework.name_zh} ({framework.code} {framework.version})"),
        ("年份 year", evaluation.year), ("运行 run", run.run_id), ("数据指纹 data fingerprint", run.data_fingerprint),
        ("框架指纹 framework fingerprint", framework.fingerprint), ("运行人 created by", run.created_by),
        ("数据 data", "合成演示数据 synthetic demo data: not the official ranking" if run.synthetic else "store"),
        ("来源 source", framework.source), ("方法 method", framework.method),
        ("流程 pipeline", json.dumps(framework.pipeline.to_dict(), ensure_ascii=False)),
        ("不确定性 uncertainty", json.dumps(dict(framework.uncertainty_raw), ensure_ascii=False, default=str)),
        ("区数 zones", len(evaluation.zone_codes)),
        ("不确定性抽样 replications", len(evaluation.uncertainty.ranks) if evaluation.uncertainty else 0),
    ]
    for r, (label, value) in enumerate(facts):
        sheet.write_string(r, 0, label, styles.bold)
        _cell(sheet, r, 1, value, styles)
    start = len(facts) + 1
    dims = [[d.code, d.name_zh, d.name_en, d.weight, d.tag] for d in framework.dimensions]
    _table(sheet, styles, ["一级指标 dimension", "名称 name", "name (en)", "权重 points", "依据 tag"], dims, start)
    start += len(dims) + 2
    items = [[i.code, i.dimension, i.name_zh, i.unit, i.weight, i.direction, i.tag, _status(i), i.formula or "",
              "yes" if i.change else "", i.approximated or i.reason or ""] for i in framework.indicators]
    _table(sheet, styles, ["二级指标 indicator", "一级 dimension", "名称 name", "单位 unit", "赋权 weight",
                           "方向 direction", "依据 tag", "状态 status", "公式 formula", "净增 change",
                           "近似/缺失说明 note"], items, start)
    sheet.freeze_panes(0, 0)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 40)
    sheet.set_column(8, 8, 48)


def _gap(book: Workbook, styles: _Styles, report: UnitReport) -> None:
    sheet = book.add_worksheet(sheet_name(GAP_SHEET_PREFIX + report.unit))
    sheet.write_string(0, 0, f"{report.unit} {report.unit_name} — 对标 benchmark: {report.benchmark}", styles.bold)
    gaps = [[g.code, g.name, g.own, g.benchmark, g.gap, g.index_gain] for g in report.gaps]
    _table(sheet, styles, ["指标 indicator", "名称 name", "本区得分 own", "标杆得分 benchmark", "差距 gap",
                           "总分增益 index gain"], gaps, 2)
    start = len(gaps) + 5
    scores = [[s.code, s.name, s.level, s.value, s.rank, s.of] for s in report.scores]
    _table(sheet, styles, ["节点 node", "名称 name", "层级 level", "得分 score", "排名 rank", "参评 of"], scores, start)
    sheet.freeze_panes(0, 0)

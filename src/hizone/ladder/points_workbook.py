"""The banks' list of a zone's innovation points (科创积分贷) as .xlsx (XlsxWriter): one row per enterprise with its
rank, stage, score, each indicator's value, normalised value and contribution, and what is missing; a sheet with
the method, marked when the rules are a documented default rather than the official list."""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter

from hizone.ladder.points_service import ZonePoints

LIST_SHEET = "创新积分"
METHOD_SHEET = "方法"
DEFAULT_NOTE = ("Documented default built from the published structure of the 2024 创新积分制 guideline, not the "
                "official list of 18 indicators (which is not public in full).")


SYNTHETIC_NOTE = "演示数据（合成）/ Synthetic demo data"


def write_points_workbook(path: Path, found: ZonePoints, synthetic: bool = False) -> None:
    path.write_bytes(points_workbook(found, synthetic))


def points_workbook(found: ZonePoints, synthetic: bool = False) -> bytes:
    """The workbook as bytes; ``synthetic`` marks figures of the demo on the method sheet."""
    buffer = io.BytesIO()
    # No cell text becomes a formula or a link (credit codes and labels are data).
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(LIST_SHEET)
    indicators = found.rules.indicators
    header = ["rank", "credit_code", "stage", "score", "bonus", "penalty", "missing"]
    for indicator in indicators:
        header += [f"{indicator.code} value", f"{indicator.code} normalised", f"{indicator.code} points"]
    sheet.write_row(0, 0, header, bold)
    for row, score in enumerate(found.scores, start=1):
        cells: list[object] = [score.rank, score.credit_code, score.stage.label, score.score,
                               sum(b.points for b in score.bonus), sum(p.points for p in score.penalty),
                               ";".join(score.missing)]
        for part in score.contributions:
            cells += [part.value, part.normalised, part.points]
        for column, cell in enumerate(cells):
            if cell is None:
                sheet.write_blank(row, column, None)
            else:
                sheet.write(row, column, cell)
    sheet.freeze_panes(1, 2)
    method = book.add_worksheet(METHOD_SHEET)
    lines: list[tuple[str, object]] = [("data", SYNTHETIC_NOTE)] if synthetic else []
    lines += [("zone", found.zone_code), ("year", found.year), ("enterprises scored", found.scored),
             ("rules version", found.rules.version),
             ("official list", "yes" if found.rules.official else "no: " + DEFAULT_NOTE),
             ("normalisation", found.rules.normalisation),
             ("missing values", "an indicator without a value scores 0 and is listed under 'missing'")]
    lines += [(f"{i.code} ({i.label})", ", ".join(f"{s} {w:g}" for s, w in i.weights.items())) for i in indicators]
    for row, (name, value) in enumerate(lines):
        method.write(row, 0, name, bold)
        method.write(row, 1, value)
    book.close()
    return buffer.getvalue()

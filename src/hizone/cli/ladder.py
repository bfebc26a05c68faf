"""`hizone ladder ...`: the enterprise ladder (梯度培育). `assess` checks firms from a file alone.

Thin: read the file, call the pure engine in hizone.ladder, write the rows. Every number comes from the engine.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from hizone.cli.common import command_group, user_errors
from hizone.errors import HizoneError

ladder_app = command_group("The enterprise ladder (梯度培育): qualification self-checks of firms.")
SHOWN_UNCHECKED = 20

ASSESS_HELP = """Assess firms against the 科技型中小企业 evaluation and the 高新技术企业 recognition rules in
force for each row's year (catalog/data/ladder/), from a CSV file alone.

Input columns (UTF-8 or GBK; money in yuan, y3 the latest year): id, year, founded_year, staff, st_staff,
sales_y1, sales_y2, sales_y3, rd_y1, rd_y2, rd_y3, rd_domestic (percent of R&D spent in China), hitech_revenue
(latest year), total_assets, net_assets_y1, net_assets_y2, net_assets_y3, ip_class1, ip_class2, conversions
(annual average of the last three years), ip_quality_points (0-22), rd_management (0-20), major_incident
(1/0, yes/no, 是/否).

Output columns: id, sme_score, sme_eligible (true, false or incomplete), hte_rd_ratio (three years' R&D / three
years' sales, a fraction), hte_rd_threshold (a fraction), hte_failed (the failed hard criteria, ';'-separated:
registered, ip, st_staff, rd_ratio, rd_domestic, hitech_revenue, incident), hte_score_min, hte_score_max,
hte_verdict (eligible, borderline, ineligible or incomplete).

An empty cell is never guessed: the criteria that need it are not checkable. A score that needs it is left
empty; a verdict is still given when the known criteria decide it (a failed hard criterion, or a score that
cannot reach the pass mark even with every unknown item at its maximum, is ineligible), otherwise it is
'incomplete'; a criterion not checkable is never listed in hte_failed. The command prints, per firm, which
criteria could not be checked and which columns were empty.

A file with missing columns, negative sales, R&D or assets, a staff of 0, or a share above 100% (rd_domestic
above 100, st_staff above staff, hitech_revenue above sales_y3) is refused: one line per problem naming file,
row and column, exit code 2, nothing written."""


@ladder_app.callback()
def ladder_group() -> None:
    """The enterprise ladder (梯度培育): qualification self-checks of firms."""


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV file in UTF-8 (with or without BOM) or, failing that, GBK."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HizoneError("file not found", where=str(path)) from None
    except OSError as error:
        raise HizoneError(f"cannot read: {error.strerror}", where=str(path)) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise HizoneError("not a UTF-8 or GBK text file", where=str(path))
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise HizoneError(f"not a readable CSV file ({error})", where=str(path)) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise HizoneError("empty: expected a header row", where=str(path))
    return rows[0], rows[1:]


def _write_atomically(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write beside the target and rename: an interrupted run leaves no half-written file."""
    from hizone.exports import write_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            write_csv(stream, header, rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@ladder_app.command("assess", help=ASSESS_HELP)
@user_errors
def assess_command(
    data: Annotated[Path, typer.Option("--data", help="The firms, one row per firm and year (CSV).")],
    out: Annotated[Path, typer.Option("--out", help="The assessments (CSV), one row per input row.")],
) -> None:
    from hizone.ladder.assess import Verdict, assess
    from hizone.ladder.records import OUTPUT_COLUMNS, firms_from_rows, output_row, unchecked_lines
    from hizone.ladder.rules import earliest_year, rules_for

    header, rows = _read_rows(data)
    firms = firms_from_rows(rows, header, str(data), earliest_year())
    assessments = []
    for row, firm in firms:
        rules = rules_for(firm.year)
        if rules is None:
            raise AssertionError("firms_from_rows refuses years before the rules")
        assessments.append((row, assess(firm, rules)))
    _write_atomically(out, list(OUTPUT_COLUMNS), [output_row(a) for _, a in assessments])
    eligible = sum(a.tech_sme.eligible is True for _, a in assessments)
    verdicts = {v: sum(a.hightech.verdict is v for _, a in assessments) for v in Verdict}
    typer.echo(f"{len(assessments)} firm(s) assessed → {out}: 科技型中小企业 eligible {eligible}; 高新技术企业 "
               + ", ".join(f"{v.value} {n}" for v, n in verdicts.items()))
    lines = unchecked_lines(assessments)
    for line in lines[:SHOWN_UNCHECKED]:
        typer.echo(line)
    if len(lines) > SHOWN_UNCHECKED:
        typer.echo(f"… and {len(lines) - SHOWN_UNCHECKED} more firm(s) with criteria not checkable")

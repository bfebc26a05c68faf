"""Firms from rows of text (the columns of ``hizone ladder assess``), checked; assessments back to rows.

Every problem names the file, the row (the header is row 1) and the column; any problem refuses the whole file.
An empty cell is a value the firm did not give: the criteria that need it are not checkable, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from hizone.errors import HizoneError
from hizone.intake.numbers import Status, parse_number
from hizone.ladder.assess import Assessment, Firm

INPUT_COLUMNS = ("id", "year", "founded_year", "staff", "st_staff", "sales_y1", "sales_y2", "sales_y3", "rd_y1",
                 "rd_y2", "rd_y3", "rd_domestic", "hitech_revenue", "total_assets", "net_assets_y1", "net_assets_y2",
                 "net_assets_y3", "ip_class1", "ip_class2", "conversions", "ip_quality_points", "rd_management",
                 "major_incident")
OUTPUT_COLUMNS = ("id", "sme_score", "sme_eligible", "hte_rd_ratio", "hte_rd_threshold", "hte_failed",
                  "hte_score_min", "hte_score_max", "hte_verdict")
MONEY = ("sales_y1", "sales_y2", "sales_y3", "rd_y1", "rd_y2", "rd_y3", "hitech_revenue", "total_assets")
NET_ASSETS = ("net_assets_y1", "net_assets_y2", "net_assets_y3")  # may be negative: liabilities above assets
COUNTS = ("staff", "st_staff", "ip_class1", "ip_class2")
# Self-assessed or averaged figures: any number in [low, high].
RANGES = {"rd_domestic": (0, 100), "ip_quality_points": (0, 22), "rd_management": (0, 20), "conversions": (0, None)}
YES = ("1", "true", "yes", "y", "是", "有")
NO = ("0", "false", "no", "n", "否", "无")
YEARS = (1900, 2100)
SHOWN_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str


class FirmsRefused(HizoneError):
    """The file refused as a whole: one line per problem naming file, row and column; nothing was written."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [f"{source}: row {p.row}{f', column {p.column}' if p.column else ''}: {p.reason}"
                 for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"… and {len(self.problems) - SHOWN_PROBLEMS} more problem(s)")
        lines.append("nothing was written")
        super().__init__("\n".join(lines))


def check_header(header: Sequence[str], source: str) -> None:
    names = [name.strip() for name in header]
    missing = [name for name in INPUT_COLUMNS if name not in names]
    doubled = sorted({name for name in names if name and names.count(name) > 1})
    problems = [Problem(1, name, "missing column") for name in missing]
    problems += [Problem(1, name, "column given twice") for name in doubled]
    if problems:
        raise FirmsRefused(source, problems)


class _Row:
    """One row's cells, collecting what is wrong with them."""

    def __init__(self, number: int, cells: Mapping[str, str], problems: list[Problem]) -> None:
        self.number, self.cells, self.problems = number, cells, problems

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.number, column, reason))

    def number_in(self, column: str, low: float | None = 0, high: float | None = None,
                  whole: bool = False) -> Fraction | None:
        raw = self.cells.get(column) or ""
        parsed = parse_number(raw)
        if parsed.status is Status.BLANK or parsed.value is None:
            if parsed.status is not Status.BLANK:
                self.fail(column, f"not a number: {raw!r}")
            return None
        value = Fraction(repr(parsed.value))  # the decimal as written, so band edges compare exactly
        if whole and value.denominator != 1:
            self.fail(column, f"expected a whole number, got {raw!r}")
        elif low is not None and value < low:
            self.fail(column, f"{raw!r} is below {low}" if low else f"negative: {raw!r}")
        elif high is not None and value > high:
            self.fail(column, f"{raw!r} is above {high}")
        else:
            return value
        return None

    def flag(self, column: str) -> bool | None:
        raw = (self.cells.get(column) or "").strip().lower()
        if not raw:
            return None
        if raw in YES or raw in NO:
            return raw in YES
        number = parse_number(raw)
        if number.status is Status.OK and number.value in (0.0, 1.0):  # 1.0 / 0.0 from a float column
            return number.value == 1.0
        self.fail(column, f"expected 1/0, yes/no or 是/否, got {raw!r}")
        return None


def _year(row: _Row, column: str, required: bool) -> int | None:
    value = row.number_in(column, YEARS[0], YEARS[1], whole=True)
    if value is None and required and not (row.cells.get(column) or "").strip():
        row.fail(column, "empty: the assessment year decides which rules apply")
    return None if value is None else int(value)


def _firm(row: _Row, rules_from: int) -> Firm | None:
    before = len(row.problems)
    firm_id = (row.cells.get("id") or "").strip()
    if not firm_id:
        row.fail("id", "empty")
    year, founded = _year(row, "year", True), _year(row, "founded_year", False)
    if year is not None and year < rules_from:
        row.fail("year", f"no rules for {year}: they apply from {rules_from}")
    if year is not None and founded is not None and founded > year:
        row.fail("founded_year", f"{founded} is after the year assessed ({year})")
    counts = {name: row.number_in(name, whole=True) for name in COUNTS}
    money = {name: row.number_in(name) for name in MONEY}
    net = {name: row.number_in(name, low=None) for name in NET_ASSETS}
    ranged = {name: row.number_in(name, low, high) for name, (low, high) in RANGES.items()}
    incident = row.flag("major_incident")
    _check_shares(row, counts, money)
    if len(row.problems) > before or year is None:
        return None
    return Firm(id=firm_id, year=year, founded_year=founded, staff=counts["staff"], st_staff=counts["st_staff"],
                sales=(money["sales_y1"], money["sales_y2"], money["sales_y3"]),
                rd=(money["rd_y1"], money["rd_y2"], money["rd_y3"]), rd_domestic=ranged["rd_domestic"],
                hitech_revenue=money["hitech_revenue"], total_assets=money["total_assets"],
                net_assets=(net["net_assets_y1"], net["net_assets_y2"], net["net_assets_y3"]),
                ip_class1=counts["ip_class1"], ip_class2=counts["ip_class2"], conversions=ranged["conversions"],
                ip_quality_points=ranged["ip_quality_points"], rd_management=ranged["rd_management"],
                major_incident=incident)


def _check_shares(row: _Row, counts: Mapping[str, Fraction | None], money: Mapping[str, Fraction | None]) -> None:
    """A part cannot exceed its whole: such a share above 100% is a mistake in the file, not a firm."""
    staff, st_staff = counts["staff"], counts["st_staff"]
    if staff == 0:
        row.fail("staff", "0: the shares of staff cannot be computed")
    elif staff is not None and st_staff is not None and st_staff > staff:
        row.fail("st_staff", f"{st_staff} is more than staff ({staff}): a share above 100%")
    sales, hitech = money["sales_y3"], money["hitech_revenue"]
    if sales is not None and hitech is not None and hitech > sales:
        row.fail("hitech_revenue", f"{hitech} is more than sales_y3 ({sales}): a share above 100%")


def firms_from_rows(rows: Iterable[Sequence[str]], header: Sequence[str], source: str, rules_from: int
                    ) -> list[tuple[int, Firm]]:
    """Every row (but blank ones) as (its row number, the Firm), or FirmsRefused listing every problem; the
    header is row 1."""
    check_header(header, source)
    names = [name.strip() for name in header]
    problems: list[Problem] = []
    firms: list[tuple[int, Firm]] = []
    seen: dict[tuple[str, int], int] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            problems.append(Problem(number, "", f"{len(cells)} cells, the header has {len(names)}"))
            continue
        firm = _firm(_Row(number, dict(zip(names, cells, strict=True)), problems), rules_from)
        if firm is None:
            continue
        first = seen.setdefault((firm.id, firm.year), number)
        if first != number:
            problems.append(Problem(number, "id", f"{firm.id} {firm.year} is also on row {first}"))
        firms.append((number, firm))
    if problems:
        raise FirmsRefused(source, problems)
    return firms


# ---------------------------------------------------------------- output


def format_number(value: Fraction | None) -> str:
    """Whole numbers as integers, others at full float precision; empty when not computable."""
    if value is None:
        return ""
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def _flag(value: bool | None) -> str:
    return "incomplete" if value is None else "true" if value else "false"


def output_row(assessment: Assessment) -> list[str]:
    sme, hte = assessment.tech_sme, assessment.hightech
    return [assessment.firm.id, format_number(sme.score), _flag(sme.eligible), format_number(hte.rd_ratio),
            format_number(hte.rd_threshold), ";".join(hte.failed), format_number(hte.score_min),
            format_number(hte.score_max), hte.verdict.value]


def unchecked_lines(assessments: Iterable[tuple[int, Assessment]]) -> list[str]:
    """For each firm (with its row) that has criteria not checkable: which, and the empty columns (or the
    reason) behind each."""
    return [f"row {row}, id {a.firm.id}: not checkable: " + "; ".join(f"{u.criterion} ({u.why})" for u in a.unchecked)
            for row, a in assessments if a.unchecked]


def firm_cells(firm: Firm) -> dict[str, str]:
    """A Firm back as the command's input cells (empty where a value is missing)."""
    values: dict[str, Fraction | None] = {
        "staff": firm.staff, "st_staff": firm.st_staff, "rd_domestic": firm.rd_domestic,
        "hitech_revenue": firm.hitech_revenue, "total_assets": firm.total_assets, "ip_class1": firm.ip_class1,
        "ip_class2": firm.ip_class2, "conversions": firm.conversions, "ip_quality_points": firm.ip_quality_points,
        "rd_management": firm.rd_management}
    for name, series in (("sales", firm.sales), ("rd", firm.rd), ("net_assets", firm.net_assets)):
        values.update({f"{name}_y{i}": value for i, value in enumerate(series, start=1)})
    cells = {name: format_number(value) for name, value in values.items()}
    incident = "" if firm.major_incident is None else "1" if firm.major_incident else "0"
    return {"id": firm.id, "year": str(firm.year), "founded_year": "" if firm.founded_year is None else
            str(firm.founded_year), **cells, "major_incident": incident}

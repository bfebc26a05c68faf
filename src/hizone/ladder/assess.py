"""Assess one firm against the 科技型中小企业 and 高新技术企业 rules: every criterion with its value and threshold.

Pure: a Firm (exact fractions, None for a value the firm did not give) and the rules in, results out. A missing
value is never guessed: the criteria that need it are "not checkable" (``passed``/``points`` None, with the
columns that were empty), and a verdict is given only when the known criteria already decide it: a score's
unknown items count from 0 to their maximum, so a firm can be ineligible, or eligible, before every item is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from hizone.ladder.rules import Bands, HightechRules, LadderRules, TechSmeRules

ZERO = Fraction(0)


@dataclass(frozen=True)
class Firm:
    """One firm-year as the assessment needs it; money in yuan, y3 the latest year."""

    id: str
    year: int
    founded_year: int | None = None
    staff: Fraction | None = None
    st_staff: Fraction | None = None
    sales: tuple[Fraction | None, Fraction | None, Fraction | None] = (None, None, None)
    rd: tuple[Fraction | None, Fraction | None, Fraction | None] = (None, None, None)
    rd_domestic: Fraction | None = None  # percent of R&D spent in China
    hitech_revenue: Fraction | None = None  # latest year
    total_assets: Fraction | None = None
    net_assets: tuple[Fraction | None, Fraction | None, Fraction | None] = (None, None, None)
    ip_class1: Fraction | None = None
    ip_class2: Fraction | None = None
    conversions: Fraction | None = None  # annual average of the last three years
    ip_quality_points: Fraction | None = None  # self-assessed, the four expert-judged IP items
    rd_management: Fraction | None = None  # self-assessed
    major_incident: bool | None = None


@dataclass(frozen=True)
class Check:
    """A pass/fail criterion: the firm's ``value`` against ``threshold``; ``passed`` None when not checkable."""

    code: str
    value: Fraction | None
    threshold: Fraction | None
    passed: bool | None
    missing: tuple[str, ...] = ()  # the empty input columns that make it not checkable
    reason: str = ""  # why it is not checkable when no column is empty (a zero denominator)

    @property
    def why(self) -> str:
        """Why it is not checkable ("" when it is)."""
        return ", ".join(self.missing) + " empty" if self.missing else self.reason


@dataclass(frozen=True)
class Points:
    """A scored item: the firm's ``value`` and the points ``low``–``high`` it earns, of at most ``most``."""

    code: str
    value: Fraction | None
    low: Fraction | None
    high: Fraction | None
    most: Fraction
    missing: tuple[str, ...] = ()
    reason: str = ""

    @property
    def why(self) -> str:
        return ", ".join(self.missing) + " empty" if self.missing else self.reason

    @property
    def known(self) -> bool:
        return self.low is not None


class Verdict(StrEnum):
    eligible = "eligible"
    borderline = "borderline"  # the score range straddles the pass mark: the experts decide
    ineligible = "ineligible"
    incomplete = "incomplete"  # the known criteria do not decide it


@dataclass(frozen=True)
class TechSmeResult:
    checks: tuple[Check, ...]  # size limits
    points: tuple[Points, ...]  # staff_share, rd_share, ip
    score: Fraction | None
    eligible: bool | None
    rules: TechSmeRules


@dataclass(frozen=True)
class HightechResult:
    checks: tuple[Check, ...]  # the hard criteria, in HARD_CRITERIA order
    points: tuple[Points, ...]  # ip, conversions, rd_management, net_asset_growth, sales_growth
    rd_ratio: Fraction | None
    rd_threshold: Fraction | None
    score_min: Fraction | None
    score_max: Fraction | None
    verdict: Verdict
    rules: HightechRules

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(check.code for check in self.checks if check.passed is False)


@dataclass(frozen=True)
class Unchecked:
    criterion: str  # "tech_sme.rd_share", "hightech.rd_domestic", …
    why: str  # "rd_y3, sales_y3 empty", "sales_y3 is 0"


@dataclass(frozen=True)
class Assessment:
    firm: Firm
    tech_sme: TechSmeResult
    hightech: HightechResult
    unchecked: tuple[Unchecked, ...]


HARD_CRITERIA = ("registered", "ip", "st_staff", "rd_ratio", "rd_domestic", "hitech_revenue", "incident")


# ---------------------------------------------------------------- building blocks


def _empty(**columns: object) -> tuple[str, ...]:
    return tuple(name for name, value in columns.items() if value is None)


def _share(part: Fraction | None, whole: Fraction | None, whole_name: str, **columns: object
           ) -> tuple[Fraction | None, tuple[str, ...], str]:
    """part / whole, or None with the empty columns, or with a reason when ``whole`` is 0."""
    missing = _empty(**columns)
    if missing or part is None or whole is None:
        return None, missing, ""
    if whole == 0:
        return None, (), f"{whole_name} is 0"
    return part / whole, (), ""


def _at_least(code: str, value: Fraction | None, threshold: Fraction, missing: tuple[str, ...] = (),
              reason: str = "") -> Check:
    return Check(code, value, threshold, None if value is None else value >= threshold, missing, reason)


def _banded(code: str, value: Fraction | None, scale: Bands, missing: tuple[str, ...] = (),
            reason: str = "") -> Points:
    if value is None:
        return Points(code, None, None, None, scale.most, missing, reason)
    low, high = scale.points(value)
    return Points(code, value, low, high, scale.most)


def _bounds(items: Sequence[Points]) -> tuple[Fraction, Fraction]:
    """The least and most the items can add up to: an unknown item spans 0 to its maximum."""
    low = sum((p.low for p in items if p.low is not None), ZERO)
    high = sum((p.most if p.high is None else p.high for p in items), ZERO)
    return low, high


def _sum(values: Sequence[Fraction | None]) -> Fraction | None:
    return None if any(v is None for v in values) else sum((v for v in values if v is not None), ZERO)


# ---------------------------------------------------------------- 科技型中小企业


def _sme_points(firm: Firm, rules: TechSmeRules) -> tuple[Points, ...]:
    staff_share, missing, reason = _share(firm.st_staff, firm.staff, "staff", st_staff=firm.st_staff,
                                          staff=firm.staff)
    staff = _banded("staff_share", staff_share, rules.staff_share, missing, reason)
    rd_share, missing, reason = _share(firm.rd[2], firm.sales[2], "sales_y3", rd_y3=firm.rd[2],
                                       sales_y3=firm.sales[2])
    rd = _banded("rd_share", rd_share, rules.rd_share, missing, reason)
    return staff, rd, _sme_ip(firm, rules)


def _sme_ip(firm: Firm, rules: TechSmeRules) -> Points:
    most = max(rules.ip_class1_points, rules.ip_class2.most)
    if firm.ip_class1 is not None and firm.ip_class1 > 0:
        return Points("ip", firm.ip_class1, rules.ip_class1_points, rules.ip_class1_points, most)
    if firm.ip_class1 is None or firm.ip_class2 is None:
        return Points("ip", None, None, None, most, _empty(ip_class1=firm.ip_class1, ip_class2=firm.ip_class2))
    low, high = rules.ip_class2.points(firm.ip_class2)
    return Points("ip", firm.ip_class2, low, high, most)


def assess_tech_sme(firm: Firm, rules: TechSmeRules) -> TechSmeResult:
    checks = (
        Check("staff", firm.staff, rules.max_staff, None if firm.staff is None else firm.staff <= rules.max_staff,
              _empty(staff=firm.staff)),
        Check("sales", firm.sales[2], rules.max_sales,
              None if firm.sales[2] is None else firm.sales[2] <= rules.max_sales, _empty(sales_y3=firm.sales[2])),
        Check("total_assets", firm.total_assets, rules.max_total_assets,
              None if firm.total_assets is None else firm.total_assets <= rules.max_total_assets,
              _empty(total_assets=firm.total_assets)),
    )
    points = _sme_points(firm, rules)
    low, high = _bounds(points)
    score = low if all(p.known for p in points) else None
    staff_points = points[0]
    fails = (any(c.passed is False for c in checks) or high < rules.pass_score
             or (rules.staff_points_required and staff_points.known and staff_points.low == 0))
    passes = (all(c.passed for c in checks) and low >= rules.pass_score
              and (not rules.staff_points_required or (staff_points.low or ZERO) > 0))
    eligible = False if fails else True if passes else None
    return TechSmeResult(checks, points, score, eligible, rules)


# ---------------------------------------------------------------- 高新技术企业


def _growth(code: str, values: tuple[Fraction | None, ...], scale: Bands, names: tuple[str, ...]) -> Points:
    """½(x2/x1 + x3/x2) − 1. A first year of 0 uses the last two years (x3/x2 − 1); a second year of 0, or a
    negative base (a growth rate over it means nothing), earns 0 points."""
    missing = tuple(name for name, value in zip(names, values, strict=True) if value is None)
    if missing:
        return Points(code, None, None, None, scale.most, missing)
    first, second, third = (v for v in values if v is not None)
    if second <= 0 or first < 0:
        return Points(code, None, ZERO, ZERO, scale.most)
    rate = third / second - 1 if first == 0 else (second / first + third / second) / 2 - 1
    return _banded(code, rate, scale)


def _hte_ip(firm: Firm, rules: HightechRules) -> Points:
    """The quantity band (any class I decides it; otherwise the number of class II) plus the self-assessed
    points of the other IP items, at most the cap."""
    class1, class2, quality = firm.ip_class1, firm.ip_class2, firm.ip_quality_points
    by_class1 = class1 is not None and class1 > 0
    count = class1 if by_class1 else None if class1 is None else class2
    if count is None or quality is None:
        needed = {"ip_class1": class1, "ip_quality_points": quality}
        if class1 is not None and class1 == 0:
            needed["ip_class2"] = class2
        return Points("ip", None, None, None, rules.ip_cap, _empty(**needed))
    low, high = (rules.ip_class1 if by_class1 else rules.ip_class2).points(count)
    return Points("ip", count, min(rules.ip_cap, low + quality), min(rules.ip_cap, high + quality), rules.ip_cap)


def _hte_points(firm: Firm, rules: HightechRules) -> tuple[Points, ...]:
    management = firm.rd_management
    return (
        _hte_ip(firm, rules),
        _banded("conversions", firm.conversions, rules.conversions, _empty(conversions=firm.conversions)),
        Points("rd_management", management, management, management, rules.rd_management_max,
               _empty(rd_management=management)),
        _growth("net_asset_growth", firm.net_assets, rules.growth, ("net_assets_y1", "net_assets_y2", "net_assets_y3")),
        _growth("sales_growth", firm.sales, rules.growth, ("sales_y1", "sales_y2", "sales_y3")),
    )


def _hte_checks(firm: Firm, rules: HightechRules) -> tuple[tuple[Check, ...], Fraction | None, Fraction | None]:
    age = None if firm.founded_year is None else Fraction(firm.year - firm.founded_year)
    ip_count = _sum((firm.ip_class1, firm.ip_class2))
    has_ip = (True if (firm.ip_class1 or ZERO) > 0 or (firm.ip_class2 or ZERO) > 0
              else None if ip_count is None else False)
    st_share, st_missing, st_reason = _share(firm.st_staff, firm.staff, "staff", st_staff=firm.st_staff,
                                             staff=firm.staff)
    rd_total, sales_total = _sum(firm.rd), _sum(firm.sales)
    sales_names = {f"sales_y{i}": v for i, v in enumerate(firm.sales, 1)}
    ratio, ratio_missing, ratio_reason = _share(rd_total, sales_total, "three years' sales",
                                                **{f"rd_y{i}": v for i, v in enumerate(firm.rd, 1)}, **sales_names)
    threshold = None if firm.sales[2] is None else rules.rd_threshold(firm.sales[2])
    hitech, hitech_missing, hitech_reason = _share(firm.hitech_revenue, firm.sales[2], "sales_y3",
                                                   hitech_revenue=firm.hitech_revenue, sales_y3=firm.sales[2])
    incident = firm.major_incident
    checks = (
        _at_least("registered", age, Fraction(rules.registered_years), _empty(founded_year=firm.founded_year)),
        Check("ip", ip_count, Fraction(1), has_ip,
              () if has_ip is not None else _empty(ip_class1=firm.ip_class1, ip_class2=firm.ip_class2)),
        _at_least("st_staff", st_share, rules.st_staff_share, st_missing, st_reason),
        Check("rd_ratio", ratio, threshold, None if ratio is None or threshold is None else ratio >= threshold,
              ratio_missing, ratio_reason),
        _at_least("rd_domestic", firm.rd_domestic, rules.rd_domestic_percent, _empty(rd_domestic=firm.rd_domestic)),
        _at_least("hitech_revenue", hitech, rules.hitech_revenue_share, hitech_missing, hitech_reason),
        Check("incident", None if incident is None else Fraction(int(incident)), ZERO,
              None if incident is None else not incident, _empty(major_incident=incident)),
    )
    return checks, ratio, threshold


def _verdict(checks: Sequence[Check], points: Sequence[Points], rules: HightechRules) -> Verdict:
    low, high = _bounds(points)
    if any(c.passed is False for c in checks) or high <= rules.pass_above:
        return Verdict.ineligible
    if any(c.passed is None for c in checks):
        return Verdict.incomplete
    if low > rules.pass_above:
        return Verdict.eligible
    return Verdict.borderline if all(p.known for p in points) else Verdict.incomplete


def assess_hightech(firm: Firm, rules: HightechRules) -> HightechResult:
    checks, ratio, threshold = _hte_checks(firm, rules)
    points = _hte_points(firm, rules)
    known = all(p.known for p in points)
    low, high = _bounds(points)
    return HightechResult(checks, points, ratio, threshold, low if known else None, high if known else None,
                          _verdict(checks, points, rules), rules)


def assess(firm: Firm, rules: LadderRules) -> Assessment:
    sme = assess_tech_sme(firm, rules.tech_sme)
    hte = assess_hightech(firm, rules.hightech)
    sme_items: tuple[Check | Points, ...] = (*sme.checks, *sme.points)
    hte_items: tuple[Check | Points, ...] = (*hte.checks, *hte.points)
    unchecked = [_unchecked("tech_sme", item) for item in sme_items]
    unchecked += [_unchecked("hightech", item) for item in hte_items]
    return Assessment(firm, sme, hte, tuple(item for item in unchecked if item is not None))


def _unchecked(scheme: str, item: Check | Points) -> Unchecked | None:
    known = item.passed is not None if isinstance(item, Check) else item.known
    if known:
        return None
    return Unchecked(f"{scheme}.{item.code}", item.why)

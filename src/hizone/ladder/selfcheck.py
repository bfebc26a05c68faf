"""What a firm is missing: for each failed criterion that more of something would pass, how much more.

Pure, from an Assessment. R&D adds to R&D only; 科技人员 hired are also staff, and high-tech revenue is also
sales, so for those the share is solved with the whole growing too: (part + x) / (whole + x) ≥ share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from hizone.ladder.assess import Assessment, Firm, Points, TechSmeResult
from hizone.ladder.rules import Band, Bands

ZERO = Fraction(0)


@dataclass(frozen=True)
class Shortfall:
    scheme: str  # tech_sme or hightech
    criterion: str
    value: Fraction  # the firm's figure (a share, a percentage)
    threshold: Fraction
    more: Fraction  # how much more of ``quantity`` would pass
    quantity: str  # rd: yuan of R&D (三年合计 for 高企, the latest year for 科技型中小企业); st_staff: people;
    # hitech_revenue: yuan; rd_domestic: percentage points


def more_needed(part: Fraction, whole: Fraction, share: Fraction, whole_grows: bool) -> Fraction:
    """The least x ≥ 0 with (part + x) / (whole [+ x]) ≥ share."""
    gap = share * whole - part
    if gap <= 0:
        return ZERO
    return gap / (1 - share) if whole_grows else gap


def _people(amount: Fraction) -> Fraction:
    return Fraction(math.ceil(amount))


def _total(values: tuple[Fraction | None, ...]) -> Fraction:
    return sum((v for v in values if v is not None), ZERO)


def _hightech(assessment: Assessment) -> list[Shortfall]:
    firm = assessment.firm
    out = []
    for check in assessment.hightech.checks:
        if check.passed is not False or check.value is None or check.threshold is None:
            continue
        value, threshold = check.value, check.threshold
        if check.code == "rd_ratio":
            more, quantity = more_needed(_total(firm.rd), _total(firm.sales), threshold, False), "rd"
        elif check.code == "st_staff" and firm.staff is not None and firm.st_staff is not None:
            more, quantity = _people(more_needed(firm.st_staff, firm.staff, threshold, True)), "st_staff"
        elif check.code == "hitech_revenue" and firm.hitech_revenue is not None and firm.sales[2] is not None:
            more, quantity = more_needed(firm.hitech_revenue, firm.sales[2], threshold, True), "hitech_revenue"
        elif check.code == "rd_domestic":
            more, quantity = threshold - value, "rd_domestic"
        else:
            continue  # registered, ip, incident: no amount of anything passes them this year
        out.append(Shortfall("hightech", check.code, value, threshold, more, quantity))
    return out


def _band_giving(scale: Bands, points: Fraction) -> Band | None:
    """The lowest band that gives at least ``points``."""
    giving = [band for band in scale.bands if band.low >= points]
    return giving[-1] if giving else None


def _sme_item(firm: Firm, item: Points, scale: Bands, needed: Fraction) -> Shortfall | None:
    """More R&D (latest year) or more 科技人员 to lift ``item`` by ``needed`` points, if a band does."""
    band = _band_giving(scale, (item.low or ZERO) + needed)
    if band is None or item.value is None:
        return None
    if item.code == "rd_share" and firm.rd[2] is not None and firm.sales[2] is not None:
        return Shortfall("tech_sme", "rd_share", item.value, band.bound,
                         more_needed(firm.rd[2], firm.sales[2], band.bound, False), "rd")
    if item.code == "staff_share" and firm.st_staff is not None and firm.staff is not None:
        return Shortfall("tech_sme", "staff_share", item.value, band.bound,
                         _people(more_needed(firm.st_staff, firm.staff, band.bound, True)), "st_staff")
    return None


def _tech_sme(assessment: Assessment) -> list[Shortfall]:
    sme: TechSmeResult = assessment.tech_sme
    if sme.score is None or any(c.passed is False for c in sme.checks):
        return []  # unknown, or over a size limit: no more of anything helps
    staff, rd = sme.points[0], sme.points[1]
    out = []
    needed = sme.rules.pass_score - sme.score
    if needed > 0:
        out += [s for s in (_sme_item(assessment.firm, rd, sme.rules.rd_share, needed),
                            _sme_item(assessment.firm, staff, sme.rules.staff_share, needed)) if s is not None]
    elif sme.rules.staff_points_required and staff.low == 0:
        found = _sme_item(assessment.firm, staff, sme.rules.staff_share, Fraction(1))
        out += [found] if found else []
    return out


def shortfalls(assessment: Assessment) -> list[Shortfall]:
    """Each way more of one thing would pass a failed criterion (each on its own, the others unchanged)."""
    return _tech_sme(assessment) + _hightech(assessment)

"""An enterprise's rungs on the ladder in a year: on which published list it stands, and what its own reported
figures say about each rung's criteria (value, threshold, pass/fail; not checkable when the report lacks them).

Pure: the reports (element values per year, in the form's units), the qualification flags at year end and the
rules in; a StageStatus per rung out. The lists decide a qualification; the data are a self-check beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from hizone.ladder.assess import Assessment, Check, Firm, Verdict, assess
from hizone.ladder.rules import GazelleRules, LadderRules, ReportMapping

# The ladder from the bottom; each rung with the registry's qualification kind (None: the registry keeps no list).
STAGES: tuple[tuple[str, str | None], ...] = (
    ("tech_sme", "tech_sme"),  # 科技型中小企业
    ("innovative_sme", None),  # 创新型中小企业
    ("srdi", "srdi"),  # 专精特新中小企业
    ("little_giant", "little_giant"),  # 专精特新"小巨人"
    ("high_tech", "high_tech"),  # 高新技术企业
    ("gazelle", "gazelle"),  # 瞪羚
    ("unicorn", "unicorn"),  # 潜在独角兽/独角兽
)
LIST_KINDS = tuple(kind for _, kind in STAGES if kind is not None)
YEARLY = ("sales", "rd", "net_assets")  # the assessment reads these for y−2, y−1 and y

Reports = Mapping[int, Mapping[str, float | None]]  # year -> element -> value in the form's unit


@dataclass(frozen=True)
class StageStatus:
    stage: str
    listed: bool | None  # on a list valid at year end; None: the registry keeps no list of this rung
    by_data: bool | None  # its reported figures meet the criteria; None: not checkable (or no data rule)
    criteria: tuple[Check, ...]

    @property
    def reached(self) -> bool:
        return bool(self.listed) or self.by_data is True


@dataclass(frozen=True)
class EnterpriseStages:
    credit_code: str
    zone_code: str
    year: int
    stages: tuple[StageStatus, ...]
    assessment: Assessment | None = None  # the 科技型中小企业 and 高企 assessment behind their rungs
    gazelle_revenue: Fraction | None = None  # revenue summed over the 瞪羚 span: how much more R&D its intensity needs

    def status(self, stage: str) -> StageStatus:
        return next(s for s in self.stages if s.stage == stage)

    @property
    def top(self) -> str | None:
        """The highest rung reached, by list or by data."""
        reached = [status.stage for status in self.stages if status.reached]
        return reached[-1] if reached else None


def _exact(value: float | None, factor: Fraction) -> Fraction | None:
    return None if value is None else Fraction(repr(float(value))) * factor


def firm_from_reports(credit_code: str, year: int, reports: Reports, mapping: ReportMapping,
                      founded_year: int | None = None) -> Firm:
    """The assessment's inputs the reports hold (yearly ones for y−2, y−1, y); the rest stay empty."""

    def figure(name: str, when: int) -> Fraction | None:
        spec = mapping.fields.get(name)
        return None if spec is None else _exact(reports.get(when, {}).get(spec.element), spec.factor)

    yearly = {name: (figure(name, year - 2), figure(name, year - 1), figure(name, year)) for name in YEARLY}
    return Firm(id=credit_code, year=year, founded_year=founded_year, staff=figure("staff", year),
                st_staff=figure("st_staff", year), sales=yearly["sales"], rd=yearly["rd"],
                rd_domestic=figure("rd_domestic", year), hitech_revenue=figure("hitech_revenue", year),
                total_assets=figure("total_assets", year), net_assets=yearly["net_assets"],
                ip_class1=figure("ip_class1", year), ip_class2=figure("ip_class2", year),
                conversions=figure("conversions", year), ip_quality_points=figure("ip_quality_points", year),
                rd_management=figure("rd_management", year))


def _series(reports: Reports, mapping: ReportMapping, name: str, years: range) -> list[Fraction | None]:
    spec = mapping.fields.get(name)
    return [None if spec is None else _exact(reports.get(y, {}).get(spec.element), spec.factor) for y in years]


def _growth_check(base: Fraction | None, last: Fraction | None, needed: Fraction, years: range) -> Check:
    """Compound growth at ``needed`` over the span: last ≥ base × (1 + rate)^n, exact, no root taken."""
    missing = tuple(f"revenue {y}" for y, v in ((years[0], base), (years[-1], last)) if v is None)
    if base is None or last is None:
        return Check("revenue_growth", None, needed, None, missing)
    if base <= 0:
        return Check("revenue_growth", None, needed, None, reason=f"revenue {years[0]} is 0")
    return Check("revenue_growth", last / base, needed, last / base >= needed)


def _intensity_check(revenue: list[Fraction | None], spent: list[Fraction | None], least: Fraction,
                     years: range) -> Check:
    """R&D over revenue summed over the span, above ``least`` (strictly: 四年平均 … 大于 2.5%)."""
    missing = tuple(f"{name} {y}" for name, values in (("revenue", revenue), ("rd", spent))
                    for y, v in zip(years, values, strict=True) if v is None)
    if missing:
        return Check("rd_intensity", None, least, None, missing)
    total = sum((v for v in revenue if v is not None), Fraction(0))
    if total == 0:
        return Check("rd_intensity", None, least, None, reason="revenue is 0")
    ratio = sum((v for v in spent if v is not None), Fraction(0)) / total
    return Check("rd_intensity", ratio, least, ratio > least)


def assess_gazelle(firm: Firm, reports: Reports, mapping: ReportMapping, rules: GazelleRules
                   ) -> tuple[bool | None, tuple[Check, ...]]:
    """Age, base-year revenue, revenue growth from the base year ``years`` back, R&D intensity over the span."""
    span = range(firm.year - rules.years, firm.year + 1)
    revenue, spent = _series(reports, mapping, "sales", span), _series(reports, mapping, "rd", span)
    base = revenue[0]
    checks = [
        Check("base_revenue", base, rules.min_base_revenue, None if base is None else base >= rules.min_base_revenue,
              () if base is not None else (f"revenue {span[0]}",)),
        _growth_check(base, revenue[-1], (1 + rules.min_cagr) ** rules.years, span),
        _intensity_check(revenue, spent, rules.min_rd_intensity, span),
    ]
    if rules.max_age is not None:
        age = None if firm.founded_year is None else Fraction(firm.year - firm.founded_year)
        checks.insert(0, Check("age", age, Fraction(rules.max_age), None if age is None else age <= rules.max_age,
                               () if age is not None else ("founded_year",)))
    return _all(checks), tuple(checks)


def span_revenue(firm: Firm, reports: Reports, mapping: ReportMapping, rules: GazelleRules) -> Fraction | None:
    """Revenue summed over the 瞪羚 span (None when a year is missing), the whole of its R&D intensity."""
    revenue = _series(reports, mapping, "sales", range(firm.year - rules.years, firm.year + 1))
    return None if any(v is None for v in revenue) else sum((v for v in revenue if v is not None), Fraction(0))


def _all(checks: list[Check]) -> bool | None:
    if any(c.passed is False for c in checks):
        return False
    return True if all(c.passed for c in checks) else None


HTE_BY_VERDICT = {Verdict.eligible: True, Verdict.ineligible: False}


def enterprise_stages(credit_code: str, zone_code: str, year: int, reports: Reports, flags: Mapping[str, bool],
                      rules: LadderRules, mapping: ReportMapping, gazelle: GazelleRules,
                      founded_year: int | None = None) -> EnterpriseStages:
    firm = firm_from_reports(credit_code, year, reports, mapping, founded_year)
    assessment = assess(firm, rules)
    sme, hte = assessment.tech_sme, assessment.hightech
    sme_score = Check("score", sme.score, rules.tech_sme.pass_score,
                      None if sme.score is None else sme.score >= rules.tech_sme.pass_score)
    hte_score = Check("score_min", hte.score_min, rules.hightech.pass_above,
                      None if hte.score_min is None else hte.score_min > rules.hightech.pass_above)
    gazelle_ok, gazelle_checks = assess_gazelle(firm, reports, mapping, gazelle)
    by_data: dict[str, tuple[bool | None, tuple[Check, ...]]] = {
        "tech_sme": (sme.eligible, (*sme.checks, sme_score)),
        "high_tech": (HTE_BY_VERDICT.get(hte.verdict), (*hte.checks, hte_score)),
        "gazelle": (gazelle_ok, gazelle_checks),
    }
    stages = tuple(StageStatus(stage, None if kind is None else bool(flags.get(kind)),
                               *by_data.get(stage, (None, ()))) for stage, kind in STAGES)
    return EnterpriseStages(credit_code, zone_code, year, stages, assessment,
                            span_revenue(firm, reports, mapping, gazelle))

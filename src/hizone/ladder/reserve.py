"""后备库 (the reserve pool): the enterprises near a rung they do not stand on yet, with what each is missing.

Pure: an enterprise's rungs (hizone.ladder.stages, with the assessment behind them) and the margins of
``catalog/data/ladder/reserve-<version>.yaml`` in; a Candidate per rung it is near out. Near: not on the rung
(by list or by data), at most ``max_failed`` criteria failing, each within its margin (a score below the pass
mark within ``score_margin``). What the data cannot check is listed to confirm, never counted as passed or failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from hizone.errors import CatalogError
from hizone.ladder.assess import Assessment, Check, Points
from hizone.ladder.rules import exact, versions_of
from hizone.ladder.selfcheck import Shortfall, shortfalls
from hizone.ladder.stages import EnterpriseStages

RESERVE = "reserve"
RESERVE_STAGES = ("tech_sme", "high_tech", "gazelle")  # the rungs the data can check
SCHEME = {"tech_sme": "tech_sme", "high_tech": "hightech", "gazelle": "gazelle"}  # a Shortfall's scheme
ZERO = Fraction(0)


@dataclass(frozen=True)
class Margins:
    max_failed: int
    score_margin: Fraction | None
    margins: Mapping[str, Fraction]  # criterion -> how far below its threshold is still near


@dataclass(frozen=True)
class ReserveRules:
    version: int
    stages: Mapping[str, Margins]
    source: str


@dataclass(frozen=True)
class Candidate:
    credit_code: str
    zone_code: str
    year: int
    stage: str
    failed: tuple[str, ...]  # the failed criteria (all within their margins)
    missing: tuple[Shortfall, ...]  # how much more of what passes each (the score: how many points)
    unchecked: tuple[str, ...]  # "criterion (why)": what the data cannot check, to confirm


# ---------------------------------------------------------------- the rules


def _margins(spec: Any, where: str) -> Margins:
    if not isinstance(spec, Mapping):
        raise CatalogError("expected {max_failed, score_margin, margins}", where=where)
    failed = spec.get("max_failed", 1)
    if not isinstance(failed, int) or isinstance(failed, bool) or failed < 0:
        raise CatalogError(f"expected a whole number of at least 0, got {failed!r}", where=f"{where}.max_failed")
    score = spec.get("score_margin")
    margins = spec.get("margins") or {}
    if not isinstance(margins, Mapping):
        raise CatalogError("expected criterion -> margin", where=f"{where}.margins")
    return Margins(failed, None if score is None else exact(score, f"{where}.score_margin"),
                   {str(k): exact(v, f"{where}.margins.{k}") for k, v in margins.items()})


def parse_reserve(doc: Mapping[str, Any], where: str) -> ReserveRules:
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CatalogError("'version' (the first data year) must be a whole number", where=where)
    unknown = set(doc) - {"code", "version", "source", *RESERVE_STAGES}
    if unknown:
        raise CatalogError(f"unknown key(s) {', '.join(sorted(unknown))}: the reserve screens "
                           f"{', '.join(RESERVE_STAGES)}", where=where)
    stages = {stage: _margins(doc[stage], f"{where}: {stage}") for stage in RESERVE_STAGES if stage in doc}
    return ReserveRules(version, stages, str(doc.get("source", where)))


@cache
def _reserve_versions() -> dict[int, ReserveRules]:
    return versions_of(RESERVE, parse_reserve)


def reserve_rules(year: int, versions: Mapping[int, ReserveRules] | None = None) -> ReserveRules | None:
    """The margins in force for data of ``year`` (the latest version not after it); None before them."""
    sets = _reserve_versions() if versions is None else versions
    applicable = [v for v in sets if v <= year]
    return sets[max(applicable)] if applicable else None


# ---------------------------------------------------------------- near a rung


def _within(check: Check, margins: Margins) -> bool:
    margin = margins.margins.get(check.code)
    return (margin is not None and check.value is not None and check.threshold is not None
            and check.value >= check.threshold - margin)


def _bounds(items: Sequence[Points]) -> tuple[Fraction, Fraction]:
    """The least and most the scored items can add up to (an unknown item from 0 to its maximum)."""
    return (sum((p.low for p in items if p.low is not None), ZERO),
            sum((p.most if p.high is None else p.high for p in items), ZERO))


def _unchecked(assessment: Assessment | None, scheme: str, checks: Iterable[Check] = ()) -> tuple[str, ...]:
    found = [f"{u.criterion.split('.', 1)[1]} ({u.why})" for u in (assessment.unchecked if assessment else ())
             if u.criterion.startswith(scheme + ".")]
    return tuple(found + [f"{c.code} ({c.why})" for c in checks if c.passed is None])


def _score_gap(scheme: str, items: Sequence[Points], mark: Fraction, strictly: bool,
               margin: Fraction | None) -> tuple[list[Shortfall], bool] | None:
    """The score as a missing item: below the mark even at its most (failed; near within ``margin``), or, every
    item known, straddling it (not failed: the experts decide). None when it is too far below. An unknown item
    that could lift it is listed to confirm, not as missing."""
    low, high = _bounds(items)
    reaches = high > mark if strictly else high >= mark
    if not reaches:
        if margin is None or high < mark - margin:
            return None
        return [Shortfall(scheme, "score", high, mark, mark - high, "score_max")], True
    safe = low > mark if strictly else low >= mark
    if safe or not all(p.known for p in items):
        return [], False
    return [Shortfall(scheme, "score", low, mark, mark - low, "score_min")], False


def _tech_sme(stages: EnterpriseStages, margins: Margins) -> Candidate | None:
    assessment = stages.assessment
    if assessment is None:
        return None
    sme = assessment.tech_sme
    failed = [c for c in sme.checks if c.passed is False]  # the size limits: no margin brings a firm under them
    if any(not _within(c, margins) for c in failed):
        return None
    score = _score_gap("tech_sme", sme.points, sme.rules.pass_score, False, margins.score_margin)
    if score is None:
        return None
    gaps, score_failed = score
    staff = sme.points[0]
    staff_failed = sme.rules.staff_points_required and staff.known and staff.low == 0
    codes = [c.code for c in failed] + ["score"] * score_failed + ["staff_share"] * staff_failed
    if len(codes) > margins.max_failed:
        return None
    more = [s for s in shortfalls(assessment) if s.scheme == "tech_sme"]
    return Candidate(stages.credit_code, stages.zone_code, stages.year, "tech_sme", tuple(codes),
                     tuple(more + ([] if more and score_failed else gaps)), _unchecked(assessment, "tech_sme"))


def _high_tech(stages: EnterpriseStages, margins: Margins) -> Candidate | None:
    assessment = stages.assessment
    if assessment is None:
        return None
    hte = assessment.hightech
    failed = [c for c in hte.checks if c.passed is False]
    if any(not _within(c, margins) for c in failed):
        return None
    score = _score_gap("hightech", hte.points, hte.rules.pass_above, True, margins.score_margin)
    if score is None:
        return None
    gaps, score_failed = score
    codes = [c.code for c in failed] + ["score"] * score_failed
    if len(codes) > margins.max_failed:
        return None
    more = [s for s in shortfalls(assessment) if s.scheme == "hightech"]
    return Candidate(stages.credit_code, stages.zone_code, stages.year, "high_tech", tuple(codes),
                     tuple(more + gaps), _unchecked(assessment, "hightech"))


def _gazelle_more(check: Check, checks: Mapping[str, Check], revenue: Fraction | None) -> Shortfall | None:
    """More revenue this year lifts the growth multiple (base × multiple); more R&D lifts the intensity over
    the span's revenue."""
    if check.value is None or check.threshold is None:
        return None
    base = checks.get("base_revenue")
    if check.code == "revenue_growth" and base is not None and base.value is not None:
        return Shortfall("gazelle", check.code, check.value, check.threshold,
                         base.value * (check.threshold - check.value), "revenue")
    if check.code == "rd_intensity" and revenue is not None:
        return Shortfall("gazelle", check.code, check.value, check.threshold,
                         (check.threshold - check.value) * revenue, "rd")
    return None


def _gazelle(stages: EnterpriseStages, margins: Margins) -> Candidate | None:
    criteria = stages.status("gazelle").criteria
    failed = [c for c in criteria if c.passed is False]
    if all(c.passed is None for c in criteria) or len(failed) > margins.max_failed:
        return None  # nothing checkable is not near; too much failing is not near
    if any(not _within(c, margins) for c in failed):
        return None
    by_code = {c.code: c for c in criteria}
    more = [m for m in (_gazelle_more(c, by_code, stages.gazelle_revenue) for c in failed) if m is not None]
    return Candidate(stages.credit_code, stages.zone_code, stages.year, "gazelle", tuple(c.code for c in failed),
                     tuple(more), _unchecked(None, "gazelle", criteria))


NEAR = {"tech_sme": _tech_sme, "high_tech": _high_tech, "gazelle": _gazelle}


def reserve_of(stages: EnterpriseStages, rules: ReserveRules) -> list[Candidate]:
    """The rungs ``stages``' enterprise is near, one Candidate each, from the bottom rung up."""
    found = []
    for stage, margins in rules.stages.items():
        if stages.status(stage).reached:
            continue  # already on it
        candidate = NEAR[stage](stages, margins)
        if candidate is not None:
            found.append(candidate)
    return found

"""The ladder of zones from the analytics layer: each reporting enterprise's rungs in a year, counts, moves.

Glue between the read path (hizone.analytics.read, every figure and the viewer's scope) and the pure engines
(hizone.ladder.stages, .assess); no computing here beyond grouping rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hizone.analytics.read import EnterpriseRow, Reader, Viewer
from hizone.errors import HizoneError
from hizone.ladder.rules import GazelleRules, LadderRules, ReportMapping, gazelle_rules, report_mapping, rules_for
from hizone.ladder.stages import LIST_KINDS, STAGES, EnterpriseStages, enterprise_stages

REPORT_YEARS_READ = 2  # the assessment's y−2 … y


def _rules(year: int, zone_codes: Sequence[str]) -> tuple[LadderRules, ReportMapping, dict[str, GazelleRules]]:
    rules, mapping = rules_for(year), report_mapping(year)
    gazelles = {zone: gazelle_rules(year, zone) for zone in zone_codes}
    if rules is None or mapping is None or any(g is None for g in gazelles.values()):
        raise HizoneError(f"no ladder rules for {year}", where="year")
    return rules, mapping, {zone: g for zone, g in gazelles.items() if g is not None}


def zone_stages(reader: Reader, zone_codes: Sequence[str], year: int, viewer: Viewer) -> list[EnterpriseStages]:
    """The rungs of every enterprise that reported for ``year`` in ``zone_codes`` (its zone that year)."""
    rules, mapping, gazelles = _rules(year, zone_codes)
    back = max([REPORT_YEARS_READ, *(g.years for g in gazelles.values())])
    periods = [str(y) for y in range(year - back, year + 1)]
    elements = sorted({spec.element for spec in mapping.fields.values()})
    rows = reader.enterprise_rows(mapping.form, zone_codes, periods, elements, LIST_KINDS, viewer)
    by_enterprise: dict[str, list[EnterpriseRow]] = {}
    for row in rows:
        by_enterprise.setdefault(row.credit_code, []).append(row)
    found = []
    for code, reports in by_enterprise.items():
        current = next((r for r in reports if r.period == str(year)), None)
        if current is None:
            continue  # no report this year: not on this year's ladder
        found.append(enterprise_stages(code, current.zone_code, year, {int(r.period): r.values for r in reports},
                                       current.flags, rules, mapping, gazelles[current.zone_code]))
    return found


@dataclass(frozen=True)
class StageCount:
    stage: str
    reached: int  # by list or by data
    listed: int
    by_data: int


def stage_counts(stages: Sequence[EnterpriseStages]) -> list[StageCount]:
    """Per rung from the bottom: how many enterprises stand on it (by list, by data, either)."""
    out = []
    for index, (stage, _) in enumerate(STAGES):
        statuses = [s.stages[index] for s in stages]
        out.append(StageCount(stage, sum(s.reached for s in statuses), sum(bool(s.listed) for s in statuses),
                              sum(s.by_data is True for s in statuses)))
    return out


RANK = {stage: index for index, (stage, _) in enumerate(STAGES)}


def transitions(before: Sequence[EnterpriseStages], after: Sequence[EnterpriseStages]) -> dict[str, list[str]]:
    """Who moved up, stayed, fell back (to a lower rung or off the ladder), joined (no report the year
    before) or left (no report this year), by their top rung."""
    old = {s.credit_code: s.top for s in before}
    new = {s.credit_code: s.top for s in after}
    moves: dict[str, list[str]] = {"up": [], "same": [], "down": [], "joined": [], "left": []}
    for code, top in new.items():
        if code not in old:
            moves["joined"].append(code)
            continue
        was, now = _rank(old[code]), _rank(top)
        moves["up" if now > was else "down" if now < was else "same"].append(code)
    moves["left"] = sorted(set(old) - set(new))
    return {kind: sorted(codes) for kind, codes in moves.items()}


def _rank(stage: str | None) -> int:
    return -1 if stage is None else RANK[stage]


def top_counts(stages: Sequence[EnterpriseStages]) -> Counter[str | None]:
    """How many enterprises have each rung as their highest (None: on no rung)."""
    return Counter(s.top for s in stages)

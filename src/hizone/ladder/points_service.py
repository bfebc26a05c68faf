"""Innovation points of a zone from the analytics layer: each reporting enterprise's figures of the year and the
year before (Reader.enterprise_rows, the viewer's scope) into the pure engine hizone.ladder.points."""

from __future__ import annotations

from dataclasses import dataclass

from hizone.analytics.read import EnterpriseRow, Reader, Viewer
from hizone.ladder.points import Enterprise, PointsRules, Score, points_rules, score_zone


@dataclass(frozen=True)
class ZonePoints:
    zone_code: str
    year: int
    rules: PointsRules
    scores: list[Score]  # best first
    scored: int  # how many enterprises of the zone were scored (more than ``scores`` when only one row is shown)


def zone_points(reader: Reader, zone_code: str, year: int, viewer: Viewer) -> ZonePoints:
    """The points of every enterprise that reported for ``year`` in ``zone_code``; growth compares with its report
    of the year before in the same zone (none when it reported elsewhere or not at all)."""
    rules = points_rules(year)
    rows = reader.enterprise_rows(rules.form, [zone_code], [str(year - 1), str(year)], rules.elements,
                                  rules.flags, viewer)
    now = {r.credit_code: r for r in rows if r.period == str(year)}
    before = {r.credit_code: r for r in rows if r.period == str(year - 1)}
    firms = [_enterprise(row, before.get(code)) for code, row in sorted(now.items())]
    scores = score_zone(rules, firms)
    return ZonePoints(zone_code, year, rules, scores, len(scores))


def _enterprise(now: EnterpriseRow, before: EnterpriseRow | None) -> Enterprise:
    # The annual report holds no founding year: the stage's age limit is skipped (see the rules file).
    return Enterprise(now.credit_code, now.values, before.values if before else {}, now.flags)


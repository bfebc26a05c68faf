"""The ladder of zones from the analytics layer: each reporting enterprise's rungs in a year, counts, moves.

Glue between the read path (hizone.analytics.read, every figure and the viewer's scope) and the pure engines
(hizone.ladder.stages, .assess); no computing here beyond grouping rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hizone.analytics.read import EnterpriseRow, Reader, ScopeError, Viewer
from hizone.catalog.loader import default_catalog
from hizone.errors import HizoneError
from hizone.ladder.assess import Assessment, assess
from hizone.ladder.drag import RatioIndicator, ZoneDrag, ratio_of, zone_drag
from hizone.ladder.records import INPUT_COLUMNS, firm_cells, firms_from_rows
from hizone.ladder.reserve import Candidate, reserve_of, reserve_rules
from hizone.ladder.rules import (
    GazelleRules,
    LadderRules,
    ReportMapping,
    earliest_year,
    gazelle_rules,
    report_mapping,
    rules_for,
)
from hizone.ladder.screening import merged_rows
from hizone.ladder.selfcheck import Shortfall, shortfalls
from hizone.ladder.stages import LIST_KINDS, STAGES, EnterpriseStages, enterprise_stages, firm_from_reports
from hizone.ranking.framework import framework_for

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


@dataclass(frozen=True)
class GroupLadder:
    key: str  # a zone or province code
    enterprises: int  # reporting this year
    counts: list[StageCount]
    moves: dict[str, int]  # kind -> how many


@dataclass(frozen=True)
class Ladder:
    """The ladder of a set of zones in a year: the one computation behind the zone, province and nation views."""

    year: int
    zone_codes: tuple[str, ...]
    stages: list[EnterpriseStages]  # this year's
    counts: list[StageCount]
    moves: dict[str, list[str]]
    groups: list[GroupLadder]  # per zone, or per province


def ladder(reader: Reader, zone_codes: Sequence[str], year: int, viewer: Viewer, group_by: str = "zone") -> Ladder:
    """Counts per rung, the moves since the year before (none before the first year of the rules) and the same
    per zone or per province (``group_by``); an enterprise that changed zones joins one group and leaves the
    other."""
    now = zone_stages(reader, zone_codes, year, viewer)
    ruled = rules_for(year - 1) is not None and report_mapping(year - 1) is not None
    before = zone_stages(reader, zone_codes, year - 1, viewer) if ruled else []

    def group_of(stages: EnterpriseStages) -> str:
        return stages.zone_code if group_by == "zone" else reader.zones[stages.zone_code].province_code

    keys = sorted({z if group_by == "zone" else reader.zones[z].province_code for z in zone_codes})
    groups = []
    for key in keys:
        mine, theirs = [s for s in now if group_of(s) == key], [s for s in before if group_of(s) == key]
        groups.append(GroupLadder(key, len(mine), stage_counts(mine),
                                  {kind: len(codes) for kind, codes in transitions(theirs, mine).items()}))
    return Ladder(year, tuple(zone_codes), now, stage_counts(now), transitions(before, now), groups)


@dataclass(frozen=True)
class LadderScope:
    level: str  # nation, province or zones (a part of a province: the viewer's zones in it)
    key: str | None  # the province's code
    zone_codes: tuple[str, ...]
    group_by: str  # province (the nation's table) or zone


def ladder_scope(reader: Reader, viewer: Viewer, province: str | None) -> LadderScope:
    """The zones a ladder view covers for ``viewer``: the nation by province for a viewer of every zone, a
    province by zone, or a viewer's own zones (of ``province``, else of its first province). ``province``
    outside the viewer's zones is a ScopeError; an unknown one a HizoneError."""
    if province is not None and province not in reader.provinces:
        raise HizoneError(f"unknown province {province}", where="province")
    readable = sorted(reader.zones if viewer.zones is None else viewer.zones & set(reader.zones))
    if viewer.zones is None and province is None:
        return LadderScope("nation", None, tuple(readable), "province")
    if province is None:
        if not readable:
            raise ScopeError("no zone in your scope", where="province")
        province = reader.zones[readable[0]].province_code
    members = reader.zones_of("province", province)
    mine = tuple(code for code in members if code in readable)
    if not mine:
        raise ScopeError(f"province {province} is outside your scope", where="province")
    return LadderScope("province" if len(mine) == len(members) else "zones", province, mine, "zone")


def reserve(stages: Sequence[EnterpriseStages], year: int) -> list[Candidate]:
    """The 后备库 of these enterprises' year: each near a rung it is not on, by zone, rung and fewest failures."""
    rules = reserve_rules(year)
    if rules is None:
        raise HizoneError(f"no reserve margins for {year} (catalog/data/ladder/reserve-*.yaml)", where="year")
    found = [candidate for enterprise in stages for candidate in reserve_of(enterprise, rules)]
    return sorted(found, key=lambda c: (c.zone_code, RANK[c.stage], len(c.failed), c.credit_code))


def zone_reserve(reader: Reader, zone_codes: Sequence[str], year: int, viewer: Viewer) -> list[Candidate]:
    """The 后备库 of zones in a year, from the reports the read path gives ``viewer``."""
    return reserve(zone_stages(reader, zone_codes, year, viewer), year)


def top_counts(stages: Sequence[EnterpriseStages]) -> Counter[str | None]:
    """How many enterprises have each rung as their highest (None: on no rung)."""
    return Counter(s.top for s in stages)


@dataclass(frozen=True)
class SelfCheck:
    credit_code: str
    year: int
    cells: dict[str, str]  # the inputs assessed, as text
    prefilled: frozenset[str]  # the inputs taken from the enterprise's own reports
    assessment: Assessment
    shortfalls: list[Shortfall]


GIVEN = tuple(column for column in INPUT_COLUMNS if column not in ("id", "year"))


def self_check(reader: Reader, credit_code: str, year: int, viewer: Viewer, given: Mapping[str, str]) -> SelfCheck:
    """The 科技型中小企业 and 高新技术企业 checks of one enterprise: its own reports fill what they hold, what the
    user ``given`` (column -> text, checked like a row of `hizone ladder assess`) fills or corrects the rest."""
    rules, mapping = rules_for(year), report_mapping(year)
    if rules is None or mapping is None:
        raise HizoneError(f"no ladder rules for {year} (they apply from {earliest_year()})", where="year")
    elements = sorted({spec.element for spec in mapping.fields.values()})
    rows = reader.own_rows(mapping.form, credit_code, [str(y) for y in range(year - 2, year + 1)], elements, (),
                           viewer)
    cells = firm_cells(firm_from_reports(credit_code, year, {int(r.period): r.values for r in rows}, mapping))
    prefilled = frozenset(name for name in GIVEN if cells[name])
    cells.update({name: value.strip() for name, value in given.items() if name in GIVEN and value.strip()})
    ((_, firm),) = firms_from_rows([[cells[c] for c in INPUT_COLUMNS]], INPUT_COLUMNS, "self-check",
                                   earliest_year())
    assessment = assess(firm, rules)
    return SelfCheck(credit_code, year, cells, prefilled - {n for n in given if given[n].strip()}, assessment,
                     shortfalls(assessment))


def _prefilled(reader: Reader, zone_code: str, year: int, viewer: Viewer
               ) -> tuple[LadderRules, dict[str, dict[str, str]], list[str]]:
    """The rules, each enterprise's input cells from its reports in the zone (y−2 … y), those reporting in y."""
    rules, mapping = rules_for(year), report_mapping(year)
    if rules is None or mapping is None:
        raise HizoneError(f"no ladder rules for {year} (they apply from {earliest_year()})", where="year")
    elements = sorted({spec.element for spec in mapping.fields.values()})
    rows = reader.enterprise_rows(mapping.form, [zone_code], [str(y) for y in range(year - 2, year + 1)], elements,
                                  (), viewer)
    reports: dict[str, dict[int, dict[str, float | None]]] = {}
    for row in rows:
        reports.setdefault(row.credit_code, {})[int(row.period)] = row.values
    cells = {code: firm_cells(firm_from_reports(code, year, found, mapping)) for code, found in reports.items()}
    return rules, cells, sorted(code for code, found in reports.items() if year in found)


def screen(reader: Reader, zone_code: str, year: int, viewer: Viewer,
           upload: tuple[list[str], list[list[str]]] | None = None, selected: Sequence[str] = (),
           source: str = "upload") -> list[SelfCheck]:
    """The self-check of many of a zone's enterprises in one go, each prefilled from its own reports: those the
    ``upload`` (header, rows) names, its cells filling or correcting the reports', or else the ``selected`` ones
    (default: every enterprise reporting in ``year``). A bad row refuses the whole upload (FirmsRefused)."""
    rules, prefilled, reporting = _prefilled(reader, zone_code, year, viewer)
    if upload is not None:
        period = f"{year - 2}–{year}"
        rows = merged_rows(*upload, prefilled, year, source, f"not an enterprise reporting in {zone_code} in {period}")
    else:
        unknown = [code for code in selected if code not in reporting]
        if unknown:
            raise HizoneError(f"not reporting in {zone_code} in {year}: {', '.join(unknown)}", where="enterprise")
        chosen = [code for code in reporting if not selected or code in selected]
        rows = [[prefilled[code][name] for name in INPUT_COLUMNS] for code in chosen]
    found = []
    for number, firm in firms_from_rows(rows, INPUT_COLUMNS, source, earliest_year()):
        cells = dict(zip(INPUT_COLUMNS, rows[number - 2], strict=True))
        own = prefilled[firm.id]
        assessment = assess(firm, rules)
        found.append(SelfCheck(firm.id, year, cells, frozenset(n for n in GIVEN if own[n] and own[n] == cells[n]),
                               assessment, shortfalls(assessment)))
    return found


EVALUATION_FRAMEWORK = "zone_evaluation"


def ratio_indicators(year: int) -> tuple[str, list[RatioIndicator]]:
    """The form and the ratio-of-sums indicators (one year's values, not a 当年净增) of the zone evaluation
    framework in force for ``year``."""
    framework = framework_for(EVALUATION_FRAMEWORK, year)
    elements = frozenset(code for version in default_catalog().forms.get(framework.form, ())
                         for code in version.element_codes)
    found = []
    for item in framework.computable:
        ratio = None if item.change else ratio_of(framework.formulas[item.code], elements)
        if ratio is not None:
            found.append(RatioIndicator(item.code, item.name_zh, item.unit, *ratio, item.direction))
    return framework.form, found


def zone_drags(reader: Reader, zone_code: str, year: int, viewer: Viewer, indicator: str | None = None
               ) -> list[ZoneDrag]:
    """Who pulls the zone down on each ratio indicator of the evaluation (or only ``indicator``), from the
    enterprises' reports for ``year`` as the read path gives them to ``viewer``."""
    form, indicators = ratio_indicators(year)
    if indicator is not None:
        indicators = [i for i in indicators if i.code == indicator]
        if not indicators:
            raise HizoneError(f"'{indicator}' is not a ratio indicator of the {EVALUATION_FRAMEWORK} framework "
                              f"for {year}", where="indicator")
    elements = sorted({e for i in indicators for e in i.elements})
    rows = reader.enterprise_rows(form, [zone_code], [str(year)], elements, (), viewer)
    values = [(row.credit_code, row.values) for row in rows]
    return [zone_drag(i, values) for i in indicators]

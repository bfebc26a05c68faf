"""The one read path: every figure pages, API and exports show comes from here, through the viewer's scope.

A :class:`Reader` answers from one build of the analytics DuckDB file (see ``build``): the published
values of every catalog indicator for zones, provinces, regions and the nation are held in memory (the
pages' fast path), everything else (the provisional view, enterprises, ad-hoc formulas, ad-hoc groups of
zones, drill-down) is asked of the file. Disclosure control and scope are applied here, in one place:

- a viewer sees as they are the cells its scope covers (the national roles every cell, a province's
  department its province and its zones, a zone's committee its zone);
- every other cell of the zone → province → region → nation hierarchy passes the catalog's disclosure
  rules (``analytics.disclosure``), with complementary suppression worked out against what the viewer
  knows; an indicator is withheld when any measure it reads is (a ratio when either term is, a y/y when
  the figure of either year is);
- groups outside that hierarchy (demo zones, city clusters, an ad-hoc set of zones), enterprises and the
  submissions behind a figure are shown only to a viewer who may read every zone in them.

:class:`ReadCache` keeps the current Reader: when the store's data version moves it brings the analytics
file up to date (``build``, incremental) and loads a new Reader.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Engine, Select, func, inspect, select
from sqlalchemy.orm import Session

from hizone.analytics.build import build, fact_table_name
from hizone.analytics.compiler import (
    AtomRegistry,
    CompiledIndicator,
    Compiler,
    Scope,
    element_column,
    flag_column,
)
from hizone.analytics.definitions import FactTable, IndicatorSet, PeriodType, default_indicators, form_scope
from hizone.analytics.disclosure import Cell, Relation, combine, suppress
from hizone.analytics.disclosure_rules import disclosure_rules, largest_needed
from hizone.analytics.formula import Count, Name, Node, parse
from hizone.analytics.query import Analytics, SourceRow
from hizone.analytics.rollup import NATION_KEY, plan
from hizone.auth import Principal, can_read_zone, own_enterprises
from hizone.auth.policy import can_read_province
from hizone.catalog import default_catalog
from hizone.errors import HizoneError, StoreError
from hizone.registry.outside import outside_code, outside_province
from hizone.store.changes import READINGS_WRITTEN
from hizone.store.db import read_connection
from hizone.store.models import (
    Alert,
    ChangeEvent,
    DatasetInfo,
    Enterprise,
    EnterpriseVersion,
    EvaluationRun,
    Qualification,
    Submission,
    Zone,
)

PUBLISHED = "published"
HIERARCHY = ("zone", "province", "region", "nation")
OUT_OF_SCOPE = "scope"  # the reason a figure of zones the viewer may not read is withheld outside the hierarchy
ENTERPRISES = "enterprises"  # the measure of count(): each enterprise contributes one


class ScopeError(HizoneError):
    """A request for rows (enterprises, submissions) outside the viewer's scope."""


# --- cells, viewers -------------------------------------------------------------------------------------


def cell_key(level: str, key: str) -> str:
    """The disclosure cell of a group: ``zone:Z1101``, ``province:11``, ``region:east``, ``nation``."""
    return "nation" if level == "nation" else f"{level}:{key}"


@dataclass(frozen=True)
class ZoneMeta:
    code: str
    name_zh: str
    name_en: str
    province_code: str
    city: str
    region: str
    approved_year: int

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class ProvinceMeta:
    code: str
    name_zh: str
    name_en: str
    region: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Viewer:
    """Whose figures a caller may see as they are: ``zones`` None and ``known`` None mean every one."""

    zones: frozenset[str] | None  # zones whose own figures and rows the viewer may read
    known: frozenset[str] | None  # cells shown without disclosure control
    enterprises: frozenset[str] = frozenset()  # enterprises whose own rows it reads besides its zones' (itself)

    @classmethod
    def everyone(cls) -> Viewer:
        return cls(None, None)

    def reads(self, zone_codes: Iterable[str]) -> bool:
        return self.zones is None or all(code in self.zones for code in zone_codes)


@dataclass(frozen=True)
class Figure:
    """One indicator value as the viewer may see it: ``withheld`` holds the reason when it may not."""

    indicator: str
    level: str
    key: str
    period: str
    value: float | None  # None when withheld or undefined (``reason`` says why it is undefined)
    value_raw: float | None  # a y/y on the raw basis (all reporters) beside the comparable ``value``
    reason: str | None
    withheld: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "level": self.level, "key": self.key, "period": self.period,
                "value": self.value, "value_raw": self.value_raw, "reason": self.reason,
                "suppressed": self.withheld is not None, "suppressed_reason": self.withheld}


Row = tuple[float | None, float | None, str | None]  # value, value_raw, reason


@dataclass(frozen=True)
class EnterpriseRow:
    """One enterprise's report of one period: element values in the catalog's units, qualification flags."""

    credit_code: str
    zone_code: str
    period: str
    values: dict[str, float | None]
    flags: dict[str, bool]


# --- the reader ------------------------------------------------------------------------------------------


@dataclass
class Reader:
    """One build of the analytics file, read for viewers. Construct with :func:`open_reader`."""

    version: object
    analytics: Analytics
    zones: dict[str, ZoneMeta]
    provinces: dict[str, ProvinceMeta]
    periods: dict[FactTable, list[str]]  # ascending periods with published facts
    synthetic: bool
    published: dict[tuple[str, str, str, str], Row]  # (indicator, level, key, period)
    members: dict[tuple[str, str], tuple[str, ...]]  # (level, key) -> zone codes
    memo: dict[tuple[object, ...], object] = field(default_factory=dict)  # derived values of this build
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def indicators(self) -> IndicatorSet:
        return self.analytics.indicators

    # -- periods and the hierarchy

    def periods_of(self, indicator: str) -> list[str]:
        return self.periods.get(self.indicators.table_of(indicator), [])

    def zones_of(self, level: str, key: str) -> tuple[str, ...]:
        """The zones of a group (never an outside key: see ``units_of``)."""
        return tuple(code for code in self.members.get((level, key), ()) if outside_province(code) is None)

    def units_of(self, level: str, key: str) -> tuple[str, ...]:
        """What a group's figures add up from: its zones and its provinces' outside keys (registry.outside)."""
        return self.members.get((level, key), ())

    def reporting_zones(self, indicator: str, period: str) -> list[str]:
        """The zones with a value of ``indicator`` for ``period`` (those that reported)."""
        return [code for code in self.zones if (indicator, "zone", code, period) in self.published]

    def build_state(self) -> dict[str, str]:
        """What this build holds: the number of the last change (``seq``, see store.changes) and the registry's
        and indicators' fingerprints (``registry``, ``indicators``): what a published figure was computed from."""
        with self.analytics.connect() as con:
            return dict(con.execute("SELECT key, fingerprint FROM build_state").fetchall())

    def viewer(self, principal: Principal) -> Viewer:
        """What ``principal`` sees as it is: its zones, and the provinces all of whose zones it reads."""
        if principal.is_national:
            return Viewer.everyone()
        # With the outside keys (registry.outside) of the provinces it reads: a province's figure counts its
        # carriers outside any national zone, which no zone's user reads.
        zones = frozenset([*(z.code for z in self.zones.values() if can_read_zone(principal, z.code, z.province_code)),
                           *(outside_code(p) for p in self.provinces if can_read_province(principal, p))])
        known = {cell_key("zone", code) for code in zones}
        for province in self.provinces:
            members = self.units_of("province", province)
            if members and set(members) <= zones:
                known.add(cell_key("province", province))
        return Viewer(zones, frozenset(known), own_enterprises(principal))

    # -- values

    def value(self, indicator: str, level: str, key: str, period: str, viewer: Viewer,
              view: str = PUBLISHED) -> Figure:
        return self.values([indicator], level, [key], [period], viewer, view)[0]

    def values(self, indicators: Sequence[str], level: str, keys: Sequence[str], periods: Sequence[str],
               viewer: Viewer, view: str = PUBLISHED) -> list[Figure]:
        """Each indicator × key × period asked for, in that order, as ``viewer`` may see it (an absent value
        is a Figure with value None and reason "no data")."""
        for code in indicators:
            self.indicators.get(code)
        if level == "enterprise":
            return self._enterprise_values(indicators, keys, periods, viewer, view)
        rows = self.published if view == PUBLISHED else self._fetch(indicators, level, keys, periods, view)
        out = []
        for code in indicators:
            for key in keys:
                for period in periods:
                    value, raw, reason = rows.get((code, level, key, period), (None, None, "no data"))
                    withheld = self.withheld(code, level, key, period, viewer)
                    out.append(Figure(code, level, key, period, None if withheld else value,
                                      None if withheld else raw, reason, withheld))
        return out

    def _fetch(self, indicators: Sequence[str], level: str, keys: Sequence[str], periods: Sequence[str],
               view: str) -> dict[tuple[str, str, str, str], Row]:
        found = self.analytics.values(indicators, level, keys, periods, view)
        return {(v.indicator, v.level, v.key, v.period): (v.value, v.value_raw, v.reason) for v in found}

    def _enterprise_values(self, indicators: Sequence[str], keys: Sequence[str], periods: Sequence[str],
                           viewer: Viewer, view: str) -> list[Figure]:
        """An enterprise's indicators: only for a viewer who reads its zone (anyone else gets a ScopeError)."""
        if viewer.zones is not None:
            located = self._zones_of_enterprises(keys)
            if not all(code in located and located[code] in viewer.zones for code in keys):
                raise ScopeError("an enterprise outside your scope", where="key")
        found = {(v.indicator, v.key, v.period): (v.value, v.value_raw, v.reason)
                 for v in self.analytics.values(indicators, "enterprise", keys, periods, view)}
        return [Figure(code, "enterprise", key, period, *found.get((code, key, period), (None, None, "no data")))
                for code in indicators for key in keys for period in periods]

    def enterprises_reporting(self, indicator: str, zone_code: str, period: str, viewer: Viewer) -> list[str]:
        """The enterprises of a zone with a published fact in ``indicator``'s table for ``period``: only for a
        viewer who reads the zone (anyone else gets a ScopeError, as for the enterprises' own figures)."""
        if not viewer.reads([zone_code]):
            raise ScopeError("a zone outside your scope", where="key")
        table = self.indicators.table_of(indicator)
        if table not in self.periods:
            return []
        with self.analytics.connect() as con:
            rows = con.execute(f"SELECT DISTINCT entity_key FROM {fact_table_name(table, PUBLISHED)} "
                               "WHERE zone_code = ? AND period = ? ORDER BY entity_key", [zone_code, period]).fetchall()
        return [row[0] for row in rows]

    def _zones_of_enterprises(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self.analytics.connect() as con:
            for table in self.periods:
                fact = fact_table_name(table, PUBLISHED)
                rows = con.execute(f"SELECT DISTINCT entity_key, zone_code FROM {fact} "
                                   "WHERE entity_key IN (SELECT UNNEST(?))", [list(keys)]).fetchall()
                out.update({entity: zone for entity, zone in rows})
        return out

    def enterprise_rows(self, form: str, zone_codes: Sequence[str], periods: Sequence[str],
                        elements: Sequence[str], flags: Sequence[str], viewer: Viewer,
                        view: str = PUBLISHED) -> list[EnterpriseRow]:
        """Each enterprise's reported ``elements`` and qualification ``flags`` (at period end) in ``zone_codes``
        and ``periods``: rows of enterprises, so only for a viewer who reads every one of those zones."""
        if not viewer.reads(zone_codes):
            raise ScopeError("enterprises outside your scope", where="zone")
        return self._report_rows(form, "zone_code", zone_codes, periods, elements, flags, view)

    def own_rows(self, form: str, credit_code: str, periods: Sequence[str], elements: Sequence[str],
                 flags: Sequence[str], viewer: Viewer, view: str = PUBLISHED) -> list[EnterpriseRow]:
        """One enterprise's reports (as ``enterprise_rows``): for the enterprise itself and for a viewer who
        reads the zones it reported in; anyone else gets a ScopeError, whether or not it reported."""
        found = self.own_rows_of(form, [credit_code], periods, elements, flags, viewer, view)
        if credit_code not in found:
            raise ScopeError("an enterprise outside your scope", where="credit_code")
        return found[credit_code]

    def own_rows_of(self, form: str, credit_codes: Sequence[str], periods: Sequence[str], elements: Sequence[str],
                    flags: Sequence[str], viewer: Viewer, view: str = PUBLISHED) -> dict[str, list[EnterpriseRow]]:
        """``own_rows`` of several enterprises in one read (a contest's entrants): credit code → its rows, for
        each enterprise ``own_rows`` would answer; the others are left out."""
        by_code: dict[str, list[EnterpriseRow]] = {}
        for row in self._report_rows(form, "entity_key", credit_codes, periods, elements, flags, view):
            by_code.setdefault(row.credit_code, []).append(row)
        return {code: by_code.get(code, []) for code in credit_codes
                if viewer.zones is None or code in viewer.enterprises
                or (code in by_code and viewer.reads({row.zone_code for row in by_code[code]}))}

    def _report_rows(self, form: str, column: str, keys: Sequence[str], periods: Sequence[str],
                     elements: Sequence[str], flags: Sequence[str], view: str) -> list[EnterpriseRow]:
        table = FactTable(form, "annual")
        if table not in self.periods:
            return []
        known = {code for version in default_catalog().forms.get(form, ()) for code in version.element_codes}
        unknown = [code for code in elements if code not in known]
        if unknown:
            raise HizoneError(f"not an element of {form}: {', '.join(unknown)}", where="elements")
        columns = [element_column(e) for e in elements] + [flag_column(q) for q in flags]
        selected = "".join(f", {c}" for c in columns)
        with self.analytics.connect() as con:
            rows = con.execute(f"SELECT entity_key, zone_code, period{selected} FROM {fact_table_name(table, view)} "
                               f"WHERE {column} IN (SELECT UNNEST(?)) AND period IN (SELECT UNNEST(?)) "
                               "ORDER BY entity_key, period", [list(keys), list(periods)]).fetchall()
        width = len(elements)
        return [EnterpriseRow(r[0], r[1], r[2], dict(zip(elements, r[3:3 + width], strict=True)),
                              {q: bool(v) for q, v in zip(flags, r[3 + width:], strict=True)}) for r in rows]

    # -- disclosure control

    def withheld(self, indicator: str, level: str, key: str, period: str, viewer: Viewer) -> str | None:
        """Why ``viewer`` may not see the indicator's figure for the group (a reason code), or None."""
        return self._withheld_measures(self.indicators.table_of(indicator), self.measures(indicator), level, key,
                                       period, self.indicators.compiled[indicator].uses_yoy, viewer)

    def measures(self, indicator: str) -> tuple[str, ...]:
        """The additive measures an indicator reads (elements, and the count of entities for count())."""
        key = ("measures", indicator)
        found = self.memo.get(key)
        if isinstance(found, tuple):
            return found
        made = tuple(sorted(_measures(self.indicators, indicator)))
        self.memo[key] = made
        return made

    def _pattern(self, table: FactTable, period: str, measure: str, known: frozenset[str]) -> dict[str, str]:
        key = ("pattern", table, period, measure, known)
        found = self.memo.get(key)
        if isinstance(found, dict):
            return found
        zone_cells = self._cells(table, period, measure)
        if zone_cells is None:
            made: dict[str, str] = {}
        else:
            made = suppress(self._group_cells(zone_cells), self._relations(), disclosure_rules(int(period[:4])),
                            known)
        with self._lock:
            self.memo[key] = made
        return made

    def _cells(self, table: FactTable, period: str, measure: str) -> dict[str, Cell] | None:
        """Per zone: the measure's total, contributors and largest contributions in ``period``."""
        key = ("cells", table, period)
        found = self.memo.get(key)
        if not isinstance(found, dict):
            found = self._load_cells(table, period)
            with self._lock:
                self.memo[key] = found
        by_measure: dict[str, dict[str, Cell]] = found
        return by_measure.get(measure)

    def _load_cells(self, table: FactTable, period: str) -> dict[str, dict[str, Cell]]:
        fact = fact_table_name(table, PUBLISHED)
        form = default_catalog().forms[table.form][-1]
        elements = sorted({m for code in self.indicators.by_table().get(table, []) for m in self.measures(code)}
                          - {ENTERPRISES})
        keep = max(largest_needed(), 1)
        sums = "".join(f", sum({element_column(e)}), list_slice(list({element_column(e)} ORDER BY "
                       f"{element_column(e)} DESC) FILTER (WHERE {element_column(e)} IS NOT NULL), 1, {keep})"
                       for e in elements)
        with self.analytics.connect() as con:
            rows = con.execute(f"SELECT zone_code, count(*){sums} FROM {fact} WHERE period = ? GROUP BY zone_code",
                               [period]).fetchall()
        by_entity = form.entity == "enterprise"
        out: dict[str, dict[str, Cell]] = {e: {} for e in [*elements, ENTERPRISES]}
        for row in rows:
            zone, count = row[0], int(row[1])
            contributors = {"zone": 1, "enterprise": count} if by_entity else {"zone": 1}
            out[ENTERPRISES][zone] = Cell(float(count), contributors, {
                "enterprise": (1.0,) * min(count, keep), "zone": (float(count),)} if by_entity else
                {"zone": (float(count),)})
            for i, element in enumerate(elements):
                total = float(row[2 + 2 * i] or 0.0)
                largest = tuple(row[3 + 2 * i] or ())
                out[element][zone] = Cell(total, contributors, {"enterprise": largest, "zone": (total,)}
                                          if by_entity else {"zone": (total,)})
        return out

    def _group_cells(self, zone_cells: dict[str, Cell]) -> dict[str, Cell]:
        keep = largest_needed()
        empty = Cell(0.0, {})
        cells = {cell_key("zone", code): zone_cells.get(code, empty) for code in self.zones}
        # The outside keys are cells as the zones are (never shown as one, but a province less its zones is one).
        cells |= {cell_key("zone", code): zone_cells.get(code, empty) for (lvl, _key), codes in self.members.items()
                  if lvl == "province" for code in codes if outside_province(code) is not None}
        for level in ("province", "region", "nation"):
            for (lvl, key), codes in self.members.items():
                if lvl == level:
                    cells[cell_key(level, key)] = combine((zone_cells.get(c, empty) for c in codes), keep)
        return cells

    def _relations(self) -> list[Relation]:
        found = self.memo.get(("relations",))
        if isinstance(found, list):
            return found
        regions: dict[str, list[str]] = {}
        relations = []
        for code in sorted(self.provinces):
            zones = self.units_of("province", code)
            if zones:
                relations.append(Relation(cell_key("province", code), tuple(cell_key("zone", z) for z in zones)))
                regions.setdefault(self.provinces[code].region, []).append(cell_key("province", code))
        relations += [Relation(cell_key("region", r), tuple(parts)) for r, parts in sorted(regions.items())]
        nation = cell_key("nation", NATION_KEY)
        relations.append(Relation(nation, tuple(cell_key("region", r) for r in sorted(regions))))
        self.memo[("relations",)] = relations
        return relations

    # -- ad-hoc groups and formulas

    def group_values(self, indicators: Sequence[str], zone_codes: Sequence[str], period: str, viewer: Viewer,
                     view: str = PUBLISHED) -> dict[str, Figure]:
        """The indicators over an ad-hoc set of zones (a benchmark), rolled up as Σnumerator/Σdenominator;
        withheld unless the viewer reads every one of those zones."""
        withheld = None if viewer.reads(zone_codes) else OUT_OF_SCOPE
        codes = list(indicators)
        compiled = {c: self.indicators.compiled[c] for c in codes}
        rows: dict[str, Row] = {}
        for table in {self.indicators.table_of(c) for c in codes}:
            wanted = [compiled[c] for c in codes if self.indicators.table_of(c) == table]
            found = self._run(table, self.indicators.registries[table], wanted, zone_codes, [period], view)
            rows.update({code: row for (code, _), row in found.items()})
        return {c: Figure(c, "group", ",".join(zone_codes), period,
                          None if withheld else rows.get(c, (None, None, "no data"))[0],
                          None if withheld else rows.get(c, (None, None, None))[1],
                          rows.get(c, (None, None, "no data"))[2], withheld) for c in codes}

    def formula(self, expression: str, form: str, period_type: PeriodType, level: str, keys: Sequence[str],
                periods: Sequence[str], viewer: Viewer, view: str = PUBLISHED) -> list[Figure]:
        """An ad-hoc formula in the catalog's formula language (it may name the form's elements and the
        catalog's indicators of the same table), for groups of ``level``, through the same scope and
        disclosure control as a catalog indicator with the same measures."""
        table = FactTable(form, period_type)
        node = parse(expression, "formula")
        elements, flags = form_scope(default_catalog(), form, "formula")
        shared = {code: parse(ind.formula, ind.source) for code, ind in self.indicators.indicators.items()
                  if self.indicators.table_of(code) == table}
        compiler = Compiler(Scope(elements, flags, shared), AtomRegistry())
        compiled = compiler.compile("formula", node, "formula")
        measures = _node_measures(node, self.indicators, set(elements))
        out = []
        for key in keys:
            zones = self.zones_of(level, key) if level != "zone" else (key,)
            found = self._run(table, compiler.registry, [compiled], zones, periods, view)
            for period in periods:
                withheld = self._withheld_measures(table, measures, level, key, period, compiled.uses_yoy, viewer)
                value, raw, reason = found.get(("formula", period), (None, None, "no data"))
                out.append(Figure("formula", level, key, period, None if withheld else value,
                                  None if withheld else raw, reason, withheld))
        return out

    def _withheld_measures(self, table: FactTable, measures: Iterable[str], level: str, key: str, period: str,
                           uses_yoy: bool, viewer: Viewer) -> str | None:
        """Withheld when any measure read is, in the period or (for a y/y) the year before; outside the
        hierarchy unless the viewer reads every zone of the group."""
        if viewer.known is None:
            return None
        if level not in HIERARCHY:
            return None if viewer.reads(self.zones_of(level, key)) else OUT_OF_SCOPE
        for when in [period, previous_period(period)] if uses_yoy else [period]:
            for measure in measures:
                found = self._pattern(table, when, measure, viewer.known).get(cell_key(level, key))
                if found:
                    return found
        return None

    def _run(self, table: FactTable, registry: AtomRegistry, compiled: Sequence[CompiledIndicator],
             zone_codes: Sequence[str], periods: Sequence[str], view: str) -> dict[tuple[str, str], Row]:
        """Compiled indicators over the facts of ``zone_codes`` as one group, per period (and the year before,
        which a y/y reads)."""
        fact = fact_table_name(table, view)
        wanted = sorted({p for period in periods for p in (period, previous_period(period))})
        steps = plan("fact", registry, compiled, "groups", tag="rd")
        ctes = ["fact AS (SELECT * FROM main." + fact + " WHERE period IN (SELECT UNNEST(?)) "
                "AND zone_code IN (SELECT UNNEST(?)))",
                "membership AS (SELECT DISTINCT zone_code, 'group' AS grp_level, 'group' AS grp_key "
                "FROM main.membership WHERE zone_code IN (SELECT UNNEST(?)))",
                *(f"{s.name} AS ({s.sql})" for s in steps[:-1])]
        with self.analytics.connect() as con:
            rows = con.execute(f"WITH {', '.join(ctes)} SELECT indicator, period, value, value_raw, reason "
                               f"FROM ({steps[-1].sql})", [wanted, list(zone_codes), list(zone_codes)]).fetchall()
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows if r[1] in periods}

    def sums_over_reporters(self, form: str, elements: Sequence[str], level: str, keys: Sequence[str],
                            period: str, of_form: str, of_element: str, viewer: Viewer) -> list[list[float] | None]:
        """Per group ``keys`` of ``level``: the sums of ``form``'s annual ``elements`` in ``period`` over the
        enterprises whose ``of_form`` report of the period has ``of_element`` > 0 (e.g. the energy of those
        reporting industrial value added), None where the viewer may not see any of those measures of the group
        (the same disclosure control as the indicators summing them)."""
        table, of_table = FactTable(form, "annual"), FactTable(of_form, "annual")
        by_zone: dict[str, list[float]] = {}
        if table in self.periods and of_table in self.periods:
            sums = ", ".join(f"sum(f.{element_column(e)})" for e in elements)
            with self.analytics.connect() as con:
                rows = con.execute(
                    f"SELECT f.zone_code, {sums} FROM {fact_table_name(table, PUBLISHED)} f "
                    f"WHERE f.period = ? AND f.entity_key IN (SELECT entity_key FROM "
                    f"{fact_table_name(of_table, PUBLISHED)} WHERE period = ? AND {element_column(of_element)} > 0) "
                    "GROUP BY f.zone_code", [period, period]).fetchall()
            by_zone = {row[0]: [float(v or 0.0) for v in row[1:]] for row in rows}
        out: list[list[float] | None] = []
        for key in keys:
            if self._withheld_measures(table, elements, level, key, period, False, viewer) or \
                    self._withheld_measures(of_table, [of_element], level, key, period, False, viewer):
                out.append(None)
                continue
            zones = (key,) if level == "zone" else self.zones_of(level, key)
            found = [by_zone[zone] for zone in zones if zone in by_zone]
            out.append([sum(row[i] for row in found) for i in range(len(elements))])
        return out

    # -- drill-down

    def drill_down(self, indicator: str, level: str, key: str, period: str, viewer: Viewer,
                   view: str = PUBLISHED) -> list[SourceRow]:
        """The submissions behind a figure: only for a viewer who reads every zone (or the enterprise) in it."""
        zones = self._zones_of_enterprises([key]).values() if level == "enterprise" else \
            (self.zones_of(level, key) if level != "zone" else (key,))
        if not zones or not viewer.reads(zones):
            raise ScopeError(f"the submissions behind {level} '{key}' are outside your scope", where="key")
        return self.analytics.sources(indicator, level, key, period, view)


def previous_period(period: str) -> str:
    """The same period a year before (2023 → 2022, 2023-06 → 2022-06)."""
    return f"{int(period[:4]) - 1}{period[4:]}"


def _measures(indicators: IndicatorSet, code: str, seen: frozenset[str] = frozenset()) -> set[str]:
    indicator = indicators.get(code)
    elements, _ = form_scope(default_catalog(), indicator.form, indicator.source)
    return _node_measures(parse(indicator.formula, indicator.source), indicators, set(elements), seen | {code})


def _node_measures(node: Node, indicators: IndicatorSet, elements: set[str],
                   seen: frozenset[str] = frozenset()) -> set[str]:
    """The elements a formula reads, through the indicators it names, and ENTERPRISES for a count()."""
    found: set[str] = set()

    def walk(item: object) -> None:
        if isinstance(item, Count):
            found.add(ENTERPRISES)
        if isinstance(item, Name):
            if item.name in elements:
                found.add(item.name)
            elif item.name in indicators.indicators and item.name not in seen:
                found.update(_measures(indicators, item.name, seen))
        if hasattr(item, "__dataclass_fields__"):
            for value in vars(item).values():
                walk(value)
    walk(node)
    return found


# --- loading a reader -----------------------------------------------------------------------------------


def open_reader(path: Path, version: object = None, synthetic: bool = False,
                indicators: IndicatorSet | None = None, approved: Mapping[str, int] | None = None) -> Reader:
    """A Reader over the analytics file at ``path`` (built by ``hizone build``)."""
    analytics = Analytics(path, indicators or default_indicators())
    with analytics.connect() as con:
        provinces = {r[0]: ProvinceMeta(r[0], r[1], r[2] or "", r[3] or "") for r in
                     con.execute("SELECT code, name_zh, name_en, region FROM province").fetchall()}
        zone_rows = con.execute("SELECT code, name_zh, name_en, province_code, city, region FROM zone "
                                "ORDER BY code").fetchall()
        members: dict[tuple[str, str], list[str]] = {}
        for level, key, zone in con.execute("SELECT grp_level, grp_key, zone_code FROM membership "
                                            "ORDER BY 1, 2, 3").fetchall():
            members.setdefault((level, key), []).append(zone)
        rows = con.execute("SELECT indicator, level, key, period, value, value_raw, reason FROM indicator_value "
                           "WHERE view = ? AND level IN (SELECT UNNEST(?))", [PUBLISHED, list(HIERARCHY)]
                           ).fetchall()
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        periods: dict[FactTable, list[str]] = {}
        for table in analytics.indicators.by_table():
            fact = fact_table_name(table, PUBLISHED)
            if fact in tables:
                periods[table] = [r[0] for r in con.execute(f"SELECT DISTINCT period FROM {fact} ORDER BY 1")
                                  .fetchall()]
    years = approved or {}
    zones = {r[0]: ZoneMeta(r[0], r[1] or r[0], r[2] or "", r[3] or "", r[4] or "", r[5] or "", years.get(r[0], 0))
             for r in zone_rows}
    published = {(r[0], r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in rows}
    return Reader(version, analytics, zones, provinces, periods, synthetic, published,
                  {k: tuple(v) for k, v in members.items()})


# --- the data version and the cache ----------------------------------------------------------------------


def version_probe(engine: Engine) -> Select[Any]:
    """One cheap SELECT whose row changes whenever what the pages show may change: the latest change of the
    submissions (its number, see store.changes: revisions written, states changed), zones, enterprises, their
    dated versions or qualifications added, an evaluation run stored, an alert raised or handled by the
    monitor. Its first five columns move only with what the analytics build reads (see :func:`build_key`).

    Meter-readings batches are change events too, but neither the build nor any cached page reads readings
    (the readings API reads the store directly): the latest event other than a readings batch, walked back from
    the newest number so the query stops at the first such event."""
    probes: list[Any] = [
        select(ChangeEvent.seq).where(ChangeEvent.kind != READINGS_WRITTEN).order_by(ChangeEvent.seq.desc())
        .limit(1).scalar_subquery(),
        select(func.count()).select_from(Zone).scalar_subquery(),
        select(func.max(Enterprise.id)).scalar_subquery(), select(func.max(EnterpriseVersion.id)).scalar_subquery(),
        select(func.max(Qualification.id)).scalar_subquery()]
    present = set(inspect(engine).get_table_names())
    if EvaluationRun.__tablename__ in present:
        probes.append(select(func.max(EvaluationRun.id)).scalar_subquery())
    if Alert.__tablename__ in present:
        probes += [select(func.max(Alert.id)).scalar_subquery(), select(func.max(Alert.changed_at)).scalar_subquery()]
    return select(*probes)


def data_version(engine: Engine, probe: Select[Any] | None = None) -> tuple[object, ...]:
    """The store's data version: the one cache key of everything read from the analytics layer."""
    with read_connection(engine) as conn:  # every request asks: a plain connection, not an ORM session
        return tuple(conn.execute(probe if probe is not None else version_probe(engine)).one())


def build_key(version: tuple[object, ...]) -> tuple[object, ...]:
    """The part of a data version the analytics build depends on: submissions and their states, zones,
    enterprises and their versions, qualifications (not logins, alerts or evaluation runs)."""
    return version[:5]


def _synthetic(engine: Engine) -> bool:
    with Session(engine) as session:
        if session.scalar(select(Submission.id).where(Submission.synthetic.is_(True)).limit(1)) is not None:
            return True
        row = session.get(DatasetInfo, "synthetic")
        return row is not None and row.value.strip().lower() in ("1", "true", "yes")


KEPT_ACROSS_VERSIONS = ("measures", "relations", "cells", "pattern")  # memo entries that depend on the build only


class ReadCache:
    """The current Reader, refreshed when the store's data version moves: when what the build reads moved,
    the analytics file is brought up to date (an incremental ``build``) and read again; otherwise the same
    build is served under the new version.

    A refresh that took less than ``sync_seconds`` last time is done at once (a page shows the latest
    approval). A slower one runs in a background thread while readers keep the previous build, so a change
    to a large store never stalls every request behind a rebuild. While a refresh runs, other requests are
    not queued behind it: they get the previous build at once and one more refresh follows (uploads arriving
    every second would otherwise hold every page behind one rebuild after another). The file's build key is
    kept beside it (``<file>.built-from``): a restarted server does not rebuild a file that is up to date.
    """

    def __init__(self, engine: Engine, path: Path, sync_seconds: float = 5.0) -> None:
        self.engine = engine
        self.path = path
        self.sync_seconds = sync_seconds
        self._current: Reader | None = None
        self._last_seconds = 0.0
        self._lock = threading.Lock()
        self._refreshing = threading.Event()
        self.probe = version_probe(engine)  # the data version's SELECT
        self._marker = path.with_name(path.name + ".built-from")

    def _built_from(self) -> str | None:
        try:
            return self._marker.read_text(encoding="utf-8")
        except OSError:
            return None

    def _mark(self, version: tuple[object, ...]) -> str:
        return json.dumps([str(v) for v in build_key(version)])

    def _load(self, version: tuple[object, ...]) -> Reader:
        current = self._current
        if current is not None and build_key(current.version) == build_key(version):  # type: ignore[arg-type]
            kept = {k: v for k, v in current.memo.items() if k[0] in KEPT_ACROSS_VERSIONS}
            return dataclasses.replace(current, version=version, memo=kept, _lock=threading.Lock())
        started = time.perf_counter()
        mark = self._mark(version)
        if not self.path.exists() or self._built_from() != mark:
            self._marker.unlink(missing_ok=True)
            try:
                build(self.engine, self.path)
            except (duckdb.Error, StoreError):  # a failed build leaves the file as it was: serve it, retry later
                if current is not None:
                    return current
                if not self.path.exists():
                    raise
            else:
                self._marker.write_text(mark, encoding="utf-8")
        reader = open_reader(self.path, version, _synthetic(self.engine), approved=_approval_years(self.engine))
        if current is not None:  # the first build is a whole one: only later (incremental) ones are timed
            self._last_seconds = time.perf_counter() - started
        return reader

    def _refresh_in_background(self) -> None:
        try:
            with self._lock:
                version = data_version(self.engine, self.probe)
                if self._current is None or self._current.version != version:
                    self._current = self._load(version)
        finally:
            self._refreshing.clear()

    def get(self, version: tuple[object, ...] | None = None) -> Reader:
        """The Reader at ``version`` (the store's data version, read now when not given)."""
        version = version if version is not None else data_version(self.engine, self.probe)
        current = self._current
        if current is not None and current.version == version:
            return current
        if current is not None and self._last_seconds >= self.sync_seconds:
            return self._refresh_later(current)
        if not self._lock.acquire(blocking=current is None):  # a refresh is running: serve what there is
            assert current is not None
            return self._refresh_later(current)
        try:
            if self._current is None or self._current.version != version:
                self._current = self._load(version)
            return self._current
        finally:
            self._lock.release()

    def loaded(self, version: tuple[object, ...]) -> Reader | None:
        """The Reader at ``version`` if it is the one loaded now, else None; never reads the store nor waits (an
        event loop may ask)."""
        current = self._current
        return current if current is not None and current.version == version else None

    def _refresh_later(self, current: Reader) -> Reader:
        """``current``, with a refresh in the background to follow (one at a time: it reads the version when it
        gets its turn)."""
        if not self._refreshing.is_set():
            self._refreshing.set()
            threading.Thread(target=self._refresh_in_background, name="analytics-refresh", daemon=True).start()
        return current

    @property
    def refreshing(self) -> bool:
        """Whether a refresh is running now (at once or in the background)."""
        return self._lock.locked()

    def synthetic(self) -> bool:
        """Whether the data is synthetic, without waiting for a build (pages without figures ask it too)."""
        current = self._current
        return current.synthetic if current is not None else _synthetic(self.engine)

    def warm(self) -> None:
        """Load the first build in the background (a server start should not wait for it)."""
        threading.Thread(target=self.get, name="analytics-warm", daemon=True).start()


def _approval_years(engine: Engine) -> dict[str, int]:
    """The zones' approval years (registry facts the analytics file does not carry)."""
    with Session(engine) as session:
        return {code: int(year) for code, year in session.execute(select(Zone.code, Zone.approved_year))}

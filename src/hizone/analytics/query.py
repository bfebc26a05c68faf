"""Reading the analytics file: indicator values, time series and the submissions behind a figure."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from hizone.analytics.build import VIEWS, fact_table_name
from hizone.analytics.compiler import element_column
from hizone.analytics.definitions import IndicatorSet, default_indicators
from hizone.analytics.formula import Name, Node, Sum, parse
from hizone.analytics.rollup import LEVELS, plan
from hizone.catalog import default_catalog
from hizone.errors import HizoneError

ALL_LEVELS = ("enterprise", *LEVELS)


@dataclass(frozen=True)
class IndicatorValue:
    indicator: str
    level: str
    key: str
    period: str
    period_type: str
    value: float | None
    value_raw: float | None  # y/y on the raw basis (all reporters), beside the comparable one
    reason: str | None  # why the value is null

    def as_dict(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "level": self.level, "key": self.key, "period": self.period,
                "period_type": self.period_type, "value": self.value, "value_raw": self.value_raw,
                "reason": self.reason}


@dataclass(frozen=True)
class SourceRow:
    """One submission a figure was computed from."""

    submission_id: int
    entity_key: str
    zone_code: str
    period: str
    revision: int
    state: str
    role: str  # "current", "previous year" (for y/y), "previous month" (single month from cumulative)
    values: dict[str, float | None]


class Analytics:
    """A read-only view of the analytics DuckDB file built by :func:`hizone.analytics.build.build`."""

    def __init__(self, path: Path, indicators: IndicatorSet | None = None) -> None:
        if not path.exists():
            raise HizoneError("no analytics yet: run `hizone build` first", where=str(path))
        self.path = path
        self.indicators = indicators or default_indicators()
        self._lock = threading.Lock()
        self._opened: tuple[tuple[int, int, int], duckdb.DuckDBPyConnection] | None = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the build the file holds now. A build replaces the file whole (see ``build``): a
        connection goes on reading the build it opened, and the first connection after it opens the new file."""
        con = self._database().cursor()
        try:
            con.execute("USE analytics")
            yield con
        finally:
            con.close()

    def _database(self) -> duckdb.DuckDBPyConnection:
        """The database of the file as it is now: one for every connection to the same build, a new one when the
        file was replaced (the old one closes with its last connection)."""
        try:
            found = self.path.stat()  # before opening: a replacement in between is seen at the next connection
        except FileNotFoundError:
            raise HizoneError("no analytics yet: run `hizone build` first", where=str(self.path)) from None
        identity = (found.st_dev, found.st_ino, found.st_mtime_ns)
        with self._lock:
            if self._opened is None or self._opened[0] != identity:
                self._opened = (identity, attach_read_only(self.path))
            return self._opened[1]

    def _check(self, level: str, view: str) -> None:
        if level not in ALL_LEVELS:
            raise HizoneError(f"unknown level '{level}' (one of {', '.join(ALL_LEVELS)})", where="level")
        if view not in VIEWS:
            raise HizoneError(f"unknown view '{view}' (one of {', '.join(VIEWS)})", where="view")

    def values(self, indicators: Sequence[str] = (), level: str = "zone", keys: Sequence[str] = (),
               periods: Sequence[str] = (), view: str = "published") -> list[IndicatorValue]:
        """Indicator values for the given groups and periods (all when empty), sorted."""
        self._check(level, view)
        codes = list(indicators) or list(self.indicators.indicators)
        for code in codes:
            self.indicators.get(code)
        if level == "enterprise":
            if not keys:
                raise HizoneError("name the enterprise(s) by credit code", where="key")
            return self._enterprise_values(codes, keys, periods, view)
        sql = ("SELECT indicator, level, key, period, period_type, value, value_raw, reason FROM indicator_value "
               "WHERE view = ? AND level = ? AND indicator IN (SELECT UNNEST(?))")
        params: list[Any] = [view, level, codes]
        if keys:
            sql += " AND key IN (SELECT UNNEST(?))"
            params.append(list(keys))
        if periods:
            sql += " AND period IN (SELECT UNNEST(?))"
            params.append(list(periods))
        with self.connect() as con:
            rows = con.execute(sql + " ORDER BY indicator, key, period", params).fetchall()
        return [IndicatorValue(*row) for row in rows]

    def _enterprise_values(self, codes: Sequence[str], keys: Sequence[str], periods: Sequence[str],
                           view: str) -> list[IndicatorValue]:
        found: list[IndicatorValue] = []
        quoted = ", ".join("'" + k.replace("'", "''") + "'" for k in keys)
        with self.connect() as con:
            for table, table_codes in self.indicators.by_table().items():
                wanted = [self.indicators.compiled[c] for c in table_codes if c in codes]
                fact = fact_table_name(table, view)
                if not wanted or not _has_table(con, fact):
                    continue
                steps = plan(fact, self.indicators.registries[table], wanted, "entities", tag="e",
                             entity_filter=f"entity_key IN ({quoted})")
                ctes = ", ".join(f"{s.name} AS ({s.sql})" for s in steps[:-1])
                rows = con.execute(f"WITH {ctes} {steps[-1].sql}").fetchall()
                found += [IndicatorValue(r[3], r[0], r[1], r[2], table.period_type, r[4], r[5], r[6])
                          for r in rows if not periods or r[2] in periods]
        return sorted(found, key=lambda v: (v.indicator, v.key, v.period))

    def series(self, indicator: str, level: str = "zone", view: str = "published"
               ) -> dict[str, list[tuple[str, float | None]]]:
        """Each group's (period, value) pairs in period order."""
        out: dict[str, list[tuple[str, float | None]]] = {}
        for value in self.values([indicator], level, view=view):
            out.setdefault(value.key, []).append((value.period, value.value))
        return out

    def members(self, level: str) -> dict[str, list[str]]:
        """Group key -> zone codes, for ``level`` (zone, province, region, demo_zone, cluster, nation)."""
        with self.connect() as con:
            rows = con.execute("SELECT grp_key, zone_code FROM membership WHERE grp_level = ? ORDER BY 1, 2",
                               [level]).fetchall()
        out: dict[str, list[str]] = {}
        for key, zone in rows:
            out.setdefault(key, []).append(zone)
        return out

    def sources(self, indicator: str, level: str, key: str, period: str, view: str = "published"
                ) -> list[SourceRow]:
        """The submissions a figure was computed from (drill-down to the rows)."""
        self._check(level, view)
        table = self.indicators.table_of(indicator)
        fact = fact_table_name(table, view)
        elements = sorted(_elements_of(self.indicators, indicator))
        columns = ", ".join(f"{element_column(e)} AS {e}" for e in elements) or "NULL AS none"
        if level == "enterprise":
            scope, params = "entity_key = ?", [key]
        else:
            scope, params = "zone_code IN (SELECT zone_code FROM membership WHERE grp_level = ? AND grp_key = ?)", \
                [level, key]
        uses_yoy = self.indicators.compiled[indicator].uses_yoy
        with self.connect() as con:
            if not _has_table(con, fact):
                return []
            has_prev_month = table.period_type == "month"
            prev_col = "prev_month_submission_id" if has_prev_month else "NULL"
            rows = con.execute(f"SELECT submission_id, entity_key, zone_code, period, revision, state, {prev_col}, "
                               f"prev_period, {columns} FROM {fact} WHERE {scope} AND period = ? "
                               "ORDER BY entity_key", [*params, period]).fetchall()
            result = [_source(row, "current", elements) for row in rows]
            if uses_yoy and rows:
                previous = rows[0][7]
                prior = con.execute(f"SELECT submission_id, entity_key, zone_code, period, revision, state, "
                                    f"{prev_col}, prev_period, {columns} FROM {fact} WHERE {scope} AND period = ? "
                                    "ORDER BY entity_key", [*params, previous]).fetchall()
                result += [_source(row, "previous year", elements) for row in prior]
            if has_prev_month:
                cumulative = fact_table_name(type(table)(table.form, "cumulative"), view)
                ids = [r.submission_id for r in result]
                prev_ids = [row[6] for row in rows if row[6] is not None]
                if prev_ids:
                    extra = con.execute(f"SELECT submission_id, entity_key, zone_code, period, revision, state, "
                                        f"NULL, prev_period, {columns} FROM {cumulative} "
                                        "WHERE submission_id IN (SELECT UNNEST(?)) ORDER BY entity_key",
                                        [prev_ids]).fetchall()
                    result += [_source(row, "previous month", elements) for row in extra if row[0] not in ids]
        return result


def attach_read_only(path: Path, config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB of its own with the analytics file attached read-only as ``analytics``.

    Not ``duckdb.connect(file)``: DuckDB hands every connection to a path in a process the database already
    open there, which after a rebuild is the replaced file's, and refuses a second configuration of it."""
    con = duckdb.connect(":memory:", config=config or {})
    escaped = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH '{escaped}' AS analytics (READ_ONLY)")
    except BaseException:
        con.close()
        raise
    return con


def _source(row: tuple[Any, ...], role: str, elements: Sequence[str]) -> SourceRow:
    return SourceRow(int(row[0]), row[1], row[2], row[3], int(row[4]), row[5], role,
                     dict(zip(elements, row[8:], strict=False)))


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    return bool(found and found[0][0])


def _elements_of(indicators: IndicatorSet, code: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The elements an indicator reads, through the indicators it refers to."""
    indicator = indicators.get(code)
    names: set[str] = set()
    _collect(parse(indicator.formula, indicator.source), names)
    elements: set[str] = set()
    for name in names:
        if name in indicators.indicators and name not in seen:
            elements |= _elements_of(indicators, name, seen | {code})
        elif name not in indicators.indicators:
            elements.add(name)
    known = {c for version in default_catalog().forms.get(indicator.form, ()) for c in version.element_codes}
    return elements & known


def _collect(node: Node | Any, names: set[str]) -> None:
    if isinstance(node, Name):
        names.add(node.name)
    elif isinstance(node, Sum):
        _collect(node.row, names)
        if node.where is not None:
            _collect(node.where, names)
    elif hasattr(node, "__dataclass_fields__"):
        for value in vars(node).values():
            if hasattr(value, "__dataclass_fields__"):
                _collect(value, names)

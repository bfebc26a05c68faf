"""`hizone build`: materialise the analytic tables in DuckDB from the store (the one module that reads it).

For each form and view (published = latest approved revision; provisional = latest revision that was
submitted, reviewed or approved) one wide fact table ``<form>__<period_type>__<view>`` with a row per
entity and period and a column per element (``e_<code>``) and qualification flag (``q_<kind>``, valid at
period end). The published view is a table; the provisional one is a view over it that swaps in the rows
of ``<form>__<period_type>__pending`` (latest revisions not yet approved), so the common case, all
approved, stores and computes the facts once. Cumulative monthly forms also get single months
(``<form>__month__<view>``), derived as 1–N月 minus 1–(N−1)月. A later build rebuilds only the periods
with a change (``store.changes``) numbered after the last change the file holds. Submissions stream from
the store in Arrow batches (see ``extract``), their packed values handed to DuckDB as lists of float64 in
place and unpacked there. A build writes a file beside the analytics file and moves it over it (see ``build``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import ColumnElement, Engine, Select, Text, and_, cast, func, or_, select, text

from hizone.analytics.compiler import element_column, flag_column
from hizone.analytics.definitions import FactTable, IndicatorSet, default_indicators
from hizone.analytics.extract import AnySelect, StoreStream, Widths, looked_up
from hizone.analytics.rollup import NATION_KEY, plan
from hizone.catalog import Catalog, Form, default_catalog
from hizone.errors import StoreError
from hizone.registry import qualification_kinds
from hizone.registry.outside import PREFIX, outside_code
from hizone.store.changes import changed_periods, event_time, latest_seq, touched
from hizone.store.models import (
    Enterprise,
    EnterpriseVersion,
    ImportBatch,
    Province,
    Qualification,
    Submission,
    Zone,
)
from hizone.store.values import ValueLayout, value_lists

VIEWS = ("published", "provisional")
VIEW_STATES = {"published": ("approved",), "provisional": ("submitted", "reviewed", "approved")}
BATCH_ROWS = 100_000
CHUNK_IDS = 100_000  # submission ids a chunk of a full read spans


@dataclass
class BuildReport:
    rebuilt: dict[str, list[str]] = field(default_factory=dict)  # form -> periods rebuilt
    kept: dict[str, int] = field(default_factory=dict)  # form -> periods unchanged
    rows: dict[str, int] = field(default_factory=dict)  # fact table -> rows
    indicator_rows: int = 0
    seconds: float = 0.0
    parquet: list[Path] = field(default_factory=list)


def fact_table_name(table: FactTable, view: str) -> str:
    return f"{table.name}__{view}"


def _fact_tables(form: Form) -> list[FactTable]:
    if form.frequency == "annual":
        return [FactTable(form.code, "annual")]
    return [FactTable(form.code, "cumulative"), FactTable(form.code, "month")]


def _form_elements(catalog: Catalog, code: str) -> list[tuple[str, str]]:
    """(element, kind) of every version of a form, in first-seen order."""
    seen: dict[str, str] = {}
    for version in catalog.forms[code]:
        for fld in version.fields:
            seen.setdefault(fld.element.code, fld.element.kind)
    return list(seen.items())


# --- reading the store ----------------------------------------------------------------------------


def _registry_fingerprint(engine: Engine) -> str:
    parts = []
    with engine.connect() as conn:
        # Versions are appended with every registration, rename and move: a move re-attributes past periods.
        for model, key in ((Enterprise, Enterprise.id), (EnterpriseVersion, EnterpriseVersion.id),
                           (Qualification, Qualification.id), (Zone, Zone.code)):
            count, top = conn.execute(select(func.count(), func.max(key))).one()
            parts.append(f"{model.__tablename__}:{count}:{top}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


SUBMISSION_SCHEMA = pa.schema([("_id", pa.int64()), ("_entity", pa.string()), ("_zone", pa.string()),
                               ("_period", pa.string()), ("_revision", pa.int32()), ("_state", pa.string()),
                               ("_batch", pa.int64()), ("_packed", pa.binary())])


def _submissions(engine: Engine, form: str, periods: Sequence[str] | None, since: tuple[int, int] | None,
                 layouts: dict[int, ValueLayout] | None = None) -> StoreStream:
    """Start reading every revision of the form's submissions: of ``periods`` (or all), and with ``since``
    (after, up to: change numbers) only of the entities with a change in that span. ``layouts`` (of the form's
    batches): each packed row's length is its layout's width, so the lengths need not be read."""
    widths = None if layouts is None else Widths("_packed", "_batch", {b: lay.width for b, lay in layouts.items()})
    s = Submission
    stmt = select(s.id.label("_id"), s.entity_key.label("_entity"), s.zone_code.label("_zone"),
                  s.period.label("_period"), s.revision.label("_revision"), s.state.label("_state"),
                  s.batch_id.label("_batch"), s.packed_values.label("_packed"))
    if periods is not None:
        stmt = stmt.where(s.period.in_(list(periods)))
    if since is not None:
        # Joined, not ``(period, entity) IN (…)``: SQLite then walks the changed reports through the unique index
        # instead of testing every report of the periods (one zone's batch approved, 2023 of 200,000 enterprises:
        # 0.23 s, not 0.52).
        changed = touched(form, *since).subquery()
        distinct = select(changed.c.period, changed.c.entity_key).distinct().subquery()
        stmt = stmt.join(distinct, and_(s.period == distinct.c.period, s.entity_key == distinct.c.entity_key))
    if periods is not None or since is not None:
        return StoreStream(engine, stmt.where(s.form_code == form), SUBMISSION_SCHEMA, widths=widths)
    whole, chunks = _whole_form(engine, stmt, form)
    return StoreStream(engine, whole, SUBMISSION_SCHEMA, chunks=chunks, widths=widths)


def _whole_form(engine: Engine, stmt: AnySelect, form: str) -> tuple[AnySelect, list[ColumnElement[bool]]]:
    """Every submission of ``form``: (statement, chunks). Where the form holds most rows of
    its span of ids they are read in chunks of ids in table order, not each looked up through the form's index
    (SQLite would take the index for ``form_code = ?``; ``|| ''`` keeps it off)."""
    s = Submission
    with engine.connect() as conn:
        low, high, count = conn.execute(select(func.min(s.id), func.max(s.id), func.count())
                                        .where(s.form_code == form)).one()
    if not count or count * 4 < high - low + 1:
        return stmt.where(s.form_code == form), []
    chunks: list[ColumnElement[bool]] = [s.id.between(start, start + CHUNK_IDS - 1)
                                         for start in range(low, high + 1, CHUNK_IDS)]
    return stmt.where(s.form_code.concat("") == form), chunks


def _layouts(engine: Engine, form: str) -> dict[int, ValueLayout]:
    with engine.connect() as conn:
        rows = conn.execute(select(ImportBatch.id, ImportBatch.value_layout).where(ImportBatch.form_code == form))
        return {batch: ValueLayout.from_json(layout) for batch, layout in rows}


@dataclass(frozen=True)
class _Layouts:
    """The distinct layouts of a form's batches, numbered, and each batch's number."""

    distinct: tuple[ValueLayout, ...]
    of_batch: dict[int, int]

    @classmethod
    def of(cls, layouts: dict[int, ValueLayout]) -> _Layouts:
        numbers: dict[ValueLayout, int] = {}
        of_batch = {batch: numbers.setdefault(layout, len(numbers)) for batch, layout in layouts.items()}
        return cls(tuple(numbers), of_batch)

    def numbers(self, batches: pa.Array) -> np.ndarray:
        """Each row's layout number from its batch id."""
        try:
            return looked_up(batches, self.of_batch, np.int32)
        except KeyError as exc:
            raise StoreError(f"reading the store failed: a submission of batch {exc} without a layout",
                             where="analytics build") from None

    def value_sql(self, code: str) -> str:
        """An element's DOUBLE from a row's ``_values`` (NaN, a blank, as NULL; NULL where its layout lacks it)."""
        spots: dict[int, list[int]] = {}
        for number, layout in enumerate(self.distinct):
            if code in layout.codes:
                spots.setdefault(layout.codes.index(code) + 1, []).append(number)
        if not spots:
            return "CAST(NULL AS DOUBLE)"
        if len(spots) == 1 and len(next(iter(spots.values()))) == len(self.distinct):
            value = f"_values[{next(iter(spots))}]"
        else:
            whens = " ".join(f"WHEN _layout IN ({', '.join(map(str, numbers))}) THEN _values[{spot}]"
                             for spot, numbers in spots.items())
            value = f"(CASE {whens} END)"
        return f"CASE WHEN isnan({value}) THEN NULL ELSE {value} END"


def _value_lists(reader: pa.RecordBatchReader, layouts: _Layouts) -> pa.RecordBatchReader:
    """The submissions with their packed values as lists of float64 (``_values``, the store's bytes in place)
    and their layout's number (``_layout``): DuckDB takes the elements out of the lists in its own threads."""
    schema = pa.schema([*list(SUBMISSION_SCHEMA)[:6], ("_layout", pa.int32()), ("_values", pa.list_(pa.float64()))])
    widths = np.array([len(layout.codes) for layout in layouts.distinct], dtype=np.int64)

    def batches() -> Any:
        for batch in reader:
            numbers = layouts.numbers(batch.column("_batch"))
            try:
                values = value_lists(batch.column("_packed"))
            except ValueError as exc:
                raise StoreError(f"reading the store failed: {exc}", where="analytics build") from None
            wrong = np.flatnonzero(np.diff(values.offsets.to_numpy()) != widths[numbers])
            if len(wrong):
                raise StoreError(f"reading the store failed: submission {batch.column('_id')[int(wrong[0])]} holds "
                                 "packed values that do not fit its batch's layout", where="analytics build")
            yield pa.record_batch([*batch.columns[:6], pa.array(numbers), values], schema=schema)
    return pa.RecordBatchReader.from_batches(schema, batches())


@contextmanager
def _unpacked(con: duckdb.DuckDBPyConnection, read: _ReadForm, elements: Sequence[str]) -> Iterator[str]:
    """A select over the form's submissions, a DOUBLE column per element (the form's fixed schema), to run inside
    the block. From memory DuckDB scans them in parallel: a million rows with joins into a stored table took
    2.2 CPU-s from memory, 4.4 streamed."""
    values = "".join(f', {read.layouts.value_sql(code)} AS "{code}"' for code in elements)
    con.register("batch_in", read.rows)
    try:
        yield f"SELECT _id, _entity, _zone, _period, _revision, _state{values} FROM batch_in"
    finally:
        con.unregister("batch_in")


def _load_registry(engine: Engine, con: duckdb.DuckDBPyConnection, indicators: IndicatorSet) -> None:
    with engine.connect() as conn:
        provinces = conn.execute(select(Province.code, Province.name_zh, Province.name_en, Province.region)).all()
        zones = conn.execute(select(Zone.code, Zone.name_zh, Zone.name_en, Zone.province_code, Zone.city,
                                    Zone.demo_zone)).all()
    province_table = pa.table({"code": [p[0] for p in provinces], "name_zh": [p[1] for p in provinces],
                               "name_en": [p[2] for p in provinces], "region": [p[3] for p in provinces]},
                              schema=pa.schema([("code", pa.string()), ("name_zh", pa.string()),
                                                ("name_en", pa.string()), ("region", pa.string())]))
    zone_names = ["code", "name_zh", "name_en", "province_code", "city", "demo_zone"]
    zone_table = pa.table({n: pa.array([z[i] for z in zones], type=pa.string()) for i, n in enumerate(zone_names)})
    con.register("province_in", province_table)
    con.register("zone_in", zone_table)
    con.execute("CREATE OR REPLACE TABLE province AS SELECT * FROM province_in")
    con.execute("CREATE OR REPLACE TABLE zone AS SELECT z.*, p.region FROM zone_in z "
                "LEFT JOIN province p ON p.code = z.province_code")
    con.unregister("province_in")
    con.unregister("zone_in")
    region_of = {p[0]: p[3] for p in provinces}
    # The facts' zone column also holds the provinces' outside keys (carriers outside any national zone,
    # registry.outside): ``membership`` gives them a province, a region and the nation but no zone, and ``zone``
    # (every zone list's) never holds them (the facts place them by ZONE_OR_OUTSIDE).
    outside = [(outside_code(p[0]), p[0], p[3]) for p in provinces]
    rows: list[tuple[str, str, str]] = []
    for code, province_code, region in outside:
        rows += [(code, "province", province_code), (code, "region", region or ""), (code, "nation", NATION_KEY)]
    for code, _, _, province_code, city, demo_zone in zones:
        rows += [(code, "zone", code), (code, "province", province_code),
                 (code, "region", region_of.get(province_code, "")), (code, "nation", NATION_KEY)]
        if demo_zone:
            rows.append((code, "demo_zone", demo_zone))
        rows += [(code, "cluster", g.code) for g in indicators.groups if g.contains(province_code, city or "")]
    membership = pa.table({"zone_code": [r[0] for r in rows], "grp_level": [r[1] for r in rows],
                           "grp_key": [r[2] for r in rows]},
                          schema=pa.schema([("zone_code", pa.string()), ("grp_level", pa.string()),
                                            ("grp_key", pa.string())]))
    con.register("membership_in", membership)
    con.execute("CREATE OR REPLACE TABLE membership AS SELECT * FROM membership_in")
    con.unregister("membership_in")


@dataclass
class _StoreTable:
    """A table of the analytic file from the store's rows of a query (text columns), read as it is made."""

    name: str
    stream: StoreStream
    select_list: str  # over the streamed columns

    @classmethod
    def start(cls, engine: Engine, name: str, stmt: Select[str, str, str, str], select_list: str) -> _StoreTable:
        schema = pa.schema([(column.name, pa.string()) for column in stmt.selected_columns])
        return cls(name, StoreStream(engine, stmt, schema, batch_rows=200_000), select_list)

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        with self.stream as reader:
            con.register(f"{self.name}_in", reader)
            try:
                con.execute(f"CREATE OR REPLACE TABLE {self.name} AS SELECT {self.select_list} FROM {self.name}_in")
            finally:
                con.unregister(f"{self.name}_in")


def _entity_tables(engine: Engine) -> list[_StoreTable]:
    """``qualification`` and ``zone_history`` (each enterprise's zone over dated spans, ``valid_to``
    exclusive, NULL while current, so that a period's figures go to the zone the enterprise belonged to in that
    period), their reading started.

    Dates as ISO text (as SQLite stores them; no date object per row on either store), never NULL in transit
    (see ``extract``): '' stands for an open end."""
    version = EnterpriseVersion
    qualifications = (select(Enterprise.credit_code.label("credit_code"), Qualification.kind.label("kind"),
                             func.coalesce(cast(Qualification.valid_from, Text), "").label("valid_from"),
                             func.coalesce(cast(Qualification.valid_to, Text), "").label("valid_to"))
                      .join(Enterprise, Enterprise.id == Qualification.enterprise_id))
    history = (select(Enterprise.credit_code.label("credit_code"), version.zone_code.label("zone_code"),
                      cast(version.valid_from, Text).label("valid_from"),
                      func.coalesce(cast(version.valid_to, Text), "").label("valid_to"))
               .join(Enterprise, Enterprise.id == version.enterprise_id)
               .where(or_(version.valid_to.is_(None), version.valid_to > version.valid_from)))
    dates = "CAST(nullif(valid_from, '') AS DATE) AS valid_from, CAST(nullif(valid_to, '') AS DATE) AS valid_to"
    started = [_StoreTable.start(engine, "qualification", qualifications, f"credit_code, kind, {dates}")]
    try:
        started.append(_StoreTable.start(engine, "zone_history", history, f"credit_code, zone_code, {dates}"))
    except BaseException:
        started[0].stream.close()
        raise
    return started


# --- fact tables ----------------------------------------------------------------------------------


def _current_sql(view: str) -> str:
    """The rows of ``raw`` a view shows, once ``_drop_superseded`` has left of each (entity, period) its latest
    approved revision and, when the latest submitted, reviewed or approved one is not approved, that one too.

    ``pending`` is what the provisional view shows *instead of* the published one: that latest revision when
    it is not approved (when it is, it is the latest approved, so the published row).
    """
    states = [s for s in VIEW_STATES["provisional"] if s != "approved"] if view == "pending" else VIEW_STATES[view]
    return f"SELECT * FROM raw WHERE _state IN ({_quoted(states)})"


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


@dataclass(frozen=True)
class _Revisions:
    """The columns of a table of revisions that ranking them needs."""

    table: str
    id: str = "submission_id"
    entity: str = "entity_key"
    period: str = "period"
    revision: str = "revision"
    state: str = "state"


RAW = _Revisions("raw", "_id", "_entity", "_period", "_revision", "_state")


def _drop_superseded(con: duckdb.DuckDBPyConnection) -> None:
    """Drop from ``raw`` every revision neither view shows (see ``_superseded_sql``)."""
    superseded = _superseded_sql(con, RAW)
    if superseded is not None:
        con.execute(f"DELETE FROM raw WHERE _id IN ({superseded})")


def _superseded_sql(con: duckdb.DuckDBPyConnection, rows: _Revisions) -> str | None:
    """The ids of the revisions of ``rows`` neither view shows because a later revision of its (entity, period)
    takes its place: an approved one after a later approved one, a submitted or reviewed one after any later
    submitted, reviewed or approved one. Each such revision leaves a later one of its (entity, period). None
    where no revision is above the lowest (the common case: one narrow scan tells).

    The later revisions are found among the rows above the lowest revision (the few corrections), so that every
    view is then a plain filter on the state, not a ranking of all the rows (a window over every row cost more
    than the rest of the fact table)."""
    t, shown = rows, _quoted(VIEW_STATES["provisional"])
    later = (f"SELECT {t.entity}, {t.period}, {t.revision}, {t.state} FROM {t.table} WHERE {t.state} IN ({shown}) "
             f"AND {t.revision} > (SELECT min({t.revision}) FROM {t.table})")
    if not _scalar(con, f"SELECT count(*) FROM ({later})"):
        return None
    return (f"SELECT r.{t.id} FROM {t.table} r JOIN ({later}) l ON l.{t.entity} = r.{t.entity} "
            f"AND l.{t.period} = r.{t.period} AND l.{t.revision} > r.{t.revision} "
            f"WHERE r.{t.state} IN ({shown}) AND (r.{t.state} <> 'approved' OR l.{t.state} = 'approved')")


def _period_parts(form: Form, period: str) -> dict[str, str]:
    """SQL over the column ``period``: year, month, the period a year before, the last day of the period."""
    year = f"CAST({period} AS INTEGER)" if form.frequency == "annual" else f"CAST(substr({period}, 1, 4) AS INTEGER)"
    if form.frequency == "annual":
        return {"year": year, "month": "CAST(NULL AS INTEGER)", "prev": f"CAST({year} - 1 AS VARCHAR)",
                "end": f"make_date({year}, 12, 31)"}
    if form.frequency == "weekly":  # "2022W27": the month of the week's Sunday, the period end that Sunday
        sunday = f"CAST(strptime({period} || '-7', '%GW%V-%u') AS DATE)"
        return {"year": year, "month": f"CAST(month({sunday}) AS INTEGER)",
                "prev": f"CAST({year} - 1 AS VARCHAR) || substr({period}, 5)", "end": sunday}
    month = f"CAST(substr({period}, 6, 2) AS INTEGER)"
    return {"year": year, "month": month, "prev": f"CAST({year} - 1 AS VARCHAR) || substr({period}, 5)",
            "end": f"last_day(make_date({year}, {month}, 1))"}


def _load_flags(con: duckdb.DuckDBPyConnection, form: Form, periods: Sequence[str] | None) -> None:
    """``flags``: per (entity, period) the qualifications valid at period end, of every entity for ``periods``
    (a whole rebuild), or (None) of the entities and periods ``raw`` holds. They depend on the entity and the
    period, not on the revision: one narrow pass serves every view. Each qualification meets the few periods
    rather than each submission its entity's qualifications; of every entity, those without a submission are
    not weeded out, the fact rows' join leaves them."""
    if periods is not None and _flags_cover(con, periods):
        return
    kinds = list(qualification_kinds())
    flags = ", ".join(f"bool_or(q.kind = '{k}') AS {flag_column(k)}" for k in kinds)
    end = _period_parts(form, "_period")["end"]
    holders, params = " WHERE q.credit_code IN (SELECT _entity FROM raw)", []
    wanted = "SELECT DISTINCT _period FROM raw"
    if periods is not None:
        holders, params, wanted = "", [list(periods)], "SELECT UNNEST(CAST(? AS VARCHAR[])) AS _period"
    con.execute(f"CREATE OR REPLACE TEMP TABLE flags AS SELECT q.credit_code AS _entity, d._period, {flags} "
                f"FROM qualification q JOIN (SELECT _period, {end} AS period_end FROM ({wanted})) d "
                "ON q.valid_from <= d.period_end AND (q.valid_to IS NULL OR q.valid_to >= d.period_end)"
                f"{holders} GROUP BY q.credit_code, d._period", params)


def _flags_cover(con: duckdb.DuckDBPyConnection, periods: Sequence[str]) -> bool:
    """Whether ``flags`` (left by another form's whole rebuild: the flags of every entity) holds ``periods``;
    flags depend on the entity and the period only, so the forms of an enterprise and a year share them."""
    if not _scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'flags'"):
        return False
    held = {row[0] for row in con.execute("SELECT DISTINCT _period FROM flags").fetchall()}
    return set(periods) <= held


# A zone's province and region, and an outside key's (registry.outside: 'X' + the province's code).
ZONE_OR_OUTSIDE = (f"(SELECT code, province_code, region FROM zone UNION ALL "
                   f"SELECT '{PREFIX}' || code, code, region FROM province)")


def _fact_select(form: Form, elements: Sequence[tuple[str, str]], current: str) -> str:
    """The rows of ``current`` (a select over ``raw``): values as columns, flags (from ``flags``) at period end."""
    value_columns = ", ".join(f'c."{code}" AS {element_column(code)}' for code, _ in elements)
    parts = _period_parts(form, "c._period")
    flag_columns = flag_join = ""
    zone, zone_join = "c._zone", ""
    if form.entity == "enterprise":
        flag_columns = "".join(f", coalesce(f.{flag_column(k)}, false) AS {flag_column(k)}"
                               for k in qualification_kinds())
        flag_join = " LEFT JOIN flags f ON f._entity = c._entity AND f._period = c._period"
        # The zone of the version valid on the period's last day; the submission's own where the history does
        # not reach back that far.
        zone = "coalesce(h.zone_code, c._zone)"
        zone_join = (f" LEFT JOIN zone_history h ON h.credit_code = c._entity AND h.valid_from <= {parts['end']} "
                     f"AND (h.valid_to IS NULL OR h.valid_to > {parts['end']})")
    return (f"SELECT c._id AS submission_id, c._entity AS entity_key, {zone} AS zone_code, z.province_code, "
            f"z.region, c._period AS period, c._revision AS revision, c._state AS state, {value_columns}, "
            f"{parts['year']} AS year, {parts['month']} AS month, {parts['prev']} AS prev_period, "
            f"{parts['end']} AS period_end{flag_columns} "
            f"FROM ({current}) c{zone_join} LEFT JOIN {ZONE_OR_OUTSIDE} z ON z.code = {zone}{flag_join}")


def _single_months_select(cumulative: str, elements: Sequence[tuple[str, str]]) -> str:
    """Single months from 1–N月累计: flows differ from the month before (January is its own); stocks stay."""
    columns = []
    for code, kind in elements:
        col = element_column(code)
        if kind == "flow":
            columns.append(f"CASE WHEN c.month = 1 THEN c.{col} ELSE c.{col} - p.{col} END AS {col}")
        else:
            columns.append(f"c.{col} AS {col}")
    replaced = ", ".join(element_column(code) for code, _ in elements)
    return (f"SELECT c.* EXCLUDE ({replaced}), p.submission_id AS prev_month_submission_id, "
            f"{', '.join(columns)} FROM {cumulative} c LEFT JOIN {cumulative} p "
            "ON p.entity_key = c.entity_key AND p.year = c.year AND p.month = c.month - 1 "
            "WHERE c.month = 1 OR p.entity_key IS NOT NULL")


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every table and view of the file: name -> BASE TABLE or VIEW (one look-up serves a phase of the build)."""
    return {name: kind for name, kind in con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def pending_table_name(table: FactTable) -> str:
    """The rows the provisional view shows instead of the published ones (none when all is approved)."""
    return f"{table.name}__pending"


def _provisional_view(con: duckdb.DuckDBPyConnection, table: FactTable, relations: dict[str, str]) -> None:
    """The provisional view: the published rows, each replaced by its pending row where there is one."""
    name, published, pending = fact_table_name(table, "provisional"), fact_table_name(table, "published"), \
        pending_table_name(table)
    if relations.get(name) == "BASE TABLE":  # a file built before the provisional view was a view
        con.execute(f"DROP TABLE {name}")
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {published} p WHERE NOT EXISTS "
                f"(SELECT 1 FROM {pending} d WHERE d.entity_key = p.entity_key AND d.period = p.period) "
                f"UNION ALL BY NAME SELECT * FROM {pending}")


@dataclass(frozen=True)
class _ReadForm:
    """A form's submissions, read: of ``periods`` the entities with changes (an incremental build), or (None)
    every submission of the form."""

    form: Form
    periods: list[str] | None
    layouts: _Layouts
    rows: pa.Table  # see _value_lists


def _read_form(engine: Engine, form: Form, periods: list[str] | None, since: tuple[int, int]) -> _ReadForm:
    """Of ``periods`` the entities with changes ``since`` (after, up to: change numbers; see ``_submissions``),
    or every submission of the form (``periods`` None)."""
    layouts = _layouts(engine, form.code)
    numbered = _Layouts.of(layouts)
    with _submissions(engine, form.code, periods, since if periods is not None else None, layouts) as reader:
        return _ReadForm(form, periods, numbered, _value_lists(reader, numbered).read_all())


class _Readings:
    """The forms' submissions read from the store one form after another, in a thread of their own, from the
    start of the build: DuckDB writes a form's tables while the next forms are read. One at a time, since the
    store's reads side by side gain nothing (see ``extract``); and all of them before DuckDB needs them, since a
    read beside DuckDB's writing took three times as long as alone (590,000 submissions: 2.3 s, not 0.7)."""

    def __init__(self, engine: Engine, work: Sequence[tuple[Form, list[str] | None]], since: tuple[int, int]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hizone-build-read")
        self._forms = [self._pool.submit(_read_form, engine, form, periods, since) for form, periods in work]

    def form(self, index: int) -> _ReadForm:
        """The ``index``-th form's submissions, once read (an error in the reading raised here)."""
        return self._forms[index].result()

    def close(self) -> None:
        """Drop the readings not begun; wait for the one under way."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _load_form(con: duckdb.DuckDBPyConnection, engine: Engine, read: _ReadForm, catalog: Catalog) -> list[str]:
    """The form's submissions into DuckDB; the periods read.

    Every submission (a whole rebuild) goes straight into the published fact table, the rows of all shown states,
    ``_split_pending`` taking out the few that are not published: writing a million rows into a temporary table
    first and copying them cost 0.65 CPU-s of the 2.2 the fact table took (200,000 enterprises × 5 years). Some
    entities' submissions (an incremental build) go into ``raw``, from which ``_form_tables`` replaces their
    rows."""
    form = read.form
    elements = _form_elements(catalog, form.code)
    if read.periods is not None:
        with _unpacked(con, read, [code for code, _ in elements]) as rows:
            con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS {rows}")
        return [row[0] for row in con.execute("SELECT DISTINCT _period FROM raw ORDER BY 1").fetchall()]
    periods = _stored_periods(engine, form.code)
    if form.entity == "enterprise":
        _load_flags(con, form, periods)
    shown = f" WHERE _state IN ({_quoted(VIEW_STATES['provisional'])})"
    with _unpacked(con, read, [code for code, _ in elements]) as rows:
        con.execute(f"CREATE OR REPLACE TABLE {fact_table_name(_fact_tables(form)[0], 'published')} AS "
                    f"{_fact_select(form, elements, rows + shown)}")
    return periods


def _load_entity_tables(con: duckdb.DuckDBPyConnection, tables: list[_StoreTable]) -> None:
    """The qualifications and zone history (started by ``_entity_tables``) into DuckDB."""
    try:
        for table in tables:
            table.load(con)
    finally:
        _close(tables)


def _close(tables: list[_StoreTable]) -> None:
    for table in tables:
        table.stream.close()


def _stored_periods(engine: Engine, form: str) -> list[str]:
    """The periods of the form's submissions, in order, each found by one probe of the (form, period, …) index:
    walking all the form's index entries for them took 0.14 s a million submissions."""
    walk = text("WITH RECURSIVE p(period) AS (SELECT min(period) FROM submission WHERE form_code = :form "
                "UNION ALL SELECT (SELECT min(s.period) FROM submission s WHERE s.form_code = :form "
                "AND s.period > p.period) FROM p WHERE p.period IS NOT NULL) "
                "SELECT period FROM p WHERE period IS NOT NULL")
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(walk, {"form": form})]


def _form_tables(con: duckdb.DuckDBPyConnection, form: Form, catalog: Catalog, periods: list[str] | None,
                 relations: dict[str, str]) -> None:
    """The form's fact tables: of a whole rebuild from the published table ``_load_form`` filled, of some
    entities (``periods`` given) their rows replaced by those of ``raw``."""
    elements = _form_elements(catalog, form.code)
    table = _fact_tables(form)[0]
    try:
        if periods is None:
            _split_pending(con, table)
        else:
            _replace_rows(con, form, table, elements)
        _provisional_view(con, table, relations)
        if form.frequency == "monthly":
            for view in VIEWS:
                single = fact_table_name(FactTable(form.code, "month"), view)
                cumulative = fact_table_name(table, view)
                con.execute(f"CREATE OR REPLACE TABLE {single} AS {_single_months_select(cumulative, elements)}")
    finally:
        con.execute("DROP TABLE IF EXISTS raw")
        if periods is not None:  # of some entities only: no other form may take them
            con.execute("DROP TABLE IF EXISTS flags")


def _replace_rows(con: duckdb.DuckDBPyConnection, form: Form, table: FactTable,
                  elements: Sequence[tuple[str, str]]) -> None:
    """The published and pending rows of the entities and periods ``raw`` holds, replaced by theirs."""
    if form.entity == "enterprise":
        _load_flags(con, form, None)
    _drop_superseded(con)
    for name, view in ((fact_table_name(table, "published"), "published"), (pending_table_name(table), "pending")):
        con.execute(f"DELETE FROM {name} USING (SELECT DISTINCT _entity, _period FROM raw) r "
                    f"WHERE {name}.entity_key = r._entity AND {name}.period = r._period")
        con.execute(f"INSERT INTO {name} BY NAME {_fact_select(form, elements, _current_sql(view))}")


def _split_pending(con: duckdb.DuckDBPyConnection, table: FactTable) -> None:
    """Of the published table holding every shown revision, the pending rows into their table, and those and every
    superseded revision (see ``_superseded_sql``) out of it."""
    published, pending = fact_table_name(table, "published"), pending_table_name(table)
    superseded = _superseded_sql(con, _Revisions(published))
    try:
        hidden = "false"
        if superseded is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE hidden AS {superseded}")
            hidden = "submission_id IN (SELECT submission_id FROM hidden)"
        con.execute(f"CREATE OR REPLACE TABLE {pending} AS SELECT * FROM {published} "
                    f"WHERE state <> 'approved' AND NOT ({hidden})")
        con.execute(f"DELETE FROM {published} WHERE state <> 'approved' OR {hidden}")
    finally:
        con.execute("DROP TABLE IF EXISTS hidden")


def _rows(con: duckdb.DuckDBPyConnection, table: FactTable, view: str, relations: dict[str, str]) -> int:
    """The rows of a fact table's view; of the provisional view over the published rows counted from the few
    pending rows (each replaces its published row or adds one), not by running the view."""
    name = fact_table_name(table, view)
    if relations.get(name) != "VIEW":
        return _count(con, name)
    published, pending = fact_table_name(table, "published"), pending_table_name(table)
    return _scalar(con, f"SELECT (SELECT count(*) FROM {published}) + (SELECT count(*) FROM {pending}) - "
                        f"(SELECT count(*) FROM {pending} d SEMI JOIN {published} p "
                        "ON p.entity_key = d.entity_key AND p.period = d.period)")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return _scalar(con, f"SELECT count(*) FROM {table}")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    # fetchall, not fetchone: DuckDB refuses further work on a connection with an unfinished result.
    rows = con.execute(sql, params or []).fetchall()
    return int(rows[0][0]) if rows else 0


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    con.execute("CREATE TABLE IF NOT EXISTS build_state (key VARCHAR PRIMARY KEY, fingerprint VARCHAR)")
    return dict(con.execute("SELECT key, fingerprint FROM build_state").fetchall())


def _save_state(con: duckdb.DuckDBPyConnection, state: dict[str, str]) -> None:
    con.execute("DELETE FROM build_state")
    if state:
        con.execute("INSERT INTO build_state SELECT UNNEST(?), UNNEST(?)", [list(state), list(state.values())])


# --- indicators -----------------------------------------------------------------------------------


def _base_table(table: FactTable) -> FactTable:
    """The fact table rows of ``table`` derive from (single months derive from the cumulative ones)."""
    return FactTable(table.form, "cumulative") if table.period_type == "month" else table


def _insert_indicators(con: duckdb.DuckDBPyConnection, indicators: IndicatorSet, table: FactTable,
                       codes: Sequence[str], periods: Sequence[str] | None) -> None:
    """The indicators ``codes`` of ``table``, both views, for ``periods`` (all when None) into indicator_value.

    For some periods the plan reads only their rows and those of a year before (y/y reads no further back).
    The provisional view differs from the published one only in the units (zones, and outside keys) and
    periods its pending rows reach (``_pending_reach``): the published sums of every other unit are taken
    as they are, and only the reached units summed again from the provisional rows; where nothing is
    pending the published values are copied.
    """
    fact = fact_table_name(table, "published")
    source, current = fact, None
    if periods is not None:
        source, current = "t_source", "t_current"
        needed = sorted({*periods, *(_year_before(p) for p in periods)})
        con.execute(f"CREATE OR REPLACE TEMP VIEW {source} AS SELECT * FROM {fact} WHERE period IN ({_quoted(needed)})")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {current} AS SELECT * FROM {fact} WHERE period IN "
                    f"({_quoted(periods)})")
    registry, compiled = indicators.registries[table], [indicators.compiled[c] for c in codes]
    published = plan(source, registry, compiled, "groups", tag="t", current=current)
    only = "" if periods is None else f" WHERE period IN ({_quoted(periods)})"
    temporary = [step.name for step in published]
    try:
        for step in published:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {step.name} AS {step.sql}")
        _insert_values(con, "published", table, "t_values", only)
        reach = _pending_reach(con, table, periods)
        if reach is None:  # nothing pending: the published values
            _insert_values(con, "provisional", table, "t_values", only)
            return
        provisional = fact_table_name(table, "provisional")
        reached = f"IN (SELECT zone_code FROM v_zones) AND period IN ({_quoted(reach)})"
        con.execute(f"CREATE OR REPLACE TEMP VIEW v_rows AS SELECT * FROM {provisional} WHERE zone_code {reached}")
        steps = plan("v_rows", registry, compiled, "groups", tag="v", previous=provisional)
        temporary += [step.name for step in steps[:-1]]
        for step in steps[:-1]:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {step.name} AS {step.sql}")
            if step.name in ("v_unit", "v_unit_cmp"):  # the units no pending row reaches: as published
                con.execute(f"INSERT INTO {step.name} SELECT * FROM t{step.name[1:]} WHERE NOT (unit {reached})")
        _insert_values(con, "provisional", table, f"({steps[-1].sql})", only)
    finally:
        for name in (*temporary, "v_zones"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        for name in ("t_source", "t_current", "v_rows"):
            con.execute(f"DROP VIEW IF EXISTS {name}")


def _insert_values(con: duckdb.DuckDBPyConnection, view: str, table: FactTable, values: str, only: str) -> None:
    """The rows of ``values`` (a plan's last step: a table or a parenthesised select) into indicator_value."""
    con.execute(f"INSERT INTO indicator_value SELECT '{view}', '{table.period_type}', indicator, grp_level, grp_key, "
                f"period, value, value_raw, reason FROM {values}{only}")


def _pending_reach(con: duckdb.DuckDBPyConnection, table: FactTable, periods: Sequence[str] | None
                   ) -> list[str] | None:
    """Where the provisional figures of ``table`` may differ from the published ones (None: nowhere, nothing
    is pending): the periods returned (of ``periods``' units, those and the year before) and the units of
    ``v_zones``, made here.

    A pending row changes its own unit and period; through y/y the same unit a year later; through a single
    month the next month. Its entity's rows of other periods may lie in other units (a move): every unit that
    any of the pending entities' rows lie in is reached, so the comparison with the year before is summed again
    wherever it meets a pending row.
    """
    base = _base_table(table)
    pending = pending_table_name(base)
    pending_periods = [row[0] for row in con.execute(f"SELECT DISTINCT period FROM {pending}").fetchall()]
    if not pending_periods:
        return None
    reach = set(_affected(table, pending_periods))
    if periods is not None:
        reach &= {*periods, *(_year_before(p) for p in periods)}
    con.execute(f"CREATE OR REPLACE TEMP TABLE v_zones AS SELECT zone_code FROM {pending} UNION "
                f"SELECT zone_code FROM {fact_table_name(base, 'published')} WHERE entity_key IN "
                f"(SELECT entity_key FROM {pending})")
    return sorted(reach)


def _year_before(period: str) -> str:
    return f"{int(period[:4]) - 1}{period[4:]}"


def _year_after(period: str) -> str:
    return f"{int(period[:4]) + 1}{period[4:]}"


def _affected(table: FactTable, rebuilt: Sequence[str]) -> list[str]:
    """The periods of ``table`` whose indicators move with the rebuilt periods of its form: themselves (a single
    month also with the cumulative month before it) and the same periods a year later (their y/y)."""
    moved = set(rebuilt)
    if table.period_type == "month":
        moved |= {f"{p[:5]}{int(p[5:]) + 1:02d}" for p in rebuilt if int(p[5:]) < 12}
    return sorted(moved | {_year_after(p) for p in moved})


def compute_indicators(con: duckdb.DuckDBPyConnection, indicators: IndicatorSet,
                       rebuilt: dict[str, list[str]] | None = None, forms: Collection[str] | None = None) -> int:
    """Every indicator for every group (zone … nation), both views, into ``indicator_value``: of the forms
    ``forms`` (every form when None), all of them (``rebuilt`` None: into a table without them, see
    ``new_indicator_values``), or (``rebuilt``: per form the periods rebuilt) those the rebuilt periods move, the
    others kept.

    The provisional values are computed again only where a submission awaits approval (see
    ``_insert_indicators``).
    """
    relations = _relations(con)
    if rebuilt is not None and "indicator_value" not in relations:  # a file from before: every value
        new_indicator_values(con)
        rebuilt = None
    for table, codes in indicators.by_table().items():
        if fact_table_name(table, "published") not in relations or (forms is not None and table.form not in forms):
            continue
        periods = None if rebuilt is None else _affected(table, rebuilt.get(table.form, []))
        if periods == []:
            continue
        if periods is not None:
            con.execute("DELETE FROM indicator_value WHERE period_type = ? AND indicator IN (SELECT UNNEST(?)) "
                        "AND period IN (SELECT UNNEST(?))", [table.period_type, codes, periods])
        _insert_indicators(con, indicators, table, codes, periods)
    return _count(con, "indicator_value")


def new_indicator_values(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``indicator_value`` table in place of any there was."""
    con.execute("CREATE OR REPLACE TABLE indicator_value (view VARCHAR, period_type VARCHAR, "
                "indicator VARCHAR, level VARCHAR, key VARCHAR, period VARCHAR, value DOUBLE, value_raw DOUBLE, "
                "reason VARCHAR)")


def _meta(con: duckdb.DuckDBPyConnection, indicators: IndicatorSet) -> None:
    # One Arrow table, one statement: an insert a row took longer than the incremental build's own work.
    rows = list(indicators.indicators.values())
    columns: dict[str, tuple[pa.DataType, list[Any]]] = {
        "code": (pa.string(), [i.code for i in rows]), "name_zh": (pa.string(), [i.name_zh for i in rows]),
        "name_en": (pa.string(), [i.name_en for i in rows]), "unit": (pa.string(), [i.unit for i in rows]),
        "formula": (pa.string(), [i.formula for i in rows]), "form": (pa.string(), [i.form for i in rows]),
        "period_type": (pa.string(), [i.period_type for i in rows]),
        "version": (pa.int32(), [i.version for i in rows]), "source": (pa.string(), [i.source for i in rows]),
        "uses_yoy": (pa.bool_(), [indicators.compiled[i.code].uses_yoy for i in rows]),
        "definitions": (pa.string(), [indicators.fingerprint] * len(rows))}
    con.register("indicator_meta_in", pa.table({name: pa.array(values, type=kind)
                                                 for name, (kind, values) in columns.items()}))
    try:
        con.execute("CREATE OR REPLACE TABLE indicator_meta AS SELECT * FROM indicator_meta_in")
    finally:
        con.unregister("indicator_meta_in")


def export_parquet(con: duckdb.DuckDBPyConnection, directory: Path) -> list[Path]:
    """Every fact table, the group membership and the indicator values as Parquet files."""
    directory.mkdir(parents=True, exist_ok=True)
    names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main' AND table_name <> 'build_state' "
                                       "ORDER BY table_name").fetchall()]
    written = []
    for name in names:
        path = directory / f"{name}.parquet"
        escaped = str(path).replace("'", "''")
        con.execute(f"COPY {name} TO '{escaped}' (FORMAT parquet)")
        written.append(path)
    return written


def build(engine: Engine, path: Path, *, full: bool = False, parquet: Path | None = None,
          indicators: IndicatorSet | None = None, catalog: Catalog | None = None) -> BuildReport:
    """Bring the analytics file at ``path`` up to date with the store; recompute every indicator.

    The file records the number of the last change it holds (``seq``, see store.changes) and when that change
    happened; a later build rebuilds the (form, period) of the changes numbered after it, and everything when
    the store no longer has that change as it was (restored, replaced), the registry or the indicators moved
    (or ``full``).

    The file is never written in place: a build works on a file of its own beside it (a copy of it, or a new
    file for a whole build) and moves that over it when done (``os.replace``). A connection open on the file
    reads the build it opened to the end, the next connection opens the new one, and a build that fails leaves
    the file as it was. Builds of one file take turns (``<file>.lock``): processes sharing the file never write
    it at once, and each builds on the one before.
    """
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    work = path.with_name(path.name + ".building")
    with _turn(path):
        _remove_database(work)  # left by a build that was killed
        try:
            if not full and path.exists():
                shutil.copyfile(path, work)
            report = _build_file(engine, work, path, parquet, indicators or default_indicators(),
                                 catalog or default_catalog())
            os.replace(work, path)
        finally:
            _remove_database(work)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _turn(path: Path) -> Iterator[None]:
    """Wait for and hold the build lock of the file at ``path`` (an exclusive ``flock`` of ``<file>.lock``,
    released when the lock file is closed, also by a process that dies)."""
    with open(path.with_name(path.name + ".lock"), "ab") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield


def _remove_database(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _build_file(engine: Engine, work: Path, path: Path, parquet: Path | None, indicators: IndicatorSet,
                catalog: Catalog) -> BuildReport:
    """Bring the file ``work`` (a copy of ``path``'s, or new) up to date with the store (see ``build``)."""
    report = BuildReport()
    try:
        con = duckdb.connect(str(work))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the analytics file: {exc}", where=str(path)) from None
    try:
        state = _state(con)
        _load_registry(engine, con, indicators)
        new_state = {"registry": _registry_fingerprint(engine), "indicators": indicators.fingerprint}
        with engine.connect() as conn:  # the number first: changes after it are read now and again next time
            upto = latest_seq(conn)
            new_state.update(seq=str(upto), seq_at=event_time(conn, upto) or "")
            same = all(state.get(k) == new_state[k] for k in ("registry", "indicators")) and "seq" in state and \
                (event_time(conn, int(state["seq"])) or "") == state["seq_at"]
            changed = changed_periods(conn, int(state["seq"]), upto) if same else None
        if changed is not None:
            # Vacuuming the row groups an incremental build deleted from costs a second a million-row table
            # at the checkpoint, where writing the new rows takes a tenth of it; the next full build compacts.
            con.execute("SET max_vacuum_tasks = 0")
        if changed is None:  # every value again, each form's as soon as its tables are written (see _rebuild_forms)
            new_indicator_values(con)
        _rebuild_forms(con, engine, catalog, changed, report, (int(state.get("seq", 0)), upto),
                       indicators if changed is None else None)
        _meta(con, indicators)
        report.indicator_rows = _count(con, "indicator_value") if changed is None else \
            compute_indicators(con, indicators, report.rebuilt)
        _save_state(con, new_state)
        relations = _relations(con)
        for table in indicators.by_table():
            for view in VIEWS:
                name = fact_table_name(table, view)
                if name in relations:
                    report.rows[name] = _rows(con, table, view, relations)
        if parquet is not None:
            report.parquet = export_parquet(con, parquet)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return report


def _built_periods(con: duckdb.DuckDBPyConnection, table: FactTable) -> set[str]:
    rows = con.execute(f"SELECT DISTINCT period FROM {fact_table_name(table, 'published')} UNION "
                       f"SELECT DISTINCT period FROM {pending_table_name(table)}").fetchall()
    return {row[0] for row in rows}


def _rebuild_forms(con: duckdb.DuckDBPyConnection, engine: Engine, catalog: Catalog,
                   changed: dict[str, set[str]] | None, report: BuildReport, since: tuple[int, int],
                   indicators: IndicatorSet | None) -> None:
    """Rebuild the periods ``changed`` per form (every period when None, or when a form has no tables yet),
    of those periods the entities with changes ``since`` (after, up to); with ``indicators``, each form's
    indicators as soon as its tables are written, while the next form is read (an idle core otherwise).

    The store is read ahead of DuckDB, form after form (see ``_Readings``)."""
    relations = _relations(con)  # as the last build left them: a form's rebuild touches only its own
    work: list[tuple[Form, list[str] | None]] = []
    for code in sorted(catalog.forms):
        form = catalog.forms[code][-1]
        table = _fact_tables(form)[0]
        built = fact_table_name(table, "published") in relations and pending_table_name(table) in relations
        todo = sorted(changed.get(code, ())) if changed is not None and built else None
        if todo == []:
            report.rebuilt[code], report.kept[code] = [], len(_built_periods(con, table))
        else:
            work.append((form, todo))
    # The registry (so the qualifications) did not move when changes are known: last build's tables hold. Else
    # they are read first, as the fact rows meet them.
    entity_tables = [] if changed is not None and "qualification" in relations else _entity_tables(engine)
    try:
        readings = _Readings(engine, work, since)
    except BaseException:
        _close(entity_tables)
        raise
    try:
        _load_entity_tables(con, entity_tables)
        for index, (form, todo) in enumerate(work):
            periods_read = _load_form(con, engine, readings.form(index), catalog)
            _form_tables(con, form, catalog, todo, relations)
            if indicators is not None:
                compute_indicators(con, indicators, forms={form.code})
            if todo is None and not periods_read:
                continue  # no submissions of this form: no tables, as before it had any
            report.rebuilt[form.code] = periods_read if todo is None else todo
            report.kept[form.code] = len(_built_periods(con, _fact_tables(form)[0]) - set(report.rebuilt[form.code]))
    finally:
        readings.close()

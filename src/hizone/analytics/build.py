"""`hizone build`: materialise the analytic tables in DuckDB from the store (the one module that reads it).

For each form and view (published = latest approved revision; provisional = latest revision that was
submitted, reviewed or approved) one wide fact table ``<form>__<period_type>__<view>`` with a row per
entity and period and a column per element (``e_<code>``) and qualification flag (``q_<kind>``, valid at
period end). Cumulative monthly forms also get single months (``<form>__month__<view>``), derived as
1–N月 minus 1–(N−1)月. Periods whose submissions did not change since the last build are kept as they were.
Submissions stream from the store in batches as Arrow; ``values`` (JSON) is parsed by DuckDB in bulk.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, Text, case, cast, func, literal, select

from hizone.analytics.compiler import element_column, flag_column
from hizone.analytics.definitions import FactTable, IndicatorSet, default_indicators
from hizone.analytics.rollup import NATION_KEY, plan
from hizone.catalog import Catalog, Form, default_catalog
from hizone.errors import StoreError
from hizone.registry import qualification_kinds
from hizone.store.models import Enterprise, Province, Qualification, Submission, Zone

VIEWS = ("published", "provisional")
VIEW_STATES = {"published": ("approved",), "provisional": ("submitted", "reviewed", "approved")}
BATCH_ROWS = 100_000


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


def _fingerprints(engine: Engine) -> dict[tuple[str, str], str]:
    """A digest per (form, period) that changes with any new revision or change of state."""
    s = Submission
    approved = func.sum(func.length(s.state) * s.id)  # state changes move this even at equal counts
    stmt = (select(s.form_code, s.period, func.count(), func.max(s.id), func.sum(s.revision), approved)
            .group_by(s.form_code, s.period))
    with engine.connect() as conn:
        return {(row[0], row[1]): "|".join(str(v) for v in row[2:]) for row in conn.execute(stmt)}


def _registry_fingerprint(engine: Engine) -> str:
    parts = []
    with engine.connect() as conn:
        for model in (Enterprise, Qualification, Zone):
            key = Enterprise.id if model is Enterprise else Qualification.id if model is Qualification else Zone.code
            count, top = conn.execute(select(func.count(), func.max(key))).one()
            parts.append(f"{model.__tablename__}:{count}:{top}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _stream(engine: Engine, stmt: Any, names: Sequence[str], types: Sequence[pa.DataType]
            ) -> Iterator[pa.RecordBatch]:
    schema = pa.schema(list(zip(names, types, strict=True)))
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(stmt)
        for part in result.partitions():
            columns = list(zip(*part, strict=True))
            yield pa.RecordBatch.from_arrays([pa.array(c, type=t) for c, t in zip(columns, types, strict=True)],
                                             schema=schema)


META = {"_id": "BIGINT", "_entity": "VARCHAR", "_zone": "VARCHAR", "_period": "VARCHAR", "_revision": "INTEGER",
        "_state": "VARCHAR"}
CHUNK_IDS = 250_000


def _ndjson_aggregate(engine: Engine) -> Any:
    """One chunk of submissions as NDJSON: each line the ``values`` object with _id, _entity, … appended.

    The database builds and joins the text (in C), so Python handles a few large strings instead of a
    million rows; DuckDB's JSON reader then parses them into columns in bulk.
    """
    s = Submission
    text = cast(s.values, Text)
    sqlite = engine.dialect.name == "sqlite"

    def quoted(column: Any) -> Any:
        return func.json_quote(column) if sqlite else cast(func.to_json(column), Text)
    body = func.rtrim(func.rtrim(text), literal("}"))
    separator = case((func.length(func.trim(body)) > 1, literal(",")), else_=literal(""))
    line = (body + separator + literal('"_id":') + cast(s.id, Text) + literal(',"_entity":') + quoted(s.entity_key)
            + literal(',"_zone":') + quoted(s.zone_code) + literal(',"_period":') + quoted(s.period)
            + literal(',"_revision":') + cast(s.revision, Text) + literal(',"_state":') + quoted(s.state)
            + literal("}"))
    joiner = literal("\n")
    return func.group_concat(line, joiner) if engine.dialect.name == "sqlite" else func.string_agg(line, joiner)


def _submissions(engine: Engine, con: duckdb.DuckDBPyConnection, form: str, periods: Sequence[str] | None,
                 elements: Sequence[str], scratch: Path) -> None:
    """The form's submissions (every revision in a state some view shows) into the DuckDB table ``raw``."""
    s = Submission
    states = sorted({state for v in VIEW_STATES.values() for state in v})
    conditions = [s.form_code == form, s.state.in_(states)]
    if periods is not None:
        conditions.append(s.period.in_(list(periods)))
    columns = {**META, **dict.fromkeys(elements, "DOUBLE")}
    spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM (SELECT " +
                ", ".join(f"CAST(NULL AS {kind}) AS \"{name}\"" for name, kind in columns.items()) + ") WHERE false")
    aggregate = _ndjson_aggregate(engine)
    with engine.connect() as conn:
        low, high = conn.execute(select(func.min(s.id), func.max(s.id)).where(*conditions)).one()
        if low is None:
            return
        for start in range(int(low), int(high) + 1, CHUNK_IDS):
            text = conn.execute(select(aggregate).where(*conditions, s.id >= start,
                                                        s.id < start + CHUNK_IDS)).scalar()
            if not text:
                continue
            scratch.write_text(text, encoding="utf-8")
            con.execute(f"INSERT INTO raw BY NAME SELECT * FROM read_ndjson(?, columns = {spec})", [str(scratch)])
    scratch.unlink(missing_ok=True)


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
    rows: list[tuple[str, str, str]] = []
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


def _load_qualifications(engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    stmt = (select(Enterprise.credit_code, Qualification.kind, Qualification.valid_from, Qualification.valid_to)
            .join(Enterprise, Enterprise.id == Qualification.enterprise_id))
    names = ["credit_code", "kind", "valid_from", "valid_to"]
    types = [pa.string(), pa.string(), pa.date32(), pa.date32()]
    table = pa.Table.from_batches(list(_stream(engine, stmt, names, types)),
                                  schema=pa.schema(list(zip(names, types, strict=True))))
    con.register("qualification_in", table)
    con.execute("CREATE OR REPLACE TABLE qualification AS SELECT * FROM qualification_in")
    con.unregister("qualification_in")


# --- fact tables ----------------------------------------------------------------------------------


def _fact_select(form: Form, elements: Sequence[tuple[str, str]], states: Sequence[str]) -> str:
    """The current revision of each (entity, period) in ``raw``, values as columns, flags at period end."""
    state_list = ", ".join(f"'{s}'" for s in states)
    value_columns = ", ".join(f'c."{code}" AS {element_column(code)}' for code, _ in elements)
    annual = form.frequency == "annual"
    year = "CAST(period AS INTEGER)" if annual else "CAST(substr(period, 1, 4) AS INTEGER)"
    month = "CAST(NULL AS INTEGER)" if annual else "CAST(substr(period, 6, 2) AS INTEGER)"
    prev = "CAST(CAST(period AS INTEGER) - 1 AS VARCHAR)" if annual else \
        "CAST(CAST(substr(period, 1, 4) AS INTEGER) - 1 AS VARCHAR) || substr(period, 5)"
    end = "make_date(year, 12, 31)" if annual else "last_day(make_date(year, month, 1))"
    current = (f"SELECT * FROM raw WHERE _state IN ({state_list}) QUALIFY row_number() OVER "
               "(PARTITION BY _entity, _period ORDER BY _revision DESC) = 1")
    base = (f"SELECT c._id AS submission_id, c._entity AS entity_key, c._zone AS zone_code, z.province_code, "
            f"z.region, c._period AS period, c._revision AS revision, c._state AS state, {value_columns} "
            f"FROM ({current}) c LEFT JOIN zone z ON z.code = c._zone")
    dated = (f"SELECT b.*, {prev} AS prev_period, {end} AS period_end "
             f"FROM (SELECT *, {year} AS year, {month} AS month FROM ({base})) b")
    if form.entity != "enterprise":
        return dated
    kinds = list(qualification_kinds())
    flags = ", ".join(f"bool_or(q.kind = '{k}') AS {flag_column(k)}" for k in kinds)
    coalesced = ", ".join(f"coalesce(f.{flag_column(k)}, false) AS {flag_column(k)}" for k in kinds)
    return (f"WITH d AS ({dated}), f AS (SELECT d.submission_id, {flags} FROM d JOIN qualification q "
            "ON q.credit_code = d.entity_key AND q.valid_from <= d.period_end "
            "AND (q.valid_to IS NULL OR q.valid_to >= d.period_end) GROUP BY d.submission_id) "
            f"SELECT d.*, {coalesced} FROM d LEFT JOIN f USING (submission_id)")


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


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return _scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]) > 0


def _rebuild_form(con: duckdb.DuckDBPyConnection, engine: Engine, form: Form, catalog: Catalog,
                  periods: list[str] | None, scratch: Path) -> None:
    elements = _form_elements(catalog, form.code)
    _submissions(engine, con, form.code, periods, [code for code, _ in elements],
                 scratch.with_name(f"{scratch.name}.{form.code}.ndjson"))
    try:
        for view in VIEWS:
            target = fact_table_name(_fact_tables(form)[0], view)
            select_sql = _fact_select(form, elements, VIEW_STATES[view])
            if periods is None or not _exists(con, target):
                con.execute(f"CREATE OR REPLACE TABLE {target} AS {select_sql}")
            else:
                con.execute(f"DELETE FROM {target} WHERE period IN (SELECT UNNEST(?))", [periods])
                con.execute(f"INSERT INTO {target} BY NAME {select_sql}")
            if form.frequency == "monthly":
                single = fact_table_name(FactTable(form.code, "month"), view)
                con.execute(f"CREATE OR REPLACE TABLE {single} AS {_single_months_select(target, elements)}")
    finally:
        con.execute("DROP TABLE IF EXISTS raw")


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
        con.executemany("INSERT INTO build_state VALUES (?, ?)", list(state.items()))


# --- indicators -----------------------------------------------------------------------------------


def compute_indicators(con: duckdb.DuckDBPyConnection, indicators: IndicatorSet) -> int:
    """Every indicator for every group (zone … nation), both views, into ``indicator_value``."""
    con.execute("CREATE OR REPLACE TABLE indicator_value (view VARCHAR, period_type VARCHAR, indicator VARCHAR, "
                "level VARCHAR, key VARCHAR, period VARCHAR, value DOUBLE, value_raw DOUBLE, reason VARCHAR)")
    for table, codes in indicators.by_table().items():
        compiled = [indicators.compiled[c] for c in codes]
        for view in VIEWS:
            fact = fact_table_name(table, view)
            if not _exists(con, fact):
                continue
            steps = plan(fact, indicators.registries[table], compiled, "groups", tag="t")
            for step in steps[:-1]:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {step.name} AS {step.sql}")
            con.execute(f"INSERT INTO indicator_value SELECT '{view}', '{table.period_type}', indicator, "
                        f"grp_level, grp_key, period, value, value_raw, reason FROM ({steps[-1].sql})")
            for step in steps[:-1]:
                con.execute(f"DROP TABLE {step.name}")
    return _count(con, "indicator_value")


def _meta(con: duckdb.DuckDBPyConnection, indicators: IndicatorSet) -> None:
    con.execute("CREATE OR REPLACE TABLE indicator_meta (code VARCHAR, name_zh VARCHAR, name_en VARCHAR, "
                "unit VARCHAR, formula VARCHAR, form VARCHAR, period_type VARCHAR, version INTEGER, "
                "source VARCHAR, uses_yoy BOOLEAN, definitions VARCHAR)")
    con.executemany("INSERT INTO indicator_meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i.code, i.name_zh, i.name_en, i.unit, i.formula, i.form, i.period_type, i.version,
                      i.source, indicators.compiled[i.code].uses_yoy, indicators.fingerprint)
                     for i in indicators.indicators.values()])


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
    """Bring the analytics file at ``path`` up to date with the store; recompute every indicator."""
    started = time.perf_counter()
    catalog = catalog or default_catalog()
    indicators = indicators or default_indicators()
    report = BuildReport()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the analytics file: {exc}", where=str(path)) from None
    try:
        state = {} if full else _state(con)
        _state(con)
        _load_registry(engine, con, indicators)
        registry_print = _registry_fingerprint(engine)
        registry_changed = state.get("registry") != registry_print or state.get("indicators") != \
            indicators.fingerprint
        prints = _fingerprints(engine)
        loaded_qualifications = False
        new_state = {"registry": registry_print, "indicators": indicators.fingerprint}
        for code in sorted({form for form, _ in prints}):
            if code not in catalog.forms:
                continue
            form = catalog.forms[code][-1]
            periods = sorted(p for f, p in prints if f == code)
            changed = [p for p in periods if state.get(f"{code}/{p}") != prints[(code, p)]]
            dropped = [k.split("/", 1)[1] for k in state if k.startswith(f"{code}/")
                       and (code, k.split("/", 1)[1]) not in prints]
            whole = registry_changed or full or not _exists(con, fact_table_name(_fact_tables(form)[0], VIEWS[0]))
            todo: list[str] | None = None if whole else sorted(set(changed) | set(dropped))
            if todo != []:
                if form.entity == "enterprise" and not loaded_qualifications:
                    _load_qualifications(engine, con)
                    loaded_qualifications = True
                _rebuild_form(con, engine, form, catalog, todo, path)
            report.rebuilt[code] = periods if todo is None else todo
            report.kept[code] = len(periods) - len(report.rebuilt[code])
            new_state.update({f"{code}/{p}": prints[(code, p)] for p in periods})
        _meta(con, indicators)
        report.indicator_rows = compute_indicators(con, indicators)
        _save_state(con, new_state)
        for table in indicators.by_table():
            for view in VIEWS:
                name = fact_table_name(table, view)
                if _exists(con, name):
                    report.rows[name] = _count(con, name)
        if parquet is not None:
            report.parquet = export_parquet(con, parquet)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report

"""Read-only SQL views of the current reported values, one per form, for people who use SQL (issue 13).

``values_<form>`` has a row per entity, period and element of each entity's latest revision (the rows
``GET /api/v1/submissions`` lists), with its revision and state: a DBA with psql or sqlite3 reads the
figures without hizone's code. The values are stored packed (see ``store.values``); the view unpacks
them in SQL alone: it finds the element's slot in the batch's layout (JSON), takes the slot's eight
bytes and assembles the little-endian IEEE 754 double from sign, exponent and mantissa. Every step is
exact (the 53-bit significand times a power of two), so the view reads the value the API returns.
Blank values (NaN) are left out, as the API leaves them out.

The views are generated from the catalog's forms (elements of every version, with names and units) by
``hizone db upgrade``, which drops them before migrating (PostgreSQL refuses to alter a table a view
depends on) and creates them afresh after. No function or other object is created: a restore that
drops the tables (CASCADE) and replays a dump finds nothing in its way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect, text

from hizone.catalog.model import Catalog

VIEW_PREFIX = "values_"
_HEX = "'0123456789ABCDEF'"


@dataclass(frozen=True)
class ViewElement:
    code: str
    name_zh: str
    name_en: str
    unit: str


@dataclass(frozen=True)
class FormView:
    """One form's view: its code and the elements of all its versions, in first-seen order."""

    form_code: str
    elements: tuple[ViewElement, ...]

    @property
    def name(self) -> str:
        return f"{VIEW_PREFIX}{self.form_code}"


def form_views(catalog: Catalog) -> list[FormView]:
    views = []
    for code, versions in sorted(catalog.forms.items()):
        elements: dict[str, ViewElement] = {}
        for form in versions:
            for fld in form.fields:
                e = fld.element
                elements.setdefault(e.code, ViewElement(e.code, e.name_zh, e.name_en, e.unit.name))
        views.append(FormView(code, tuple(elements.values())))
    return views


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _slots(dialect: str) -> tuple[str, str, str]:
    """(the join over a batch's layout codes, the code's column, the 0-based slot's expression)."""
    if dialect == "postgresql":
        return ("CROSS JOIN LATERAL jsonb_array_elements_text(CAST(b.value_layout AS jsonb) -> 'codes') "
                "WITH ORDINALITY AS slot(code, ord)", "slot.code", "CAST(slot.ord - 1 AS integer)")
    return "JOIN json_each(b.value_layout, '$.codes') AS slot", "slot.value", "slot.key"


def _cell(dialect: str, index: str) -> str:
    """The slot's eight bytes: bytea on PostgreSQL, hex text on SQLite (which has no byte access)."""
    if dialect == "postgresql":
        return f"substring(s.packed_values FROM 8 * {index} + 1 FOR 8)"
    return f"hex(substr(s.packed_values, 8 * {index} + 1, 8))"


def _byte(dialect: str, k: int) -> str:
    """Byte ``k`` (0 = least significant) of ``cell`` as an integer 0–255 (bigint: the mantissa's sum needs 64 bits)."""
    if dialect == "postgresql":
        return f"CAST(get_byte(cell, {k}) AS bigint)"
    high, low = (f"(instr({_HEX}, substr(cell, {2 * k + i}, 1)) - 1)" for i in (1, 2))
    return f"({high} * 16 + {low})"


def view_sql(dialect: str, view: FormView, quote: str) -> str:
    """``CREATE VIEW`` for ``view`` on ``dialect`` (postgresql or sqlite); ``quote`` is its quoted name."""
    elements = ", ".join(f"({_literal(e.code)}, {_literal(e.name_zh)}, {_literal(e.name_en)}, {_literal(e.unit)})"
                         for e in view.elements)
    join, code, index = _slots(dialect)
    bytes_ = ", ".join(f"{_byte(dialect, k)} AS b{k}" for k in range(8))
    mantissa = " + ".join([f"(b6 & 15) * {2 ** 48}"] + [f"b{k} * {2 ** (8 * k)}" for k in range(5, -1, -1)])
    two = "CAST(2 AS DOUBLE PRECISION)"
    meta = ("submission_id, entity, zone_code, period, form_version, revision, state, element, element_name_zh, "
            "element_name_en, unit")
    return f"""CREATE VIEW {quote} AS
WITH element(code, name_zh, name_en, unit) AS (VALUES {elements}),
current_cell AS (
  SELECT s.id AS submission_id, s.entity_key AS entity, s.zone_code, s.period, s.form_version, s.revision,
         s.state, e.code AS element, e.name_zh AS element_name_zh, e.name_en AS element_name_en, e.unit,
         {_cell(dialect, index)} AS cell
  FROM submission s
  JOIN import_batch b ON b.id = s.batch_id
  {join}
  JOIN element e ON e.code = {code}
  WHERE s.form_code = {_literal(view.form_code)}
    AND NOT EXISTS (SELECT 1 FROM submission later WHERE later.form_code = s.form_code
                    AND later.period = s.period AND later.entity_key = s.entity_key
                    AND later.revision > s.revision)
),
cell_bytes AS (SELECT {meta}, {bytes_} FROM current_cell),
ieee754 AS (
  SELECT {meta}, b7 / 128 AS sign, (b7 & 127) * 16 + b6 / 16 AS exponent, {mantissa} AS mantissa
  FROM cell_bytes
)
SELECT {meta},
       (1 - 2 * sign) * CASE WHEN exponent = 0 THEN mantissa * power({two}, -1074)
                             ELSE ({2 ** 52} + mantissa) * power({two}, exponent - 1075) END AS value
FROM ieee754
WHERE exponent <> 2047"""


def _existing(conn: Connection) -> list[str]:
    return sorted(name for name in inspect(conn).get_view_names() if name.startswith(VIEW_PREFIX))


def _readers(conn: Connection, views: Sequence[str]) -> list[str]:
    """The roles other than the owner that may read some ``values_*`` view (PostgreSQL): dropping a view
    drops its grants, so they are granted again on the views made afresh."""
    if conn.dialect.name != "postgresql" or not views:
        return []
    rows = conn.execute(text("SELECT DISTINCT grantee FROM information_schema.role_table_grants "
                             "WHERE privilege_type = 'SELECT' AND table_name = ANY(:views) "
                             "AND grantee <> current_user ORDER BY grantee"), {"views": list(views)})
    return [str(r[0]) for r in rows]


def _drop(conn: Connection, views: Sequence[str]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for name in views:
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {quote(name)}")


def drop_read_views(engine: Engine) -> list[str]:
    """Drop every ``values_*`` view (before a migration or a demo rebuild alters the tables under them); the
    roles that could read them, for :func:`refresh_read_views`."""
    with engine.begin() as conn:
        existing = _existing(conn)
        readers = _readers(conn, existing)
        _drop(conn, existing)
    return readers


def refresh_read_views(engine: Engine, views: Iterable[FormView], readers: Iterable[str] = ()) -> list[str]:
    """Replace the ``values_*`` views with ``views`` in one transaction (a form that left the catalog loses its
    view); the roles that could read them, and ``readers``, read the new ones. The names of the views."""
    created = []
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        existing = _existing(conn)
        readers = sorted({*readers, *_readers(conn, existing)})
        _drop(conn, existing)
        for view in views:
            if view.elements:
                conn.exec_driver_sql(view_sql(conn.dialect.name, view, quote(view.name)))
                created.append(view.name)
        for role in readers if created else ():
            conn.exec_driver_sql(f"GRANT SELECT ON {', '.join(quote(v) for v in created)} TO {quote(role)}")
    return created

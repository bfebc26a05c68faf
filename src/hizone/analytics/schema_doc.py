"""The analytic DuckDB file's tables and columns, described from the file itself (docs/analytic-tables.md).

The list of tables and columns is read from the file's ``information_schema``, so it is what the build
wrote; the words come from ``tables.yaml`` (fixed tables and columns), the catalog (element columns) and
the registry (qualification flags). A table or column with no words is an error, so the document cannot
silently fall behind the build. ``python -m hizone.analytics.schema_doc FILE`` prints it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from hizone.analytics.compiler import element_column, flag_column
from hizone.catalog import Catalog, default_catalog, read_yaml
from hizone.errors import HizoneError
from hizone.registry import qualification_kinds

DESCRIPTIONS = Path(__file__).with_name("tables.yaml")
# A table name never holds a double underscore except between form, period type and view.
_FACT_SEPARATOR = "__"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    kind: str  # table / view
    description: str
    columns: tuple[Column, ...]


class _Words:
    """Every description: tables.yaml, the catalog's elements, the registry's qualifications."""

    def __init__(self, catalog: Catalog) -> None:
        doc: dict[str, Any] = read_yaml(DESCRIPTIONS)
        self.tables: dict[str, dict[str, Any]] = doc["tables"]
        self.fact: dict[str, dict[str, str]] = doc["fact_tables"]
        self.columns = dict(self.fact["columns"])
        for code, e in catalog.elements.items():
            self.columns[element_column(code)] = f"{e.name_zh} ({e.name_en}), {e.unit.name}."
        for code, kind in qualification_kinds().items():
            self.columns[flag_column(code)] = f"Holds a valid {kind.name_zh} ({kind.name_en}) at period end."
        self.forms = set(catalog.forms)

    def table(self, name: str, strict: bool) -> tuple[str, dict[str, str]]:
        if name in self.tables:
            spec = self.tables[name]
            return spec["description"], spec["columns"]
        parts = name.split(_FACT_SEPARATOR)
        if len(parts) == 3 and parts[0] in self.forms and parts[1] in self.fact["period_types"] and \
                parts[2] in self.fact["views"]:
            form, period_type, view = parts
            return (f"Form {form}: {self.fact['period_types'][period_type]} {self.fact['views'][view]}",
                    self.columns)
        if not strict:
            return "", {}
        raise HizoneError(f"table {name} is not described", where=str(DESCRIPTIONS))


def describe(con: duckdb.DuckDBPyConnection, catalog: Catalog | None = None, *, strict: bool = True) -> list[Table]:
    """Every table and view of the file behind ``con``, in name order, each column with its words (``strict``:
    a table or column without words is an error; otherwise its words are blank)."""
    words = _Words(catalog or default_catalog())
    relations = con.execute("SELECT table_name, table_type FROM information_schema.tables "
                            "WHERE table_schema = 'main' ORDER BY table_name").fetchall()
    tables = []
    for name, table_type in relations:
        description, described = words.table(name, strict)
        columns = []
        for column, data_type in con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                             "WHERE table_schema = 'main' AND table_name = ? "
                                             "ORDER BY ordinal_position", [name]).fetchall():
            if column not in described and strict:
                raise HizoneError(f"column {column} of table {name} is not described", where=str(DESCRIPTIONS))
            columns.append(Column(column, data_type, described.get(column, "")))
        tables.append(Table(name, "view" if table_type == "VIEW" else "table", description, tuple(columns)))
    return tables


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(tables: list[Table]) -> str:
    lines = ["# The analytic tables (DuckDB)", "",
             "`hizone build` writes these tables to the analytics file (`HIZONE_VAR_DIR/analytics.duckdb`; "
             "`hizone build --parquet DIR` also exports them as Parquet). Open it read-only, e.g. "
             "`duckdb -readonly var/analytics.duckdb`, or query it on the national analysts' SQL page "
             "(`/sql`). Fact tables are named `<form>__<period type>__<view>`; their columns `e_<code>` are "
             "the form's data elements in the catalog's units, `q_<kind>` the enterprise qualifications.", "",
             "Generated from a build by `python -m hizone.analytics.schema_doc FILE`; do not edit by hand "
             "(the words are in `src/hizone/analytics/tables.yaml`).", ""]
    lines += ["| table | kind | what it holds |", "| --- | --- | --- |"]
    lines += [f"| [`{t.name}`](#{t.name}) | {t.kind} | {_cell(t.description)} |" for t in tables]
    for t in tables:
        lines += ["", f"## {t.name}", "", f"{t.description} ({t.kind})", "", "| column | type | meaning |",
                  "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in t.columns]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m hizone.analytics.schema_doc ANALYTICS.duckdb", file=sys.stderr)
        return 2
    con = duckdb.connect(argv[0], read_only=True)
    try:
        sys.stdout.write(markdown(describe(con)))
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

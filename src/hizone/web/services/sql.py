"""The SQL page's service: a national analyst's SELECT over the analytic tables, as a table the page shows
and exports (the engine, its checks and limits are ``analytics.sql``)."""

from __future__ import annotations

from pathlib import Path

from hizone.analytics.sql import SqlLimits, SqlResult, run_select
from hizone.web.services.tables import Column, ColumnKind, Table


def _kind(result: SqlResult, index: int) -> ColumnKind:
    """A number column when every value in it is a number (blanks aside), else text."""
    values = [row[index] for row in result.rows if row[index] is not None]
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number" if any(isinstance(v, float) for v in values) else "int"
    return "text"


def query_table(path: Path, sql: str, limits: SqlLimits) -> tuple[Table, bool]:
    """The rows of ``sql`` as a table (columns keyed by position: names may repeat), and whether the row
    limit cut them short."""
    result = run_select(path, sql, limits)
    columns = [Column(f"c{i}", name, _kind(result, i)) for i, name in enumerate(result.columns)]
    rows = [{f"c{i}": value for i, value in enumerate(row)} for row in result.rows]
    return Table("sql", columns, rows), result.truncated

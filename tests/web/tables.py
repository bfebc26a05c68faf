"""Reading a table back: from a page's HTML, from a .csv export and from an .xlsx export, as rows of text."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import fastexcel
from fastapi.testclient import TestClient

from hizone.web.services.tables import ColumnKind, format_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EMPTY_CELL = "—"  # how a page shows a missing value (an export leaves the cell empty)


class _TableParser(HTMLParser):
    """The header and body cells of the table with one id; the row-actions column is left out."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.kinds: list[str] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.inside = found.get("id") == self.table_id
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th") and not {"actions", "empty"} & set((found.get("class") or "").split()):
            self.cell = []
            if tag == "th" and found.get("data-kind"):
                self.kinds.append(found["data-kind"] or "text")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            if text or tag == "td":
                self.rows[-1].append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _parsed(html: str, table_id: str) -> _TableParser:
    parser = _TableParser(table_id)
    parser.feed(html)
    assert parser.rows, f"no table '{table_id}' on the page"
    return parser


def page_rows(html: str, table_id: str) -> list[list[str]]:
    """[header, *rows] of a page's table, each cell as the page shows it (an empty table's message is no row)."""
    return [row for row in _parsed(html, table_id).rows if row]


def page_kinds(html: str, table_id: str) -> list[str]:
    """The kind of each column of a table drawn by partials/table.html (its headers' data-kind)."""
    return _parsed(html, table_id).kinds


def exports(client: TestClient, base: str, query: str = "") -> tuple[list[list[str]], list[list[str]]]:
    """(csv rows, xlsx rows) of one table's two exports, both [header, *rows]."""
    csv_response = client.get(f"{base}.csv{query}")
    assert csv_response.status_code == 200, csv_response.text[:300]
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.headers["content-disposition"].startswith("attachment")
    xlsx = client.get(f"{base}.xlsx{query}")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    rows = csv_rows(csv_response.content)
    return rows, xlsx_rows(xlsx.content, rows[0][0])


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_rows(content: bytes, header_first_cell: str) -> list[list[str]]:
    """[header, *rows] of an exported workbook: the rows from the header line on (title lines above it)."""
    sheet = fastexcel.read_excel(content).load_sheet(0, header_row=None)
    columns = [column.to_pylist() for column in sheet.to_arrow().columns]
    lines = [[_text(column[i]) for column in columns] for i in range(len(columns[0]))]
    start = next(i for i, line in enumerate(lines) if line[0] == header_first_cell)
    return lines[start:]


def _shown(cell: str, kind: str) -> str:
    if cell == "":
        return EMPTY_CELL
    if kind in ("int", "number", "pct"):
        number_kind: ColumnKind = "int" if kind == "int" else "number" if kind == "number" else "pct"
        return format_cell(float(cell), number_kind)
    return cell


def as_shown(rows: list[list[str]], kinds: list[str] | None = None) -> list[list[str]]:
    """Exported rows as a page shows them: an empty cell as the dash, numbers formatted as the column's kind
    says (the header row is left as it is)."""
    kinds = kinds or ["text"] * (len(rows[0]) if rows else 0)
    return rows[:1] + [[_shown(cell, kind) for cell, kind in zip(row, kinds, strict=True)] for row in rows[1:]]

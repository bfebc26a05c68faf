"""Reading a table back: from a page's HTML, from a .csv export and from an .xlsx export, as rows of text."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import fastexcel

EMPTY_CELL = "—"  # how a page shows a missing value (an export leaves the cell empty)


class _TableParser(HTMLParser):
    """The header and body cells of the table with one id; the row-actions column is left out."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.inside = found.get("id") == self.table_id
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th") and "actions" not in (found.get("class") or ""):
            self.cell = []

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


def page_rows(html: str, table_id: str) -> list[list[str]]:
    """[header, *rows] of a page's table, each cell as the page shows it."""
    parser = _TableParser(table_id)
    parser.feed(html)
    assert parser.rows, f"no table '{table_id}' on the page"
    return parser.rows


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


def as_shown(rows: list[list[str]]) -> list[list[str]]:
    """Exported rows as a page shows them: an empty cell as the dash."""
    return [[cell if cell != "" else EMPTY_CELL for cell in row] for row in rows]

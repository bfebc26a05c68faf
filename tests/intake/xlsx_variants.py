"""Valid .xlsx forms other writers produce, made from an XlsxWriter file by rewriting its XML parts.

Each rewrite works on the parsed XML (xml.dom.minidom, which writes back the prefixes and namespace
declarations it read), so the result is well-formed by construction:
- ``prefixed``: every SpreadsheetML element written as ``<x:row>``, ``<x:c>``, ..., with the namespace bound to
  ``x`` — what the .NET Open XML SDK writes (``new Worksheet()`` serialises as ``<x:worksheet xmlns:x=...>``).
- ``strict``: ISO/IEC 29500 Strict, the namespaces Excel's "Strict Open XML Spreadsheet" uses for the
  SpreadsheetML parts, the relationship attributes and the relationship types; ``conformance="strict"``.
- ``positional``: no ``r=`` on rows or cells (ECMA-376 Part 1 §18.3.1.4 and §18.3.1.73 make both optional), so
  every row and cell sits where it comes: the writer then gives every row and cell up to the last, in order.
- ``absolute_targets``: the workbook's relationships name their parts from the package root
  (``/xl/worksheets/sheet1.xml``), as some writers do.
- ``phonetic``: a shared string in rich runs with a phonetic reading (``<rPh>``), as Excel saves text typed
  with a Japanese IME; the reading is not part of the cell's value.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from xml.dom import minidom

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_RELS = "http://purl.oclc.org/ooxml/officeDocument/relationships"

Change = Callable[[str, minidom.Document], None]


def rewrite_parts(data: bytes, change: Change) -> bytes:
    """The workbook with each XML part parsed, changed in place and written back; other members as they are."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith((".xml", ".rels")):
                document = minidom.parseString(content)
                change(info.filename, document)
                content = document.toxml(encoding="UTF-8", standalone=True)
            target.writestr(info.filename, content)
    return out.getvalue()


def _elements(document: minidom.Document) -> list[minidom.Element]:
    return list(document.getElementsByTagName("*"))


def prefixed(data: bytes, prefix: str = "x") -> bytes:
    """Every SpreadsheetML element with the ``x:`` prefix, as the .NET Open XML SDK writes them."""
    def change(_name: str, document: minidom.Document) -> None:
        root = document.documentElement
        if root.getAttribute("xmlns") != MAIN:
            return
        root.removeAttribute("xmlns")
        root.setAttribute(f"xmlns:{prefix}", MAIN)
        for element in _elements(document):
            element.tagName = element.nodeName = f"{prefix}:{element.tagName}"

    return rewrite_parts(data, change)


def strict(data: bytes) -> bytes:
    """The same workbook in Strict OOXML: other namespaces for SpreadsheetML and relationships."""
    swaps = {MAIN: STRICT_MAIN, OFFICE_RELS: STRICT_RELS}

    def change(_name: str, document: minidom.Document) -> None:
        for element in _elements(document):
            for key, value in list(element.attributes.items()):
                if key.startswith("xmlns") and value in swaps:
                    element.setAttribute(key, swaps[value])
                elif key == "Type" and value.startswith(OFFICE_RELS + "/"):
                    element.setAttribute(key, STRICT_RELS + value[len(OFFICE_RELS):])
        if document.documentElement.tagName == "workbook":
            document.documentElement.setAttribute("conformance", "strict")

    return rewrite_parts(data, change)


def positional(data: bytes) -> bytes:
    """No ``r`` attribute on rows and cells; the rows and cells left out before are written out empty."""
    def change(name: str, document: minidom.Document) -> None:
        if not name.startswith("xl/worksheets/"):
            return
        sheet_data = document.getElementsByTagName("sheetData")[0]
        expected_row = 1
        for row in list(sheet_data.getElementsByTagName("row")):
            for _ in range(int(row.getAttribute("r")) - expected_row):
                sheet_data.insertBefore(document.createElement("row"), row)
            expected_row = int(row.getAttribute("r")) + 1
            row.removeAttribute("r")
            expected_column = 0
            for cell in list(row.getElementsByTagName("c")):
                column = column_index(cell.getAttribute("r"))
                for _ in range(column - expected_column):
                    row.insertBefore(document.createElement("c"), cell)
                expected_column = column + 1
                cell.removeAttribute("r")

    return rewrite_parts(data, change)


def column_index(ref: str) -> int:
    index = 0
    for ch in ref:
        if not ch.isalpha():
            break
        index = index * 26 + ord(ch) - 64
    return index - 1


def absolute_targets(data: bytes) -> bytes:
    """The workbook's relationships with targets from the package root: ``/xl/worksheets/sheet1.xml``."""
    def change(name: str, document: minidom.Document) -> None:
        if name == "xl/_rels/workbook.xml.rels":
            for relationship in document.getElementsByTagName("Relationship"):
                relationship.setAttribute("Target", "/xl/" + relationship.getAttribute("Target"))

    return rewrite_parts(data, change)


def phonetic(data: bytes, text: str) -> bytes:
    """The shared string ``text`` split into two rich runs, with a phonetic reading after them."""
    def change(name: str, document: minidom.Document) -> None:
        if name != "xl/sharedStrings.xml":
            return
        for item in document.getElementsByTagName("si"):
            if item.getElementsByTagName("t")[0].firstChild.data != text:  # type: ignore[union-attr]
                continue
            while item.firstChild is not None:
                item.removeChild(item.firstChild)
            half = len(text) // 2
            for part, bold in ((text[:half], True), (text[half:], False)):
                run = item.appendChild(document.createElement("r"))
                if bold:
                    run.appendChild(document.createElement("rPr")).appendChild(document.createElement("b"))
                run.appendChild(document.createElement("t")).appendChild(document.createTextNode(part))
            reading = item.appendChild(document.createElement("rPh"))
            reading.setAttribute("sb", "0")
            reading.setAttribute("eb", str(len(text)))
            reading.appendChild(document.createElement("t")).appendChild(document.createTextNode("エイギョウ"))
            item.appendChild(document.createElement("phoneticPr")).setAttribute("fontId", "1")

    return rewrite_parts(data, change)

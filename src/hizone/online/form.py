"""A browser form from the form YAML, and the typed values as the one-row file the import pipeline checks.

Pure: no web or store imports. The values a user types go through exactly the validation and storing an
upload goes through (``intake.service``), as one CSV row with the rule set's own column codes as headers. The
field check, asked at every pause in typing, skips the file: ``row_sheet`` lays the row out as the sheet the CSV
reader would make of it, and ``intake.service.validate_read`` checks it in the web process with the same rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hizone.catalog import Element
from hizone.intake.readers import RawSheet
from hizone.intake.rules import RuleSet


@dataclass(frozen=True)
class FormField:
    code: str
    label_zh: str
    label_en: str
    unit: str
    required: bool
    # A coded element's list (catalog codes.yaml): (code, Chinese, English) per entry, a drop-down on the form.
    choices: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class FormLayout:
    code: str
    version: int
    name_zh: str
    name_en: str
    entity: str
    fields: tuple[FormField, ...]
    note: bool = False  # the form takes a note (e.g. a correction note) beside its figures


def layout(rules: RuleSet) -> FormLayout:
    """The form's fields in the YAML's order, with labels, unit and required mark (made once per rule set, as
    ``fingerprint`` is: every page and every field check asks)."""
    key = (rules.source, rules.form.code, rules.form.version)
    found = _LAYOUTS.get(key)
    if found is None or found[0] is not rules:
        found = _LAYOUTS[key] = (rules, _layout(rules))
    return found[1]


_LAYOUTS: dict[tuple[str, str, int], tuple[RuleSet, FormLayout]] = {}


def _layout(rules: RuleSet) -> FormLayout:
    form = rules.form
    fields = tuple(FormField(f.element.code, f.element.name_zh, f.element.name_en, f.element.unit.name, f.required,
                             _choices(f.element)) for f in form.fields)
    return FormLayout(form.code, form.version, form.name_zh, form.name_en, form.entity, fields,
                      _role_code(rules, "note") is not None)


def _choices(element: Element) -> tuple[tuple[str, str, str], ...]:
    listed = element.codes
    return tuple((str(c.value), c.name_zh, c.name_en) for c in listed.codes) if listed is not None else ()


def fingerprint(rules: RuleSet) -> str:
    """The form version a draft was typed against: a hash of the form's fields as the catalog read them and of
    the rule set's file. A YAML change that alters either (a field added, a range moved) makes a new version, so
    a page opened before the change cannot submit values checked against rules no longer in force."""
    key = (rules.source, rules.form.code, rules.form.version)
    if key not in _FINGERPRINTS:  # the rule sets are read once per process (rules_for caches them) and so is this
        _FINGERPRINTS[key] = _fingerprint(rules)
    return _FINGERPRINTS[key]


_FINGERPRINTS: dict[tuple[str, str, int], str] = {}


def _fingerprint(rules: RuleSet) -> str:
    form = rules.form
    # (A coded field's list is part of it; an uncoded field hashes as before there were lists.)
    fields = [[f.element.code, f.required, f.element.type, f.element.unit.name, f.element.min, f.element.max,
               *([[c[0] for c in _choices(f.element)]] if f.element.codes else [])] for f in form.fields]
    digest = hashlib.sha256(json.dumps([form.code, form.version, fields], ensure_ascii=False).encode())
    if rules.source:
        with open(rules.source, "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()


def _role_code(rules: RuleSet, role: str) -> str | None:
    found = next((r for r in rules.columns if r.role == role), None)
    return found.labels[0] if found is not None else None


def _row_cells(rules: RuleSet, entity_key: str, values: Mapping[str, str],
               zone: str | None) -> tuple[list[str], list[str]]:
    entity = _role_code(rules, "entity") or "entity"
    header, row = [entity], [entity_key]
    zone_label = _role_code(rules, "zone")
    if zone and zone_label and rules.form.entity == "enterprise":
        header.append(zone_label)
        row.append(zone)
    for f in rules.form.fields:
        header.append(f.element.code)
        row.append(str(values.get(f.element.code, "")).strip())
    note_label = _role_code(rules, "note")
    if note_label and values.get("note"):
        header.append(note_label)
        row.append(str(values["note"]).strip())
    return header, row


def row_file(rules: RuleSet, entity_key: str, values: Mapping[str, str], zone: str | None = None) -> bytes:
    """The typed values as a CSV of one row, read by the import readers like any upload. Only the form's own
    fields are kept; text is passed as typed (万/亿, separators and full-width digits are the readers' job)."""
    header, row = _row_cells(rules, entity_key, values, zone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(row)
    return out.getvalue().encode("utf-8")


def row_sheet(rules: RuleSet, entity_key: str, values: Mapping[str, str], zone: str | None = None,
              name: str = "online.csv") -> RawSheet:
    """``row_file``'s row as the sheet the CSV reader makes of it (labels, one row of text cells, blanks null,
    the row under the header of row 1 numbered by the line it ends on, the file's SHA-256), laid out directly: the
    field check validates it in the web process without writing a file or running a reader in the worker. The
    same sheet, cell for cell (tests/online/test_online_check.py), so the same rules find the same issues as in
    an upload of the row. (A lone carriage return inside a value, which no browser input sends, is the one
    difference: the CSV writer leaves it unquoted and the reader takes it for a line end.)"""
    header, row = _row_cells(rules, entity_key, values, zone)
    digest = hashlib.sha256(row_file(rules, entity_key, values, zone)).hexdigest()
    cells = pa.array([cell or None for cell in row], pa.string())  # one array, a one-cell slice per column
    table = pa.Table.from_arrays([cells.slice(i, 1) for i in range(len(row))], [f"c{i}" for i in range(len(row))])
    return RawSheet(name, digest, "csv", None, [label.strip() or None for label in header], table,
                    np.asarray([2 + sum(cell.count("\n") for cell in row)], dtype=np.int64), 1,
                    [[label or None for label in header]])

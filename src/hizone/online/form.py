"""A browser form from the form YAML, and the typed values as the one-row file the import pipeline checks.

Pure: no web or store imports. The values a user types go through exactly the validation and storing an
upload goes through (``intake.service``), as one CSV row with the rule set's own column codes as headers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from hizone.intake.rules import RuleSet


@dataclass(frozen=True)
class FormField:
    code: str
    label_zh: str
    label_en: str
    unit: str
    required: bool


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
    """The form's fields in the YAML's order, with labels, unit and required mark."""
    form = rules.form
    fields = tuple(FormField(f.element.code, f.element.name_zh, f.element.name_en, f.element.unit.name, f.required)
                   for f in form.fields)
    return FormLayout(form.code, form.version, form.name_zh, form.name_en, form.entity, fields,
                      _role_code(rules, "note") is not None)


def _role_code(rules: RuleSet, role: str) -> str | None:
    found = next((r for r in rules.columns if r.role == role), None)
    return found.labels[0] if found is not None else None


def row_file(rules: RuleSet, entity_key: str, values: Mapping[str, str], zone: str | None = None) -> bytes:
    """The typed values as a CSV of one row, read by the import readers like any upload. Only the form's own
    fields are kept; text is passed as typed (万/亿, separators and full-width digits are the readers' job)."""
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(row)
    return out.getvalue().encode("utf-8")

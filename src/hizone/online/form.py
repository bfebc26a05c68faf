"""A browser form from the form YAML, and the typed values as the one-row file the import pipeline checks.

Pure: no web or store imports. The values a user types go through exactly the validation and storing an
upload goes through (``intake.service``), as one CSV row with the rule set's own column codes as headers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

from hizone.catalog import Element
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
    """The form's fields in the YAML's order, with labels, unit and required mark."""
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

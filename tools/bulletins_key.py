"""Build a bulletin's answer key (tests/data/bulletins/<name>.key.csv) from its hand-written spec (<name>.key.spec).

Each spec line is `anchor|subject|metric|value|unit|period|qualifier`, written by reading the bulletin: the
anchor is the clause that states the fact, without whitespace (the text breaks lines anywhere); it is looked
up in order in the text with whitespace removed and its span mapped back to code-point offsets, so the key
holds the same columns as `hizone bulletins extract`. `value` is in the base unit and may be a product or a
fraction (47.8e12, 100/3).

Run: PYTHONPATH=src python tools/bulletins_key.py tests/data/bulletins/002_6cc8a5aa16ec9f0d
"""

from __future__ import annotations

import csv
import sys
from fractions import Fraction
from pathlib import Path

from hizone.bulletins.model import FACT_COLUMNS
from hizone.cli.bulletins import format_value
from hizone.registry.tables import load_zones


def _value(text: str) -> float:
    numerator, _, denominator = text.partition("/")
    return float(Fraction(numerator) / Fraction(denominator or "1"))


def build(stem: Path) -> int:
    names = {z.code: z.name_zh for z in load_zones()} | {"national_zones": "国家高新区", "china": "全国"}
    source = stem.with_suffix(".txt")
    text = source.read_text(encoding="utf-8")
    where = [i for i, c in enumerate(text) if not c.isspace()]
    squeezed = "".join(text[i] for i in where)
    rows, position = [], 0
    spec = stem.with_suffix(".key.spec")
    for number, line in enumerate(spec.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 7:
            raise SystemExit(f"{spec}:{number}: expected 7 fields, got {len(parts)}")
        anchor, subject, metric, value, unit, period, qualifier = parts
        at = squeezed.find(anchor, position)
        if at < 0:
            raise SystemExit(f"{spec}:{number}: anchor not found after the previous one: {anchor}")
        position = at
        start, end = where[at], where[at + len(anchor) - 1] + 1
        rows.append([source.name, start, end, subject, names.get(subject, subject.removeprefix("unknown:")), metric,
                     format_value(_value(value)), unit, period, qualifier, text[start:end]])
    with stem.with_suffix(".key.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FACT_COLUMNS)
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(f"{argument}: {build(Path(argument))} key facts")

"""The bulletins' tests: the registry's zones, and facts of a text written here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hizone.bulletins.extract import extract_facts
from hizone.bulletins.model import Bulletin, Fact
from hizone.registry import load_zones

DATA = Path(__file__).resolve().parents[1] / "data" / "bulletins"
NAMES = ("000_c0e1c72b8ee8b672", "001_0c4cfb2025f63034", "002_6cc8a5aa16ec9f0d")
ZONES = [(z.code, z.name_zh) for z in load_zones()]
ISSUE = dt.date(2022, 9, 15)


def facts_of(text: str, issue_date: dt.date | None = ISSUE) -> list[Fact]:
    return extract_facts(Bulletin("test.txt", "", text, "", issue_date), ZONES)


def only(text: str, issue_date: dt.date | None = ISSUE) -> Fact:
    found = facts_of(text, issue_date)
    assert len(found) == 1, [(f.value, f.unit, f.quote) for f in found]
    return found[0]

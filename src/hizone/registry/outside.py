"""Where a report of a carrier outside any national zone lies: the key ``X<province>`` (``X13``: 河北, outside its
zones) stands in for the zone of its submissions (``submission.zone_code``), so the workflow and the analytics'
roll-ups, which go by zone, take it as one of its province's but as no zone at all: its province reviews it, the
nation approves it, its figures count in the province and the nation and in no zone's (the analytic file's
``membership`` gives it a province, a region and the nation, no zone). The carrier registry keeps such a carrier's
``zone_code`` NULL with its ``province_code``; no ``zone`` row ever has an ``X`` code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PREFIX = "X"
NAME_ZH = "{province}（国家高新区外）"


def outside_code(province_code: str) -> str:
    """The key standing for "in ``province_code``, outside any national zone"."""
    return f"{PREFIX}{province_code}"


def outside_province(code: str | None) -> str | None:
    """The province of an outside key, None for a zone code (or anything else)."""
    if code and code.startswith(PREFIX) and len(code) == 3 and code[1:].isascii() and code[1:].isdigit():
        return code[1:]
    return None


def with_outside(zone_province: Mapping[str, str], provinces: Iterable[str]) -> dict[str, str]:
    """Zone code -> province code, and each province's outside key -> the province (for the scope checks)."""
    return {**zone_province, **{outside_code(p): p for p in provinces}}

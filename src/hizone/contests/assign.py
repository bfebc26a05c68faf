"""Judge assignment: N judges per entry, balanced loads, conflicts of interest excluded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hizone.errors import HizoneError


@dataclass(frozen=True)
class Judge:
    code: str
    organisation: str | None = None
    zone: str | None = None
    ties: frozenset[str] = field(default_factory=frozenset)   # declared ties: entries' organisations or codes


@dataclass(frozen=True)
class Entry:
    code: str
    organisation: str | None = None   # credit code of the enterprise (or the team's organisation)
    zone: str | None = None


def conflict(judge: Judge, entry: Entry) -> str | None:
    """Why ``judge`` may not judge ``entry`` (None: no conflict)."""
    if judge.organisation and judge.organisation == entry.organisation:
        return "本单位"
    if judge.zone and judge.zone == entry.zone:
        return "本园区"
    if entry.code in judge.ties or (entry.organisation and entry.organisation in judge.ties):
        return "申报的利益关联"
    return None


def assign(entries: Sequence[Entry], judges: Sequence[Judge], per_entry: int) -> dict[str, list[str]]:
    """Entry code → its judges' codes. The most constrained entries go first; each takes the least-loaded
    free judges (ties by code), so loads differ by at most one where conflicts allow. Deterministic."""
    if per_entry < 1:
        raise HizoneError("judges per entry must be at least 1")
    free = {e.code: [j for j in judges if conflict(j, e) is None] for e in entries}
    short = [f"{e.code} ({len(free[e.code])})" for e in entries if len(free[e.code]) < per_entry]
    if short:
        raise HizoneError(f"fewer than {per_entry} judges without a conflict of interest for: {', '.join(short)}")
    load = {j.code: 0 for j in judges}
    result: dict[str, list[str]] = {}
    for entry in sorted(entries, key=lambda e: (len(free[e.code]), e.code)):
        chosen = sorted(free[entry.code], key=lambda j: (load[j.code], j.code))[:per_entry]
        for j in chosen:
            load[j.code] += 1
        result[entry.code] = sorted(j.code for j in chosen)
    return {e.code: result[e.code] for e in entries}

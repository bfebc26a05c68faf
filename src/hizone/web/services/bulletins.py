"""Bulletins as the pages, the API and the exports show them: the facts with their review and, for a zone's
fact the viewer may read, the reported figure it states (read through the analytics layer for that viewer) with
the disagreement flagged (hizone.bulletins.compare). The text and the facts are published material, every
logged-in role sees them; the reported figures follow the viewer's scope: nobody sees another zone's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hizone.analytics.read import Reader
from hizone.auth import Principal, can_read_zone
from hizone.bulletins.compare import CompareRules, Comparison, compare, default_rules, target
from hizone.store.bulletins import REJECTED, StoredFact
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, ColumnKind, Table


def comparisons(fig: Reader, principal: Principal, facts: Sequence[StoredFact],
                rules: CompareRules | None = None) -> dict[int, Comparison]:
    """fact id → its comparison, for the facts (not rejected) about a zone ``principal`` may read whose metric,
    unit and period match a reported indicator."""
    rules = rules or default_rules()
    viewer = None
    out: dict[int, Comparison] = {}
    for f in facts:
        zone = fig.zones.get(f.zone_code or "")
        goal = target(f.metric, f.current_unit, f.current_period, rules)
        if f.status == REJECTED or zone is None or goal is None or goal.indicator not in fig.indicators.indicators \
                or not can_read_zone(principal, zone.code, zone.province_code):
            continue
        viewer = viewer or fig.viewer(principal)
        figure = fig.value(goal.indicator, "zone", zone.code, goal.year, viewer)
        out[f.id] = compare(f.current_value, goal, figure.value, rules, figure.withheld or figure.reason)
    return out


def flagged_first(facts: Sequence[StoredFact], found: dict[int, Comparison]) -> list[StoredFact]:
    """The review queue's order: disagreements with the statistics first, then by bulletin and position."""
    return sorted(facts, key=lambda f: not (f.id in found and found[f.id].flagged))


@dataclass
class Segment:
    """A run of a bulletin's text: plain, or a quote with the facts it states."""

    start: int
    text: str
    facts: list[StoredFact] = field(default_factory=list)


def segments(text: str, facts: Sequence[StoredFact]) -> list[Segment]:
    """The text cut into plain runs and quotes; a quote overlapping the one before joins it (its facts are
    listed with that quote)."""
    out: list[Segment] = []
    cursor = 0
    for f in sorted(facts, key=lambda f: (f.start, -f.end)):
        if out and out[-1].facts and f.start < cursor:
            last = out[-1]
            if f.end > cursor:
                last.text += text[cursor:f.end]
                cursor = f.end
            last.facts.append(f)
            continue
        if f.start > cursor:
            out.append(Segment(cursor, text[cursor:f.start]))
        out.append(Segment(f.start, text[f.start:f.end], [f]))
        cursor = f.end
    if cursor < len(text):
        out.append(Segment(cursor, text[cursor:]))
    return out


FACT_COLUMNS = ("id", "issue", "file", "start", "end", "subject", "subject_name", "metric", "value", "unit",
                "period", "qualifier", "status", "reviewer", "quote", "indicator", "reported", "difference", "flagged")


def fact_row(f: StoredFact, found: Comparison | None) -> dict[str, object]:
    return {"id": f.id, "issue": f.issue, "file": f.file_name, "start": f.start, "end": f.end, "subject": f.subject,
            "subject_name": f.subject_name, "metric": f.metric, "value": f.current_value, "unit": f.current_unit,
            "period": f.current_period, "qualifier": f.qualifier, "status": f.status, "reviewer": f.reviewer or "",
            "quote": " ".join(f.quote.split()), "indicator": found.indicator if found else "",
            "reported": found.reported if found and found.reported is not None else "",
            "difference": round(found.relative * 100, 2) if found and found.relative is not None else "",
            "flagged": ("是/yes" if found.flagged else "") if found else ""}


def facts_table(facts: Sequence[StoredFact], found: dict[int, Comparison], lang: str) -> Table:
    """The facts as an exportable table, with the reported figures the viewer may see."""
    kinds: dict[str, ColumnKind] = {"id": "int", "start": "int", "end": "int", "value": "number",
                                    "reported": "number", "difference": "number"}
    columns = [Column(key, translate(f"bulletins.col.{key}", lang), kinds.get(key, "text")) for key in FACT_COLUMNS]
    return Table("bulletin_facts", columns, [fact_row(f, found.get(f.id)) for f in facts])

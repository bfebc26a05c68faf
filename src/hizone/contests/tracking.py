"""Following entrants after the contest (跟踪): what each became in later years, and cohorts compared.

Pure: per entrant, its qualifications by year end and its reported revenue and R&D by year in; per entrant the
outcomes and per cohort (winners, other entrants) and per field and zone the shares out.

Financing raised: no amount is recorded per enterprise (the enterprise annual report has no financing element;
the incubator and maker-space reports' financing figures are totals of a carrier's tenants). The one record per
enterprise is an incubatee's graduation by the 累计融资超500万元 criterion; criteria are recorded in order
(高企 first), so a tenant that was also a 高企 shows as that: the share ``financed`` is a lower bound.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

TRACKED = ("tech_sme", "high_tech", "gazelle", "listed")  # the registry's qualification kinds followed
FINANCING_NOTE = ("no financing amount is recorded per enterprise (the enterprise annual report has no financing "
                  "element; incubator and maker-space reports hold carrier totals only): 'financed' is the share "
                  "that graduated from an incubator by the financing criterion (> 5 million yuan raised) after the "
                  "contest year, a lower bound")


@dataclass(frozen=True)
class Trail:
    """An entrant as the registry and the reports show it: ``held`` year → the kinds held at that year's end;
    ``revenue`` and ``rd`` year → the approved reported figure (the form's unit)."""

    entry: str
    credit_code: str
    zone_code: str | None
    field: str | None
    winner: bool
    base_year: int  # the contest's year
    held: Mapping[int, frozenset[str]]
    revenue: Mapping[int, float]
    rd: Mapping[int, float]
    financed_in: int | None = None  # the first year it graduated from an incubator by the financing criterion


@dataclass(frozen=True)
class Outcome:
    entry: str
    credit_code: str
    zone_code: str | None
    field: str | None
    winner: bool
    became: tuple[str, ...]  # kinds not held at the contest year's end and held at a later year's end
    last_year: int | None  # the last year with a report after the contest
    revenue_growth: float | None  # compound yearly growth from the contest year to ``last_year``
    rd_growth: float | None
    financed: bool = False  # graduated by the financing criterion (> 5 million yuan) after the contest year


def _growth(series: Mapping[int, float], base: int, last: int | None) -> float | None:
    if last is None or last <= base or series.get(base, 0) <= 0 or last not in series:
        return None
    return float((series[last] / series[base]) ** (1 / (last - base)) - 1)


def outcome(trail: Trail) -> Outcome:
    before = trail.held.get(trail.base_year, frozenset())
    later = frozenset().union(*(kinds for year, kinds in trail.held.items() if year > trail.base_year))
    became = tuple(kind for kind in TRACKED if kind in later and kind not in before)
    reported = [y for y in trail.revenue if y > trail.base_year]
    last = max(reported) if reported else None
    return Outcome(trail.entry, trail.credit_code, trail.zone_code, trail.field, trail.winner, became, last,
                   _growth(trail.revenue, trail.base_year, last), _growth(trail.rd, trail.base_year, last),
                   trail.financed_in is not None and trail.financed_in > trail.base_year)


@dataclass(frozen=True)
class Cohort:
    label: str  # "winners", "others", a field or a zone code
    entrants: int
    winners: int
    became: dict[str, float]  # kind → share of the cohort that became it
    median_revenue_growth: float | None
    median_rd_growth: float | None
    financed: float = 0.0  # share of the cohort with a recorded financing after the contest year (a lower bound)


def cohort(label: str, outcomes: Sequence[Outcome]) -> Cohort:
    n = len(outcomes)
    revenue = [o.revenue_growth for o in outcomes if o.revenue_growth is not None]
    rd = [o.rd_growth for o in outcomes if o.rd_growth is not None]
    return Cohort(label, n, sum(o.winner for o in outcomes),
                  {kind: (sum(kind in o.became for o in outcomes) / n if n else 0.0) for kind in TRACKED},
                  statistics.median(revenue) if revenue else None, statistics.median(rd) if rd else None,
                  sum(o.financed for o in outcomes) / n if n else 0.0)


def _grouped(outcomes: Iterable[Outcome], key: Callable[[Outcome], str]) -> list[Cohort]:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    return [cohort(label, members) for label, members in sorted(groups.items())]


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]
    winners: Cohort
    others: Cohort
    by_field: tuple[Cohort, ...]
    by_zone: tuple[Cohort, ...]


def report(trails: Sequence[Trail]) -> Report:
    outcomes = [outcome(t) for t in trails]
    return Report(tuple(outcomes), cohort("winners", [o for o in outcomes if o.winner]),
                  cohort("others", [o for o in outcomes if not o.winner]),
                  tuple(_grouped(outcomes, lambda o: o.field or "—")),
                  tuple(_grouped(outcomes, lambda o: o.zone_code or "—")))

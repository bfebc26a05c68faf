"""Following entrants after the contest (跟踪): what each became in later years, and cohorts compared.

Pure: per entrant, its qualifications at the end of each year it reported and its reported revenue, R&D and
equity financing by year in (the service reads them from the analytics layer: the published reports and their
qualification flags); an entrant "became" a kind it held at a later year's end and not at the contest year's,
which needs that year known (a report of it, or the firm registered only after it). Out: per entrant the
outcomes, per cohort (winners, other entrants) and per field and zone the shares.

Financing raised: the enterprise annual report carries 当年获得股权融资额 (equity financing raised in the year,
千元) from its 2022 version; an entrant's financing is the sum of it over its approved reports after the contest
year (source ``form``). Where no report after the contest year carries it (earlier years, firms not reporting),
the one other record per enterprise is an incubatee's graduation by the 累计融资超500万元 criterion after the
contest year (source ``incubation``): financed, no amount, and a lower bound (criteria are recorded in order,
高企 first, so a tenant that was also a 高企 shows as that). Every outcome names the source its figure came from.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

TRACKED = ("tech_sme", "high_tech", "gazelle", "listed")  # the registry's qualification kinds followed
SOURCES = ("form", "incubation")  # where an entrant's financing figure came from (None: from neither)
FINANCING_NOTE = ("financing raised is the sum of 当年获得股权融资额 (equity financing raised in the year, thousand "
                  "yuan; the enterprise annual report from its 2022 version) over an entrant's approved reports "
                  "after the contest year (source 'form'); where no such report carries it, an incubator graduation "
                  "by the financing criterion (> 5 million yuan raised) after the contest year counts as financed, "
                  "with no amount (source 'incubation', a lower bound); each entrant's figure names its source")


@dataclass(frozen=True)
class Trail:
    """An entrant as its published annual reports show it (the analytics layer): ``held`` year → the kinds held
    at that year's end, for the years it reported; ``revenue`` and ``rd`` year → the reported figure."""

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
    # year → reported equity financing (千元), where the year's report carries the element (absent: the form of
    # that year has no such field, or it was left blank)
    financing: Mapping[int, float] = dataclasses.field(default_factory=dict)


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
    financed: bool = False  # raised equity financing after the contest year (form), or graduated by the criterion
    financing_raised: float | None = None  # 千元, the sum over the reports after the contest year (source "form")
    financing_source: str | None = None  # "form", "incubation" or None (neither says anything)
    financing_by_year: Mapping[int, float] = dataclasses.field(default_factory=dict)  # year after → 千元 (form)


def _financing(trail: Trail) -> tuple[bool, float | None, str | None, dict[int, float]]:
    """(financed, raised, source, by year): the form's amounts where a report after the contest year carries the
    element, else the incubator graduation by the financing criterion after the contest year (a lower bound)."""
    by_year = {y: float(v) for y, v in sorted(trail.financing.items()) if y > trail.base_year}
    if by_year:
        raised = sum(by_year.values())
        return raised > 0, raised, "form", by_year
    if trail.financed_in is not None and trail.financed_in > trail.base_year:
        return True, None, "incubation", {}
    return False, None, None, {}


def _growth(series: Mapping[int, float], base: int, last: int | None) -> float | None:
    if last is None or last <= base or series.get(base, 0) <= 0 or last not in series:
        return None
    return float((series[last] / series[base]) ** (1 / (last - base)) - 1)


def outcome(trail: Trail) -> Outcome:
    # What it held at the contest year's end is known from that year's report (or, for a firm registered after
    # it, is nothing): without that, nothing it holds later can be said to be new.
    before = trail.held.get(trail.base_year)
    later = frozenset().union(*(kinds for year, kinds in trail.held.items() if year > trail.base_year))
    became = () if before is None else tuple(kind for kind in TRACKED if kind in later and kind not in before)
    reported = [y for y in trail.revenue if y > trail.base_year]
    last = max(reported) if reported else None
    financed, raised, source, by_year = _financing(trail)
    return Outcome(trail.entry, trail.credit_code, trail.zone_code, trail.field, trail.winner, became, last,
                   _growth(trail.revenue, trail.base_year, last), _growth(trail.rd, trail.base_year, last),
                   financed, raised, source, by_year)


@dataclass(frozen=True)
class Cohort:
    label: str  # "winners", "others", a field or a zone code
    entrants: int
    winners: int
    became: dict[str, float]  # kind → share of the cohort that became it
    median_revenue_growth: float | None
    median_rd_growth: float | None
    financed: float = 0.0  # share of the cohort financed after the contest year (by either source)
    financing_raised: float = 0.0  # 千元, the sum of the form's amounts (source "form" only)
    sources: dict[str, int] = dataclasses.field(default_factory=dict)  # "form", "incubation", "none" → entrants


def cohort(label: str, outcomes: Sequence[Outcome]) -> Cohort:
    n = len(outcomes)
    revenue = [o.revenue_growth for o in outcomes if o.revenue_growth is not None]
    rd = [o.rd_growth for o in outcomes if o.rd_growth is not None]
    return Cohort(label, n, sum(o.winner for o in outcomes),
                  {kind: (sum(kind in o.became for o in outcomes) / n if n else 0.0) for kind in TRACKED},
                  statistics.median(revenue) if revenue else None, statistics.median(rd) if rd else None,
                  sum(o.financed for o in outcomes) / n if n else 0.0,
                  sum(o.financing_raised or 0.0 for o in outcomes),
                  {source: sum((o.financing_source or "none") == source for o in outcomes)
                   for source in (*SOURCES, "none")})


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

"""The demo's ladder (梯度培育): the synthetic enterprises' lists of 科技型中小企业, 专精特新, 小巨人, 瞪羚 and 独角兽,
with validity periods, that agree with their own reported figures under the ladder rules, and the 高企's figures
brought in line with the recognition criteria they hold a certificate under.

The criteria come from the catalog (hizone.ladder.rules: 科技型中小企业 size limits, 高企 R&D ratio and 高新技术产品
收入 share, the 瞪羚 definition per zone); how many are listed and the criteria the catalog keeps no rule for
(专精特新, 小巨人, 独角兽) from calibration.yaml's `ladder` section, each with its source. Pure: NumPy only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hizone.errors import HizoneError
from hizone.ladder.assess import assess_tech_sme
from hizone.ladder.rules import GazelleRules, HightechRules, gazelle_rules, report_mapping, rules_for
from hizone.ladder.stages import firm_from_reports

YUAN_PER_THOUSAND = 1000.0  # the rules are in yuan, the report in 千元
Row = tuple[int, str, dt.date, dt.date | None, str | None]


@dataclass(frozen=True)
class Reports:
    """The annual reports as the generator holds them: year -> (enterprises × elements), NaN rows did not report."""

    annual: dict[int, np.ndarray]
    elements: tuple[str, ...]

    def of(self, year: int, element: str) -> np.ndarray:
        return self.annual[year][:, self.elements.index(element)]

    def set(self, year: int, element: str, values: np.ndarray) -> None:
        self.annual[year][:, self.elements.index(element)] = np.round(values, 1)  # 0.1 千元, as reported

    def enterprise(self, index: int, up_to: int) -> dict[int, dict[str, float | None]]:
        """One enterprise's reports up to a year, as the ladder engine reads them (None: not reported)."""
        revenue = self.elements.index("revenue")
        return {year: {e: None if np.isnan(v) else float(v) for e, v in zip(self.elements, matrix[index],
                                                                           strict=True)}
                for year, matrix in self.annual.items() if year <= up_to and not np.isnan(matrix[index, revenue])}

    @property
    def years(self) -> list[int]:
        return sorted(self.annual)


def interval(year: int, years: int | None) -> tuple[dt.date, dt.date | None]:
    return dt.date(year, 1, 1), (dt.date(year + years - 1, 12, 31) if years else None)


def held_at_year_end(rows: Sequence[Row], kind: str, years: Sequence[int], n: int) -> dict[int, np.ndarray]:
    """year -> which enterprises hold a ``kind`` valid on 31 December."""
    held = {year: np.zeros(n, dtype=bool) for year in years}
    for index, row_kind, start, end, _ in rows:
        if row_kind != kind:
            continue
        for year in years:
            day = dt.date(year, 12, 31)
            held[year][index] |= start <= day and (end is None or end >= day)
    return held


def _rules(year: int) -> HightechRules:
    rules = rules_for(year)
    if rules is None:
        raise HizoneError(f"no ladder rules for the demo year {year}", where="calibration.yaml")
    return rules.hightech


def rd_threshold(year: int, revenue: np.ndarray) -> np.ndarray:
    """The 高企 R&D ratio each revenue (千元) must reach, by its band of latest-year sales."""
    out = np.full(revenue.shape, np.nan)
    for step in reversed(_rules(year).rd_ratio):  # from the top band down: a lower band overwrites
        within = np.ones(revenue.shape, dtype=bool) if step.sales_up_to is None else \
            revenue * YUAN_PER_THOUSAND <= float(step.sales_up_to)
        out[within] = float(step.ratio)
    return out


def align_high_tech(rng: np.random.Generator, reports: Reports, held: dict[int, np.ndarray], zone: np.ndarray,
                    cal: dict[str, Any]) -> None:
    """A certificate holder's R&D and 高新技术产品收入 meet the criteria in every year it reports (a persistent trait:
    its three-year R&D ratio passes too); non-holders of the zone give up what holders gained, so the zone's totals,
    and the national ratios calibrated on them, stay where they were."""
    years, n = reports.years, len(zone)
    holder = np.logical_or.reduce([held[y] for y in years])
    margin = rng.uniform(cal["rd_margin"][0], cal["rd_margin"][1], n)
    share = rng.uniform(cal["hitech_revenue_share"][0], cal["hitech_revenue_share"][1], n)
    needed = np.zeros(n)
    for year in years:
        revenue = reports.of(year, "revenue")
        needed = np.where(held[year], np.fmax(needed, rd_threshold(year, revenue)), needed)
    least_share = float(_rules(years[-1]).hitech_revenue_share)
    share = np.maximum(share, least_share + 0.01)
    for year in years:
        revenue = reports.of(year, "revenue")
        for element, floor in (("rd_expenditure", needed * margin * revenue), ("hitech_product_revenue",
                                                                               share * revenue)):
            old = reports.of(year, element).copy()
            new = np.where(holder & ~np.isnan(revenue), np.fmax(old, floor), old)
            reports.set(year, element, _give_back(old, new, holder, zone, cal["least_kept"]))


def _give_back(old: np.ndarray, new: np.ndarray, holder: np.ndarray, zone: np.ndarray, least_kept: float
               ) -> np.ndarray:
    """Non-holders scaled down by what holders gained in their zone, keeping at least ``least_kept`` of theirs."""
    zones = int(zone.max()) + 1
    gained, others = np.zeros(zones), np.zeros(zones)
    np.add.at(gained, zone, np.nan_to_num(new - old))
    np.add.at(others, zone, np.where(holder, 0.0, np.nan_to_num(old)))
    keep = np.clip((others - gained) / np.where(others > 0, others, 1.0), least_kept, 1.0)
    return np.where(holder, new, old * keep[zone])


def _yearly(year: int, selected: np.ndarray, kind: str, years: int = 1) -> list[Row]:
    return [(int(i), kind, *interval(year, years), None) for i in np.flatnonzero(selected)]


def tech_smes(reports: Reports, held_high_tech: dict[int, np.ndarray], propensity: np.ndarray,
              cal: dict[str, Any]) -> list[Row]:
    """科技型中小企业 (yearly 入库): those the assessment (hizone.ladder.assess, on what the report holds) does not rule
    out, as many as ``per_high_tech`` × the 高企 holders that year (or every one, when fewer are), those of lowest
    (persistent) propensity first, so the same enterprises stay on the list."""
    rows: list[Row] = []
    for year in reports.years:
        rules, mapping = rules_for(year), report_mapping(year)
        if rules is None or mapping is None:
            raise HizoneError(f"no ladder rules for the demo year {year}", where="calibration.yaml")
        sme = rules.tech_sme
        small = ((reports.of(year, "employees") <= float(sme.max_staff))
                 & (reports.of(year, "revenue") * YUAN_PER_THOUSAND <= float(sme.max_sales))
                 & (reports.of(year, "total_assets") * YUAN_PER_THOUSAND <= float(sme.max_total_assets)))
        possible = np.zeros(len(small), dtype=bool)
        for i in np.flatnonzero(small):  # the size limits first: the assessment only for those within them
            firm = firm_from_reports("", year, reports.enterprise(int(i), year), mapping)
            possible[i] = assess_tech_sme(firm, sme).eligible is not False
        wanted = round(cal["per_high_tech"] * int(held_high_tech[year].sum()))
        rows += _yearly(year, _lowest(propensity, possible, wanted), "tech_sme")
    return rows


def _lowest(propensity: np.ndarray, allowed: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` allowed enterprises of lowest propensity."""
    candidates = np.flatnonzero(allowed)
    chosen = np.zeros(len(propensity), dtype=bool)
    chosen[candidates[np.argsort(propensity[candidates], kind="stable")[:count]]] = True
    return chosen


def meets_gazelle(reports: Reports, year: int, rules: GazelleRules, founded_year: np.ndarray) -> np.ndarray:
    """The 瞪羚 definition on the reports: age, base-year revenue, compound growth since the base year and R&D over
    the span; the base year is ``rules.years`` back, or the first year of the data when that is later."""
    first = max(year - rules.years, reports.years[0])
    if first >= year:
        return np.zeros(len(founded_year), dtype=bool)
    span = range(first, year + 1)
    base, last = reports.of(first, "revenue"), reports.of(year, "revenue")
    revenue = np.sum([reports.of(y, "revenue") for y in span], axis=0)
    spent = np.sum([reports.of(y, "rd_expenditure") for y in span], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = ((base * YUAN_PER_THOUSAND >= float(rules.min_base_revenue))
              & (last / base >= float(1 + rules.min_cagr) ** (year - first))
              & (spent / revenue > float(rules.min_rd_intensity)))
    if rules.max_age is not None:
        ok &= year - founded_year <= rules.max_age
    return np.asarray(ok & ~np.isnan(last))


def gazelles(reports: Reports, zone_codes: Sequence[str], zone: np.ndarray, founded_year: np.ndarray,
             cal: dict[str, Any]) -> list[Row]:
    """瞪羚 (a yearly list): of the enterprises that meet their zone's definition, the fastest growing, as many as
    ``share`` of the reporting enterprises (fewer when fewer meet it)."""
    rows: list[Row] = []
    for year in reports.years:
        meets = np.zeros(len(zone), dtype=bool)
        for z, code in enumerate(zone_codes):
            rules = gazelle_rules(year, code)
            if rules is None:
                raise HizoneError(f"no 瞪羚 rules for the demo year {year}", where="calibration.yaml")
            members = zone == z
            meets[members] = meets_gazelle(reports, year, rules, founded_year)[members]
        first = max(year - cal["growth_years"], reports.years[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            slower = -reports.of(year, "revenue") / reports.of(first, "revenue")
        rows += _yearly(year, _lowest(np.nan_to_num(slower), meets, _wanted(reports, year, cal["share"])),
                        "gazelle")
    return rows


def _wanted(reports: Reports, year: int, share: float) -> int:
    return round(share * int(np.count_nonzero(~np.isnan(reports.of(year, "revenue")))))


def srdi_and_little_giants(rng: np.random.Generator, reports: Reports, cal: dict[str, Any]) -> list[Row]:
    """专精特新中小企业 and 专精特新"小巨人": each year a batch of recognitions valid ``valid_years``, from last year's
    reported figures under calibration.yaml's criteria (shared/data/enterprise-rules.md §2), topping the holders up
    to ``share`` of the reporting enterprises (fewer when fewer fit); a 小巨人 holds a 专精特新 recognition."""
    srdi, giant = cal["srdi"], cal["little_giant"]
    years = reports.years
    n = len(reports.of(years[0], "revenue"))
    propensity = rng.random(n)  # persistent: the same enterprises apply again when a recognition runs out
    until = {"srdi": np.full(n, -1), "little_giant": np.full(n, -1)}
    rows: list[Row] = []
    for year in years[1:]:
        revenue, rd = reports.of(year - 1, "revenue"), reports.of(year - 1, "rd_expenditure")
        with np.errstate(invalid="ignore", divide="ignore"):
            intensity = rd / revenue
            earlier = reports.of(year - 2, "rd_expenditure") / reports.of(year - 2, "revenue") \
                if year - 2 in reports.annual else intensity
            fits = ((revenue >= srdi["min_revenue"]) & (rd >= srdi["min_rd"]) & (intensity >= srdi["min_rd_share"])
                    & (reports.of(year - 1, "employees") < srdi["max_staff"]) & (revenue < srdi["max_revenue"]))
            least = np.fmin(intensity, earlier)
            giant_fits = (((revenue >= giant["large_revenue"]) & (least >= giant["large_rd_share"]))
                          | ((revenue >= giant["middle_revenue"]) & (least >= giant["middle_rd_share"])))
        rows += _top_up(reports, year, "srdi", fits, propensity, until, srdi)
        rows += _top_up(reports, year, "little_giant", giant_fits & (until["srdi"] >= year), propensity, until,
                        giant)
        rows += _renew_with_giants(until)
    return rows


def _renew_with_giants(until: dict[str, np.ndarray]) -> list[Row]:
    """A 小巨人 stays a 专精特新 while it is one: a 专精特新 recognition running out earlier is renewed to its end."""
    short = np.flatnonzero(until["srdi"] < until["little_giant"])
    rows: list[Row] = []
    for i in short.tolist():
        ends, runs_to = int(until["srdi"][i]), int(until["little_giant"][i])
        rows.append((i, "srdi", *interval(ends + 1, runs_to - ends), None))
    until["srdi"][short] = until["little_giant"][short]
    return rows


def _top_up(reports: Reports, year: int, kind: str, fits: np.ndarray, propensity: np.ndarray,
            until: dict[str, np.ndarray], cal: dict[str, Any]) -> list[Row]:
    """Recognise, among those that fit and hold no ``kind`` now, enough to bring the holders to the share."""
    holding = until[kind] >= year
    missing = max(0, _wanted(reports, year, cal["share"]) - int(holding.sum()))
    new = _lowest(propensity, fits & ~holding, missing)
    until[kind][new] = year + cal["valid_years"] - 1
    return _yearly(year, new, kind, cal["valid_years"])


def unicorns(rng: np.random.Generator, reports: Reports, zone_codes: Sequence[str], zone: np.ndarray,
             founded_year: np.ndarray, scale: float, cal: dict[str, Any]) -> np.ndarray:
    """独角兽 / 潜在独角兽: a few young (≤ ``max_age``), fast-growing enterprises in the zones the lists name most,
    as many as the national count at the demo's scale; the indices of the enterprises chosen."""
    last, first = reports.years[-1], reports.years[-1] - cal["growth_years"]
    growth = reports.of(last, "revenue") / reports.of(first, "revenue")
    young = (last - founded_year <= cal["max_age"]) & ~np.isnan(growth)
    count = max(1, round(cal["national"] * scale))
    weights = {code: float(w) for code, w in cal["zones"].items() if code in zone_codes}
    codes = list(weights)
    drawn = rng.multinomial(count, np.array([weights[c] for c in codes]) / sum(weights.values()))
    chosen: list[int] = []
    for code, k in zip(codes, drawn, strict=True):
        members = np.flatnonzero(young & (zone == list(zone_codes).index(code)))
        chosen += members[np.argsort(-growth[members], kind="stable")[:k]].tolist()
    return np.array(sorted(chosen), dtype=np.int64)

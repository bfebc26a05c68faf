"""Deterministic synthetic demo data, calibrated to published national totals and, zone by zone, to published
per-zone figures (calibration.yaml; zone sizes and standing in demo/zones.py).

Everything here is synthetic and is marked so in the store (``synthetic=True`` rows, DatasetInfo).
Money values are in 千元, the Torch forms' unit. Pure: NumPy only, no store or file-system writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hizone.catalog import Catalog, read_yaml
from hizone.demo import reporting
from hizone.demo.ladder import Reports, align_high_tech, gazelles, held_at_year_end, srdi_and_little_giants, tech_smes
from hizone.demo.ladder import unicorns as unicorns_of
from hizone.demo.zones import ZoneProfiles, zone_profiles
from hizone.errors import HizoneError
from hizone.registry import ALPHABET, WEIGHTS, ProvinceRow, ZoneRow, industry_section

CALIBRATION = Path(__file__).parent / "calibration.yaml"
ANNUAL_FORM, MONTHLY_FORM = "enterprise_annual", "zone_monthly"
YUAN_PER_THOUSAND = 1000.0


@dataclass(frozen=True)
class Enterprises:
    credit_code: np.ndarray  # str, 18 characters
    name: list[str]
    zone: np.ndarray  # index into DemoData.zones
    industry: np.ndarray  # str, GB/T 4754 class
    founded: np.ndarray  # datetime64[D]

    def __len__(self) -> int:
        return len(self.credit_code)


@dataclass(frozen=True)
class Qualifications:
    enterprise: np.ndarray  # index into Enterprises
    kind: list[str]
    valid_from: list[dt.date]
    valid_to: list[dt.date | None]
    detail: list[str | None]


@dataclass(frozen=True)
class DemoData:
    seed: int
    scale: float  # enterprises generated / enterprises the programme really has
    provinces: list[ProvinceRow]
    zones: list[ZoneRow]
    profiles: ZoneProfiles  # the per-zone calibration the data was drawn from
    enterprises: Enterprises
    qualifications: Qualifications
    incubators: list[tuple[str, str, str, str]]  # name, kind, level, zone code
    annual_elements: tuple[str, ...]
    annual: dict[int, np.ndarray]  # year -> (enterprises × elements); NaN rows did not report
    monthly_elements: tuple[str, ...]
    monthly: dict[str, np.ndarray]  # "2023-05" -> (zones × elements), cumulative flows; NaN = missing
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    # Reports the loader leaves open in the last month: {"kind": awaiting_review / returned / late_report /
    # missing_report, "zone", "period"}.
    workflow: list[dict[str, Any]] = field(default_factory=list)


def _spec(pair: list[float]) -> tuple[float, float]:
    """A calibration entry [mean, sigma]."""
    return float(pair[0]), float(pair[1])


def _lognormal(rng: np.random.Generator, mean: float, sigma: float, size: int) -> np.ndarray:
    """Log-normal noise with the given mean (not median), so calibrated ratios hold on average."""
    return mean * np.exp(rng.normal(-sigma * sigma / 2, sigma, size))


def credit_codes(rng: np.random.Generator, division_codes: np.ndarray) -> np.ndarray:
    """Valid, unique 统一社会信用代码: '91' (enterprise) + division + random organisation code + check."""
    n = len(division_codes)
    digits = np.array([[int(c) for c in code] for code in division_codes], dtype=np.int64)
    while True:
        body = rng.integers(0, len(ALPHABET), size=(n, 9))
        first17 = np.hstack([np.tile([9, 1], (n, 1)), digits, body])
        check = (31 - (first17 @ np.array(WEIGHTS)) % 31) % 31
        chars = np.array(list(ALPHABET))[np.hstack([first17, check[:, None]])]
        codes = np.ascontiguousarray(chars).view("<U18").ravel()
        if len(np.unique(codes)) == n:
            return codes


def _enterprises_per_zone(rng: np.random.Generator, profiles: ZoneProfiles, n: int, cal: dict[str, Any]
                          ) -> np.ndarray:
    """How many enterprises each zone reports: a floor for every zone, the rest in proportion to its 高企."""
    zones = len(profiles.high_tech)
    floor = max(1, int(cal["zones"]["min_enterprises_share"] * n / zones))
    share = profiles.high_tech / profiles.high_tech.sum()
    return np.asarray(floor + rng.multinomial(n - floor * zones, share))


def _enterprise_names(rng: np.random.Generator, cities: list[str], industries: np.ndarray) -> list[str]:
    first, second = "华中新智创恒瑞博天科金宏远鼎航睿", "信达源芯联康泰安光微讯晟润捷盛"
    trade = {"C": "制造", "I": "信息", "M": "技术", "F": "贸易"}
    a = rng.integers(0, len(first), len(cities))
    b = rng.integers(0, len(second), len(cities))
    return [f"{city}{first[i]}{second[j]}{trade.get(industry_section(ind), '科技')}有限公司（合成）"
            for city, i, j, ind in zip(cities, a, b, industries, strict=True)]


def _enterprises(rng: np.random.Generator, zones: list[ZoneRow], profiles: ZoneProfiles, n: int,
                 cal: dict[str, Any]) -> Enterprises:
    counts = _enterprises_per_zone(rng, profiles, n, cal)
    # The first enterprise of each zone is long-established, so that every zone reports every year.
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    zone = np.repeat(np.arange(len(zones)), counts)
    industries = np.array(list(cal["industries"]))
    freq = np.array(list(cal["industries"].values()), dtype=float)
    industry = rng.choice(industries, size=n, p=freq / freq.sum())
    founded_year = np.where(rng.random(n) < 0.85, rng.integers(1990, 2019, n), rng.integers(2019, 2023, n))
    founded_year[first] = rng.integers(1990, 2019, len(zones))
    founded = (founded_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(0, 365, n)
    divisions = np.array([f"{zones[z].province_code}0100" for z in zone])
    names = _enterprise_names(rng, [zones[z].city for z in zone], industry)
    return Enterprises(credit_codes(rng, divisions), names, zone, industry, founded)


def _revenue(rng: np.random.Generator, ent: Enterprises, profiles: ZoneProfiles, years: list[int],
             cal: dict[str, Any]) -> dict[int, np.ndarray]:
    """Revenue per year (千元): enterprises grow around their zone, whose totals are the calibrated ones."""
    n, zones = len(ent), len(profiles.quality)
    level = rng.lognormal(0.0, cal["zones"]["enterprise_size_sigma"], n)
    founded_year = ent.founded.astype("datetime64[Y]").astype(int) + 1970
    revenue = {}
    for year in years:
        level = level * np.exp(rng.normal(0.0, cal["zones"]["enterprise_growth_sigma"], n))
        # Young enterprises start small and grow into their size over their first years.
        ramp = np.clip((year - founded_year + 1) / cal["zones"]["years_to_full_size"], 0.0, 1.0)
        active = np.where(founded_year <= year, level * ramp, 0.0)
        zone_sum = np.zeros(zones)
        np.add.at(zone_sum, ent.zone, active)
        scaled = active * (profiles.revenue[year] / YUAN_PER_THOUSAND / zone_sum)[ent.zone]
        revenue[year] = np.where(founded_year <= year, scaled, np.nan)
    return revenue


def _annual_values(rng: np.random.Generator, ent: Enterprises, revenue: dict[int, np.ndarray], quality: np.ndarray,
                   elements: tuple[str, ...], cal: dict[str, Any]) -> dict[int, np.ndarray]:
    """Each element from revenue; the zone's standing (``quality`` per zone) lifts its enterprises' traits."""
    n = len(ent)
    manufacturing = np.array([industry_section(c) == "C" for c in ent.industry])
    effect, q = cal["zones"]["quality_effects"], quality[ent.zone]
    base_revenue = np.nan_to_num(revenue[cal["base_year"]])

    def lift(key: str) -> np.ndarray:
        """exp(effect × q), scaled so that the revenue-weighted mean stays 1: national ratios stay calibrated."""
        factor = np.exp(effect[key] * q)
        return np.asarray(factor * base_revenue.sum() / (base_revenue * factor).sum())

    # Enterprise traits that persist across years.
    ratio_level = {k: _lognormal(rng, m, s, n) * (lift(k) if k in effect else 1.0)
                   for k, (m, s) in cal["ratios_to_revenue"].items()}
    exporter = rng.random(n) < 0.5
    rev_per_emp = _lognormal(rng, *_spec(cal["revenue_per_employee_thousand_yuan"]), n)
    productivity_growth = 1.03 + effect["productivity_growth"] * q
    pay_per_emp = _lognormal(rng, *_spec(cal["payroll_per_employee_thousand_yuan"]), n)
    margin = np.clip(rng.normal(0.0858, 0.06, n) + effect["margin"] * q, -0.3, 0.4)
    rd_share = np.clip(rng.beta(2, 11, n) * lift("rd_staff_share"), 0, 0.9)
    bachelor_lift, international = lift("bachelor_share"), lift("international_staff")
    patent_propensity = _lognormal(rng, 1.0, 0.5, n) * lift("patent_propensity")
    service_export_share = np.clip(rng.uniform(0, 0.1, n) * lift("tech_service_export_share"), 0, 0.5)
    io_share = np.clip(_lognormal(rng, *_spec(cal["industrial_output_share"]), n), 0, 1.2)
    iva_share = np.clip(_lognormal(rng, *_spec(cal["industrial_value_added_share"]), n), 0.05, 0.6)
    energy_int = _lognormal(rng, *_spec(cal["energy_tce_per_10k_yuan_value_added"]), n) * lift("energy_intensity")
    trend = cal["energy_intensity_trend"]
    [own_stream] = rng.spawn(1)  # drawn apart, so every other draw stays as it was
    mean, spread = trend["yearly_change_percent"]
    change = own_stream.normal(mean, spread, len(quality))[ent.zone] / 100
    yearly = cal["zones"]["yearly_ratio_noise"]
    valid_patents = np.zeros(n)
    trademarks = rng.poisson(3, n).astype(float)
    base = cal["base_year"]
    profit_scale = cal["base_totals"]["total_profit"]["value"] / YUAN_PER_THOUSAND / np.nansum(
        revenue[base] * margin)
    out = {}
    for i, year in enumerate(sorted(revenue)):
        rev = revenue[year]
        v: dict[str, np.ndarray] = {"revenue": rev}
        for key, level in ratio_level.items():
            v[key] = rev * level * _lognormal(rng, 1.0, yearly, n)
        for capped in ("tech_revenue", "hitech_product_revenue", "new_product_revenue"):
            v[capped] = np.minimum(v[capped], rev)
        v["export"] = np.where(exporter, v["export"] * 2, 0.0)
        v["tech_service_export"] = v["export"] * service_export_share * _lognormal(rng, 1.0, yearly, n)
        v["industrial_output"] = np.where(manufacturing, rev * io_share, 0.0)
        v["industrial_value_added"] = v["industrial_output"] * iva_share
        v["value_added"] = np.maximum(v["value_added"], v["industrial_value_added"])
        v["total_profit"] = rev * np.clip(margin + rng.normal(0, 0.02, n), -0.5, 0.5) * profit_scale
        v["net_profit"] = np.where(v["total_profit"] > 0, v["total_profit"] * rng.uniform(0.8, 0.9, n),
                                   v["total_profit"])
        emp = np.maximum(1, np.round(rev / (rev_per_emp * productivity_growth ** i)))
        v["employees"] = emp
        v["payroll"] = emp * pay_per_emp * 1.05 ** i
        safe_emp = np.nan_to_num(emp).astype(np.int64)
        bachelor_p = np.clip(cal["bachelor_share"][year] * bachelor_lift * rng.normal(1, 0.15, n), 0, 1)
        v["emp_bachelor_plus"] = rng.binomial(safe_emp, bachelor_p)
        v["emp_master"] = rng.binomial(v["emp_bachelor_plus"], 0.2)
        v["emp_phd"] = rng.binomial(v["emp_master"], 0.12)
        v["emp_returnees"] = rng.binomial(safe_emp, np.clip(0.006 * international, 0, 1))
        v["emp_foreign"] = rng.binomial(safe_emp, np.clip(0.002 * international, 0, 1))
        v["emp_new_graduates"] = rng.binomial(safe_emp, 0.033)
        v["rd_staff"] = rng.binomial(safe_emp, rd_share)
        v["rd_fte"] = np.round(v["rd_staff"] * rng.uniform(0.6, 0.9, n), 1)
        inv_apps = rng.poisson(np.nan_to_num(v["rd_expenditure"]) / 10_000 * 2.0 * patent_propensity)
        v["invention_patent_applications"] = inv_apps
        other_apps = rng.poisson(inv_apps * 1.2 + 0.5)
        v["patent_applications"] = inv_apps + other_apps
        inv_grants = rng.binomial(inv_apps, 0.45)
        v["invention_patent_grants"] = inv_grants
        v["patent_grants"] = inv_grants + rng.binomial(other_apps, 0.8)
        valid_patents = (rng.poisson(inv_grants * 5.0) if i == 0
                         else valid_patents - rng.binomial(valid_patents.astype(np.int64), 0.05)) + inv_grants
        v["valid_invention_patents"] = valid_patents.astype(float)
        trademarks = trademarks + rng.poisson(0.5, n)
        v["registered_trademarks"] = trademarks.copy()
        trend_factor = (1 + change) ** (year - trend["reference_year"])
        v["energy_consumption"] = np.round(v["value_added"] / 10 * energy_int * trend_factor, 2)
        v["electricity_consumption"] = np.round(v["energy_consumption"] * rng.uniform(0.2, 0.5, n) / 1.229, 2)
        v["equity_financing"] = np.full(n, np.nan)  # drawn apart (_equity_financing), after everything else
        matrix = np.column_stack([np.asarray(v[e], dtype=float) for e in elements])
        matrix[np.isnan(rev)] = np.nan
        out[year] = matrix
    return out


FINANCING = "equity_financing"
FINANCING_SEED = 18  # its own stream (the demo seed with this): every other figure stays that of the seed


def _equity_financing(rng: np.random.Generator, ent: Enterprises, annual: dict[int, np.ndarray],
                      elements: tuple[str, ...], catalog: Catalog, cal: dict[str, Any]) -> None:
    """当年获得股权融资额 (千元) where the year's form has it: most reporting firms raise nothing in a year, a young
    one (≤ ``young_years`` since registration) more often than an older one; an amount is lognormal with the
    calibration's mean round (千元), at 0.1 千元 like every money figure."""
    if FINANCING not in elements:
        return
    spec = cal["equity_financing"]
    column = elements.index(FINANCING)
    founded_year = ent.founded.astype("datetime64[Y]").astype(int) + 1970
    for year, matrix in sorted(annual.items()):
        reporting_rows = ~np.isnan(matrix[:, 0])
        if FINANCING not in catalog.form(ANNUAL_FORM, year).element_codes:
            matrix[:, column] = np.nan
            continue
        young = (year - founded_year) <= spec["young_years"]
        share = np.where(young, spec["share_young"], spec["share_older"])
        raised = rng.random(len(ent)) < share
        amount = _lognormal(rng, *_spec(spec["round_thousand_yuan"]), len(ent))
        matrix[:, column] = np.where(reporting_rows, np.where(raised, np.round(amount, 1), 0.0), np.nan)


def _round_to_form(matrix: np.ndarray, catalog: Catalog, form_code: str, year: int) -> np.ndarray:
    """Integers for integer elements, 0.1 千元 (100 yuan) for money: what a real report holds."""
    form = catalog.form(form_code, year)
    for j, f in enumerate(form.fields):
        matrix[:, j] = np.round(matrix[:, j], 0 if f.element.type == "integer" else 1)
    return matrix


def _interval(year: int, years: int | None) -> tuple[dt.date, dt.date | None]:
    return dt.date(year, 1, 1), (dt.date(year + years - 1, 12, 31) if years else None)


def _high_tech_quota(ent: Enterprises, eligible: np.ndarray, profiles: ZoneProfiles, scale: float, share: float
                     ) -> np.ndarray:
    """高企 per zone at base-year end: published counts at the demo's scale; the others share the national rest."""
    per_zone = np.bincount(ent.zone[eligible], minlength=len(profiles.high_tech))
    fixed = profiles.high_tech_published
    published = np.minimum(np.round(profiles.high_tech * scale), per_zone)
    rest = max(0.0, round(share * len(eligible)) - published[fixed].sum())
    others = np.where(fixed, 0, per_zone)
    return np.where(fixed, published, np.floor(others * rest / max(1, others.sum()) + 0.5)).astype(int)


def _top_per_zone(candidates: np.ndarray, score: np.ndarray, zone: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """The ``quota[z]`` candidates of highest score in each zone z."""
    ordered = candidates[np.lexsort((-score[candidates], zone[candidates]))]
    zone_of = zone[ordered]
    place_in_zone = np.arange(len(ordered)) - np.searchsorted(zone_of, zone_of)
    return np.asarray(ordered[place_in_zone < quota[zone_of]])


def _certificate_starts(held: list[bool], years: list[int], founded: int, earlier: int) -> list[int]:
    """Three-year certificates covering the years held; one held in the first year began ``earlier`` years before."""
    starts: list[int] = []
    for k, year in enumerate(years):
        if held[k] and not (starts and year <= starts[-1] + 2):
            starts.append(max(founded + 1, year - earlier) if k == 0 else year)
    return starts


def _qualifications(rng: np.random.Generator, ent: Enterprises, annual: dict[int, np.ndarray],
                    elements: tuple[str, ...], profiles: ZoneProfiles, scale: float, cal: dict[str, Any],
                    zone_codes: list[str]) -> Qualifications:
    """Certificates with validity periods; 高企 calibrated to published counts and share at base-year end, the
    other rungs from the figures (demo/ladder.py). Brings the 高企's R&D and 高新技术产品收入 in ``annual`` in line
    with their certificates."""
    rows: list[tuple[int, str, dt.date, dt.date | None, str | None]] = []
    n, base = len(ent), cal["base_year"]
    col = {e: j for j, e in enumerate(elements)}
    founded_year = ent.founded.astype("datetime64[Y]").astype(int) + 1970
    years = sorted(annual)
    # 高企: in each zone the most R&D-intensive of those old enough hold a certificate: the calibrated count at
    # base-year end, growing (or, before it, shrinking) at the zone's rate, so that its net change is smooth.
    intensity = np.nan_to_num(annual[base][:, col["rd_expenditure"]] / annual[base][:, col["revenue"]])
    intensity = intensity * rng.lognormal(0, 0.5, n)
    growth = cal["zones"]["high_tech_growth"]
    rate = growth["rate"] + growth["quality_effect"] * profiles.quality
    base_eligible = np.flatnonzero((founded_year < base) & ~np.isnan(annual[base][:, col["revenue"]]))
    quota = _high_tech_quota(ent, base_eligible, profiles, scale, cal["high_tech_share"])
    holding = np.zeros((len(years), n), dtype=bool)
    for k, year in enumerate(years):
        eligible = np.flatnonzero((founded_year < year) & ~np.isnan(annual[year][:, col["revenue"]]))
        holders = _top_per_zone(eligible, intensity, ent.zone, np.floor(quota * (1 + rate) ** (year - base) + 0.5))
        holding[k, holders] = True
    holders = np.flatnonzero(holding.any(axis=0))
    for holder, held, founded, earlier in zip(holders.tolist(), holding[:, holders].T.tolist(),
                                              founded_year[holders].tolist(),
                                              rng.integers(0, 3, len(holders)).tolist(), strict=True):
        rows += [(holder, "high_tech", *_interval(start, 3), None)
                 for start in _certificate_starts(held, years, founded, earlier)]
    # The rest of the ladder, from the figures (demo/ladder.py); the 高企's figures first meet their criteria.
    ladder, reports = cal["ladder"], Reports(annual, elements)
    align_high_tech(rng, reports, held_at_year_end(rows, "high_tech", years, n), ent.zone, ladder["high_tech"])
    held = held_at_year_end(rows, "high_tech", years, n)
    rows += tech_smes(reports, held, rng.random(n), ladder["tech_sme"])
    rows += gazelles(reports, zone_codes, ent.zone, founded_year, ladder["gazelle"])
    rows += srdi_and_little_giants(rng, reports, ladder)
    unicorns = unicorns_of(rng, reports, zone_codes, ent.zone, founded_year, scale, ladder["unicorn"])
    rows += [(int(i), "unicorn", *_interval(years[-1] - 1, 2), None) for i in unicorns]
    boards = ["科创板", "创业板", "上交所主板", "深交所主板", "北交所", "港交所"]
    can_list = ~np.isin(np.arange(n), unicorns) & (founded_year + 2 <= years[-1])
    for i in np.flatnonzero(can_list & (rng.random(n) < 0.015)):
        listed = int(rng.integers(max(int(founded_year[i]) + 2, 2005), years[-1] + 1))
        rows.append((int(i), "listed", dt.date(listed, int(rng.integers(1, 13)), 1), None,
                     boards[int(rng.integers(0, len(boards)))]))
    idx, kind, start_d, end_d, detail = zip(*rows, strict=True) if rows else ((), (), (), (), ())
    return Qualifications(np.array(idx, dtype=np.int64), list(kind), list(start_d), list(end_d), list(detail))


def _incubators(rng: np.random.Generator, zones: list[ZoneRow], ent: Enterprises) -> list[tuple[str, str, str, str]]:
    counts = rng.multinomial(3 * len(zones), np.bincount(ent.zone, minlength=len(zones)) / len(ent)) + 1
    kinds, kind_p = ["众创空间", "孵化器", "加速器"], [0.45, 0.45, 0.10]
    levels, level_p = ["national", "provincial", "other"], [0.2, 0.4, 0.4]
    out = []
    for zone, count in zip(zones, counts, strict=True):
        for k in range(int(count)):
            kind = kinds[rng.choice(3, p=kind_p)]
            out.append((f"{zone.city}{kind}{k + 1}号（合成）", kind, levels[rng.choice(3, p=level_p)], zone.code))
    return out


def _months(cal: dict[str, Any]) -> list[str]:
    first, last = (np.datetime64(cal["months"][k], "M") for k in ("first", "last"))
    return [str(m) for m in np.arange(first, last + 1)]


def _monthly(rng: np.random.Generator, ent: Enterprises, n_zones: int, annual: dict[int, np.ndarray],
             annual_elements: tuple[str, ...], monthly_elements: tuple[str, ...], cal: dict[str, Any]
             ) -> dict[str, np.ndarray]:
    """Zone quick reports consistent with the enterprise annual totals: cumulative flows, stock levels."""
    col = [annual_elements.index(e) for e in monthly_elements]
    share = np.diff(np.concatenate([[0.0], cal["monthly_cumulative_share"]]))
    out = {}
    for month in _months(cal):
        year, m = int(month[:4]), int(month[5:])
        if m == 1:
            totals = np.zeros((n_zones, len(col)))
            np.add.at(totals, ent.zone, np.nan_to_num(annual[year][:, col]))
            noisy = share[:, None, None] * rng.normal(1.0, 0.05, (12, n_zones, 1))
            cumulative = np.cumsum(noisy / noisy.sum(axis=0), axis=0)[:, :, 0]
        values = totals * cumulative[m - 1][:, None]
        stock = [j for j, e in enumerate(monthly_elements) if e == "employees"]
        values[:, stock] = np.round(totals[:, stock] * (0.98 + 0.02 * m / 12))
        out[month] = np.round(values, 1)
    return out


def _plant_anomalies(zones: list[ZoneRow], monthly: dict[str, np.ndarray], ent: Enterprises,
                     annual: dict[int, np.ndarray], monthly_elements: tuple[str, ...],
                     annual_elements: tuple[str, ...]) -> list[dict[str, Any]]:
    """A few problems for the monitoring rules to find, recorded so tests can check they are found."""
    months = sorted(monthly)
    last_year = months[-1][:4]
    rev = monthly_elements.index("revenue")
    by_size = np.argsort(-monthly[months[-1]][:, rev])
    decline, spike, missing = (int(by_size[k]) for k in (5, 15, 25))
    this_year = [m for m in months if m.startswith(last_year)]
    single = np.diff(np.array([monthly[m][:, rev] for m in this_year]), axis=0, prepend=0.0)
    single[3:, decline] *= 0.55  # April on: single-month revenue down ~45% on the year before
    single[5, spike] *= 5  # June: a five-fold jump, as a keying error in 千元 vs 万元 would make
    cumulative = np.cumsum(single, axis=0)
    for k, month in enumerate(this_year):
        monthly[month][:, rev] = np.round(cumulative[k], 1)
    monthly[f"{last_year}-05"][missing] = np.nan
    years = sorted(annual)
    col = annual_elements.index("revenue")
    mid = int(np.nanargmin(np.abs(annual[years[-2]][:, col] - np.nanmedian(annual[years[-2]][:, col]))))
    annual[years[-1]][mid, col] = round(annual[years[-2]][mid, col] * 10, 1)
    return [
        {"kind": "decline", "zone": zones[decline].code, "from": f"{last_year}-04", "element": "revenue"},
        {"kind": "jump", "zone": zones[spike].code, "period": f"{last_year}-06", "element": "revenue"},
        {"kind": "missing_month", "zone": zones[missing].code, "period": f"{last_year}-05"},
        {"kind": "enterprise_outlier", "enterprise": str(ent.credit_code[mid]), "period": str(years[-1]),
         "element": "revenue"},
    ]


# Workflow left open in the last month, so that every page has something to show: zones at these places by
# size (among the zones without a planted anomaly) leave their report awaiting review, returned, late or missing.
WORKFLOW_PLACES = {"awaiting_review": (30,), "returned": (40,), "late_report": (50, 60), "missing_report": (80,)}


def _plan_workflow(zones: list[ZoneRow], monthly: dict[str, np.ndarray], anomalies: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """Which zones' last-month reports the loader leaves open; a missing report is taken out of the data."""
    last = max(monthly)
    tampered = {a.get("zone") for a in anomalies}
    by_size = [i for i in np.argsort(-monthly[last][:, 0]) if zones[int(i)].code not in tampered]
    planned = []
    for kind, places in WORKFLOW_PLACES.items():
        for place in places:
            zone = int(by_size[place])
            planned.append({"kind": kind, "zone": zones[zone].code, "period": last})
            if kind == "missing_report":
                monthly[last][zone] = np.nan
    return planned


def _leave_missing(annual: dict[int, np.ndarray], ent: Enterprises, qualifications: Qualifications,
                   anomalies: list[dict[str, Any]]) -> None:
    """The last year's reports never sent (demo.reporting): taken out after everything else is drawn, so the
    other figures stay those of the same seed. Never a zone's first enterprise (the demo users'), a planted one,
    or one holding a qualification in that year (lists are drawn from the year's reports)."""
    last = max(annual)
    year_end = dt.date(last, 12, 31)
    codes = np.asarray(ent.credit_code, dtype=np.str_)
    keep = reporting.first_of_each_zone(codes, np.asarray(ent.zone))
    keep |= np.isin(codes, [a["enterprise"] for a in anomalies if "enterprise" in a])
    held = [int(i) for i, start, end in zip(qualifications.enterprise, qualifications.valid_from,
                                            qualifications.valid_to, strict=True)
            if start <= year_end and (end is None or end >= dt.date(last, 1, 1))]
    keep[held] = True
    annual[last][reporting.missing_rows(annual[last][:, 0], keep)] = np.nan


def generate(catalog: Catalog, provinces: list[ProvinceRow], zones: list[ZoneRow], enterprises: int = 20_000,
             seed: int = 2021) -> DemoData:
    """The whole synthetic data set; the same arguments give the same data, to the last digit."""
    if enterprises < len(zones):
        raise HizoneError(f"{enterprises} enterprises cannot give at least one enterprise per zone "
                          f"({len(zones)} zones)", where="--enterprises")
    cal = read_yaml(CALIBRATION)
    rng = np.random.default_rng(seed)
    years = list(cal["years"])
    annual_elements = catalog.form(ANNUAL_FORM, years[-1]).element_codes
    monthly_elements = catalog.form(MONTHLY_FORM, int(cal["months"]["last"][:4])).element_codes
    profiles = zone_profiles(rng, zones, cal)
    scale = enterprises / cal["reference_enterprises"]
    ent = _enterprises(rng, zones, profiles, enterprises, cal)
    revenue = _revenue(rng, ent, profiles, years, cal)
    annual = _annual_values(rng, ent, revenue, profiles.quality, annual_elements, cal)
    monthly = _monthly(rng, ent, len(zones), annual, annual_elements, monthly_elements, cal)
    anomalies = _plant_anomalies(zones, monthly, ent, annual, monthly_elements, annual_elements)
    workflow = _plan_workflow(zones, monthly, anomalies)
    annual = {y: _round_to_form(m, catalog, ANNUAL_FORM, y) for y, m in annual.items()}
    _equity_financing(np.random.default_rng([seed, FINANCING_SEED]), ent, annual, annual_elements, catalog, cal)
    qualifications = _qualifications(rng, ent, annual, annual_elements, profiles, scale, cal,
                                     [z.code for z in zones])
    _leave_missing(annual, ent, qualifications, anomalies)
    return DemoData(seed=seed, scale=scale, provinces=provinces, zones=zones, profiles=profiles,
                    enterprises=ent, qualifications=qualifications,
                    incubators=_incubators(rng, zones, ent), annual_elements=annual_elements,
                    annual=annual, monthly_elements=monthly_elements, monthly=monthly, anomalies=anomalies,
                    workflow=workflow)

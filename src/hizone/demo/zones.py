"""Per-zone calibration of the demo: each zone's revenue, 高企 count and standing, from published anchors.

A zone with a published figure (calibration.yaml ``zones.anchors``) takes it; the others are sized by the stated
model (approval year, province GDP, city tier) so that all zones add up to the published national total. The
standing — the place in the comprehensive evaluation the demo aims at — keeps published ranks at their place
and becomes a standard-normal score ``quality`` that generate.py turns into the zones' enterprise traits.
Pure: NumPy and the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from hizone.errors import HizoneError
from hizone.registry import ZoneRow

YUAN_PER_100M = 1e8


@dataclass(frozen=True)
class ZoneProfiles:
    revenue: dict[int, np.ndarray]  # year -> revenue per zone, yuan; the national total of that year
    high_tech: np.ndarray  # base-year 高企 per zone at the programme's scale (published or derived)
    high_tech_published: np.ndarray  # bool: the count is a published figure
    standing: np.ndarray  # the place aimed at in the base year, 1 = first
    quality: np.ndarray  # standard-normal score of the standing: higher ranks higher


def _anchor(cal: dict[str, Any], zone: ZoneRow, key: str) -> float | None:
    entry = cal["zones"]["anchors"].get(zone.code, {}).get(key)
    return None if entry is None else float(entry["value"])


def _tier(cal: dict[str, Any], city: str) -> str:
    model = cal["zones"]["model"]
    return "first" if city in model["first"] else "major" if city in model["major"] else "other"


def modelled_revenue(rng: np.random.Generator, zones: list[ZoneRow], cal: dict[str, Any]) -> np.ndarray:
    """Relative size by the model: age^a × (province GDP / √its zones)^b × tier factor × log-normal noise."""
    model, base = cal["zones"]["model"], cal["base_year"]
    age = np.array([base + 1 - z.approved_year for z in zones], dtype=float).clip(1)
    provinces = [z.province_code for z in zones]
    gdp = np.array([cal["zones"]["province_gdp_2021"][p] / provinces.count(p) ** 0.5 for p in provinces], dtype=float)
    tier = np.array([model["tier_factor"][_tier(cal, z.city)] for z in zones], dtype=float)
    noise = rng.lognormal(0.0, model["sigma"], len(zones))
    return np.asarray(age ** model["age_exponent"] * gdp ** model["gdp_exponent"] * tier * noise)


def base_revenue(rng: np.random.Generator, zones: list[ZoneRow], cal: dict[str, Any]) -> np.ndarray:
    """Base-year revenue per zone (亿元): published or derived where anchored; the model shares the rest."""
    ratios, national = cal["zones"], cal["base_totals"]["revenue"]["value"] / YUAN_PER_100M
    revenue = np.full(len(zones), np.nan)
    for i, zone in enumerate(zones):
        published, output, high_tech = (_anchor(cal, zone, k) for k in ("revenue", "industrial_output", "high_tech"))
        if published is not None:
            revenue[i] = published
        elif output is not None:
            revenue[i] = output * ratios["revenue_per_industrial_output"]["value"]
        elif high_tech is not None:
            revenue[i] = high_tech * ratios["revenue_per_high_tech"]["value"]
    model = modelled_revenue(rng, zones, cal)
    free = np.isnan(revenue)
    remainder = national - revenue[~free].sum()
    if remainder <= 0:
        raise HizoneError(f"the anchored zones' revenue ({national - remainder:,.0f} 亿元) exceeds the national "
                          f"total ({national:,.0f} 亿元)", where="demo/calibration.yaml: zones.anchors")
    revenue[free] = model[free] * remainder / model[free].sum()
    return revenue


def standing(zones: list[ZoneRow], revenue: np.ndarray, cal: dict[str, Any]) -> np.ndarray:
    """The base-year place of each zone: published ranks (nearest year) fixed, then by size, the 2024 top 50's
    members counted larger (they are in the top 50 three years later)."""
    base, n = cal["base_year"], len(zones)
    place = np.zeros(n, dtype=int)
    for i, zone in enumerate(zones):
        ranks = cal["zones"]["anchors"].get(zone.code, {}).get("rank", {})
        if ranks:
            place[i] = ranks[min(ranks, key=lambda year: (abs(int(year) - base), -int(year)))]["value"]
    taken = set(place[place > 0].tolist())
    free = iter(p for p in range(1, n + 1) if p not in taken)
    top50, boost = set(cal["zones"]["top50_2024"]["zones"]), cal["zones"]["top50_2024"]["size_boost"]
    by_size = sorted((i for i in range(n) if not place[i]),
                     key=lambda i: -revenue[i] * (boost if zones[i].code in top50 else 1.0))
    for i in by_size:
        place[i] = next(free)
    return place


def _size_gap(zones: list[ZoneRow], revenue: np.ndarray, place: np.ndarray, cal: dict[str, Any]) -> np.ndarray:
    """A zone ranked better than its size suggests must be better in kind: its quality gains
    compensation × log(the revenue of the zone that large a place holds by size / its own revenue)."""
    ranked = {code for code, anchor in cal["zones"]["anchors"].items() if "rank" in anchor}
    by_size = np.sort(revenue)[::-1]
    gap = np.log(by_size[place - 1] / revenue).clip(0)
    return np.where([z.code in ranked for z in zones], cal["zones"]["rank_size_compensation"] * gap, 0.0)


def _growth_paths(rng: np.random.Generator, base: np.ndarray, quality: np.ndarray, cal: dict[str, Any]
                  ) -> dict[int, np.ndarray]:
    """Revenue per zone and year (yuan): national growth + a standing-related trend + persistent noise."""
    years, base_year = list(cal["years"]), cal["base_year"]
    growth_cal, trend = cal["zones"]["growth_noise"], cal["zones"]["quality_effects"]["revenue_growth"] * quality
    national = {base_year: cal["base_totals"]["revenue"]["value"]}
    for year in sorted(y for y in years if y > base_year):
        national[year] = national[year - 1] * (1 + cal["revenue_growth"][year]["value"])
    for year in sorted((y for y in years if y < base_year), reverse=True):
        national[year] = national[year + 1] / (1 + cal["revenue_growth"][year + 1]["value"])
    noise, shocks = np.zeros(len(base)), {}
    for year in years[1:]:
        noise = growth_cal["persistence"] * noise + rng.normal(0.0, growth_cal["sigma"], len(base))
        shocks[year] = noise
    paths = {base_year: base * national[base_year] / base.sum()}
    for year in sorted(y for y in years if y > base_year):
        grown = paths[year - 1] * (1 + cal["revenue_growth"][year]["value"] + trend + shocks[year])
        paths[year] = grown * national[year] / grown.sum()
    for year in sorted((y for y in years if y < base_year), reverse=True):
        shrunk = paths[year + 1] / (1 + cal["revenue_growth"][year + 1]["value"] + trend + shocks[year + 1])
        paths[year] = shrunk * national[year] / shrunk.sum()
    return {year: paths[year] for year in years}


def zone_profiles(rng: np.random.Generator, zones: list[ZoneRow], cal: dict[str, Any]) -> ZoneProfiles:
    revenue = base_revenue(rng, zones, cal)
    published = np.array([_anchor(cal, z, "high_tech") for z in zones], dtype=float)
    high_tech = np.where(np.isnan(published), revenue / cal["zones"]["revenue_per_high_tech"]["value"], published)
    place = standing(zones, revenue, cal)
    normal = NormalDist()
    quality = np.array([normal.inv_cdf(1 - (p - 0.5) / len(zones)) for p in place]) + _size_gap(zones, revenue,
                                                                                                  place, cal)
    return ZoneProfiles(_growth_paths(rng, revenue * YUAN_PER_100M, quality, cal), high_tech,
                        ~np.isnan(published), place, quality)

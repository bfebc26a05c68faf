"""The talent pages' and API's figures for one caller: the campaign's standings, fairs and graduates limited to
the zones the caller may read (auth.policy decides; a province's own row only where it reads the province)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from hizone.analytics.read import Reader
from hizone.auth.policy import Principal, can_read_province, can_read_zone
from hizone.errors import HizoneError
from hizone.talent.campaign import Campaign, campaign, campaigns
from hizone.talent.fairs import fair_series
from hizone.talent.progress import Progress, Report
from hizone.talent.service import CampaignProgress, campaign_progress, zone_series
from hizone.talent.store import FairRow, fair_totals, fairs, zone_provinces

GRADUATES = "new_graduates_total"  # the enterprise annual form's 当年新增应届高校毕业生, summed by zone


def chosen(key: str | None) -> Campaign:
    if key:
        return campaign(key)
    known = campaigns()
    if not known:
        raise HizoneError("no talent campaign in the catalog", where="campaign")
    return known[max(known)]


@dataclass(frozen=True)
class Dashboard:
    progress: CampaignProgress  # zones and provinces cut to the caller's
    national: Progress | None  # every zone summed (national roles only)


def dashboard(engine: Engine, principal: Principal, key: str | None, on: dt.date | None = None) -> Dashboard:
    full = campaign_progress(engine, chosen(key), on)
    with engine.connect() as conn:
        provinces = zone_provinces(conn)
    zones = [z for z in full.zones if z.key in provinces and can_read_zone(principal, z.key, provinces[z.key])]
    shown = {z.key for z in zones}
    provs = [p for p in full.provinces if can_read_province(principal, p.key)]
    alerts = [a for a in full.alerts if (a.level == "zone" and a.key in shown)
              or (a.level == "province" and can_read_province(principal, a.key))]
    national = None
    if principal.is_national and full.zones:
        national = Progress("nation", "CN", sum(z.target for z in full.zones), sum(z.developed for z in full.zones),
                            sum(z.signed for z in full.zones), sum(z.on_duty for z in full.zones), full.due)
    return Dashboard(dataclasses.replace(full, zones=zones, provinces=provs, alerts=alerts), national)


def progress_dict(p: Progress) -> dict[str, Any]:
    return {"level": p.level, "key": p.key, "rank": p.rank, "target": p.target, "developed": p.developed,
            "signed": p.signed, "on_duty": p.on_duty, "completion": p.completion, "due": p.due,
            "scheduled": p.scheduled, "pace": p.pace}


@dataclass(frozen=True)
class ZoneDetail:
    campaign: Campaign
    standing: Progress | None  # None: the zone has no target
    reports: list[Report]
    graduates: list[tuple[str, float | None]]  # (year, new graduates hired) from the enterprise annual form
    fairs: list[FairRow]
    synthetic: bool


def zone_detail(engine: Engine, reader: Reader, principal: Principal, zone_code: str, key: str | None
                ) -> ZoneDetail:
    """One zone's campaign (the route's rule has checked the caller reads the zone)."""
    c = chosen(key)
    full = campaign_progress(engine, c)
    years = [p for p in reader.periods_of(GRADUATES) if p.isdigit()][-3:]
    figures = reader.values([GRADUATES], "zone", [zone_code], years, reader.viewer(principal)) if years else []
    with engine.connect() as conn:
        hosted = fairs(conn, c, frozenset([zone_code]))
    return ZoneDetail(c, full.zone(zone_code), zone_series(engine, c, zone_code),
                      [(f.period, f.value) for f in figures], hosted, full.synthetic)


@dataclass(frozen=True)
class FairsView:
    campaign: Campaign
    rows: list[FairRow]
    totals: dict[str, int] | None  # national roles: the stored fairs summed
    summaries: list[Any]  # the bulletin's printed summaries (public figures)


def fairs_view(engine: Engine, principal: Principal, key: str | None) -> FairsView:
    c = chosen(key)
    with engine.connect() as conn:
        provinces = zone_provinces(conn)
        scope = None if principal.is_national else frozenset(
            z for z, p in provinces.items() if can_read_zone(principal, z, p))
        rows = fairs(conn, c, scope)
        totals = fair_totals(conn, c) if principal.is_national else None
    summaries = [s for series in fair_series().values() if series.campaign == c.key for s in series.summaries]
    return FairsView(c, rows, totals, summaries)

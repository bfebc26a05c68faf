"""综合评价 as the pages show it: stored evaluation runs (hizone.ranking) as tables, radars and rank histories.

Runs are immutable, so each is read from the store once and kept in memory by id.
"""

from __future__ import annotations

import statistics
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from hizone.analytics.definitions import ZoneGroup, default_indicators
from hizone.analytics.read import Reader
from hizone.auth import Principal, can_read_zone
from hizone.errors import HizoneError
from hizone.ranking import ROOT, Framework, StoredRun, framework_for, stored_run
from hizone.ranking.service import ranking_table
from hizone.store.models import EvaluationRun
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table

__all__ = ["Ranking", "RunCache", "Table"]


@dataclass(frozen=True)
class Ranking:
    run: StoredRun
    framework: Framework
    rows: list[dict[str, object]]  # ranking_table rows, best first


class RunCache:
    def __init__(self, size: int = 16) -> None:
        self._runs: OrderedDict[int, Ranking] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, engine: Engine, framework_code: str, year: int, run_id: int) -> Ranking:
        with self._lock:
            found = self._runs.get(run_id)
        if found is not None:
            return found
        run = stored_run(engine, framework_code, year, run_id)
        framework = framework_for(framework_code, year)
        ranking = Ranking(run, framework, ranking_table(run, [d.code for d in framework.dimensions]))
        with self._lock:
            self._runs[run_id] = ranking
            while len(self._runs) > self._size:
                self._runs.popitem(last=False)
        return ranking


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@cache
def _has_runs_table(engine: Engine) -> bool:
    return inspect(engine).has_table(EvaluationRun.__tablename__)


def latest_runs(engine: Engine, framework_code: str) -> dict[int, int]:
    """Year -> id of the latest run of the framework for that year (empty before the first run)."""
    if not _has_runs_table(engine):
        return {}
    with Session(engine) as session:
        rows = session.execute(select(EvaluationRun.year, EvaluationRun.id)
                               .where(EvaluationRun.framework_code == framework_code).order_by(EvaluationRun.id))
        return {int(year): int(run_id) for year, run_id in rows}


def latest_runs_of(fig: Reader, engine: Engine, framework_code: str) -> dict[int, int]:
    """latest_runs, remembered with the figures snapshot (its version changes when a run is stored)."""
    key = ("runs", framework_code)
    if key not in fig.memo:
        fig.memo[key] = latest_runs(engine, framework_code)
    runs: dict[int, int] = fig.memo[key]  # type: ignore[assignment]
    return runs


def ranking_for(engine: Engine, cache: RunCache, framework_code: str, year: int | None,
                fig: Reader | None = None) -> Ranking | None:
    runs = latest_runs_of(fig, engine, framework_code) if fig is not None else latest_runs(engine, framework_code)
    if not runs:
        return None
    chosen = year if year is not None else max(runs)
    if chosen not in runs:
        raise HizoneError(f"no evaluation run for {chosen} (years evaluated: {', '.join(map(str, sorted(runs)))})",
                          where="year")
    return cache.get(engine, framework_code, chosen, runs[chosen])


@cache
def zone_groups() -> tuple[ZoneGroup, ...]:
    return tuple(default_indicators().groups)


def _in_filters(fig: Reader, zone_code: str, province: str | None, region: str | None,
                group: ZoneGroup | None) -> bool:
    zone = fig.zones.get(zone_code)
    if zone is None:
        return not (province or region or group)
    return ((not province or zone.province_code == province) and (not region or zone.region == region)
            and (group is None or group.contains(zone.province_code, zone.city)))


def group_by_code(code: str | None) -> ZoneGroup | None:
    if not code:
        return None
    found = next((g for g in zone_groups() if g.code == code), None)
    if found is None:
        raise HizoneError(f"unknown zone group '{code}'", where="group")
    return found


def ranking_rows(ranking: Ranking, fig: Reader, principal: Principal, lang: str, province: str | None = None,
                 region: str | None = None, group: str | None = None) -> Table:
    chosen_group = group_by_code(group)
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("rank", t("rank.rank"), "int"), Column("zone", t("zones.name"), "link"),
               Column("province", t("zones.province")), Column("score", t("rank.score"), "number"),
               Column("rank_change", t("rank.change"), "int"), Column("interval", t("rank.interval"))]
    for dim in ranking.framework.dimensions:
        label = dim.name_en if lang == "en" else dim.name_zh
        columns.append(Column(f"{dim.code}_rank", f"{dim.code} {label}", "int"))
    rows: list[dict[str, object]] = []
    for entry in ranking.rows:
        code = str(entry["zone"])
        if not _in_filters(fig, code, province, region, chosen_group):
            continue
        zone = fig.zones.get(code)
        prov = fig.provinces.get(zone.province_code) if zone else None
        low, high = entry.get("rank_p05"), entry.get("rank_p95")
        row: dict[str, object] = {
            **entry, "zone": zone.name(lang) if zone else entry["name"], "province": prov.name(lang) if prov else "",
            "interval": f"{low:.0f}–{high:.0f}" if isinstance(low, float) and isinstance(high, float) else None}
        if zone and can_read_zone(principal, code, zone.province_code):
            row["zone_href"] = f"/zones/{code}"
        rows.append(row)
    return Table("rankings", columns, rows)


def radar(ranking: Ranking, zone_code: str, lang: str, fig: Reader | None = None) -> dict[str, object] | None:
    """The zone's dimension scores against the median zone's, for a radar chart; with ``fig``, also against the
    median of its peer group (the zones of its region)."""
    dims = ranking.framework.dimensions
    mine = next((r for r in ranking.rows if r["zone"] == zone_code), None)
    if mine is None:
        return None

    def score(entry: dict[str, object], code: str) -> float | None:
        value = entry.get(f"{code}_score")
        return float(value) if isinstance(value, int | float) else None

    medians = [median([score(r, d.code) for r in ranking.rows]) for d in dims]
    series = [{"name": translate("profile.this_zone", lang), "value": [score(mine, d.code) for d in dims]},
              {"name": translate("profile.national_median", lang), "value": medians}]
    zone = fig.zones.get(zone_code) if fig is not None else None
    if fig is not None and zone is not None:
        peers = [r for r in ranking.rows if (z := fig.zones.get(str(r["zone"]))) and z.region == zone.region]
        series.append({"name": f"{translate('profile.peer_median', lang)} ({translate('region.' + zone.region, lang)})",
                       "value": [median([score(r, d.code) for r in peers]) for d in dims]})
    return {"dimensions": [{"name": d.name_en if lang == "en" else d.name_zh, "max": 100} for d in dims],
            "series": series}


def rank_history(engine: Engine, cache: RunCache, framework_code: str, zone_code: str) -> dict[str, object]:
    years, ranks, total = [], [], 0
    for year, run_id in sorted(latest_runs(engine, framework_code).items()):
        ranking = cache.get(engine, framework_code, year, run_id)
        mine = next((r for r in ranking.rows if r["zone"] == zone_code), None)
        total = max(total, len(ranking.rows))
        if mine is not None and mine.get("rank") is not None:
            years.append(str(year))
            ranks.append(mine["rank"])
    return {"years": years, "ranks": ranks, "of": total, "composite": True}


def top_zone_codes(ranking: Ranking, n: int = 10) -> list[str]:
    return [str(r["zone"]) for r in ranking.rows[:n] if r.get("rank") is not None and r["zone"] != ROOT]

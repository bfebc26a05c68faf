"""The campaign's figures from the store for the surfaces: standings as of a day, weekly standings with the
laggard warnings, a zone's weekly series, and the weekly progress workbook (.xlsx)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Engine, select

from hizone.monitor.rules import Alert
from hizone.store.models import Province, Submission, TalentTarget, Zone
from hizone.talent.alerts import default_rules, laggards
from hizone.talent.campaign import Campaign
from hizone.talent.progress import Progress, Report, latest_by_zone, standings
from hizone.talent.store import StoredReport, as_of, stored_reports, targets, zone_provinces
from hizone.web.services.tables import Column, Table, to_xlsx


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    on: dt.date
    due: float
    zones: list[Progress]
    provinces: list[Progress]
    alerts: list[Alert]  # every warning raised on the weeks up to ``on``
    weeks: list[str]  # the weeks reported, ISO
    names: dict[str, str]  # zone and province codes -> Chinese names
    synthetic: bool
    reporting: frozenset[str] = frozenset()  # the zones with an approved report by ``on``

    def zone(self, code: str) -> Progress | None:
        return next((z for z in self.zones if z.key == code), None)


def _reports(rows: list[StoredReport], c: Campaign) -> list[Report]:
    days = {period: as_of(period, c) for period in {r.period for r in rows}}
    found = []
    for r in rows:
        developed, signed, on_duty = r.values["ta_developed"], r.values["ta_signed"], r.values["ta_on_duty"]
        if math.isfinite(developed) and math.isfinite(signed) and math.isfinite(on_duty):
            found.append(Report(r.zone, days[r.period], int(developed), int(signed), int(on_duty), r.note))
    return found


def campaign_progress(engine: Engine, c: Campaign, on: dt.date | None = None) -> CampaignProgress:
    """Standings as of ``on`` (default: the last report day, or the deadline) from each zone's latest approved
    revision of each week (a revision still submitted or reviewed counts once approved)."""
    with engine.connect() as conn:
        found = targets(conn, c)
        provinces = zone_provinces(conn)
        rows = stored_reports(conn, c.report_form, c.version, approved=True)
        names = {code: name for code, name in conn.execute(select(Zone.code, Zone.name_zh))}
        names.update({code: name for code, name in conn.execute(select(Province.code, Province.name_zh))})
        synthetic = bool(conn.scalar(select(Submission.id).where(Submission.form_code == c.report_form,
                                                                 Submission.synthetic).limit(1))
                         or conn.scalar(select(TalentTarget.id).where(TalentTarget.campaign == c.key,
                                                                      TalentTarget.synthetic).limit(1)))
    reports = _reports(rows, c)
    zone_targets = {k: t.target for (level, k), t in found.items() if level == "zone" and k in provinces}
    province_targets = {k: t.target for (level, k), t in found.items() if level == "province"}
    last = max((r.on for r in reports), default=c.deadline)
    day = on or last
    weeks = sorted({r.period for r in rows})
    weekly = {}
    for period in weeks:
        week_day = as_of(period, c)
        if week_day <= day:
            zones, provs = standings(latest_by_zone(reports, week_day), zone_targets, province_targets, provinces,
                                     c.due(week_day))
            weekly[period] = (week_day, [*zones, *provs])
    latest = latest_by_zone(reports, day)
    zones, provs = standings(latest, zone_targets, province_targets, provinces, c.due(day))
    return CampaignProgress(c, day, c.due(day), zones, provs, laggards(weekly, c.deadline, default_rules()), weeks,
                            names, synthetic, frozenset(latest))


def record_alerts(engine: Engine, c: Campaign) -> dict[str, int]:
    """The campaign's laggard warnings on every week reported, kept in the monitor's alert store like the other
    rules' alerts (one per rule, zone or province and week; a known one keeps its state and only has its evidence
    refreshed): the monitoring page, a zone's page and /api/v1/alerts then list them to whom may see them."""
    from hizone.monitor.service import AlertStore

    return AlertStore(engine).record(campaign_progress(engine, c).alerts)


def zone_series(engine: Engine, c: Campaign, zone: str) -> list[Report]:
    """A zone's weekly cumulative reports (latest approved revision of each week, with its correction note), in
    order."""
    with engine.connect() as conn:
        rows = [r for r in stored_reports(conn, c.report_form, c.version, approved=True) if r.zone == zone]
    return _reports(rows, c)


def _rows(rows: list[Progress], names: dict[str, str]) -> list[dict[str, object]]:
    return [{"rank": r.rank, "key": r.key, "name": names.get(r.key, r.key), "target": r.target,
             "developed": r.developed, "signed": r.signed, "on_duty": r.on_duty,
             "completion": round(100 * r.completion, 1), "scheduled": round(r.scheduled, 1),
             "pace": None if r.pace is None else round(100 * r.pace, 1)} for r in rows]


COLUMNS = [Column("rank", "排名 Rank", "int"), Column("key", "代码 Code"), Column("name", "名称 Name"),
           Column("target", "目标任务 Target", "int"), Column("developed", "累计开发岗位 Developed", "int"),
           Column("signed", "累计签约 Signed", "int"), Column("on_duty", "累计在岗 On duty", "int"),
           Column("completion", "完成率% Completion", "number"),
           Column("scheduled", "按时间进度应完成 Due", "number"), Column("pace", "进度比% Against schedule", "number")]


def tables(progress: CampaignProgress) -> list[Table]:
    alerts: list[dict[str, object]] = [{"rule": a.rule, "severity": a.severity, "level": a.level, "key": a.key,
               "name": progress.names.get(a.key, a.key), "period": a.period, "message": a.message}
              for a in progress.alerts]
    return [Table("高新区 Zones", COLUMNS, _rows(progress.zones, progress.names)),
            Table("省份 Provinces", COLUMNS, _rows(progress.provinces, progress.names)),
            Table("预警 Warnings", [Column("rule", "规则 Rule"), Column("severity", "级别 Severity"),
                                  Column("level", "层级 Level"), Column("key", "代码 Code"),
                                  Column("name", "名称 Name"), Column("period", "周 Week"),
                                  Column("message", "说明 Message")], alerts)]


def weekly_workbook(progress: CampaignProgress) -> bytes:
    """The weekly progress report: zones and provinces ranked, and the warnings, as one .xlsx."""
    c = progress.campaign
    first, *more = tables(progress)
    title = (f"{c.name_zh} 进展周报 截至{progress.on.isoformat()}（时间进度{100 * progress.due:.1f}%）"
             f" / {c.name_en}, progress as of {progress.on.isoformat()}")
    return to_xlsx(first, title, progress.synthetic, more)

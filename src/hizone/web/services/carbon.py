"""The carbon accounts (碳账户) as the API, the pages and the export show them: one function builds them, so a
page's figure, the API's and the workbook's are the same number.

Figures come from hizone.carbon.accounts over the analytics layer's Reader with the viewer's scope; who may ask
for which group is hizone.auth.policy.can_read_carbon_account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from hizone.analytics.read import Reader
from hizone.analytics.rollup import NATION_KEY
from hizone.auth.policy import Principal, can_read_carbon_account
from hizone.carbon.accounts import (
    REPORTERS,
    GroupAccount,
    Status,
    Withheld,
    first_year,
    group_accounts,
    largest_emitters,
    statuses,
)
from hizone.carbon.factors import default_library
from hizone.carbon.pathways import default_targets, grades
from hizone.errors import HizoneError
from hizone.store.carbon_accounts import Basis, published_with_reasons
from hizone.store.models import Enterprise
from hizone.web.i18n import translate
from hizone.web.services.tables import Column, Table

LEVELS = ("zone", "province", "nation")
EMITTERS = 10
# The figures of an account, in the order of the accounts table (API fields, page columns, workbook columns).
FIGURES = ("reporters", "tce_equivalent", "tce_equal_value", "co2_scope1", "co2_scope2_location",
           "co2_scope2_market", "co2_total_location", "value_added", "energy_intensity",
           "industrial_energy_intensity", "co2_intensity", "carbon_productivity", "co2_per_tce", "co2_intensity_yoy")
TREND = ("energy_intensity", "industrial_energy_intensity", "co2_intensity")
# How the pages print each figure (templates/partials/carbon.html): amounts in 万/亿 steps of their unit (value
# added is in 万元, so × 10,000 yuan), ratios with the decimals their size needs, y/y as a signed percentage.
DISPLAY: dict[str, tuple[Any, ...]] = {
    "reporters": ("int",), "tce_equivalent": ("amount", "tce", 1.0), "tce_equal_value": ("amount", "tce", 1.0),
    **{f: ("amount", "tCO2", 1.0) for f in ("co2_scope1", "co2_scope2_location", "co2_scope2_market",
                                            "co2_total_location")},
    "value_added": ("amount", "yuan", 10_000.0), "energy_intensity": ("ratio", 3),
    "industrial_energy_intensity": ("ratio", 3), "co2_intensity": ("ratio", 3), "carbon_productivity": ("ratio", 2),
    "co2_per_tce": ("ratio", 2), "co2_intensity_yoy": ("pct",), "energy_path": ("ratio", 3),
    "co2_path": ("ratio", 3), "kWh": ("amount", "kWh", 1.0), "tCO2": ("amount", "tCO2", 1.0)}


class CarbonRequestError(HizoneError):
    """A request for accounts that cannot be answered: ``status`` is the HTTP status it stands for."""

    def __init__(self, status: int, message: str, where: str) -> None:
        super().__init__(message, where=where)
        self.status = status


@dataclass(frozen=True)
class Group:
    level: str
    key: str
    name_zh: str
    name_en: str


def account_years(fig: Reader) -> list[str]:
    """The years with published energy figures, ascending."""
    return [y for y in fig.periods_of(REPORTERS) if int(y) >= first_year()]


def chosen_year(fig: Reader, year: int | None) -> int:
    years = account_years(fig)
    if not years:
        raise CarbonRequestError(404, "no approved energy reports yet: no carbon accounts", "year")
    if year is None:
        return int(years[-1])
    if str(year) not in years:
        raise CarbonRequestError(404, f"no carbon accounts for {year} (years: {', '.join(years)})", "year")
    return year


def groups(fig: Reader, principal: Principal, level: str, key: str | None) -> list[Group]:
    """The groups asked for: one by ``key``, or every group of ``level`` the principal may read."""
    if level not in LEVELS:
        raise CarbonRequestError(422, f"unknown level {level!r} (one of {', '.join(LEVELS)})", "level")
    every = _every(fig, level)
    if key is not None and level != "nation":
        if key not in every:
            raise CarbonRequestError(404, f"no {level} '{key}'", "key")
        candidates = {key: every[key]}
    else:
        candidates = every
    zone_province = {code: z.province_code for code, z in fig.zones.items()}
    allowed = [g for g in candidates.values() if can_read_carbon_account(principal, level, g.key, zone_province)]
    if not allowed:
        raise CarbonRequestError(403, f"the {level} accounts asked for are outside your scope", "key")
    return allowed


def _every(fig: Reader, level: str) -> dict[str, Group]:
    if level == "zone":
        return {c: Group("zone", c, z.name_zh, z.name_en) for c, z in sorted(fig.zones.items())}
    if level == "province":
        return {c: Group("province", c, p.name_zh, p.name_en) for c, p in sorted(fig.provinces.items())}
    return {NATION_KEY: Group("nation", NATION_KEY, "全国", "National")}


def accounts(fig: Reader, principal: Principal, level: str, key: str | None, year: int | None,
             with_detail: bool = True, engine: Engine | None = None) -> list[dict[str, Any]]:
    """The accounts, one dict a group; with ``with_detail`` a group's ledger, trend and (zones) largest emitters,
    graded against their industry when the store's ``engine`` is given (it holds the industries).

    A dict holds the group, the year, the figures (None where undefined), the pathway and warning level, or
    ``withheld`` with the reason and no figure."""
    chosen = chosen_year(fig, year)
    asked = groups(fig, principal, level, key)
    viewer, library, targets = fig.viewer(principal), default_library(), default_targets()
    found = statuses(fig, library, targets, level, [g.key for g in asked], chosen, viewer, first_year())
    trend = _trends(fig, principal, level, asked, chosen) if with_detail else {}
    out = []
    for group, status in zip(asked, found, strict=True):
        row: dict[str, Any] = {"level": level, "key": group.key, "name_zh": group.name_zh, "name_en": group.name_en,
                               "year": chosen}
        if isinstance(status, Withheld):
            out.append(row | {"withheld": status.reason})
            continue
        row |= _status(status)
        for entry, source in zip(row["ledger"], status.ledger, strict=True):
            entry["sources"] = _sources(fig, source.indicators)
        if with_detail:
            row["trend"] = trend[group.key]
            if level == "zone":
                every = largest_emitters(fig, library, group.key, chosen, viewer, None)
                row["largest_emitters"] = graded_emitters(engine, every) if engine is not None else \
                    [_emitter(a) for a in every[:EMITTERS]]
        out.append(row)
    return out


def _status(status: Status) -> dict[str, Any]:
    account = status.account
    return {"withheld": None, **{name: getattr(account, name) for name in FIGURES},
            "base_year": status.base_year, "energy_path": status.energy_path, "co2_path": status.co2_path,
            "warning": {"level": status.level.level, "name_zh": status.level.name_zh,
                        "name_en": status.level.name_en},
            "ledger": [{"side": e.side, "item": e.item, "value": e.value, "unit": e.unit} for e in status.ledger],
            "factor_version": account.factor_version, "factor_fingerprint": account.factor_fingerprint,
            "factor_notes": list(account.notes)}


def graded_emitters(engine: Engine, emitters: list[GroupAccount]) -> list[dict[str, Any]]:
    """The largest emitters with their carbon-efficiency grade: K = the enterprise's tCO2/万元 over the Σ/Σ of the
    zone's enterprises in its GB/T 4754 division (the enterprises the page's reader may see; targets.yaml has
    the grade bounds), grade 1 (best) to 5; K and grade None without value added."""
    codes = [a.key for a in emitters]
    with engine.connect() as conn:
        industry = dict(conn.execute(select(Enterprise.credit_code, Enterprise.industry_code)
                                     .where(Enterprise.credit_code.in_(codes))).all())
    divisions = [(industry.get(code) or "")[:2] for code in codes]
    k, grade = grades(np.array([a.co2_total_location for a in emitters]),
                      np.array([a.value_added or 0.0 for a in emitters]), divisions, default_targets().grade_bounds)
    return [_emitter(a) | {"division": divisions[i] or None, "k": None if np.isnan(k[i]) else float(k[i]),
                           "grade": int(grade[i]) or None} for i, a in enumerate(emitters)][:EMITTERS]


def _sources(fig: Reader, indicators: tuple[str, ...]) -> list[str]:
    """One indicator per form behind a ledger entry: its drill-down lists that form's submissions behind it."""
    by_table: dict[object, str] = {}
    for code in indicators:
        by_table.setdefault(fig.indicators.table_of(code), code)
    return list(by_table.values())


def as_published(engine: Engine, fig: Reader, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The accounts as the pages show them: a published account's published figures (``published`` holds its
    version, when and by whom, and ``changed_since`` why the live figures differ, None if they do not); an
    account never published keeps its live figures with ``published`` None. Trend and emitters stay live."""
    live = [row for row in rows if not row.get("withheld")]
    if not live:
        return rows
    build_state = fig.build_state()
    current = {row["key"]: Basis.current(row["factor_version"], row["factor_fingerprint"], build_state)
               for row in live}
    found = published_with_reasons(engine, live[0]["year"], live[0]["level"], current)
    levels = {level.level: level for level in default_targets().levels}
    out = []
    for row in rows:
        if row["key"] not in found or row.get("withheld"):
            out.append(row | {"published": None, "changed_since": None})
            continue
        published, why = found[row["key"]]
        shown = published.figures
        level = levels.get(published.warning)
        out.append(row | {name: shown.get(name) for name in (*FIGURES, "base_year", "energy_path", "co2_path")} | {
            "warning": {"level": published.warning, "name_zh": level.name_zh if level else published.warning,
                        "name_en": level.name_en if level else published.warning},
            "ledger": [{k: e[k] for k in ("side", "item", "value", "unit")} | {"sources": _sources(
                fig, tuple(e.get("indicators", ())))} for e in shown.get("ledger", [])],
            "factor_version": published.basis.factor_version, "changed_since": why,
            "published": {"version": published.version, "at": published.published_at.strftime("%Y-%m-%d %H:%M"),
                          "by": published.published_by}})
    return out


def _emitter(account: GroupAccount) -> dict[str, Any]:
    return {"credit_code": account.key, "tce_equivalent": account.tce_equivalent,
            "co2_total_location": account.co2_total_location, "co2_intensity": account.co2_intensity}


def _trends(fig: Reader, principal: Principal, level: str, asked: list[Group], year: int
            ) -> dict[str, list[dict[str, Any]]]:
    """Each group's intensities for every account year up to ``year`` (each year at its own factors)."""
    viewer, library = fig.viewer(principal), default_library()
    keys = [g.key for g in asked]
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    for y in (int(y) for y in account_years(fig) if int(y) <= year):
        for account in group_accounts(fig, library, level, keys, y, viewer):
            if isinstance(account, GroupAccount):
                out[account.key].append({"year": y, **{name: getattr(account, name) for name in TREND}})
    return out


def accounts_table(engine: Engine, fig: Reader, principal: Principal, level: str, year: int | None, lang: str
                   ) -> Table:
    """Every account of ``level`` the principal may read, as an exportable table: the same dicts as the page
    (published figures where published; withheld groups keep their row with empty figures and the reason)."""
    t = lambda key: translate(key, lang)  # noqa: E731
    columns = [Column("key", t("carbon.code")), Column("name", t("carbon.group")), Column("year", t("carbon.year"))]
    columns += [Column(name, t(f"carbon.{name}"), "int" if name == "reporters" else "number") for name in FIGURES]
    columns += [Column("warning", t("carbon.warning")), Column("factor_version", t("carbon.factors")),
                Column("withheld", t("carbon.withheld"))]
    rows: list[dict[str, object]] = []
    for account in as_published(engine, fig, accounts(fig, principal, level, None, year, with_detail=False)):
        warning = account.get("warning")
        rows.append({**{name: account.get(name) for name in FIGURES}, "key": account["key"],
                     "name": account["name_en" if lang == "en" else "name_zh"], "year": account["year"],
                     "warning": warning[f"name_{'en' if lang == 'en' else 'zh'}"] if warning else None,
                     "factor_version": account.get("factor_version"), "withheld": account.get("withheld")})
    return Table(f"carbon_accounts_{level}", columns, rows)

"""The demo's incubation chain: 孵化器 and 众创空间 in the demo zones with their levels and stays, calibrated to the
national 2021 figures (incubation.yaml) at the demo's scale, so each count is round(published × scale). Graduates
take demo enterprises' credit codes first (so their later path on the ladder shows), then synthetic codes.

Each carrier also files its annual report for the years of incubation.yaml's ``reports`` (孵化器:
incubator_annual, 众创空间: maker_space_annual), approved and on time, keyed by its operator's credit code (the
carrier's code) in its zone (outside any zone: at its province's outside key, registry.outside): the counts
of enterprises in incubation and graduated are the stays' own, the rest published national totals shared out
over the carriers, or labelled assumptions (see the YAML)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection

from hizone.catalog import Catalog, read_yaml
from hizone.demo.generate import DemoData, credit_codes
from hizone.registry.outside import outside_code
from hizone.store.bulk import bulk_insert

CALIBRATION = Path(__file__).with_name("incubation.yaml")
FORMS = {"孵化器": "incubator_annual", "众创空间": "maker_space_annual"}
Stay = tuple[int, str, dt.date, dt.date | None, str | None, str, bool]
Event = tuple[int, str, str, dt.date, str, str]


def targets(scale: float) -> dict[str, int]:
    """The published 2021 counts at the demo's scale: what the demo holds, exactly."""
    return {k: round(v * scale) for k, v in read_yaml(CALIBRATION)["published"].items()}


def _per_zone(rng: np.random.Generator, data: DemoData, total: int, cal: dict[str, Any]) -> np.ndarray:
    codes = [z.code for z in data.zones]
    fixed = np.zeros(len(codes), dtype=np.int64)
    for code, count in cal["zone_carriers"].items():
        if code in codes:
            fixed[codes.index(code)] = round(count * data.scale)
    rest = max(0, total - int(fixed.sum()))
    weight = np.bincount(data.enterprises.zone, minlength=len(codes)).astype(float)
    weight[fixed > 0] = 0
    return fixed + rng.multinomial(rest, weight / weight.sum())


def _day(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    span = (end - start).days
    return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, span + 1, n)]


def load_incubation(conn: Connection, data: DemoData, catalog: Catalog) -> dict[str, int]:
    """Store the demo's carriers, level events, stays and the carriers' annual reports; returns how many
    carriers and reports."""
    cal, goal = read_yaml(CALIBRATION), targets(data.scale)
    rng = np.random.default_rng(data.seed + 16)
    as_of = dt.date.fromisoformat(str(cal["as_of"]))
    per_zone = _per_zone(rng, data, goal["carriers"], cal)
    zones = [z for z, n in zip(data.zones, per_zone, strict=True) for _ in range(int(n))]
    kinds = np.array(["众创空间"] * len(zones), dtype=object)
    kinds[rng.choice(len(zones), goal["incubators"], replace=False)] = "孵化器"
    special = rng.random(len(zones)) < cal["assumptions"]["specialised_share"]
    fields = cal["assumptions"]["fields"]
    codes = credit_codes(rng, np.array([z.province_code + "0100" for z in zones]))
    # Outside any national zone (assumptions.outside_share), never one of the zones the bulletins count for: its
    # own draws, so the carriers' other draws stay the same with or without.
    placed = {code for code in cal["zone_carriers"]}
    outside = ((np.random.default_rng([data.seed, 16, 2]).random(len(zones))
                < float(cal["assumptions"].get("outside_share", 0)))
               & np.array([z.code not in placed for z in zones], dtype=bool))
    rows = [(str(codes[i]), f"{z.city}{kinds[i]}{i + 1}号（合成）", kinds[i], "专业" if special[i] else "综合",
             fields[i % len(fields)] if special[i] else None, None if outside[i] else z.code, z.province_code,
             z.longitude, z.latitude, int(rng.integers(2005, 2020)), "demo", True) for i, z in enumerate(zones)]
    bulk_insert(conn, "carrier", ("id", "code", "name", "kind", "focus", "field", "zone_code", "province_code",
                                  "longitude", "latitude", "founded_year", "source", "synthetic"),
                [(i + 1, *row) for i, row in enumerate(rows)])
    levels = _levels(rng, kinds, goal, cal)
    bulk_insert(conn, "carrier_level", ("carrier_id", "level", "event", "day", "document", "source"), levels)
    stays = _stays(rng, data, np.flatnonzero(kinds == "孵化器"), goal, as_of)
    stays = _later(np.random.default_rng([data.seed, 16, 1]), stays, np.flatnonzero(kinds == "孵化器"), cal,
                   set(np.asarray(data.enterprises.credit_code).tolist()))
    bulk_insert(conn, "incubatee", ("carrier_id", "credit_code", "entry", "graduated", "criterion", "source",
                                    "synthetic"), stays)
    zone_codes = np.asarray([outside_code(z.province_code) if outside[i] else z.code for i, z in enumerate(zones)],
                            dtype=np.str_)
    reports = _store_reports(conn, catalog, data.seed, (codes.astype(np.str_), zone_codes, kinds), levels, stays,
                             cal)
    return {"incubation carriers": len(rows), "incubation reports": reports}


def _levels(rng: np.random.Generator, kinds: np.ndarray, goal: dict[str, int],
            cal: dict[str, Any]) -> list[tuple[int, str, str, dt.date, str, str]]:
    events = []
    for kind, national, count in (("孵化器", "国家级", goal["incubators_national"]),
                                  ("众创空间", "国家备案", goal["maker_spaces_filed"])):
        of_kind = np.flatnonzero(kinds == kind)
        top = set(rng.choice(of_kind, min(count, len(of_kind)), replace=False).tolist())
        for i in of_kind.tolist():
            level = national if i in top else (
                "省级" if rng.random() < cal["assumptions"]["provincial_share"] else "市级")
            day = _day(rng, dt.date(2012, 1, 1), dt.date(2021, 6, 30), 1)[0]
            events.append((i + 1, level, "recognised", day, "（合成）", "demo"))
    return events


def _stays(rng: np.random.Generator, data: DemoData, incubators: np.ndarray, goal: dict[str, int],
           as_of: dt.date) -> list[tuple[int, str, dt.date, dt.date | None, str | None, str, bool]]:
    """In-incubation stays (entered 2017–2021, a few beyond 48 months) and graduated ones (entered 2010–2019,
    out 1–4 years later, by 2021): one stay per enterprise, so no two overlap."""
    n_open, n_done = goal["in_incubation"], goal["graduated"]
    young = np.flatnonzero(data.enterprises.founded.astype("datetime64[D]") >= np.datetime64("2009-01-01"))
    linked = [str(c) for c in np.asarray(data.enterprises.credit_code)[rng.permutation(young)][:n_done]]
    taken = set(np.asarray(data.enterprises.credit_code).tolist())
    fresh = [str(c) for c in credit_codes(rng, np.array(["110108"] * (n_open + n_done - len(linked))))
             if str(c) not in taken]
    while len(fresh) < n_open + n_done - len(linked):  # a clash with a demo enterprise: draw again
        extra = credit_codes(rng, np.array(["110108"]))[0]
        if extra not in taken and extra not in fresh:
            fresh.append(str(extra))
    codes = linked + fresh
    carrier = (incubators[rng.integers(0, len(incubators), n_open + n_done)] + 1).tolist()
    criteria = rng.choice(["hightech", "financing", "revenue", "acquired_listed"], n_done, p=[0.4, 0.3, 0.25, 0.05])
    out: list[tuple[int, str, dt.date, dt.date | None, str | None, str, bool]] = []
    for k, entry in enumerate(_day(rng, dt.date(2010, 1, 1), dt.date(2019, 12, 31), n_done)):
        out.append((carrier[k], codes[k], entry,
                    min(as_of, entry + dt.timedelta(days=int(rng.integers(365, 4 * 365)))), str(criteria[k]),
                    "demo", True))
    for k, entry in enumerate(_day(rng, dt.date(2017, 1, 1), as_of, n_open), start=n_done):
        out.append((carrier[k], codes[k], entry, None, None, "demo", True))
    return out


def _fresh_codes(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    """``n`` synthetic credit codes none of ``taken`` (which they join)."""
    fresh: list[str] = []
    while len(fresh) < n:
        for code in credit_codes(rng, np.array(["110108"] * (n - len(fresh)))).tolist():
            if code not in taken:
                taken.add(code)
                fresh.append(code)
    return fresh


def _later(rng: np.random.Generator, stays: list[Stay], incubators: np.ndarray, cal: dict[str, Any],
           taken: set[str]) -> list[Stay]:
    """The years after the calibration year (incubation.yaml ``later``): each year ``graduation_rate`` of the stays
    open at its start graduate in it (by the criteria's shares) and ``entry_rate`` as many new ones enter, with
    fresh codes (one stay per enterprise still). 2021's year-end counts are untouched."""
    later = cal.get("later") or {}
    out = list(stays)
    taken |= {s[1] for s in stays}
    for year in later.get("years", []):
        start, end = dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
        open_at_start = [k for k, s in enumerate(out) if s[2] < start and s[3] is None]
        leaving = rng.choice(open_at_start, round(len(open_at_start) * later["graduation_rate"]), replace=False)
        criteria = rng.choice(["hightech", "financing", "revenue", "acquired_listed"], len(leaving),
                              p=[0.4, 0.3, 0.25, 0.05])
        for k, day, criterion in zip(leaving.tolist(), _day(rng, start, end, len(leaving)), criteria, strict=True):
            carrier, code, entry, _, _, source, synthetic = out[k]
            out[k] = (carrier, code, entry, day, str(criterion), source, synthetic)
        entering = round(len(open_at_start) * later["entry_rate"])
        carriers = (incubators[rng.integers(0, len(incubators), entering)] + 1).tolist()
        for carrier, code, entry in zip(carriers, _fresh_codes(rng, entering, taken),
                                        _day(rng, start, end, entering), strict=True):
            out.append((carrier, code, entry, None, None, "demo", True))
    return out


def _store_reports(conn: Connection, catalog: Catalog, seed: int,
                   carriers: tuple[np.ndarray, np.ndarray, np.ndarray], levels: list[Event], stays: list[Stay],
                   cal: dict[str, Any]) -> int:
    """Each carrier's approved annual report of every report year, through the demo loader's batches."""
    from hizone.demo.load import _insert_period, _layout  # imported here: load.py calls us
    from hizone.demo.reporting import arrival

    codes, zone_codes, kinds = carriers
    national = np.zeros(len(kinds), dtype=bool)
    national[[e[0] - 1 for e in levels if e[1] in ("国家级", "国家备案") and e[2] == "recognised"]] = True
    count, base, later = 0, int(cal["year"]), cal.get("later") or {}
    last = max([base, *map(int, later.get("years", []))])
    for year in cal["reports"]["years"]:
        if not base <= int(year) <= last:
            raise ValueError(f"incubation.yaml: report year {year} is outside the stays' years {base}–{last}")
        for kind, form in FORMS.items():
            rows = np.flatnonzero(kinds == kind)
            if not len(rows):
                continue
            # The calibration year's draws every year (each carrier keeps its size), the money grown and varied.
            rng = np.random.default_rng([seed, 16, base, list(FORMS).index(kind)])
            after = int(year) - base
            spread = (_mean_one(np.random.default_rng([seed, 16, int(year), list(FORMS).index(kind), 1]),
                                float(later["year_noise"]), len(rows)) if after else np.ones(len(rows)))
            growth = {"money": (1 + float(later.get("money_growth", 0))) ** after * spread,
                      "served": (1 + float(later.get("served_growth", 0))) ** after * spread}
            elements = tuple(f.element.code for f in catalog.form(form, int(year)).fields)
            made = (incubator_reports(rng, rows, national[rows], stays, int(year), cal, growth["money"])
                    if kind == "孵化器" else maker_space_reports(rng, len(rows), cal, growth))
            matrix = np.column_stack([made[e] for e in elements]).astype(float)
            count += _insert_period(conn, form, str(year), _layout(catalog, form, int(year), elements),
                                    (codes[rows], zone_codes[rows], matrix), arrival(form, str(year)))
    return count


def _mean_one(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """Log-normal draws of mean 1: a carrier's size against the average."""
    return rng.lognormal(-sigma * sigma / 2, sigma, n)


def _uniform(rng: np.random.Generator, bounds: list[float], n: int) -> np.ndarray:
    return rng.uniform(bounds[0], bounds[1], n)


def stay_counts(stays: list[Stay], carrier_ids: np.ndarray, year: int) -> dict[str, np.ndarray]:
    """Per carrier (1-based ids): stays open at the year's end, ended in the year, ended by its end."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    slot = {int(c): k for k, c in enumerate(carrier_ids)}
    out = {key: np.zeros(len(carrier_ids), dtype=np.int64) for key in ("open", "graduated", "graduated_total")}
    for carrier, _code, entry, graduated, *_ in stays:
        k = slot.get(carrier)
        if k is None or entry > end:
            continue
        if graduated is None or graduated > end:
            out["open"][k] += 1
        else:
            out["graduated_total"][k] += 1
            out["graduated"][k] += graduated >= start
    return out


def incubator_reports(rng: np.random.Generator, rows: np.ndarray, national: np.ndarray, stays: list[Stay],
                      year: int, cal: dict[str, Any], money: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
    """The incubator form's columns for the incubators at ``rows`` (0-based carrier rows): money in whole 千元,
    so the parts of a total add up exactly; ``money`` scales each carrier's money figures (a later year's)."""
    pub, a, counts = cal["published"], cal["reports"]["assumptions"], stay_counts(stays, rows + 1, year)
    p = cal["reports"]["published"]
    n, inc = len(rows), counts["open"]
    space = np.maximum(a["min_space"], np.round(inc * a["space_per_incubatee"] * _mean_one(rng, 0.3, n)))
    size = space / space.mean()
    out: dict[str, np.ndarray] = {"inc_incubatees": inc, "inc_graduated": counts["graduated"],
                                  "inc_graduated_total": counts["graduated_total"], "inc_space_total": space}
    used = {use: np.floor(space * _uniform(rng, a["space_shares"][use], n))
            for use in ("incubated", "office", "public")}
    used["other"] = np.floor((space - sum(used.values())) * _uniform(rng, a["space_other_of_rest"], n))
    out |= {f"inc_space_{use}": v for use, v in used.items()}
    income = np.round(p["income"] * a["incubator_income_share"] / pub["incubators"] * size * _mean_one(rng, 0.5, n)
                      * money)
    parts = {kind: np.floor(income * _uniform(rng, a["income_shares"][kind], n))
             for kind in ("property", "service", "investment")}
    out |= {"inc_income": income, **{f"inc_income_{k}": v for k, v in parts.items()},
            "inc_income_other": income - sum(parts.values()),
            "net_profit": np.round(income * rng.normal(a["profit_margin"][0], a["profit_margin"][1], n)),
            "inc_taxes": np.round(income * _uniform(rng, a["taxes_share"], n)),
            "inc_subsidies": np.round(income * _uniform(rng, a["subsidies_share"], n)),
            "inc_fund": np.round(p["incubation_fund"] / pub["incubators"] * _mean_one(rng, 1.0, n) * money)}
    programme = national & (rng.random(n) < a["state_programme_share"])
    out["inc_state_programmes"] = np.where(programme, np.round(a["state_programme_mean"] * _mean_one(rng, 0.6, n)), 0)
    eligible = pub["incubators_national"] + pub["maker_spaces_filed"]
    relieved = national & (rng.random(n) < p["tax_relief_carriers"] / eligible)
    out["inc_tax_relief"] = np.where(relieved, np.round(p["tax_relief"] / p["tax_relief_carriers"]
                                                         * _mean_one(rng, 0.8, n) * money), 0)
    fixed = np.round(space * a["fixed_assets_per_m2"] * _mean_one(rng, 0.3, n))
    invest = np.floor(fixed[:, None] * rng.dirichlet(a["invest_weights"], n))
    out |= {"inc_fixed_assets": fixed,
            "inc_fixed_assets_net": np.floor(fixed * _uniform(rng, a["fixed_assets_net"], n)),
            **{f"inc_invest_{k}": invest[:, j] for j, k in enumerate(("government", "enterprise", "social", "other"))}}
    staff = np.maximum(3, np.round(inc / a["incubatees_per_staff"] * _mean_one(rng, 0.3, n))).astype(np.int64)
    out |= {"inc_staff": staff, "inc_staff_professional": rng.binomial(staff, a["staff_professional"]),
            "inc_staff_college": rng.binomial(staff, a["staff_college"]),
            "emp_returnees": rng.binomial(staff, a["staff_returnees"]),
            "inc_mentors": np.maximum(1, np.round(inc * a["mentors_per_incubatee"] * _mean_one(rng, 0.4, n)))}
    revenue = np.round(inc * p["incubatee_revenue"] / pub["in_incubation"] * _mean_one(rng, 0.5, n) * money)
    financed = rng.binomial(inc, p["financed"] / (pub["in_incubation"] + p["maker_space_served"]))
    jobs = np.round(inc * (p["jobs"] - p["maker_space_jobs"]) / pub["in_incubation"]
                    * _mean_one(rng, 0.3, n)).astype(np.int64)
    new_graduates = (p["new_graduates"] - p["maker_space_new_graduates"]) / (p["jobs"] - p["maker_space_jobs"])
    out |= {"inc_incubatee_revenue": revenue,
            "inc_incubatee_rd": np.round(revenue * p["incubatee_rd_intensity"] / 100 * _mean_one(rng, 0.4, n)),
            "inc_incubatees_financed": financed,
            "inc_incubatee_financing": np.round(financed * a["financing_per_financed"] * _mean_one(rng, 0.6, n)
                                                * money),
            "inc_incubatees_ip": rng.binomial(inc, a["ip_share"]),
            "inc_incubatees_returnee": rng.binomial(inc, a["returnee_share"]),
            "inc_incubatee_jobs": jobs, "inc_incubatee_graduates": rng.binomial(jobs, new_graduates)}
    return out


def maker_space_reports(rng: np.random.Generator, n: int, cal: dict[str, Any],
                        growth: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The 众创空间 form's columns for ``n`` maker spaces, money in whole 千元; ``growth`` scales each one's
    ``money`` and ``served`` (a later year's)."""
    pub, p, a = cal["published"], cal["reports"]["published"], cal["reports"]["assumptions"]
    money, more = (growth["money"], growth["served"]) if growth else (1.0, 1.0)
    served = np.maximum(1, np.round(p["maker_space_served"] / pub["maker_spaces"]
                                    * _mean_one(rng, 0.6, n) * more)).astype(np.int64)
    teams = rng.binomial(served, a["maker_space_team_share"])
    financed = rng.binomial(served, p["financed"] / (pub["in_incubation"] + p["maker_space_served"]))
    jobs = np.round(served * p["maker_space_jobs"] / p["maker_space_served"] * _mean_one(rng, 0.3, n)).astype(np.int64)
    space = np.maximum(a["maker_space_min_space"], np.round(a["maker_space_space"] * _mean_one(rng, 0.6, n)))
    events = a["maker_space_event_share"] / pub["maker_spaces"]
    return {"ms_space": space, "ms_workstations": np.floor(space / a["space_per_workstation"]),
            "ms_teams": teams, "ms_enterprises": served - teams,
            "ms_new_registrations": rng.binomial(served, a["maker_space_registration_share"]),
            "ms_financed": financed,
            "ms_financing": np.round(financed * a["maker_space_financing_per_financed"] * _mean_one(rng, 0.6, n)
                                     * money),
            "ms_events": rng.poisson(p["events"] * events, n),
            "ms_training": rng.poisson(p["training"] * events, n),
            "ms_mentors": rng.poisson(a["maker_space_mentors"], n),
            "ms_staff": np.maximum(2, rng.poisson(a["maker_space_staff"], n)),
            "ms_jobs": jobs, "ms_graduates": rng.binomial(jobs, p["maker_space_new_graduates"] / p["maker_space_jobs"]),
            "ms_income": np.round(p["income"] * (1 - a["incubator_income_share"]) / pub["maker_spaces"]
                                  * _mean_one(rng, 0.6, n) * money)}

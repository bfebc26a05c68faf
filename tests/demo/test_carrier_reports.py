"""The demo carriers' annual reports: every 孵化器 files incubator_annual and every 众创空间 maker_space_annual
for each report year of incubation.yaml, once, approved, in its own zone; the counts of enterprises in
incubation agree with the incubatee table; the rows pass the forms' own validation; the analytics build rolls
them up to the nation as the rows add up; the totals land near the published national figures at the demo's
scale."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hizone.analytics.build import build
from hizone.analytics.query import Analytics
from hizone.auth.policy import Principal
from hizone.catalog import default_catalog, read_yaml
from hizone.demo import generate, load
from hizone.demo.incubation import CALIBRATION, FORMS
from hizone.intake.service import SubmissionView, list_submissions, validate_file
from hizone.registry import load_provinces, load_zones
from hizone.registry.outside import outside_code
from hizone.store import session_scope
from hizone.store.models import Carrier, Enterprise, Incubatee

CAL = read_yaml(CALIBRATION)
YEARS = [str(y) for y in CAL["reports"]["years"]]
ADMIN = Principal("torch", "admin")
SCALE = 0.015  # 3,000 demo enterprises of the reference 200,000


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    demo = generate(default_catalog(), load_provinces(), load_zones(), enterprises=3000, seed=11)
    assert demo.scale == SCALE
    counts = load(engine, demo, default_catalog())
    assert counts["incubation reports"] == counts["incubation carriers"] * len(YEARS)
    return engine


def _carriers(engine: Engine) -> list[tuple[str, str, str, int]]:
    """Code, kind, where it reports (its zone, or outside any zone its province's outside key), id."""
    with session_scope(engine) as session:
        return [(c.code, c.kind, c.zone_code or outside_code(c.province_code), c.id)
                for c in session.scalars(select(Carrier))]


def _csv(form: str, reports: list[SubmissionView]) -> bytes:
    elements = [f.element for f in default_catalog().form(form, int(reports[0].period)).fields]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "载体名称", "高新区代码", *(e.name_zh for e in elements)])
    for r in reports:
        zone = "" if r.zone_code.startswith("X") else r.zone_code  # outside any zone: the column is left blank
        writer.writerow([r.entity_key, f"载体{r.entity_key[-6:]}（合成）", zone,
                         *(r.values.get(e.code, "") for e in elements)])
    return out.getvalue().encode()


def test_every_carrier_files_one_approved_report_a_year_agreeing_with_its_stays(loaded: Engine) -> None:
    carriers = _carriers(loaded)
    assert Counter(kind for _, kind, _, _ in carriers) == {"孵化器": 93, "众创空间": 136}
    with session_scope(loaded) as session:
        stays = [(s.carrier_id, s.entry, s.graduated) for s in session.scalars(select(Incubatee))]
        enterprises = set(session.scalars(select(Enterprise.credit_code)))
    assert not enterprises & {code for code, _, _, _ in carriers}  # the operators are no demo enterprise
    # Some lie outside any national zone (incubation.yaml outside_share) and report at their province's key.
    outside = sum(1 for _, _, where, _ in carriers if where.startswith("X"))
    assert 0.1 * len(carriers) < outside < 0.35 * len(carriers)
    for kind, form in FORMS.items():
        ours = {code: (zone, cid) for code, k, zone, cid in carriers if k == kind}
        every = list_submissions(loaded, form=form, history=True)
        assert sorted({r.period for r in every}) == YEARS
        for year in YEARS:
            found = [r for r in every if r.period == year]
            assert sorted(r.entity_key for r in found) == sorted(ours)  # each carrier exactly once
            assert all(r.state == "approved" and r.revision == 1 and r.form_version == 2021 for r in found)
            assert all(r.zone_code == ours[r.entity_key][0] for r in found)
            if kind != "孵化器":
                continue
            end = dt.date(int(year), 12, 31)
            for r in found:
                mine = [(entry, out) for cid, entry, out in stays if cid == ours[r.entity_key][1] and entry <= end]
                assert r.values["inc_incubatees"] == sum(out is None or out > end for _, out in mine)
                assert r.values["inc_graduated_total"] == sum(out is not None and out <= end for _, out in mine)
                assert r.values["inc_graduated"] == sum(out is not None and out.year == int(year) for _, out in mine)


def test_the_reports_pass_their_forms_validation(loaded: Engine) -> None:
    for form in FORMS.values():
        for year in YEARS:
            reports = list_submissions(loaded, form=form, period=year)
            report = validate_file(loaded, _csv(form, reports), form, year, ADMIN, name=f"{form}.csv",
                                   today=dt.date(int(year) + 1, 1, 15))
            assert report.row_count == len(reports) > 0
            assert report.issues == [], report.issues[:5]


def test_the_build_rolls_them_up_to_the_sums_of_the_rows_near_the_published_figures(
        loaded: Engine, tmp_path: Path) -> None:
    build(loaded, tmp_path / "a.duckdb")
    analytics = Analytics(tmp_path / "a.duckdb")

    def nation(indicator: str) -> float | None:
        (found,) = analytics.values([indicator], "nation", ["CN"], ["2021"])
        return found.value

    incubators = list_submissions(loaded, form="incubator_annual", period="2021")
    spaces = list_submissions(loaded, form="maker_space_annual", period="2021")
    end = dt.date(2021, 12, 31)  # the stays run on to the demo's last year: 2021's are those open at its end
    with session_scope(loaded) as session:
        open_stays = sum(1 for s in session.scalars(select(Incubatee))
                         if s.entry <= end and (s.graduated is None or s.graduated > end))
    assert nation("incubatees_total") == open_stays == round(244_000 * SCALE)
    assert nation("incubator_count") == len(incubators) == 93
    served = sum(r.values["ms_teams"] + r.values["ms_enterprises"] for r in spaces)
    assert nation("ms_served_total") == served
    revenue = sum(r.values["inc_incubatee_revenue"] for r in incubators)
    rd = sum(r.values["inc_incubatee_rd"] for r in incubators)
    assert nation("incubatee_rd_intensity") == pytest.approx(rd / revenue * 100)
    # Near the national 2021 figures at the demo's scale (draws of mean 1 over ~100 carriers): 45.4万 served,
    # 1.24万亿元 revenue in incubation, R&D intensity 6.68%.
    assert served == pytest.approx(454_000 * SCALE, rel=0.2)
    assert revenue == pytest.approx(1.24e9 * SCALE, rel=0.2)
    assert rd / revenue * 100 == pytest.approx(6.68, abs=1.0)
    # A zone and a province have the figures too (the acceptance: every level).
    zone = next(r.zone_code for r in incubators if r.zone_code.startswith("Z"))
    (at_zone,) = analytics.values(["incubatees_total"], "zone", [zone], ["2021"])
    assert at_zone.value == sum(r.values["inc_incubatees"] for r in incubators if r.zone_code == zone)
    # A province counts its carriers outside any zone as well as its zones'; no zone counts them.
    province = next(r.zone_code for r in incubators if r.zone_code.startswith("X"))[1:]
    with session_scope(loaded) as session:
        ours = {c.code for c in session.scalars(select(Carrier).where(Carrier.province_code == province))}
    (at_province,) = analytics.values(["incubatees_total"], "province", [province], ["2021"])
    assert at_province.value == sum(r.values["inc_incubatees"] for r in incubators if r.entity_key in ours)
    zones = [v.value or 0 for v in analytics.values(["incubatees_total"], "zone", sorted(analytics.members("province")
                                                    [province]), ["2021"])]
    assert sum(zones) == sum(r.values["inc_incubatees"] for r in incubators
                             if r.entity_key in ours and r.zone_code.startswith("Z"))


def test_later_years_carry_the_stays_on_and_the_y_y_rolls_up(loaded: Engine, tmp_path: Path) -> None:
    """2022 and 2023 (incubation.yaml ``later``): of the 3,660 open at the end of 2021, round(3,660 × 0.18) = 659
    graduate in 2022 and round(3,660 × 0.24) = 878 enter: 3,879 at the end of 2022; then 3,879 − 698 + 931 =
    4,112. Every carrier reports each year, so the comparable y/y is the ratio of the sums."""
    assert YEARS == ["2021", "2022", "2023"]
    build(loaded, tmp_path / "a.duckdb")
    analytics = Analytics(tmp_path / "a.duckdb")

    def at(indicator: str, year: str, level: str = "nation", key: str = "CN") -> float | None:
        (found,) = analytics.values([indicator], level, [key], [year])
        return found.value

    assert [at("incubatees_total", y) for y in YEARS] == [3660, 3879, 4112]
    assert at("incubatees_yoy", "2021") is None  # no 2020 reports
    assert at("incubatees_yoy", "2022") == pytest.approx((3879 / 3660 - 1) * 100)
    assert at("incubatees_yoy", "2023") == pytest.approx((4112 / 3879 - 1) * 100)
    by_year = {y: list_submissions(loaded, form="incubator_annual", period=y) for y in YEARS}
    revenue = {y: sum(r.values["inc_incubatee_revenue"] for r in rows) for y, rows in by_year.items()}
    assert at("incubatee_revenue_yoy", "2023") == pytest.approx((revenue["2023"] / revenue["2022"] - 1) * 100)
    spaces = {y: sum(r.values["ms_teams"] + r.values["ms_enterprises"]
                     for r in list_submissions(loaded, form="maker_space_annual", period=y)) for y in YEARS}
    assert at("ms_served_yoy", "2022") == pytest.approx((spaces["2022"] / spaces["2021"] - 1) * 100)
    zone = next(r.zone_code for r in by_year["2022"] if r.zone_code.startswith("Z"))
    mine = {y: sum(r.values["inc_incubatees"] for r in rows if r.zone_code == zone) for y, rows in by_year.items()}
    assert at("incubatees_yoy", "2022", "zone", zone) == pytest.approx((mine["2022"] / mine["2021"] - 1) * 100)
    # The stays themselves: none graduates before entering, none enters after the demo's last year.
    with session_scope(loaded) as session:
        stays = [(s.entry, s.graduated) for s in session.scalars(select(Incubatee))]
    assert all(out is None or out >= entry for entry, out in stays)
    assert max(entry for entry, _ in stays) <= dt.date(2023, 12, 31)

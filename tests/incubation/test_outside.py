"""Carriers outside any national zone (issue #16: a carrier lies in a zone "or outside any national zone"): they
file their annual reports (zone blank, placed by the carrier registry at their province's outside key), are
reviewed by their province, approved nationally, counted in the province's and the nation's roll-ups and in no
zone's; a zone's user neither files for them nor sees them, a province's user only its own. SQLite and
PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hizone.analytics.build import build
from hizone.analytics.read import Viewer, cell_key, open_reader
from hizone.auth.policy import Principal
from hizone.auth.users import add_user, principal_for_user
from hizone.incubation.registry import import_carriers
from hizone.incubation.service import CarrierNotFound, list_carriers, profile, summary
from hizone.intake.errors import WorkflowError
from hizone.intake.service import ImportResult, import_file, list_submissions, transition
from hizone.registry.sync import sync_store
from hizone.store import session_scope
from hizone.store.models import User
from tests.registry.lists_factory import code, write

ADMIN = Principal("torch", "admin")
REVIEWER = Principal("torch-reviewer", "admin")  # not the importer: a revision's writer never accepts it
TODAY = dt.date(2022, 3, 1)
IN_ZONE, OUT_HEBEI, OUT_BEIJING = code(201), code(202), code(203)
ZONE = Principal("z1301", "zone", province_code="13", zone_code="Z1301")  # 石家庄
HEBEI = Principal("p13", "province", province_code="13")
BEIJING = Principal("p11", "province", province_code="11")
HEADER = ["统一社会信用代码", "孵化器名称", "高新区代码", "孵化基金总额", "孵化器总收入", "孵化器从业人员",
          "孵化器建筑总面积", "在孵企业数", "在孵企业总收入", "在孵企业R&D投入"]


def _csv(*rows: list[object]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode()


ROW_IN = [IN_ZONE, "甲孵化器", "Z1301", 5000, 9000, 12, 11000, 40, 100000, 5000]
ROW_HEBEI = [OUT_HEBEI, "乙孵化器", "", 3000, 6000, 8, 9000, 25, 60000, 6000]  # zone blank: outside any zone
ROW_BEIJING = [OUT_BEIJING, "丙孵化器", "", 2000, 4000, 6, 7000, 15, 30000, 1200]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    sync_store(engine)
    import_carriers(engine, write(tmp_path / "c", "csv-utf8", [
        ["载体代码", "载体名称", "载体类型", "综合或专业", "专业领域", "高新区代码", "省份代码", "级别", "认定日期"],
        [IN_ZONE, "甲孵化器", "孵化器", "综合", "", "Z1301", "", "省级", dt.date(2018, 1, 1)],
        [OUT_HEBEI, "乙孵化器", "孵化器", "综合", "", "", "13", "省级", dt.date(2018, 1, 1)],
        [OUT_BEIJING, "丙孵化器", "孵化器", "综合", "", "", "11", "", ""],
    ]), ADMIN, today=TODAY)
    return engine


def _file(engine: Engine, who: Principal, *rows: list[object]) -> ImportResult:
    return import_file(engine, _csv(*rows), "incubator_annual", "2021", who, name=f"{who.username}.csv",
                       submit=True, today=TODAY)


def test_a_zone_files_none_of_its_provinces_outside_carriers(store: Engine) -> None:
    refused = import_file(store, _csv(ROW_IN, [*ROW_HEBEI[:2], "Z1301", *ROW_HEBEI[3:]]), "incubator_annual",
                          "2021", ZONE, name="z.csv", submit=True, today=TODAY)
    assert refused.status == "rejected" and refused.report is not None
    assert [(i.rule, i.row) for i in refused.report.errors] == [("out_of_scope", 3)]
    assert list_submissions(store) == []  # nothing stored from a refused file


def test_outside_carriers_file_province_reviews_nation_approves_and_rolls_up(store: Engine, tmp_path: Path) -> None:
    # The carrier's own user (an enterprise-role account of the carrier's operator: no zone, its province).
    add_user(store, "carrier202", "a long enough password 202", "enterprise", credit_code=OUT_HEBEI)
    with session_scope(store) as session:
        carrier_user = principal_for_user(session.scalars(select(User).where(User.username == "carrier202")).one())
    assert (carrier_user.province_code, carrier_user.zone_code) == ("13", None)
    assert _file(store, carrier_user, ROW_HEBEI).stored
    assert _file(store, ZONE, ROW_IN).stored
    assert _file(store, ADMIN, ROW_BEIJING).stored
    zones = {s.entity_key: (s.zone_code, s.state) for s in list_submissions(store)}
    assert zones == {IN_ZONE: ("Z1301", "submitted"), OUT_HEBEI: ("X13", "submitted"),
                     OUT_BEIJING: ("X11", "submitted")}
    # Reviewed by its province only: 北京 does not reach 河北's, the zone's committee takes no review.
    with pytest.raises(WorkflowError, match="outside your scope"):
        transition(store, "review", BEIJING, form="incubator_annual", period="2021", entity_keys=[OUT_HEBEI])
    with pytest.raises(WorkflowError, match="cannot review"):
        transition(store, "review", ZONE, form="incubator_annual", period="2021")
    # The province names its outside key as it names a zone of its (the review queue lists it so).
    assert transition(store, "review", HEBEI, form="incubator_annual", period="2021", zone_code="X13").count == 1
    assert transition(store, "review", HEBEI, form="incubator_annual", period="2021", zone_code="Z1301").count == 1
    assert transition(store, "review", BEIJING, form="incubator_annual", period="2021",
                      entity_keys=[OUT_BEIJING]).count == 1
    with pytest.raises(WorkflowError, match="cannot approve"):
        transition(store, "approve", HEBEI, form="incubator_annual", period="2021")
    assert transition(store, "approve", REVIEWER, form="incubator_annual", period="2021").count == 3
    build(store, tmp_path / "a.duckdb")
    reader = open_reader(tmp_path / "a.duckdb")
    everyone = reader.viewer(ADMIN)

    def value(level: str, key: str, viewer: Viewer = everyone) -> float | None:
        return reader.value("incubatees_total", level, key, "2021", viewer).value

    assert value("zone", "Z1301") == 40  # the zone's own carrier only
    assert value("province", "13") == 40 + 25  # with 河北's carrier outside its zones
    assert value("province", "11") == 15
    assert value("nation", "CN") == 40 + 25 + 15
    assert value("zone", "X13") is None and value("zone", "X11") is None  # in no zone
    assert "X13" not in reader.zones and "X13" not in reader.zones_of("province", "13")
    assert "X13" in reader.units_of("province", "13")
    # Σ R&D / Σ revenue over the province: (5,000 + 6,000) / 160,000
    assert reader.value("incubatee_rd_intensity", "province", "13", "2021", everyone).value == pytest.approx(
        11000 / 160000 * 100)
    # Who reads what as it is: 河北 its province (both carriers); the zone its zone, never the outside key.
    hebei, zone = reader.viewer(HEBEI), reader.viewer(ZONE)
    assert hebei.zones is not None and "X13" in hebei.zones and "X11" not in hebei.zones
    assert cell_key("province", "13") in (hebei.known or ())
    assert zone.zones == frozenset({"Z1301"})
    assert value("province", "13", hebei) == 40 + 25
    assert reader.own_rows("incubator_annual", OUT_HEBEI, ["2021"], ["inc_incubatees"], [], hebei)[0].zone_code \
        == "X13"


def test_registry_scope_of_outside_carriers(store: Engine) -> None:
    assert [c.code for c in list_carriers(store, ZONE, today=TODAY)] == [IN_ZONE]
    assert [c.code for c in list_carriers(store, HEBEI, today=TODAY)] == [IN_ZONE, OUT_HEBEI]
    assert [c.code for c in list_carriers(store, BEIJING, today=TODAY)] == [OUT_BEIJING]
    for who in (ZONE, BEIJING):
        with pytest.raises(CarrierNotFound):
            profile(store, who, OUT_HEBEI, today=TODAY)
    assert _file(store, ADMIN, ROW_HEBEI).stored
    seen = profile(store, HEBEI, OUT_HEBEI, today=TODAY)
    assert (seen.carrier.zone_code, seen.report_year, seen.report_state) == (None, "2021", "submitted")
    assert summary(store, HEBEI, today=TODAY)["by_province"] == {
        "13": {"carriers": 2, "in_incubation": 0, "graduated": 0}}

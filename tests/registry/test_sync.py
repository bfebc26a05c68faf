"""The registry in the store: loaded by `hizone db upgrade` (and a server's first start), kept in step by code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from hizone.catalog import default_catalog
from hizone.cli import app as cli
from hizone.config import Settings
from hizone.demo import generate, load
from hizone.intake.service import import_file, list_submissions
from hizone.registry import ZoneRow, load_provinces, load_zones
from hizone.registry.sync import SyncReport, sync_registry, sync_store
from hizone.registry.tables import DATA
from hizone.store import session_scope
from hizone.store.models import Enterprise, Province, Zone
from hizone.web import create_app
from tests.intake.factory import TODAY, credit_code, csv_bytes

runner = CliRunner()
MONTHLY_HEADER = ["高新区代码", "营业收入(亿元)", "工业总产值", "净利润", "实际上缴税费", "出口总额", "从业人员"]


def _zones_in_store(engine: Engine) -> dict[str, Zone]:
    with session_scope(engine) as session:
        return {z.code: z for z in session.scalars(select(Zone))}


def _count(engine: Engine, model: type[Province] | type[Zone]) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _sync_from(engine: Engine, zones_csv: Path) -> SyncReport:
    provinces = load_provinces()
    with session_scope(engine) as session:
        return sync_registry(session, provinces, load_zones(zones_csv, provinces))


def _edited_zones_csv(tmp_path: Path, edit: dict[str, str | None]) -> Path:
    """The package's zones.csv with rows replaced (code -> new line) or dropped (code -> None)."""
    lines = (DATA / "zones.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        code = line.split(",", 1)[0]
        replacement = edit.get(code, line)
        if replacement is not None:
            out.append(replacement)
    path = tmp_path / "zones.csv"
    path.write_text("".join(out), encoding="utf-8")
    return path


def _monthly_report(engine: Engine, zone_code: str, period: str = "2024-03") -> None:
    rows = [[zone_code, "1.5", "100", "10", "5", "20", "1,000"]]
    result = import_file(engine, csv_bytes(rows, header=MONTHLY_HEADER), "zone_monthly", period, "alice",
                         today=TODAY)
    assert result.status == "stored", result.report and result.report.errors


def test_a_sync_fills_an_empty_store_with_every_province_and_zone(engine: Engine) -> None:
    zones = load_zones()
    report = sync_store(engine)
    assert len(report.provinces_added) == 31 and len(report.zones_added) == len(zones)
    assert _count(engine, Province) == 31 and _count(engine, Zone) == len(zones)
    stored = _zones_in_store(engine)
    for row in zones:
        assert stored[row.code].name_zh == row.name_zh and stored[row.code].approved_year == row.approved_year
    assert report.describe() == f"registry: 31 provinces added; {len(zones)} zones added"


def test_a_second_sync_changes_nothing(engine: Engine) -> None:
    sync_store(engine)
    before = {code: (z.name_zh, z.city, z.source) for code, z in _zones_in_store(engine).items()}
    again = sync_store(engine)
    assert again == SyncReport() and not again.changed and again.describe() == "registry up to date"
    assert {code: (z.name_zh, z.city, z.source) for code, z in _zones_in_store(engine).items()} == before


def test_a_renamed_zone_keeps_its_code_and_its_submissions(engine: Engine, tmp_path: Path) -> None:
    sync_store(engine)
    _monthly_report(engine, "Z3101")
    row = next(z for z in load_zones() if z.code == "Z3101")
    renamed = (f"Z3101,上海张江科学城高新技术产业开发区,Zhangjiang Science City,31,上海,{row.approved_year},"
               f"{row.demo_zone},https://example.org/renamed,{row.longitude},{row.latitude},{row.coordinates_source}\n")
    report = _sync_from(engine, _edited_zones_csv(tmp_path, {"Z3101": renamed}))
    assert report.zones_updated == ("Z3101",) and not report.zones_added and not report.zones_deleted
    zone = _zones_in_store(engine)["Z3101"]
    assert (zone.name_zh, zone.name_en, zone.source) == ("上海张江科学城高新技术产业开发区", "Zhangjiang Science City",
                                                         "https://example.org/renamed")
    assert [s.entity_key for s in list_submissions(engine, form="zone_monthly")] == ["Z3101"]


def test_a_removed_zone_is_kept_and_reported_while_the_store_holds_data_for_it(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    sync_store(engine)
    _monthly_report(engine, "Z1101")
    with session_scope(engine) as session:  # Z3101's only data: an enterprise registered in it
        session.add(Enterprise(credit_code=credit_code(1), name="企业1", zone_code="Z3101", industry_code="6510",
                               founded=dt.date(2010, 1, 1)))
    report = _sync_from(engine, _edited_zones_csv(tmp_path, {"Z1101": None, "Z3101": None, "Z4403": None}))
    assert report.zones_kept == ("Z1101", "Z3101") and report.zones_deleted == ("Z4403",)
    assert "kept Z1101, Z3101: no longer in zones.csv but the store holds data for them" in report.describe()
    stored = _zones_in_store(engine)
    assert {"Z1101", "Z3101"} <= stored.keys() and "Z4403" not in stored
    assert len(list_submissions(engine, form="zone_monthly")) == 1


def test_a_new_csv_row_is_added_under_its_code(engine: Engine, tmp_path: Path) -> None:
    sync_store(engine)
    row = load_zones()[-1]
    new_line = (f"Z{row.province_code}99,测试高新技术产业开发区,Test Zone,{row.province_code},{row.city},2030,,"
                f"https://example.org/new,{row.longitude},{row.latitude},{row.coordinates_source}\n")
    path = tmp_path / "zones.csv"
    path.write_text((DATA / "zones.csv").read_text(encoding="utf-8") + new_line, encoding="utf-8")
    report = _sync_from(engine, path)
    assert report.zones_added == (f"Z{row.province_code}99",) and not report.zones_updated
    assert _zones_in_store(engine)[f"Z{row.province_code}99"].approved_year == 2030


# Rows added to zones.csv after stores were made from the 176-zone registry.
ADDED_SINCE_176 = {"Z1306": "河北雄安高新技术产业开发区", "Z6505": "阿克苏阿拉尔高新技术产业开发区"}


def test_upgrade_adds_the_zones_an_older_registry_lacked_and_keeps_the_data(engine: Engine, database_url: str,
                                                                              tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch
                                                                              ) -> None:
    _sync_from(engine, _edited_zones_csv(tmp_path, dict.fromkeys(ADDED_SINCE_176)))
    assert _count(engine, Zone) == 176
    _monthly_report(engine, "Z6504")
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "registry: 2 zones added" in result.output
    stored = _zones_in_store(engine)
    assert {code: stored[code].name_zh for code in ADDED_SINCE_176} == ADDED_SINCE_176
    assert len(stored) == len(load_zones())
    assert [s.entity_key for s in list_submissions(engine, form="zone_monthly")] == ["Z6504"]


def test_a_failed_sync_leaves_the_store_as_it_was(engine: Engine) -> None:
    sync_store(engine)
    bad = ZoneRow("Z9901", "无省份高新区", "No province", "99", "无", 2030, None, "x", 100.0, 30.0, "x")
    with pytest.raises(IntegrityError), session_scope(engine) as session:  # the province's foreign key
        sync_registry(session, load_provinces(), [*load_zones(), bad])
    assert "Z9901" not in _zones_in_store(engine) and _count(engine, Zone) == len(load_zones())


@pytest.fixture
def upgraded(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A store made by `hizone db upgrade` alone."""
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    first = runner.invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"{len(load_zones())} zones added" in first.output
    second = runner.invoke(cli, ["db", "upgrade"])
    assert second.exit_code == 0 and "registry up to date" in second.output
    return engine


@pytest.mark.parametrize("zone_code", ["Z1101", "Z3101", "Z4403"])
def test_zone_monthly_reports_import_on_a_store_made_by_upgrade_alone(upgraded: Engine, tmp_path: Path,
                                                                      zone_code: str) -> None:
    path = tmp_path / "monthly.csv"
    path.write_bytes(csv_bytes([[zone_code, "1.5", "100", "10", "5", "20", "1,000"]], header=MONTHLY_HEADER))
    result = runner.invoke(cli, ["import", str(path), "--form", "zone_monthly", "--period", "2024-03"])
    assert result.exit_code == 0, result.output
    stored = list_submissions(upgraded, form="zone_monthly")
    assert [(s.entity_key, s.zone_code, s.period) for s in stored] == [(zone_code, zone_code, "2024-03")]


def test_an_unknown_zone_code_is_still_refused_after_upgrade(upgraded: Engine, tmp_path: Path) -> None:
    path = tmp_path / "monthly.csv"
    path.write_bytes(csv_bytes([["Z9999", "1.5", "100", "10", "5", "20", "1,000"]], header=MONTHLY_HEADER))
    result = runner.invoke(cli, ["import", str(path), "--form", "zone_monthly", "--period", "2024-03"])
    assert result.exit_code != 0 and "Z9999" in result.output


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, var_dir=Path("var"), secret_key="test-secret-key")


def test_a_server_started_on_an_empty_store_loads_the_registry(engine: Engine, database_url: str) -> None:
    create_app(settings=_settings(database_url)).state.engine.dispose()
    assert _count(engine, Zone) == len(load_zones()) and _count(engine, Province) == 31


def test_a_server_started_on_a_used_store_leaves_its_registry_alone(engine: Engine, database_url: str) -> None:
    with session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.flush()
        session.add(Zone(code="Z1101", name_zh="中关村", name_en="ZGC", province_code="11", city="北京",
                         approved_year=1988, demo_zone=None, source="test"))
    create_app(settings=_settings(database_url)).state.engine.dispose()
    assert _count(engine, Zone) == 1 and _zones_in_store(engine)["Z1101"].name_zh == "中关村"


def test_the_demo_loads_into_a_store_made_by_upgrade_through_the_same_sync(engine: Engine) -> None:
    sync_store(engine)
    catalog = default_catalog()
    counts = load(engine, generate(catalog, load_provinces(), load_zones(), enterprises=300, seed=1), catalog)
    assert counts["enterprises"] == 300
    assert _count(engine, Zone) == len(load_zones()) and sync_store(engine) == SyncReport()

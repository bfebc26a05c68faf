"""The read-only views of the current values: plain SQL reads what the API reads, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from hizone.catalog import default_catalog
from hizone.cli.store import db_app
from hizone.intake.service import import_file, list_submissions
from hizone.store import connect, session_scope
from hizone.store.read_views import drop_read_views, form_views, refresh_read_views
from tests.intake.factory import TODAY, csv_bytes, good_rows, seed_registry
from tests.reports import report

FORM = "enterprise_annual"
# Values whose bits exercise every branch of the unpacking: sign, fractions, subnormals, the extremes,
# the largest exact integer, and zero of both signs.
EDGE_VALUES = {"revenue": -1234.5678, "total_profit": 0.1, "net_profit": 5e-324,
               "total_assets": 1.7976931348623157e308,
               "employees": 2**53, "rd_staff": 0, "tech_revenue": -0.0, "export": 2.2250738585072014e-308}


def _view_values(engine: Engine, view: str, entity: str | None = None) -> dict[tuple[str, str, int, str], float]:
    where = " WHERE entity = :entity" if entity else ""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT entity, period, revision, element, value FROM {view}{where}"),
                            {"entity": entity} if entity else {}).all()
    return {(r.entity, r.period, r.revision, r.element): r.value for r in rows}


def _api_values(engine: Engine, form: str) -> dict[tuple[str, str, int, str], float]:
    return {(s.entity_key, s.period, s.revision, code): value for s in list_submissions(engine, form=form)
            for code, value in s.values.items()}


def test_the_view_reads_the_current_values_the_api_reads(engine: Engine) -> None:
    codes = seed_registry(engine, enterprises=6)
    import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", name="a.csv", today=TODAY)
    # A second revision of two enterprises: the view shows it, not the first.
    import_file(engine, csv_bytes(good_rows(codes[:2], scale=2.5)), FORM, "2021", "bob", name="b.csv", today=TODAY)
    with session_scope(engine) as session:
        session.add(report(form_code=FORM, form_version=2021, entity_key=codes[5], zone_code="Z3101", period="2022",
                           revision=1, state="submitted", values=EDGE_VALUES, created_by="test"))
    views = refresh_read_views(engine, form_views(default_catalog()))
    assert f"values_{FORM}" in views and "values_zone_monthly" in views

    shown = _view_values(engine, f"values_{FORM}")
    assert shown == _api_values(engine, FORM)
    assert shown[(codes[0], "2021", 2, "revenue")] == 2500.0
    assert not any(key[2] == 1 and key[0] == codes[0] for key in shown)  # the superseded revision is not current
    edge = _view_values(engine, f"values_{FORM}", codes[5])
    assert {key[3]: value for key, value in edge.items() if key[1] == "2022"} == EDGE_VALUES
    assert str(edge[(codes[5], "2022", 1, "tech_revenue")]).startswith("-0")


def test_the_view_names_revision_state_element_and_unit(engine: Engine) -> None:
    codes = seed_registry(engine, enterprises=1)
    with session_scope(engine) as session:
        session.add(report(form_code=FORM, form_version=2021, entity_key=codes[0], zone_code="Z1101", period="2023",
                           revision=3, state="approved", values={"revenue": 10.0, "employees": float("nan")},
                           created_by="test"))
    refresh_read_views(engine, form_views(default_catalog()))
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM values_{FORM}")).mappings().all()
    assert [dict(r) for r in rows] == [{  # the blank employees value is left out, as the API leaves it out
        "submission_id": rows[0]["submission_id"], "entity": codes[0], "zone_code": "Z1101", "period": "2023",
        "form_version": 2021, "revision": 3, "state": "approved", "element": "revenue",
        "element_name_zh": "营业收入", "element_name_en": "Operating revenue", "unit": "千元", "value": 10.0}]


def test_db_upgrade_creates_the_views_and_refreshes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("HIZONE_DATABASE_URL", url)
    monkeypatch.setenv("HIZONE_VAR_DIR", str(tmp_path))
    runner = CliRunner()
    for _ in range(2):  # the second upgrade drops and recreates them (and migrates under none)
        result = runner.invoke(db_app, ["upgrade"])
        assert result.exit_code == 0, result.output
        assert f"values_{FORM}" in result.output
    engine = connect(url)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM values_{FORM}")).scalar() == 0
    engine.dispose()


def test_a_read_only_role_reads_the_views_and_keeps_its_grant_across_upgrades(postgres_engine: Engine) -> None:
    engine = postgres_engine  # roles and grants are PostgreSQL's
    url = engine.url.render_as_string(hide_password=False)
    codes = seed_registry(engine, enterprises=1)
    with session_scope(engine) as session:
        session.add(report(form_code=FORM, form_version=2021, entity_key=codes[0], zone_code="Z1101", period="2023",
                           revision=1, state="approved", values={"revenue": 42.0}, created_by="test"))
    refresh_read_views(engine, form_views(default_catalog()))
    with engine.begin() as conn:  # the grant of docs/sql-views.md
        conn.exec_driver_sql("DROP ROLE IF EXISTS hizone_reader")
        conn.exec_driver_sql("CREATE ROLE hizone_reader LOGIN")
        conn.exec_driver_sql(f"GRANT SELECT ON values_{FORM}, values_zone_monthly TO hizone_reader")
    readers = drop_read_views(engine)  # what `hizone db upgrade` does around the migrations
    refresh_read_views(engine, form_views(default_catalog()), readers)
    reader = connect(make_url(url).set(username="hizone_reader").render_as_string(hide_password=False))
    try:
        with reader.connect() as conn:
            assert conn.execute(text(f"SELECT value FROM values_{FORM}")).scalar_one() == 42.0
        with reader.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT packed_values FROM submission"))
    finally:
        reader.dispose()
        with engine.begin() as conn:
            # the upgrade granted it every form's view: drop all of its privileges, not only those granted here
            conn.exec_driver_sql("DROP OWNED BY hizone_reader")
            conn.exec_driver_sql("DROP ROLE hizone_reader")

"""Published carbon accounts: kept with their factors and data, recomputed only explicitly, with a reason, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.analytics.build import build
from hizone.carbon.factors import CARBON_DIR, default_library
from hizone.cli import app
from hizone.store import session_scope
from hizone.store.carbon_accounts import published_account, published_versions
from hizone.store.changes import AuditFilter, audit_entries
from hizone.web.services.audit import audit_page
from tests.analytics.fixture import CODES
from tests.carbon.test_accounts import seed_energy
from tests.reports import write_report

# Z1101 in 2023 (test_accounts): 953.86 tCO2 at the 2023 grid factor 0.5306, 1,000,000 kWh of it grid power.
Z1101_CO2, Z1101_KWH = 953.86, 1_000_000
CORRECTED = 0.6306  # the "corrected" 2023 location factor of the user catalog below


@pytest.fixture
def analytics(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    seed_energy(engine)
    path = tmp_path / "analytics.duckdb"
    build(engine, path)
    monkeypatch.setenv("HIZONE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    yield path
    default_library.cache_clear()  # the library is cached per process: drop the corrected one


def _correct_the_2023_grid_factor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    carbon = tmp_path / "catalog" / "carbon"
    carbon.mkdir(parents=True)
    text = (CARBON_DIR / "grid_factors.yaml").read_text(encoding="utf-8")
    assert "revision: 1\n" in text and "location: 0.5306," in text
    carbon.joinpath("grid_factors.yaml").write_text(
        text.replace("revision: 1\n", "revision: 2\n").replace("location: 0.5306,", f"location: {CORRECTED},"),
        encoding="utf-8")
    monkeypatch.setenv("HIZONE_CATALOG_PATH", str(tmp_path / "catalog"))
    default_library.cache_clear()


def _cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["carbon", *args])


def _accounts(path: Path) -> tuple[dict[str, dict[str, str]], str]:
    result = _cli("accounts", "--year", "2023", "--key", "Z1101", "--key", "Z4201", "--format", "csv",
                  "--analytics", str(path))
    assert result.exit_code == 0, result.output
    return {row["key"]: row for row in csv.DictReader(io.StringIO(result.stdout))}, result.stderr


def _publish(path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return _cli("publish", "--year", "2023", "--analytics", str(path), "--user", "ana", "--role", "analyst", *extra)


def test_a_corrected_factor_leaves_the_published_account_until_an_audited_recomputation(
        analytics: Path, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published = _publish(analytics)
    assert published.exit_code == 0, published.output
    assert "published 2 zone account(s) of 2023" in published.stdout  # Z1101 and Z4201; the others have no data
    rows, notes = _accounts(analytics)
    assert float(rows["Z1101"]["co2_total_location"]) == pytest.approx(Z1101_CO2)
    assert rows["Z1101"]["published_version"] == "1" and rows["Z1101"]["changed_since"] == "" and notes == ""
    again = _publish(analytics)
    assert again.exit_code == 2
    assert again.stderr.strip().splitlines() == [
        "error: --year: nothing to publish: the zone accounts of 2023 are published at the current factors and data"]

    old = default_library().resolve(2023)
    _correct_the_2023_grid_factor(tmp_path, monkeypatch)
    new = default_library().resolve(2023)
    assert new.fingerprint != old.fingerprint and "grid 2023 national r2" in new.version
    rows, notes = _accounts(analytics)
    assert float(rows["Z1101"]["co2_total_location"]) == pytest.approx(Z1101_CO2)  # still the published figure
    changed = rows["Z1101"]["changed_since"]
    assert f"published with {old.version} (fingerprint {old.fingerprint})" in changed
    assert f"now {new.version} (fingerprint {new.fingerprint})" in changed
    assert "note: Z1101 2023 shows published version 1; factors changed since" in notes

    silent = _publish(analytics)
    assert silent.exit_code == 2 and "2 published account(s) of 2023 (zone) would change" in silent.stderr
    assert "--recompute --reason" in silent.stderr
    no_reason = _publish(analytics, "--recompute", "--reason", "  ")
    assert no_reason.exit_code == 2 and "a recomputation needs a reason" in no_reason.stderr
    assert published_account(engine, 2023, "zone", "Z1101").version == 1  # type: ignore[union-attr]

    recomputed = _publish(analytics, "--recompute", "--reason", "MEE corrected the 2023 grid factor")
    assert recomputed.exit_code == 0, recomputed.output
    rows, notes = _accounts(analytics)
    corrected = Z1101_CO2 + Z1101_KWH * (CORRECTED - 0.5306) / 1000
    assert float(rows["Z1101"]["co2_total_location"]) == pytest.approx(corrected)
    assert rows["Z1101"]["published_version"] == "2" and rows["Z1101"]["changed_since"] == "" and notes == ""
    first, second = published_versions(engine, 2023, "zone", "Z1101")
    assert first.figures["co2_total_location"] == pytest.approx(Z1101_CO2) and first.reason is None
    assert second.figures["co2_total_location"] == pytest.approx(corrected)
    assert (second.basis.factor_fingerprint, second.reason, second.published_by) == \
        (new.fingerprint, "MEE corrected the 2023 grid factor", "ana")
    assert [e["item"] for e in second.figures["ledger"]][4] == "emissions_location"
    assert second.figures["ledger"][4]["value"] == pytest.approx(corrected)

    with engine.connect() as conn:
        [entry] = audit_entries(conn, AuditFilter(action="carbon_recompute"))
        listed = audit_entries(conn, AuditFilter(object_kind="carbon_account", object_ids=["zone:2023"]))
        other = audit_entries(conn, AuditFilter(object_kind="carbon_account", object_ids=["zone:2022", "nation:2023"]))
    assert (entry.actor, entry.object_kind, entry.object_id) == ("ana", "carbon_account", "zone:2023")
    assert entry.detail["reason"] == "MEE corrected the 2023 grid factor" and entry.detail["role"] == "analyst"
    assert entry.detail["keys"] == ["Z1101", "Z4201"] and entry.id == second.event_seq
    assert [e.action for e in listed] == ["carbon_recompute", "carbon_publish"] and other == []
    with session_scope(engine) as session:  # the audit page lists it with who, when and why
        table, _ = audit_page(session, "en", 1, action="carbon_recompute")
    [shown] = table.rows
    assert (shown["actor"], shown["object"]) == ("ana", "carbon_account:zone:2023")
    assert "MEE corrected the 2023 grid factor" in str(shown["detail"])

    nothing = _publish(analytics, "--recompute", "--reason", "again")
    assert nothing.exit_code == 2 and "nothing to recompute" in nothing.stderr


def test_new_data_after_publication_is_named_and_a_publication_does_not_count_as_data(
        analytics: Path, engine: Engine) -> None:
    assert _publish(analytics).exit_code == 0
    build(engine, analytics)  # the publication's own event: a newer build, but no new data
    rows, notes = _accounts(analytics)
    assert rows["Z1101"]["changed_since"] == "" and notes == ""
    write_report(engine, form_code="enterprise_energy", form_version=2021, entity_key=CODES["E4"],
                 zone_code="Z4201", period="2023", revision=2, state="approved",
                 values={"en_electricity_purchased": 80})
    build(engine, analytics)
    rows, notes = _accounts(analytics)
    assert float(rows["Z4201"]["co2_total_location"]) == pytest.approx(500_000 * 0.5306 / 1000)
    assert "data changed since: published from change" in rows["Z4201"]["changed_since"]
    assert "1 data change(s) between" in rows["Z4201"]["changed_since"]
    assert _publish(analytics, "--recompute", "--reason", "E4 corrected its report").exit_code == 0
    assert published_versions(engine, 2023, "zone", "Z4201")[-1].figures["co2_total_location"] == \
        pytest.approx(800_000 * 0.5306 / 1000)


@pytest.mark.parametrize(("role", "scope"), [("province", ["--province", "11"]), ("zone", ["--zone", "Z1101"])])
def test_only_the_national_roles_publish(analytics: Path, engine: Engine, role: str, scope: list[str]) -> None:
    refused = _cli("publish", "--year", "2023", "--analytics", str(analytics), "--role", role, *scope)
    assert refused.exit_code == 2
    assert refused.stderr.strip() == \
        f"error: --role: role {role} may not publish carbon accounts (admin or analyst only)"
    assert published_account(engine, 2023, "zone", "Z1101") is None


def test_the_publishing_rule_admits_exactly_the_national_roles() -> None:
    from hizone.auth.policy import PUBLIC, ROLES, Principal, can_publish_carbon_accounts

    allowed = {role for role in (*ROLES, PUBLIC) if can_publish_carbon_accounts(Principal("u", role, "11", "Z1101"))}
    assert allowed == {"admin", "analyst"}

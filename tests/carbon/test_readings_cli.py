"""`hizone readings send / rollup`: the API's checks and store from the command line; a refused batch exits 2
naming its rows and stores nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hizone.auth.policy import Principal
from hizone.carbon.readings import default_config
from hizone.cli.readings import readings_app
from hizone.store import connect
from hizone.store.readings import MeterSpec, UnitSpec, batch_count, register_units
from tests.carbon.seed import seed_registry

runner = CliRunner()


def test_send_and_rollup(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store.sqlite"
    shutil.copy(sqlite_template, store)
    engine = connect(f"sqlite:///{store}")
    seed_registry(engine, {"C1": "Z1"})
    register_units(engine, Principal("admin", "admin"),
                   [UnitSpec("U1", "单位", "C1", (MeterSpec("E", "electricity", "kWh"),))], default_config())
    monkeypatch.setenv("HIZONE_DATABASE_URL", f"sqlite:///{store}")
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,meter,energy,time,quantity\nU1,E,electricity,2026-11-01 00:00,1\nU1,E,diesel,2026-11-01 "
                   "01:00,-2\n", encoding="utf-8")
    refused = runner.invoke(readings_app, ["send", str(bad), "--key", "b1"])
    assert refused.exit_code == 2
    assert "bad.csv, row 3, energy: meter 'E' of unit 'U1' measures electricity, not diesel" in refused.output
    assert "bad.csv, row 3, quantity: negative consumption (-2)" in refused.output
    with engine.connect() as conn:
        assert batch_count(conn) == (0, 0)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"readings": [{"unit": "U1", "meter": "E", "energy": "electricity",
                                              "time": f"2026-11-01T0{h}:00:00+08:00", "quantity": 2.5}
                                             for h in range(4)]}), encoding="utf-8")
    assert runner.invoke(readings_app, ["send", str(good), "--key", "g1"]).output.strip() == \
        "4 readings stored as batch 1"
    assert runner.invoke(readings_app, ["send", str(good), "--key", "g1"]).output.strip() == \
        "4 readings already stored as batch 1"
    conflict = runner.invoke(readings_app, ["send", str(bad), "--key", "g1"])
    assert conflict.exit_code == 2 and "was used for batch 1 with other content" in conflict.output
    rolled = runner.invoke(readings_app, ["rollup", "--start", "2026-11-01", "--end", "2026-12-01", "--grain", "month"])
    assert [json.loads(line) for line in rolled.output.splitlines()] == [
        {"key": "Z1", "energy": "electricity", "period": "2026-11", "total": 10.0, "readings": 4}]
    engine.dispose()

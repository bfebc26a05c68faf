"""`hizone demo --replace` starts the store again: every table it holds is dropped, also those of capabilities
whose rows live outside store.models (bulletins), and the new demo is all that is left."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hizone.auth.policy import Principal
from hizone.cli import app
from hizone.store import connect, session_scope
from hizone.store.bulletins import BulletinRow, load_bulletin
from hizone.store.models import DatasetInfo, Enterprise
from tests.bulletins.factories import bulletin

runner = CliRunner()


def test_replace_drops_every_table_and_loads_the_new_demo(database_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    monkeypatch.setenv("HIZONE_VAR_DIR", str(tmp_path))
    first = runner.invoke(app, ["demo", "--enterprises", "500", "--seed", "3"])
    assert first.exit_code == 0, first.output
    engine = connect(database_url)
    with session_scope(engine) as session:
        load_bulletin(session, bulletin(), [], Principal("analyst1", "analyst"))
    again = runner.invoke(app, ["demo", "--enterprises", "600", "--seed", "7"])
    assert again.exit_code != 0 and "already holds enterprises" in again.output  # without --replace: refused
    replaced = runner.invoke(app, ["demo", "--enterprises", "600", "--seed", "7", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(BulletinRow)) == 0
        assert session.scalar(select(func.count()).select_from(Enterprise)) == 600
        assert session.get(DatasetInfo, "seed").value == "7"  # type: ignore[union-attr]
    engine.dispose()

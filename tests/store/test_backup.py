"""`hizone db backup|restore|verify` on SQLite and a real PostgreSQL: a store with real data goes through a
backup into a fresh store and comes back table for table; damaged or mismatched backups are refused."""

from __future__ import annotations

import itertools
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, insert, select, text
from typer.testing import CliRunner

from hizone.cli.store import db_app
from hizone.errors import StoreError
from hizone.intake.service import import_file
from hizone.store import connect, upgrade
from hizone.store.backup import MANIFEST, PAYLOAD, backup, restore, verify
from hizone.store.models import AuditLog, DatasetInfo
from tests.intake.factory import TODAY, csv_bytes, good_rows, seed_registry

FORM = "enterprise_annual"
runner = CliRunner()
_names = itertools.count()


def populate(engine: Engine) -> None:
    """Registry, two imports (the second a revision of some rows), the audit log they write, and a fact."""
    codes = seed_registry(engine, 40)
    first = import_file(engine, csv_bytes(good_rows(codes)), FORM, "2021", "alice", name="a.csv", today=TODAY)
    second = import_file(engine, csv_bytes(good_rows(codes[:10], scale=2.0)), FORM, "2021", "bob", name="b.csv",
                         today=TODAY)
    assert (first.status, second.status, second.created) == ("stored", "stored", 10)
    with engine.begin() as conn:
        conn.execute(insert(DatasetInfo), [{"key": "synthetic", "value": "否"}])


def every_row(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows, sorted: what a restore must bring back (read independently of the checksums)."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as conn:
        return {name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for name, table in metadata.tables.items()}


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A store of the same kind with nothing in it, not even a schema."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite'}"
    server = request.getfixturevalue("postgres")
    name = f"restored{next(_names)}"
    admin = connect(server.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return str(server.url(name))


def test_a_backup_restores_into_a_fresh_store_table_for_table(engine: Engine, empty_url: str,
                                                              tmp_path: Path) -> None:
    populate(engine)
    file = tmp_path / "store.backup"
    manifest = backup(engine, file)
    assert manifest.kind == engine.dialect.name and manifest.schema is not None
    assert manifest.tables["submission"].rows == 50 and manifest.tables["enterprise"].rows == 40
    assert verify(file) == manifest
    restored = restore(empty_url, file)
    assert restored == manifest
    target = connect(empty_url)
    try:
        original, copy = every_row(engine), every_row(target)
        assert copy == original
        assert len(copy["submission"]) == 50 and copy["change_event"]
        # the restored store takes the next import as the original would
        more = import_file(target, csv_bytes(good_rows(seed_registry_codes(target)[:3], scale=3.0)), FORM, "2021",
                           "carol", name="c.csv", today=TODAY)
        assert (more.status, more.created) == ("stored", 3)
    finally:
        target.dispose()


def seed_registry_codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT credit_code FROM enterprise ORDER BY id")))


def test_restore_refuses_a_store_with_data_unless_forced(engine: Engine, database_url: str, tmp_path: Path) -> None:
    populate(engine)
    file = tmp_path / "store.backup"
    backup(engine, file)
    at_backup = every_row(engine)
    with engine.begin() as conn:
        conn.execute(insert(AuditLog), [{"actor": "late", "action": "x", "object_kind": "y", "object_id": "1"}])
    after = every_row(engine)
    with pytest.raises(StoreError, match=r"the store is not empty .*restore --force replaces it"):
        restore(database_url, file)
    assert every_row(engine) == after  # untouched
    engine.dispose()
    restore(database_url, file, force=True)
    assert every_row(engine) == at_backup  # the late row is gone: the store is the backup's again


def test_a_store_holding_only_the_zone_registry_counts_as_empty(engine: Engine, empty_url: str,
                                                                 tmp_path: Path) -> None:
    populate(engine)
    file = tmp_path / "store.backup"
    backup(engine, file)
    target = connect(empty_url)
    upgrade(target)
    seed_registry(target, 0)  # provinces and zones, as `hizone db upgrade` leaves a new store
    target.dispose()
    restore(empty_url, file)
    target = connect(empty_url)
    assert every_row(target) == every_row(engine)
    target.dispose()


def _rewrite(file: Path, target: Path, *, manifest: dict[str, object] | None = None,
             payload: bytes | None = None) -> None:
    with zipfile.ZipFile(file) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == MANIFEST and manifest is not None:
                data = json.dumps(manifest).encode()
            elif item.filename != MANIFEST and payload is not None:
                data = payload
            out.writestr(item, data)


def test_a_corrupted_backup_is_refused_and_the_store_left_as_it_was(engine: Engine, empty_url: str,
                                                                     database_url: str, tmp_path: Path) -> None:
    populate(engine)
    file = tmp_path / "store.backup"
    manifest = backup(engine, file)
    raw = bytearray(file.read_bytes())
    member = PAYLOAD[manifest.kind].encode()
    middle = raw.index(member) + len(member) + 2000  # inside the payload, past its local header
    raw[middle] ^= 0xFF
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="corrupted"):
        verify(damaged)
    before = every_row(engine)
    with pytest.raises(StoreError, match="corrupted"):
        restore(database_url, damaged, force=True)
    assert every_row(engine) == before

    # a payload intact as a zip member but not the one the manifest describes (re-packed): its SHA-256 differs
    repacked = tmp_path / "repacked.backup"
    with zipfile.ZipFile(file) as source:
        payload = bytearray(source.read(PAYLOAD[manifest.kind]))
    payload[len(payload) // 2] ^= 0xFF
    _rewrite(file, repacked, payload=bytes(payload))
    with pytest.raises(StoreError, match="payload's SHA-256"):
        restore(empty_url, repacked)


def test_a_manifest_that_does_not_match_the_store_is_refused(engine: Engine, empty_url: str,
                                                              tmp_path: Path) -> None:
    populate(engine)
    file = tmp_path / "store.backup"
    backup(engine, file)
    with zipfile.ZipFile(file) as source:
        manifest = json.loads(source.read(MANIFEST))
    manifest["tables"]["submission"]["rows"] = 49
    lying = tmp_path / "lying.backup"
    _rewrite(file, lying, manifest=manifest)
    with pytest.raises(StoreError, match="does not match the backup's manifest: submission has 50 rows, the "
                                         "backup 49"):
        restore(empty_url, lying)


def test_a_backup_of_one_kind_is_refused_by_a_store_of_the_other(engine: Engine, tmp_path: Path,
                                                                  request: pytest.FixtureRequest) -> None:
    populate(engine)
    file = tmp_path / "store.backup"
    backup(engine, file)
    if engine.dialect.name == "sqlite":
        other = request.getfixturevalue("postgres").url()
    else:
        other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with pytest.raises(StoreError, match=f"a backup of a {engine.dialect.name} store cannot be restored into"):
        restore(other, file)


def test_the_commands_answer_mistakes_in_one_line_with_exit_code_2(database_url: str, engine: Engine,
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    populate(engine)
    file = tmp_path / "store.backup"
    done = runner.invoke(db_app, ["backup", str(file)])
    assert done.exit_code == 0, done.output
    assert "backed up" in done.output and file.is_file()
    checked = runner.invoke(db_app, ["verify", str(file)])
    assert checked.exit_code == 0 and "intact" in checked.output
    (tmp_path / "notes.txt").write_text("not a backup")
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    not_ours = tmp_path / "other.zip"
    with zipfile.ZipFile(not_ours, "w") as archive:
        archive.writestr(MANIFEST, "{}")
    (tmp_path / "a-file").write_text("")
    for args, reason in ((["backup", str(tmp_path / "a-file" / "store.backup")], "cannot write the backup"),
                         (["verify", str(tmp_path / "missing.backup")], "no such backup file"),
                         (["verify", str(tmp_path / "notes.txt")], "not a hizone backup (not a zip archive)"),
                         (["verify", str(not_ours)], "not a hizone backup (its manifest is not one)"),
                         (["verify", str(truncated)], "not a zip archive), or truncated"),
                         (["restore", str(file)], "the store is not empty")):
        result = runner.invoke(db_app, args)
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output and len(result.output.strip().splitlines()) == 1, result.output
    forced = runner.invoke(db_app, ["restore", str(file), "--force"])
    assert forced.exit_code == 0 and "every table matches the manifest" in forced.output


def test_a_backup_taken_while_the_store_is_written_is_one_consistent_snapshot(engine: Engine, empty_url: str,
                                                                               tmp_path: Path) -> None:
    populate(engine)
    stop = threading.Event()
    written = [0]

    def write() -> None:  # another client of the store, writing throughout the backup
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(insert(AuditLog), [{"actor": "busy", "action": "x", "object_kind": "y",
                                                 "object_id": str(written[0] + i)} for i in range(20)])
            written[0] += 20

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 100:
            time.sleep(0.01)
        manifest = backup(engine, tmp_path / "store.backup")
    finally:
        stop.set()
        writer.join()
    busy = manifest.tables["audit_log"].rows  # (the two imports are change events)
    assert 100 <= busy <= written[0] and busy % 20 == 0  # whole transactions only
    restore(empty_url, tmp_path / "store.backup")  # the restored store matches the manifest, table for table

"""Backups of the store that restore it exactly and can prove it.

A backup is a zip archive of two members: the payload, taken while the server runs (a copy of the SQLite
database made by SQLite's online backup API, or a ``pg_dump --format=custom`` archive), and
``manifest.json``: the kind of store, its schema revision, the payload's SHA-256 and, per table, its row
count and a checksum computed from the same snapshot as the payload. A restore checks the payload against
the manifest before it touches the store, and the restored store against the manifest after.

The checksum of a table is database-independent: each row's values are written canonically (timestamps in
UTC, JSON with sorted keys, bytes in hex) and hashed, and the row hashes are added modulo 2**256, so no
ORDER BY (whose text collation differs between databases) is needed and the rows are streamed.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, Connection, Engine, MetaData, func, select

from hizone.errors import StoreError
from hizone.store.db import connect

FORMAT = "hizone-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "store.sqlite", "postgresql": "store.pgdump"}
# Rows a store holds before anyone has put data in it: the schema's revision and the zone registry, which
# `hizone db upgrade` writes from the package's own files. Replacing only these loses nothing.
REFERENCE_TABLES = frozenset({"alembic_version", "province", "zone"})
_MODULUS = 2**256
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableDigest:
    rows: int
    checksum: str


@dataclass(frozen=True)
class Manifest:
    kind: str  # sqlite / postgresql
    schema: str | None  # the Alembic revision of the store backed up
    created_at: str
    payload_sha256: str
    tables: dict[str, TableDigest]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": FORMAT_VERSION, "kind": self.kind, "schema": self.schema,
                           "created_at": self.created_at, "payload_sha256": self.payload_sha256,
                           "tables": {name: {"rows": t.rows, "checksum": t.checksum}
                                      for name, t in sorted(self.tables.items())}}, indent=1)

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        not_one = StoreError("not a hizone backup (its manifest is not one)", where=where)
        try:
            data = json.loads(text)
        except ValueError:
            raise not_one from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("kind") not in PAYLOAD:
            raise not_one
        if data.get("version") != FORMAT_VERSION:
            raise StoreError(f"a backup of format version {data.get('version')}; this hizone reads version "
                             f"{FORMAT_VERSION}", where=where)
        try:
            return cls(data["kind"], data["schema"], data["created_at"], data["payload_sha256"],
                       {name: TableDigest(int(t["rows"]), str(t["checksum"])) for name, t in data["tables"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise not_one from None


# ---- checksums -------------------------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """A value as the same JSON on SQLite and PostgreSQL."""
    if isinstance(value, bytes | memoryview):
        return {"b": bytes(value).hex()}
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # PostgreSQL's timestamptz; SQLite keeps the UTC wall time without a zone
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def table_digests(conn: Connection) -> dict[str, TableDigest]:
    """Every table's row count and checksum, as the connection's transaction sees them."""
    metadata = MetaData()
    metadata.reflect(bind=conn)
    digests = {}
    for name, table in sorted(metadata.tables.items()):
        columns = sorted(table.columns, key=lambda c: c.name)
        total = rows = 0
        result = conn.execution_options(yield_per=5000).execute(select(*columns))
        for row in result:
            encoded = json.dumps([_canonical(v) for v in row], sort_keys=True, ensure_ascii=False, default=str)
            total = (total + int.from_bytes(hashlib.sha256(encoded.encode()).digest())) % _MODULUS
            rows += 1
        digests[name] = TableDigest(rows, f"{total:064x}")
    return digests


def _schema_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _row_counts(conn: Connection) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return {name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in sorted(metadata.tables.items())}


def _mismatches(expected: dict[str, TableDigest], found: dict[str, TableDigest]) -> list[str]:
    problems = [f"table {name} missing" for name in sorted(expected.keys() - found.keys())]
    problems += [f"table {name} not in the backup" for name in sorted(found.keys() - expected.keys())]
    for name in sorted(expected.keys() & found.keys()):
        want, got = expected[name], found[name]
        if want.rows != got.rows:
            problems.append(f"{name} has {got.rows} rows, the backup {want.rows}")
        elif want.checksum != got.checksum:
            problems.append(f"{name}'s content differs from the backup's")
    return problems


def _check_against(manifest: Manifest, found: dict[str, TableDigest], where: str, what: str) -> None:
    problems = _mismatches(manifest.tables, found)
    if problems:
        raise StoreError(f"{what} does not match the backup's manifest: {'; '.join(problems[:3])}"
                         + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""), where=where)


# ---- the archive -----------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_archive(target: Path, manifest: Manifest, payload: Path) -> None:
    """Written next to ``target`` and renamed into place: a failed backup never leaves half a file there."""
    partial = target.with_name(target.name + ".partial")
    try:
        # Stored, not deflated: a pg_dump archive is compressed already, and a SQLite copy would cost seconds.
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr(MANIFEST, manifest.to_json())
            archive.write(payload, PAYLOAD[manifest.kind])
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _opened(path: Path) -> Iterator[tuple[Manifest, Path]]:
    """The backup's manifest and its payload extracted into a temporary directory, checked against the
    manifest's SHA-256 (the zip's own CRCs catch a damaged member too)."""
    where = str(path)
    if not path.is_file():
        raise StoreError("no such backup file", where=where)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise StoreError("not a hizone backup (not a zip archive), or truncated", where=where) from None
    with archive, tempfile.TemporaryDirectory(prefix="hizone-restore-") as tmp:
        try:
            manifest = Manifest.from_json(archive.read(MANIFEST).decode(), where)
            payload = Path(archive.extract(PAYLOAD[manifest.kind], tmp))
        except KeyError:
            raise StoreError("not a hizone backup (no manifest or no payload in it)", where=where) from None
        except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError) as exc:
            raise StoreError(f"the backup is corrupted ({exc})", where=where) from None
        if _sha256(payload) != manifest.payload_sha256:
            raise StoreError("the backup is corrupted (its payload's SHA-256 is not the manifest's)", where=where)
        yield manifest, payload


# ---- PostgreSQL's client programs ------------------------------------------------------------------------


def pg_binary(name: str) -> str:
    """A PostgreSQL client program: on the PATH, or the newest of Debian's /usr/lib/postgresql/*/bin."""
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                       key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0, reverse=True)
    found = shutil.which(name) or next(iter(installed), None)
    if not found:
        raise StoreError(f"PostgreSQL's {name} is not installed (Debian package postgresql)", where=name)
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL for libpq's programs, and the environment carrying its password (not on a command line)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], where: str, what: str, **kwargs: Any) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise StoreError(f"{what} failed: {lines[0] if lines else f'exit {done.returncode}'}", where=where)


# ---- backup ----------------------------------------------------------------------------------------------


def backup(engine: Engine, target: Path) -> Manifest:
    """Back the store up into ``target``: safe while the server runs (one consistent snapshot)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="hizone-backup-", dir=target.parent) as tmp:
            payload = Path(tmp) / PAYLOAD[engine.dialect.name]
            if engine.dialect.name == "sqlite":
                schema, tables = _snapshot_sqlite(engine, payload)
            else:
                schema, tables = _snapshot_postgres(engine, payload)
            manifest = Manifest(engine.dialect.name, schema, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                _sha256(payload), tables)
            _write_archive(target, manifest, payload)
    except OSError as exc:
        raise StoreError(f"cannot write the backup ({exc.strerror or exc})", where=str(target)) from None
    return manifest


def _snapshot_sqlite(engine: Engine, payload: Path) -> tuple[str | None, dict[str, TableDigest]]:
    """The online backup API copies the database in one step, under one read transaction: a consistent
    copy while writers go on (WAL). The manifest is then computed from the copy itself."""
    source = engine.raw_connection()
    try:
        with closing(sqlite3.connect(payload)) as copy:
            source.driver_connection.backup(copy)  # type: ignore[union-attr]
    finally:
        source.close()
    snapshot = connect(f"sqlite:///{payload}")
    try:
        with snapshot.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")  # the copy travels as one file
            return _schema_revision(conn), table_digests(conn)
    finally:
        snapshot.dispose()


def _snapshot_postgres(engine: Engine, payload: Path) -> tuple[str | None, dict[str, TableDigest]]:
    """pg_dump reads the snapshot this transaction exports, so the manifest describes exactly what it dumps."""
    url, env = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        _run([pg_binary("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--file", str(payload), url],
             env, engine.url.render_as_string(hide_password=True), "pg_dump")
        return _schema_revision(conn), table_digests(conn)


# ---- verify and restore ----------------------------------------------------------------------------------


def verify(path: Path) -> Manifest:
    """Check a backup without restoring it: the archive, the payload's SHA-256 and, for SQLite, the copy's
    integrity and its tables against the manifest; for PostgreSQL, that pg_restore can read the archive."""
    with _opened(path) as (manifest, payload):
        if manifest.kind == "sqlite":
            _check_sqlite_copy(manifest, payload, str(path))
        else:
            _run([pg_binary("pg_restore"), "--list", str(payload)], dict(os.environ), str(path), "pg_restore --list")
    return manifest


def _check_sqlite_copy(manifest: Manifest, payload: Path, where: str) -> None:
    copy = connect(f"sqlite:///{payload}")
    try:
        with copy.connect() as conn:
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if integrity != "ok":
                raise StoreError(f"the backup's database is corrupted ({integrity})", where=where)
            _check_against(manifest, table_digests(conn), where, "the backup's database")
    finally:
        copy.dispose()


def restore(url: str, path: Path, *, force: bool = False) -> Manifest:
    """Restore the store at ``url`` from the backup at ``path``, then prove it matches the manifest.

    Refuses a store of another kind, and one holding data (rows beyond REFERENCE_TABLES) unless ``force``.
    Nothing is changed when the backup is damaged: it is checked before the store is touched.
    """
    engine = connect(url)
    try:
        with _opened(path) as (manifest, payload):
            where = str(path)
            if manifest.kind != engine.dialect.name:
                raise StoreError(f"a backup of a {manifest.kind} store cannot be restored into a "
                                 f"{engine.dialect.name} store", where=where)
            _refuse_non_empty(engine, force)
            if manifest.kind == "sqlite":
                _check_sqlite_copy(manifest, payload, where)
                _restore_sqlite(engine, payload, where)
            else:
                _restore_postgres(engine, payload, where)
        engine.dispose()  # the pool's connections may predate the restore
        with engine.connect() as conn:
            _check_against(manifest, table_digests(conn), engine.url.render_as_string(hide_password=True),
                           "the restored store")
        return manifest
    finally:
        engine.dispose()


def _refuse_non_empty(engine: Engine, force: bool) -> None:
    with engine.connect() as conn:
        filled = {name: rows for name, rows in _row_counts(conn).items() if rows and name not in REFERENCE_TABLES}
    if filled and not force:
        shown = ", ".join(f"{name} {rows}" for name, rows in sorted(filled.items(), key=lambda kv: -kv[1])[:3])
        raise StoreError(f"the store is not empty ({shown} rows): restore --force replaces it",
                         where=engine.url.render_as_string(hide_password=True))


def _restore_sqlite(engine: Engine, payload: Path, where: str) -> None:
    """The online backup API again, from the copy into the store: one write transaction, so a reader
    (or a running server) sees the old store or the new one."""
    target = engine.raw_connection()
    try:
        with closing(sqlite3.connect(payload)) as source:
            source.backup(target.driver_connection)  # type: ignore[arg-type]
    except sqlite3.Error as exc:
        raise StoreError(f"cannot restore into the store ({exc})", where=where) from None
    finally:
        target.close()


def _restore_postgres(engine: Engine, payload: Path, where: str) -> None:
    """Every table the store has is dropped and the dump's are created and filled by one psql transaction:
    if any statement fails, the store is left as it was."""
    url, env = _libpq(engine.url)
    with engine.connect() as conn:
        tables = sorted(_row_counts(conn))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="hizone-drop-", delete=False) as drops:
        drops.writelines(f'DROP TABLE IF EXISTS "{name}" CASCADE;\n' for name in tables)
    try:
        dump = subprocess.Popen([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--file", "-",
                                 str(payload)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            _run([pg_binary("psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction",
                  "--file", drops.name, "--file", "-", url], env, where, "restoring into PostgreSQL",
                 stdin=dump.stdout)
        finally:
            assert dump.stdout is not None
            dump.stdout.close()
            dump.wait()
        if dump.returncode:
            assert dump.stderr is not None
            raise StoreError(f"pg_restore failed: {dump.stderr.read().decode(errors='replace').strip()[:200]}",
                             where=where)
    finally:
        os.unlink(drops.name)

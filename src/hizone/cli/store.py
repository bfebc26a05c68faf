"""`hizone db ...`: the store's schema, backups and restores."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hizone.cli.common import command_group, console, user_errors
from hizone.config import Settings

if TYPE_CHECKING:
    from hizone.store.backup import Manifest

db_app = command_group("The store: create or migrate the database, back it up and restore it.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest schema (HIZONE_DATABASE_URL, default var/); refresh the
    read-only views of the current values (values_<form>)."""
    from hizone.catalog import default_catalog
    from hizone.registry.sync import sync_store
    from hizone.store import connect, upgrade
    from hizone.store.read_views import drop_read_views, form_views, refresh_read_views

    settings = Settings.from_env()
    engine = connect(settings.database_url)
    readers = drop_read_views(engine)  # PostgreSQL alters no table a view depends on
    upgrade(engine)
    console().print(sync_store(engine).describe())
    views = refresh_read_views(engine, form_views(default_catalog()), readers)
    console().print(f"read-only views: {', '.join(views)}")
    console().print(f"[green]schema up to date[/] at {settings.database_url}")


def _described(manifest: Manifest) -> str:
    return (f"{manifest.kind} store at schema {manifest.schema or 'none'}, taken {manifest.created_at}: "
            f"{len(manifest.tables)} tables, {manifest.rows:,} rows")


@db_app.command("backup")
@user_errors
def db_backup(file: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")]) -> None:
    """Back the store up into FILE, safely while the server runs (SQLite's online backup; pg_dump)."""
    from hizone.store import connect
    from hizone.store.backup import backup

    engine = connect(Settings.from_env().database_url)
    try:
        manifest = backup(engine, file)
    finally:
        engine.dispose()
    console().print(f"[green]backed up[/] {_described(manifest)} → {file}")


@db_app.command("restore")
@user_errors
def db_restore(file: Annotated[Path, typer.Argument(help="A backup written by `hizone db backup`.")],
               force: Annotated[bool, typer.Option("--force", help="Replace a store holding data.")] = False) -> None:
    """Restore the store from FILE and check every table against the backup's manifest."""
    from hizone.store.backup import restore

    manifest = restore(Settings.from_env().database_url, file, force=force)
    console().print(f"[green]restored[/] {_described(manifest)}; every table matches the manifest")


@db_app.command("verify")
@user_errors
def db_verify(file: Annotated[Path, typer.Argument(help="A backup written by `hizone db backup`.")]) -> None:
    """Check a backup without restoring it."""
    from hizone.store.backup import verify

    manifest = verify(file)
    console().print(f"[green]intact[/]: {file}: {_described(manifest)}")

"""`hizone db ...`: the store's schema."""

from __future__ import annotations

import typer
from rich import print as rprint

from hizone.config import Settings
from hizone.registry.sync import sync_store
from hizone.store import connect, upgrade

db_app = typer.Typer(help="The store: create or migrate the database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest schema (HIZONE_DATABASE_URL, default var/)."""
    settings = Settings.from_env()
    upgrade(connect(settings.database_url))
    rprint(sync_store(connect(settings.database_url)).describe())
    rprint(f"[green]schema up to date[/] at {settings.database_url}")

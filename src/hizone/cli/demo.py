"""`hizone demo`: generate the synthetic demo data set and load it into the store."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from hizone.cli.common import console, user_errors
from hizone.config import Settings, analytics_path


@user_errors
def demo(
    enterprises: int = typer.Option(20_000, min=500, help="How many synthetic enterprises (200000 for benchmarks)."),
    seed: int = typer.Option(2021, help="Random seed: the same seed gives the same data."),
    replace: bool = typer.Option(False, "--replace", help="Drop everything in the store first."),
) -> None:
    """Build the deterministic synthetic demo data set (all zones, 5 years, 24 months) into the store."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import MetaData

    from hizone.analytics.read import ReadCache
    from hizone.auth.users import create_demo_users
    from hizone.catalog import default_catalog
    from hizone.demo import generate, load
    from hizone.demo.contests import load_contests
    from hizone.demo.reporting import remind_demo_users
    from hizone.registry import load_provinces, load_zones
    from hizone.store import connect, upgrade
    from hizone.store.read_views import drop_read_views, form_views, refresh_read_views

    settings = Settings.from_env()
    engine = connect(settings.database_url)
    if replace:
        drop_read_views(engine)  # PostgreSQL drops no table a view depends on
        stored = MetaData()  # every table the store holds, read from it: not every one is in store.models
        stored.reflect(engine)
        stored.drop_all(engine)
    upgrade(engine)
    catalog = default_catalog()
    refresh_read_views(engine, form_views(catalog))
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"),
                  TimeElapsedColumn(), console=console(), transient=False) as progress:
        task = progress.add_task("generating", total=6, detail="")
        data = generate(catalog, load_provinces(), load_zones(), enterprises, seed)
        progress.update(task, advance=1, description="loading", detail=f"{enterprises:,} enterprises")
        counts = load(engine, data, catalog,
                      lambda step, n: progress.update(task, advance=1, detail=f"{step}: {n:,}"))
        progress.update(task, completed=6, description="done")
    console().print(f"[green]synthetic demo data loaded[/] into {engine.url.render_as_string()} "
                  f"in {time.perf_counter() - started:.1f} s: "
                  + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
    # The contests need the registry and reports loaded above, and the analytics file built over them (the follow-up
    # reads it; the server then starts from this build).
    if replace:  # an analytics file of the dropped store is no base for an incremental build
        analytics_path(settings).unlink(missing_ok=True)
    reader = ReadCache(engine, analytics_path(settings)).get()
    contest_counts, judges = load_contests(engine, reader, seed)
    console().print(", ".join(f"{n:,} {what}" for what, n in contest_counts.items()))
    _print_demo_users(create_demo_users(engine) + judges, settings.var_dir / "demo-users.txt")
    console().print(f"demo reminders (in the app): {remind_demo_users(engine, max(data.annual), catalog)} users")


def _print_demo_users(users: list[tuple[str, str, str, str]], keep: Path) -> None:
    """Show the demo logins once and keep them (var/ is never committed) for later look-ups."""
    lines = [f"{name:<16} {password:<18} {role:<10} {scope}" for name, password, role, scope in users]
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text("username         password           role       scope\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    console().print(f"demo users (also in {keep}):")
    for line in lines:
        console().print("  " + line, highlight=False)

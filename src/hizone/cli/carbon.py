"""`hizone carbon compute`: an activity file (energy by kind in physical units) → tce and CO2 per entity.

Thin: read the file, resolve the factors of the year, call the engine, write the CSV. The output file appears
only when the whole input was good (written beside the target, then renamed over it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hizone.cli.common import Format, acting_user, command_group, open_configured_store, user_errors
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from hizone.analytics.read import Reader

carbon_app = command_group("Carbon accounts (碳账户): energy → standard coal (tce) and CO2 with the factor library.")


@carbon_app.command("compute")
@user_errors
def compute_command(
    activity: Annotated[Path, typer.Option(help="CSV: entity,province_code,energy,quantity,unit (one row per "
                                                "entity and energy).")],
    year: Annotated[int, typer.Option(help="The data year; the factors in force that year (a year without a "
                                           "published grid factor uses the latest earlier year, noted on stderr).")],
    out: Annotated[Path, typer.Option(help="CSV written: entity,tce_equivalent,co2_scope1,co2_scope2_location,"
                                           "co2_scope2_market,co2_total_location (tonnes).")],
    grid: Annotated[str, typer.Option(help="Location-based grid factor: national (default) or regional (the "
                                           "regional grid of each row's province_code).")] = "national",
) -> None:
    """Standard coal (当量值) and CO2 by scope for every entity of an activity file."""
    import csv

    from hizone.carbon.activity import read_activity
    from hizone.carbon.engine import OUTPUT_COLUMNS, compute
    from hizone.carbon.factors import default_library

    library = default_library()
    factors = library.resolve(year, grid)
    read = read_activity(activity, dict(library.energies))
    given = read.with_grid_regions(activity, library.region_of) if grid == "regional" else read.activity
    accounts = compute(given, factors)
    for note in factors.notes:
        typer.echo(f"note: {note}", err=True)
    partial = out.with_name(f".{out.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as stream:
        # A data file for other programs: plain CSV, entity codes exactly as given (no spreadsheet escaping).
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(OUTPUT_COLUMNS)
        writer.writerows(_formatted(row) for row in accounts.rows())
    partial.replace(out)
    typer.echo(f"{len(accounts.entities)} entities, {year}: factors {factors.version} "
               f"(fingerprint {factors.fingerprint}) -> {out}")


def _formatted(row: tuple[str, float, float, float, float, float]) -> list[str]:
    entity, *values = row
    return [entity, *(f"{value:.6f}" for value in values)]


ACCOUNT_COLUMNS = ["level", "key", "year", "reporters", "tce_equivalent", "tce_equal_value", "co2_scope1",
                   "co2_scope2_location", "co2_scope2_market", "co2_total_location", "value_added",
                   "energy_intensity", "industrial_energy_intensity", "co2_intensity", "carbon_productivity",
                   "co2_per_tce", "co2_intensity_yoy", "base_year", "energy_path", "co2_path", "warning",
                   "factor_version", "withheld", "published_version", "changed_since"]
LevelOption = Annotated[str, typer.Option(help="zone, province, region or nation.")]
AnalyticsOption = Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")]


@carbon_app.command("accounts")
@user_errors
def accounts_command(
    year: Annotated[int, typer.Option(help="The data year.")],
    level: LevelOption = "zone",
    key: Annotated[list[str] | None, typer.Option(help="Group key(s) at --level (default: every group).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    analytics: AnalyticsOption = None,
) -> None:
    """Carbon accounts from the analytics file (run `hizone build` first): tce, CO2 by scope, the Σ/Σ intensities
    (tce/万元, tCO2/万元, 碳生产率 万元/tCO2, tCO2/tce; value added in 万元), y/y, the pathway and warning level.
    A published account shows as published (`hizone carbon publish`), with what changed since if anything did."""
    from hizone.carbon.accounts import Status
    from hizone.cli.analytics import _emit
    from hizone.store.carbon_accounts import Basis, latest_published, stale_reason

    reader, found = _statuses(year, level, key, analytics)
    engine = open_configured_store()
    with engine.connect() as conn:
        published = latest_published(conn, year, level, [s.account.key for s in found if isinstance(s, Status)])
    build_state = reader.build_state()
    rows = []
    for status in found:
        if not isinstance(status, Status):
            rows.append({"level": status.level, "key": status.key, "year": status.year, "withheld": status.reason})
        elif (shown := published.get(status.account.key)) is not None:
            why = stale_reason(engine, shown, Basis.of(status.account, build_state))
            if why:
                typer.echo(f"note: {shown.key} {year} shows published version {shown.version}; {why}", err=True)
            rows.append({c: shown.figures.get(c) for c in ACCOUNT_COLUMNS} |
                        {"published_version": shown.version, "changed_since": why})
        else:
            account = status.account
            row = {c: getattr(account, c) for c in ACCOUNT_COLUMNS if hasattr(account, c)}
            rows.append(row | {"base_year": status.base_year, "energy_path": status.energy_path,
                               "co2_path": status.co2_path, "warning": status.level.level})
    _emit(rows, ACCOUNT_COLUMNS, fmt, f"carbon accounts {year} ({level})")


def _statuses(year: int, level: str, keys: list[str] | None, analytics: Path | None) -> tuple[Reader, list[Any]]:
    """The analytics file's reader and the status (or why withheld) of each group ``keys`` (default all)."""
    from hizone.analytics.read import Viewer, open_reader
    from hizone.analytics.rollup import NATION_KEY
    from hizone.carbon.accounts import first_year, statuses
    from hizone.carbon.factors import default_library
    from hizone.carbon.pathways import default_targets
    from hizone.config import Settings, analytics_path

    reader = open_reader(analytics or analytics_path(Settings.from_env()))
    every = {"zone": sorted(reader.zones), "province": sorted(reader.provinces), "nation": [NATION_KEY],
             "region": sorted({p.region for p in reader.provinces.values()})}
    if level not in every:
        raise HizoneError(f"unknown level {level!r} (one of {', '.join(every)})", where="--level")
    return reader, list(statuses(reader, default_library(), default_targets(), level, keys or every[level], year,
                                 Viewer.everyone(), first_year()))


@carbon_app.command("publish")
@user_errors
def publish_command(
    year: Annotated[int, typer.Option(help="The data year.")],
    level: LevelOption = "zone",
    recompute: Annotated[bool, typer.Option(help="Publish a new version of accounts whose factors or data "
                                                 "changed since they were published (the old version stays).")
                         ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (needed with --recompute; in the audit log).")] = None,
    analytics: AnalyticsOption = None,
    user: Annotated[str, typer.Option("--user", "-u", help="who publishes (in the audit log)")] = "cli",
    role: Annotated[str, typer.Option(help="admin or analyst (only the national roles publish)")] = "admin",
    zone: Annotated[str | None, typer.Option(help="the user's zone (role zone)")] = None,
    province: Annotated[str | None, typer.Option(help="the user's province (role province)")] = None,
) -> None:
    """Publish every group's account of the year at --level with the factors and data it is computed from.
    A published account never changes by itself: new figures take --recompute with a --reason."""
    from hizone.auth.policy import can_publish_carbon_accounts
    from hizone.carbon.accounts import Status
    from hizone.store.carbon_accounts import publish

    who = acting_user(user, role, zone, province)
    if not can_publish_carbon_accounts(who):  # before reading anything
        raise HizoneError(f"role {role} may not publish carbon accounts (admin or analyst only)", where="--role")
    reader, found = _statuses(year, level, None, analytics)
    written = publish(open_configured_store(), who, year, level, [s for s in found if isinstance(s, Status)],
                      reader.build_state(), recompute=recompute, reason=reason)
    first = written[0]
    typer.echo(f"{'recomputed' if recompute else 'published'} {len(written)} {level} account(s) of {year} "
               f"(factors {first.basis.factor_version}, fingerprint {first.basis.factor_fingerprint}; data change "
               f"{first.basis.data_seq}; event {first.event_seq})")


def register(app: typer.Typer) -> None:
    app.add_typer(carbon_app, name="carbon")

"""`hizone carbon compute`: an activity file (energy by kind in physical units) → tce and CO2 per entity.

Thin: read the file, resolve the factors of the year, call the engine, write the CSV. The output file appears
only when the whole input was good (written beside the target, then renamed over it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hizone.cli.common import Format, command_group, user_errors

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
                   "factor_version", "withheld"]


@carbon_app.command("accounts")
@user_errors
def accounts_command(
    year: Annotated[int, typer.Option(help="The data year.")],
    level: Annotated[str, typer.Option(help="zone, province, region or nation.")] = "zone",
    key: Annotated[list[str] | None, typer.Option(help="Group key(s) at --level (default: every group).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    analytics: Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")] = None,
) -> None:
    """Carbon accounts from the analytics file (run `hizone build` first): tce, CO2 by scope, the Σ/Σ intensities
    (tce/万元, tCO2/万元, 碳生产率 万元/tCO2, tCO2/tce; value added in 万元), y/y, the pathway and warning level."""
    from hizone.analytics.read import Viewer, open_reader
    from hizone.analytics.rollup import NATION_KEY
    from hizone.carbon.accounts import Status, first_year, statuses
    from hizone.carbon.factors import default_library
    from hizone.carbon.pathways import default_targets
    from hizone.cli.analytics import _emit
    from hizone.config import Settings, analytics_path
    from hizone.errors import HizoneError

    reader = open_reader(analytics or analytics_path(Settings.from_env()))
    every = {"zone": sorted(reader.zones), "province": sorted(reader.provinces), "nation": [NATION_KEY],
             "region": sorted({p.region for p in reader.provinces.values()})}
    if level not in every:
        raise HizoneError(f"unknown level {level!r} (one of {', '.join(every)})", where="--level")
    rows = []
    for status in statuses(reader, default_library(), default_targets(), level, key or every[level], year,
                           Viewer.everyone(), first_year()):
        if isinstance(status, Status):
            account = status.account
            row = {c: getattr(account, c) for c in ACCOUNT_COLUMNS if hasattr(account, c)}
            rows.append(row | {"base_year": status.base_year, "energy_path": status.energy_path,
                               "co2_path": status.co2_path, "warning": status.level.level})
        else:
            rows.append({"level": status.level, "key": status.key, "year": status.year, "withheld": status.reason})
    _emit(rows, ACCOUNT_COLUMNS, fmt, f"carbon accounts {year} ({level})")


def register(app: typer.Typer) -> None:
    app.add_typer(carbon_app, name="carbon")

"""`hizone readings send / rollup / alerts`: meter readings of the main energy-using units from the command line,
through the same checks and store as the API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from hizone.cli.common import acting_user, command_group, open_configured_store, user_errors
from hizone.errors import HizoneError

readings_app = command_group("Meter readings of the main energy-using units (重点用能单位).")

UserOption = Annotated[str, typer.Option("--user", "-u", help="who acts (recorded in the change sequence)")]
RoleOption = Annotated[str, typer.Option("--role", help="admin or analyst (national), zone or enterprise")]
ZoneOption = Annotated[str | None, typer.Option(help="the user's zone (role zone)")]


@readings_app.command("send")
@user_errors
def send_command(file: Annotated[Path, typer.Argument(help="a .json or .csv batch", exists=True, dir_okay=False)],
                 key: Annotated[str, typer.Option(help="the batch's idempotency key")],
                 user: UserOption = "cli", role: RoleOption = "admin", zone: ZoneOption = None) -> None:
    """Store one batch: all of it or none; the same key and content again stores nothing."""
    from hizone.carbon.readings import default_config, parse_csv, parse_json
    from hizone.store.readings import KeyConflict, ReadingsRefused, store_batch

    if file.suffix.lower() not in (".json", ".csv"):
        raise HizoneError("a batch is a .json or .csv file", where=str(file))
    body = file.read_bytes()
    batch = parse_json(body) if file.suffix.lower() == ".json" else parse_csv(body)
    try:
        stored = store_batch(open_configured_store(), acting_user(user, role, zone, None), key, batch,
                             default_config())
    except ReadingsRefused as exc:
        for problem in exc.refused.problems:
            typer.echo(f"{file.name}, {problem}", err=True)
        raise HizoneError(exc.refused.summary(), where=str(file)) from None
    except KeyConflict as exc:
        raise HizoneError(exc.reason, where="--key") from None
    verb = "already stored as" if stored.replayed else "stored as"
    typer.echo(f"{stored.readings} readings {verb} batch {stored.batch_id}")


@readings_app.command("rollup")
@user_errors
def rollup_command(start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD (China time)")],
                   end: Annotated[str, typer.Option(help="the day after the last, YYYY-MM-DD")],
                   level: Annotated[str, typer.Option(help="meter, unit or zone")] = "zone",
                   grain: Annotated[str, typer.Option(help="day or month")] = "day") -> None:
    """Readings summed per level, energy and period, as JSON lines (national view)."""
    from hizone.auth.policy import Principal
    from hizone.carbon.readings import CHINA_OFFSET_S, rollup
    from hizone.store.readings import load_readings, meter_info

    bounds = []
    for name, day in (("--start", start), ("--end", end)):
        try:
            bounds.append(int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()) - CHINA_OFFSET_S)
        except ValueError:
            raise HizoneError("not a date (YYYY-MM-DD)", where=name) from None
    engine = open_configured_store()
    with engine.connect() as conn:
        meters = meter_info(conn, Principal("cli", "admin"))
        readings = load_readings(conn, meters, bounds[0], bounds[1])
    for key, energy, period, total, count in rollup(readings, meters, level, grain).rows():
        typer.echo(json.dumps({"key": key, "energy": energy, "period": period, "total": total, "readings": count},
                              ensure_ascii=False))


@readings_app.command("alerts")
@user_errors
def alerts_command() -> None:
    """Run the readings' warning rules (catalog alerts/energy_readings.yaml) and keep what they raise."""
    from hizone.carbon.readings import default_config
    from hizone.store.readings import raise_history_alerts

    counts = raise_history_alerts(open_configured_store(), default_config())
    typer.echo(f"{counts['new']} new alert(s), {counts['seen']} seen before")

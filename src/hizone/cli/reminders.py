"""`hizone reminders run`: the day's reporting reminders (in-app notices and e-mail), from cron once a day."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from hizone.cli.common import command_group, console, open_configured_store, user_errors

reminders_app = command_group("Reporting reminders before and after the calendar's deadlines (催报).")


@reminders_app.command("run")
@user_errors
def run_command(
    on: Annotated[dt.datetime | None, typer.Option("--on", formats=["%Y-%m-%d"],
                                                   help="the day to remind for (default: today in China)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list who would be reminded; send nothing")] = False,
) -> None:
    """Remind each reporter due a reminder: one notice (and one e-mail) a day per user, each logged; a second run
    on the same day sends nothing. A failed e-mail is logged and the run goes on."""
    from hizone.config import Settings
    from hizone.online.calendar import local_date
    from hizone.online.dispatch import EMAIL, run_reminders

    settings = Settings.from_env()
    day = on.date() if on else local_date(dt.datetime.now(dt.UTC))
    link = f"{settings.base_url}/reporting" if settings.base_url else None
    outcome = run_reminders(open_configured_store(), day, settings.mail, dry_run=dry_run, link=link)
    out = console()
    out.print(f"{day.isoformat()}: {len(outcome.due)} report(s) due a reminder"
              + "".join(f"\n  {d.form} {d.period}: {d.days} day(s) {d.kind} the deadline {d.deadline}"
                        for d in outcome.due), highlight=False)
    for name, items in outcome.reminded.items():
        result = outcome.results.get(name, {}).get(EMAIL, "dry run: nothing sent")
        keys = ", ".join(f"{i.due.form} {i.due.period} {i.entity_key}" for i in items)
        out.print(f"  {name}: {keys} — e-mail {result}", highlight=False)
    for name in outcome.already:
        out.print(f"  {name}: already reminded on {day.isoformat()}", highlight=False)
    verb = "would remind" if dry_run else "reminded"
    out.print(f"{verb} {len(outcome.reminded)} user(s); e-mail sent {outcome.count(EMAIL)}, failed "
              f"{sum(1 for r in outcome.results.values() if r[EMAIL].startswith('failed'))}; "
              f"{len(outcome.already)} already reminded today", highlight=False)

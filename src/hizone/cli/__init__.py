"""The `hizone` command: one Typer app; each capability mounts its own sub-commands."""

from __future__ import annotations

import sys

from hizone.cli.analytics import register as register_analytics
from hizone.cli.carbon import register as register_carbon
from hizone.cli.common import command_group, console
from hizone.cli.demo import demo
from hizone.cli.index import index_app
from hizone.cli.intake import register as register_intake
from hizone.cli.ladder import ladder_app
from hizone.cli.ranking import register as register_ranking
from hizone.cli.readings import readings_app
from hizone.cli.registry import registry_app
from hizone.cli.reports import report_app
from hizone.cli.store import db_app
from hizone.cli.web import register as register_web
from hizone.errors import HizoneError

app = command_group("hizone: statistics, indicators and evaluation of China's national high-tech zones.")
app.add_typer(db_app, name="db")
app.command("demo")(demo)
app.add_typer(index_app, name="index")
app.add_typer(registry_app, name="registry")
app.add_typer(readings_app, name="readings")
app.add_typer(ladder_app, name="ladder")
app.add_typer(report_app, name="report")
register_intake(app)
register_analytics(app)
register_ranking(app)
register_web(app)
register_carbon(app)

def main() -> None:
    """Entry point: a user's mistake is one line on stderr and exit code 2, never a traceback."""
    try:
        app()
    except HizoneError as error:
        console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)

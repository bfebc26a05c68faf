"""The `hizone` command: one Typer app; each capability mounts its own sub-commands."""

from __future__ import annotations

import functools
import sys

import typer.main
from typer import _click
from typer.core import TyperCommand
from typer.models import TyperInfo

from hizone.cli.analytics import register as register_analytics
from hizone.cli.bulletins import bulletins_app
from hizone.cli.bulletins_store import register as register_bulletins_store
from hizone.cli.carbon import register as register_carbon
from hizone.cli.common import DeferredGroups, command_group, console
from hizone.cli.contests import register as register_contests
from hizone.cli.demo import demo
from hizone.cli.incubation import incubation_app
from hizone.cli.index import index_app
from hizone.cli.intake import register as register_intake
from hizone.cli.ladder import ladder_app
from hizone.cli.ranking import register as register_ranking
from hizone.cli.readings import readings_app
from hizone.cli.registry import registry_app
from hizone.cli.reminders import reminders_app
from hizone.cli.reports import report_app
from hizone.cli.store import db_app
from hizone.cli.talent import talent_app
from hizone.cli.web import register as register_web
from hizone.errors import HizoneError

app = command_group("hizone: statistics, indicators and evaluation of China's national high-tech zones.",
                    DeferredGroups)
app.add_typer(db_app, name="db")
app.command("demo")(demo)
app.add_typer(index_app, name="index")
app.add_typer(registry_app, name="registry")
app.add_typer(readings_app, name="readings")
app.add_typer(ladder_app, name="ladder")
app.add_typer(report_app, name="report")
app.add_typer(bulletins_app, name="bulletins")
app.add_typer(incubation_app, name="incubation")
app.add_typer(talent_app, name="talent")
app.add_typer(reminders_app, name="reminders")
register_intake(app)
register_analytics(app)
register_ranking(app)
register_web(app)
register_carbon(app)
register_bulletins_store(bulletins_app)
register_contests(app)


def command() -> _click.Command:
    """`app` as Click runs it, with each sub-group built only when it is run (see DeferredGroups); what Typer
    builds from `app` at once (the tests' CliRunner) is the same command."""
    groups, app.registered_groups = app.registered_groups, []
    try:
        root = typer.main.get_command(app)
    finally:
        app.registered_groups = groups
    assert isinstance(root, DeferredGroups)
    for info in groups:
        solved = typer.main.solve_typer_info_defaults(info)
        root.defer(TyperCommand(name=solved.name, help=solved.help, short_help=solved.short_help,
                                hidden=solved.hidden, deprecated=solved.deprecated), functools.partial(_group, info))
    return root


def _group(info: TyperInfo) -> _click.Command:
    return typer.main.get_group_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                          suggest_commands=app.suggest_commands, rich_markup_mode=app.rich_markup_mode)


def main() -> None:
    """Entry point: a user's mistake is one line on stderr and exit code 2, never a traceback."""
    try:
        command()()
    except HizoneError as error:
        console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)

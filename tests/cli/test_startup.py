"""The command line starts at once: building it and answering --help import none of the heavy libraries, and a
command imports only what it uses (`hizone index run`: the engine's NumPy and the pipeline file's YAML reader,
no Pydantic for Typer's option conversion, no Rich, pandas or SciPy)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from hizone.cli import app, command

HEAVY = ("fastapi", "starlette", "uvicorn", "duckdb", "alembic", "sqlalchemy", "pandas", "pyarrow", "numpy",
         "argon2", "pydantic", "rich", "hizone.demo", "hizone.web", "hizone.store", "playwright", "jinja2",
         "hizone.reports")
# What `hizone index run` needs beyond the command line itself: the engine and the pipeline file's reader.
INDEX_RUN_NEEDS = ("numpy", "yaml")
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "evaluate"
PIPELINE = "steps:\n  - impute: {method: mean}\n  - normalise: {method: minmax, range: [0, 100]}\n  - aggregate: {}\n"
runner = CliRunner()


def _loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``code`` (a new process: nothing preloaded)."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert _loaded_after("import hizone.cli") == []


def test_help_of_every_command_imports_no_heavy_library() -> None:
    code = ("from typer.testing import CliRunner\nfrom hizone.cli import app\nrunner = CliRunner()\n"
            "for args in (['--help'], ['index', 'run', '--help'], ['db', '--help'], ['import', '--help'],\n"
            "             ['serve', '--help'], ['users', 'add', '--help'], ['report', 'zones', '--help'],\n"
            "             ['report', 'monthly', '--help']):\n"
            "    result = runner.invoke(app, args)\n"
            "    assert result.exit_code == 0, (args, result.output)\n")
    assert _loaded_after(code) == []


def test_the_entry_points_help_imports_no_heavy_library() -> None:
    code = ("import sys\nsys.argv = ['hizone', '--help']\nfrom hizone.cli import main\n"
            "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code\n")
    assert _loaded_after(code) == []


def _run(cli: Callable[..., object], args: list[str]) -> tuple[object, str]:
    """(exit code, everything printed) of one invocation as the shell makes it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), pytest.raises(SystemExit) as done:
        cli(args, prog_name="hizone")
    return done.value.code, out.getvalue()


def _command_paths(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    commands = getattr(group, "commands", {})
    return [path] + [p for name, sub in commands.items() for p in _command_paths(sub, (*path, name))]


def test_the_entry_point_lists_every_command_and_answers_each_help_as_typer_does() -> None:
    """`main` builds a group only when it is run; its help, every command's help and its answer to a typo are
    those of the command Typer builds from `app` at once."""
    built = typer.main.get_command(app)
    paths = _command_paths(built)
    assert len(paths) > 40 and ("index", "run") in paths and ("users", "add") in paths
    listed = _run(command(), ["--help"])[1]
    assert all(f"  {name} " in listed for name in built.commands)  # type: ignore[attr-defined]
    for path in paths:
        assert _run(command(), [*path, "--help"]) == _run(app, [*path, "--help"]), path
    typo = _run(command(), ["indx"])  # ("inde" is as near to "reminders")
    assert typo == _run(app, ["indx"]) and "Did you mean 'index'?" in typo[1]


def _index_run(tmp_path: Path) -> list[str]:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    return ["index", "run", "--data", str(FIXTURES / "small_data.csv"), "--meta", str(FIXTURES / "small_meta.csv"),
            "--pipeline", str(pipeline), "--out", str(tmp_path / "index.csv")]


def test_index_run_imports_only_the_engine_and_the_yaml_reader(tmp_path: Path) -> None:
    """The whole command in a fresh process, as a user runs it: its options converted without Pydantic."""
    code = (f"import sys\nsys.argv = ['hizone', *{_index_run(tmp_path)!r}]\nfrom hizone.cli import main\n"
            "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code\n")
    loaded = {module.split(".")[0] for module in _loaded_after(code)} - set(INDEX_RUN_NEEDS)
    assert loaded == set()
    assert (tmp_path / "index.csv").read_text(encoding="utf-8").startswith('"uCode","a"')


def test_options_converted_plainly_keep_typers_checks(tmp_path: Path) -> None:
    """Text and path options skip Typer's Pydantic conversion, not its checks; other types keep Typer's."""
    missing = runner.invoke(app, ["registry", "import-enterprises", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    directory = runner.invoke(app, ["registry", "import-enterprises", str(tmp_path)])
    assert directory.exit_code == 2 and "is a directory" in directory.output
    not_a_number = runner.invoke(app, ["demo", "--enterprises", "many"])
    assert not_a_number.exit_code == 2 and "valid integer" in not_a_number.output
    too_few = runner.invoke(app, ["demo", "--enterprises", "10"])
    assert too_few.exit_code == 2 and "500" in too_few.output
    done = runner.invoke(app, [*_index_run(tmp_path), "--stage", "normalised"])
    assert done.exit_code == 0, done.output
    assert "(normalised)" in done.output and (tmp_path / "index.csv").exists()


@pytest.mark.parametrize("stage", ["", "Aggregated"])
def test_a_text_option_is_passed_as_given(tmp_path: Path, stage: str) -> None:
    refused = runner.invoke(app, [*_index_run(tmp_path), "--stage", stage])
    assert refused.exit_code == 2 and f"unknown stage {stage!r}" in refused.output

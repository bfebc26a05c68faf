"""The command line starts at once: building it and answering --help import none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("fastapi", "starlette", "uvicorn", "duckdb", "alembic", "sqlalchemy", "pandas", "pyarrow", "numpy",
         "argon2", "hizone.demo", "hizone.web", "hizone.store")


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
            "             ['serve', '--help'], ['users', 'add', '--help']):\n"
            "    result = runner.invoke(app, args)\n"
            "    assert result.exit_code == 0, (args, result.output)\n")
    assert _loaded_after(code) == []

"""Settings read from the environment, with the embedded default (SQLite under var/)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_VAR_DIR = Path("var")


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    secret_key: str

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(os.environ.get("HIZONE_VAR_DIR", DEFAULT_VAR_DIR))
        url = os.environ.get("HIZONE_DATABASE_URL") or f"sqlite:///{var_dir / 'hizone.sqlite'}"
        # A random per-process key keeps sessions safe when none is configured; production sets one.
        secret = os.environ.get("HIZONE_SECRET_KEY") or os.urandom(32).hex()
        return cls(database_url=url, var_dir=var_dir, secret_key=secret)

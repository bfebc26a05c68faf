"""The published OpenAPI schema: `python -m hizone.web.openapi docs/openapi.json` writes it.

A test compares the file with the app's schema, so the published copy never drifts from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hizone.config import Settings
from hizone.store import connect


def schema() -> dict[str, Any]:
    """The schema, built from an app on a throwaway in-memory store (the schema does not depend on data)."""
    from hizone.web.app import create_app

    engine = connect("sqlite://")
    app = create_app(engine, Settings(database_url="sqlite://", var_dir=Path("var"), secret_key="schema"))
    return app.openapi()


def render() -> str:
    return json.dumps(schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/openapi.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()

"""One catalog loader: a user's directory in HIZONE_CATALOG_PATH is seen by every package that reads the catalog."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hizone.catalog import package_directory

# Each package's reading of one value, printed as JSON by a fresh interpreter (so no cache is shared).
PROBE = """
import json
from hizone.analytics.definitions import default_indicators
from hizone.analytics.disclosure_rules import disclosure_rules
from hizone.catalog import default_catalog
from hizone.intake.rules import rules_for
from hizone.online.calendar import window
from hizone.monitor.rules import default_rules
from hizone.ranking.framework import framework_for

print(json.dumps({
    "catalog": default_catalog().elements["revenue"].name_en,
    "intake": rules_for("enterprise_annual", 2023).outliers[0].max_ratio,
    "calendar": window("enterprise_annual", "2023").deadline.isoformat(),
    "analytics": default_indicators().indicators["enterprise_count"].name_en,
    "disclosure": disclosure_rules(2023).min_contributors["zone"],
    "monitor": next(r.params["factor"] for r in default_rules() if r.code == "revenue_month_jump"),
    "ranking": framework_for("zone_evaluation", 2023).name_en,
}))
"""

# The user's copies: (file under the catalog, text in the package's file, the user's text instead).
CHANGES = [
    ("elements.yaml", "name_en: Operating revenue,", "name_en: Revenue as the user names it,"),
    # 2023's rules are version 2022's, which inherits version 2019's: the user's copy of 2019 reaches them.
    ("rules/enterprise_annual-2019.yaml", "{element: revenue, max_ratio: 10,", "{element: revenue, max_ratio: 45,"),
    ("calendar/torch-2019.yaml", "deadline: Y+1-04-30}   # 企业年报", "deadline: Y+1-05-31}   # 企业年报"),
    ("indicators/enterprise_annual.yaml", "name_en: Reporting enterprises", "name_en: Enterprises reporting"),
    ("disclosure/aggregates-2019.yaml", "  zone: 3", "  zone: 5"),
    ("alerts/data_quality.yaml", "    factor: 3", "    factor: 4"),
    ("frameworks/zone_evaluation-2021.yaml", "name_en: Comprehensive evaluation of the national high-tech zones",
     "name_en: The user's evaluation"),
]


def _seen(catalog_path: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "HIZONE_CATALOG_PATH"}
    if catalog_path is not None:
        env["HIZONE_CATALOG_PATH"] = catalog_path
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    seen: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def test_every_package_reads_the_users_copy_of_its_catalog_files(tmp_path: Path) -> None:
    for name, before, after in CHANGES:
        text = (package_directory() / name).read_text(encoding="utf-8")
        assert text.count(before) >= 1, (name, before)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text.replace(before, after, 1), encoding="utf-8")
    package = _seen(None)
    assert package == {"catalog": "Operating revenue", "intake": 10, "calendar": "2024-04-30",
                       "analytics": "Reporting enterprises",
                       "disclosure": 3, "monitor": 3,
                       "ranking": "Comprehensive evaluation of the national high-tech zones"}
    # An empty entry and a directory without catalog files are skipped; the user's directory wins.
    users = _seen(os.pathsep.join(["", str(tmp_path / "empty"), str(tmp_path)]))
    assert users == {"catalog": "Revenue as the user names it", "intake": 45, "calendar": "2024-05-31",
                     "analytics": "Enterprises reporting",
                     "disclosure": 5, "monitor": 4, "ranking": "The user's evaluation"}

"""50 users mixing page views, exports and uploads for 15 seconds against a real `hizone serve` on each store:
no 5xx, no connection error, no unexpected answer, and every accepted upload is in the store.

It runs benchmarks/bench_load.py (the two-minute version is `make bench`) and checks its verdict; the
benchmark's own docstring says what the users do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_fifty_users_for_fifteen_seconds_meet_no_error_and_every_upload_lands(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_load.py"), "--seconds", "15",
                           "--users", "50", "--enterprises", "1000", "--baseline-seconds", "3", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert out.is_file(), done.stdout + done.stderr
    results = {r["store"]: r for r in json.loads(out.read_text())}
    assert set(results) == {"sqlite", "postgresql"}
    for store, result in results.items():
        # The server's own account first: a 5xx is logged there with its traceback.
        assert result["errors"] == {} and result["unexpected"] == {}, (store, result["errors"],
                                                                      result["unexpected"], result["first_traceback"])
        assert result["server_tracebacks"] == 0, (store, result["first_traceback"])
        assert result["uploads_ok"] > 0 and result["refused_as_expected"] > 0, (store, result)
        assert result["uploads_landed"], (store, result)
        assert result["batches_stored"] == result["uploads_ok"], store
        assert result["ok"], (store, result)
    assert done.returncode == 0, done.stdout[-2000:]

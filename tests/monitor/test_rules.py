"""Rule evaluation over plain arrays (no store), and rule files checked at load time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hizone.errors import CatalogError
from hizone.monitor.rules import Rule, SeriesTable, evaluate, load_rules, robust_z

MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]


def rule(kind: str, indicator: str = "revenue_month_yoy", **params: object) -> Rule:
    return Rule(f"test_{kind}", kind, indicator, "zone", "warning", "测试", "test", params, "test")  # type: ignore[arg-type]


def table(indicator: str, rows: dict[str, list[float | None]], peers: dict[str, str] | None = None) -> SeriesTable:
    return SeriesTable.from_series(indicator, "zone", {k: [(p, v) for p, v in zip(MONTHS, vals, strict=False)]
                                                       for k, vals in rows.items()}, peers)


CLEAN = [5.0, 6.0, 5.5, 7.0, 6.2, 5.8, 6.1, 6.4, 5.9, 6.6, 6.0, 6.3]


def test_threshold_needs_the_run_of_consecutive_periods() -> None:
    slump = [5, -35, -40, 2, -31, -32, -45, -50, 1, 1, 1, 1]
    alerts = evaluate(rule("threshold", below=-30, periods=3), table("revenue_month_yoy",
                                                                    {"Z1": slump, "Z2": CLEAN}))
    assert [(a.key, a.period, a.evidence["since"]) for a in alerts] == [("Z1", "2023-07", "2023-05")]
    assert alerts[0].evidence["series"][-1] == ["2023-07", -45.0]


def test_trend_counts_declines_larger_than_the_minimum_step() -> None:
    falling = [10, 9, 6, 3, 0, -3, -2, 0, 1, 1, 1, 1]
    wobbling = [10, 9.5, 9.0, 8.5, 8.0, 7.5, 7, 6.5, 6, 5.5, 5, 4.5]  # steady but each step is only 0.5
    alerts = evaluate(rule("trend", "revenue_cum_yoy", periods=4, min_drop=2),
                      table("revenue_cum_yoy", {"Z1": falling, "Z2": wobbling, "Z3": CLEAN}))
    assert [(a.key, a.period) for a in alerts] == [("Z1", "2023-06")]


def test_robust_z_matches_a_hand_computed_value() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    # median 3, |x − 3| = 2, 1, 0, 1, 97 → MAD 1 → z(100) = 97 / 1.4826
    assert robust_z(values)[-1] == pytest.approx(97 / 1.4826)
    assert np.isnan(robust_z(np.array([1.0, 1.0, 1.0, 5.0]))).all()  # MAD 0: no score rather than infinity


def test_peer_outliers_are_judged_within_their_group() -> None:
    rows = {"E1": [5.0] * 12, "E2": [6.0] * 12, "E3": [7.0] * 12, "E4": [6.5] * 12, "E5": [40.0] + [6.0] * 11,
            "W1": [40.0] * 12, "W2": [41.0] * 12, "W3": [39.0] * 12}
    peers = {k: ("east" if k.startswith("E") else "west") for k in rows}
    alerts = evaluate(rule("peer_outlier", "revenue_cum_yoy", peer_group="region", z=5),
                      table("revenue_cum_yoy", rows, peers))
    assert [(a.key, a.period, a.evidence["peer_group"]) for a in alerts] == [("E5", "2023-01", "east")]


def test_jump_finds_a_keying_error_and_its_echo_but_not_seasonality() -> None:
    seasonal = [80.0, 60.0, 100.0, 105.0, 110.0, 108.0, 112.0, 115.0, 111.0, 118.0, 120.0, 150.0]
    keyed = [100.0, 102.0, 101.0, 104.0, 103.0, 520.0, -310.0, 106.0, 108.0, 107.0, 109.0, 110.0]
    alerts = evaluate(rule("jump", "revenue_month", factor=3, window=6),
                      table("revenue_month", {"clean": seasonal, "keyed": keyed}))
    assert [(a.key, a.period) for a in alerts] == [("keyed", "2023-06"), ("keyed", "2023-07")]
    assert alerts[0].evidence["ratio"] == pytest.approx(520 / 102)


def test_missing_periods_are_those_others_reported() -> None:
    series = {"Z1": [(p, 1.0) for p in MONTHS], "Z2": [(p, 1.0) for p in MONTHS if p != "2023-05"],
              "Z3": [(p, 1.0) for p in MONTHS[6:]]}  # Z3 started reporting in July: not missing before
    alerts = evaluate(rule("missing", "revenue_cum"), SeriesTable.from_series("revenue_cum", "zone", series))
    assert [(a.key, a.period) for a in alerts] == [("Z2", "2023-05")]


def test_clean_series_raise_nothing_under_any_rule() -> None:
    rows = {f"Z{i}": [v * (1 + i / 50) for v in CLEAN] for i in range(6)}
    peers = dict.fromkeys(rows, "east")
    for r in (rule("threshold", "x", below=-30, periods=3), rule("trend", "x", periods=4, min_drop=2),
              rule("peer_outlier", "x", peer_group="region", z=5), rule("jump", "x", factor=3, window=6),
              rule("missing", "x")):
        assert evaluate(r, table("x", rows, peers)) == []


def write_rules(folder: Path, body: str) -> Path:
    path = folder / "rules.yaml"
    path.write_text("version: 1\nrules:\n" + body, encoding="utf-8")
    return path


def test_the_package_rules_load() -> None:
    kinds = {r.kind for r in load_rules()}
    assert kinds == {"threshold", "trend", "peer_outlier", "jump", "missing"}


def test_a_rule_on_a_missing_indicator_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_rules(tmp_path, "  r1:\n    kind: threshold\n    indicator: revenue_month_yoy\n    below: -30\n"
                                 "  r2:\n    kind: threshold\n    indicator: no_such_indicator\n    below: 1\n")
    with pytest.raises(CatalogError, match="unknown indicator 'no_such_indicator'") as error:
        load_rules([tmp_path])
    assert error.value.where == f"{path}:9"


@pytest.mark.parametrize(("body", "message"), [
    ("  r:\n    kind: sometimes\n    indicator: revenue_cum\n", "'kind' must be one of"),
    ("  r:\n    kind: trend\n    indicator: revenue_cum\n", "needs periods"),
    ("  r:\n    kind: threshold\n    indicator: revenue_cum\n    below: lots\n", "'below' must be a number"),
    ("  r:\n    kind: peer_outlier\n    indicator: revenue_cum\n    peer_group: planet\n    z: 3\n",
     "'peer_group' must be one of"),
])
def test_bad_rules_are_refused(tmp_path: Path, body: str, message: str) -> None:
    write_rules(tmp_path, body)
    with pytest.raises(CatalogError, match=message):
        load_rules([tmp_path])

"""`hizone index ...` through Typer's test runner: file formats, stages and one-line errors."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hizone.cli.index import index_app

from .conftest import ASEM, FIXTURES
from .test_asem import ASEM_PIPELINE, Reference

runner = CliRunner()
SMALL = ["--data", str(FIXTURES / "small_data.csv"), "--meta", str(FIXTURES / "small_meta.csv")]
ASEM_FILES = ["--data", str(ASEM / "ASEM_iData.csv"), "--meta", str(ASEM / "ASEM_iMeta.csv")]


def write_yaml(path: Path, content: object) -> Path:
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def read_output(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference()


@pytest.mark.parametrize("stage", ["raw", "denominated", "imputed", "screened", "treated", "normalised",
                                   "aggregated"])
def test_run_writes_each_asem_stage_at_full_precision(tmp_path: Path, reference: Reference, stage: str) -> None:
    pipeline = write_yaml(tmp_path / "pipeline.yaml", ASEM_PIPELINE)
    out = tmp_path / "out.csv"
    outcome = runner.invoke(index_app, ["run", *ASEM_FILES, "--pipeline", str(pipeline), "--out", str(out),
                                        "--stage", stage])
    assert outcome.exit_code == 0, outcome.output
    header, rows = read_output(out)
    expected = getattr(reference, stage)
    codes = reference.indicators if stage != "aggregated" else list(expected)
    assert header[0] == "uCode" and header[1:] == codes
    assert len(rows) == (51 if stage in ("raw", "denominated", "imputed") else len(reference.kept))
    for row_number, row in enumerate(rows):
        for code, cell in zip(header[1:], row[1:], strict=True):
            want = expected[code][row_number]
            if want is None:
                assert cell == ""
            else:
                assert float(cell) == pytest.approx(want, rel=1e-10, abs=1e-10)
                assert float(repr(float(cell))) == float(cell)


def test_run_default_stage_is_aggregated_and_empty_cells_for_missing(tmp_path: Path) -> None:
    pipeline = write_yaml(tmp_path / "p.yaml", {"steps": [{"normalise": {"method": "minmax"}},
                                                          {"aggregate": {}}]})
    out = tmp_path / "out.csv"
    outcome = runner.invoke(index_app, ["run", *SMALL, "--pipeline", str(pipeline), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    header, rows = read_output(out)
    assert header == ["uCode", "a", "b", "c", "d", "P", "Q", "Top"]
    assert rows[1][2] == ""  # U2 has no b: normalise and output keep it missing
    assert rows[0][1] == "0.0" and rows[4][1] == "100.0"
    # full precision: 17 significant digits survive (U2's c is (8-2)/8*100 = 75, d is 2/6*100)
    assert rows[1][4] == repr(2 / 6 * 100)


def test_left_out_steps_repeat_the_previous_stage(tmp_path: Path) -> None:
    pipeline = write_yaml(tmp_path / "p.yaml", {"steps": [{"denominate": {}}]})
    outputs = {}
    for stage in ("denominated", "treated", "aggregated"):
        out = tmp_path / f"{stage}.csv"
        outcome = runner.invoke(index_app, ["run", *SMALL, "--pipeline", str(pipeline), "--out", str(out),
                                            "--stage", stage])
        assert outcome.exit_code == 0, outcome.output
        outputs[stage] = out.read_text()
    assert outputs["denominated"] == outputs["treated"] == outputs["aggregated"]
    assert '"U1","1.0","2.0","4.0","2.0"' in outputs["denominated"]


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--meta", "meta_cycle.csv"], ["meta_cycle.csv", "cycle"]),
        (["--meta", "meta_orphan.csv"], ["meta_orphan.csv", "'c'", "no parent"]),
        (["--meta", "meta_negative_weight.csv"], ["meta_negative_weight.csv", "'d'", "negative"]),
        (["--meta", "meta_zero_weights.csv"], ["meta_zero_weights.csv", "'Q'", "zero"]),
        (["--data", "data_duplicate_unit.csv"], ["data_duplicate_unit.csv", "'U2'", "twice"]),
        (["--data", "data_missing_column.csv"], ["data_missing_column.csv", "'c'", "missing"]),
        (["--data", "data_nonpositive.csv", "--pipeline", "pipeline_geometric.yaml"],
         ["pipeline_geometric.yaml", "geometric", "'c'", "'U4'"]),
        (["--pipeline", "pipeline_unknown_step.yaml"], ["pipeline_unknown_step.yaml", "step 2", "'smooth'"]),
        (["--pipeline", "pipeline_unknown_method.yaml"], ["pipeline_unknown_method.yaml", "'aggregate'",
                                                          "'median'"]),
        (["--pipeline", "pipeline_negative_weight.yaml"], ["pipeline_negative_weight.yaml", "'a'", "negative"]),
        (["--pipeline", "pipeline_zero_weights.yaml"], ["pipeline_zero_weights.yaml", "'Q'", "zero"]),
        (["--meta", "no_such_file.csv"], ["no_such_file.csv", "not found"]),
    ],
)
def test_bad_input_is_one_line_naming_file_and_item(tmp_path: Path, arguments: list[str],
                                                    fragments: list[str]) -> None:
    chosen = {"--data": "small_data.csv", "--meta": "small_meta.csv", "--pipeline": "pipeline_geometric.yaml"}
    chosen["--pipeline"] = "pipeline_ok.yaml"
    write_yaml(tmp_path / "pipeline_ok.yaml", {"steps": [{"aggregate": {}}]})
    for flag, name in zip(arguments[::2], arguments[1::2], strict=True):
        chosen[flag] = name
    paths = {flag: str((tmp_path if name == "pipeline_ok.yaml" else FIXTURES) / name)
             for flag, name in chosen.items()}
    command = ["run", *[item for pair in paths.items() for item in pair], "--out", str(tmp_path / "o.csv")]
    outcome = runner.invoke(index_app, command)
    assert outcome.exit_code == 2
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit)
    message = outcome.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message and "Traceback" not in outcome.output
    for fragment in fragments:
        assert fragment in message, message
    assert not (tmp_path / "o.csv").exists()


def test_unknown_stage_is_refused(tmp_path: Path) -> None:
    pipeline = write_yaml(tmp_path / "p.yaml", {"steps": []})
    outcome = runner.invoke(index_app, ["run", *SMALL, "--pipeline", str(pipeline), "--out",
                                        str(tmp_path / "o.csv"), "--stage", "cooked"])
    assert outcome.exit_code == 2 and "--stage: unknown stage 'cooked'" in outcome.stderr


def test_invalid_yaml_is_one_line(tmp_path: Path) -> None:
    pipeline = tmp_path / "broken.yaml"
    pipeline.write_text("steps: [denominate: {", encoding="utf-8")
    outcome = runner.invoke(index_app, ["run", *SMALL, "--pipeline", str(pipeline), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 2 and "broken.yaml: not valid YAML" in outcome.stderr
    assert outcome.stderr.count("\n") == 1


def test_json_helpers_write_missing_as_null(tmp_path: Path) -> None:
    from hizone.cli.index import _nan_to_none, write_json

    write_json(tmp_path / "x.json", _nan_to_none({"a": [1.0, math.nan]}))
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": [1.0, None]}

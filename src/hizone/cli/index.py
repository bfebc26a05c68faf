"""`hizone index ...`: build a composite index from COINr-style iData/iMeta files and a pipeline file.

This module only reads and writes files; every number comes from the pure engine in hizone.evaluate.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hizone.cli.common import command_group, console, user_errors
from hizone.errors import HizoneError
from hizone.exports import write_csv as export_csv

if TYPE_CHECKING:
    from hizone.evaluate import IndexData, IndexTree, PipelineConfig

index_app = command_group("Composite indices: build, uncertainty and sensitivity, analysis, unit reports.")


@index_app.callback()
def index_group() -> None:
    """Composite indices: build, uncertainty and sensitivity, analysis, unit reports."""

# ---------------------------------------------------------------- reading and writing


def read_csv_records(path: Path) -> list[dict[str, str | None]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise HizoneError("file not found", where=str(path)) from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise HizoneError(f"not a readable UTF-8 CSV file ({error})", where=str(path)) from None


def read_yaml(path: Path) -> Any:
    import yaml

    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise HizoneError("file not found", where=str(path)) from None
    except yaml.YAMLError as error:
        raise HizoneError(f"not valid YAML ({' '.join(str(error).split())})", where=str(path)) from None


def load_inputs(data: Path, meta: Path, pipeline: Path) -> tuple[IndexData, IndexTree, PipelineConfig]:
    from hizone.evaluate import parse_pipeline, table_from_records, tree_from_records

    tree = tree_from_records(read_csv_records(meta), source=str(meta))
    table = table_from_records(read_csv_records(data), tree, source=str(data))
    config = parse_pipeline(read_yaml(pipeline), source=str(pipeline))
    return table, tree, config


def format_number(value: float) -> str:
    """Full precision (shortest repr that round-trips); an empty cell for a missing value."""
    return "" if math.isnan(value) else repr(float(value))


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        export_csv(handle, header, rows, number=format_number)


def write_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8")


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _nan_to_none(content: Any) -> Any:
    """JSON has no NaN: write missing numbers as null."""
    if isinstance(content, float):
        return None if math.isnan(content) else content
    if isinstance(content, dict):
        return {key: _nan_to_none(value) for key, value in content.items()}
    if isinstance(content, list | tuple):
        return [_nan_to_none(value) for value in content]
    return content


# ---------------------------------------------------------------- commands

DataOption = Annotated[Path, typer.Option("--data", help="iData CSV (uCode, uName, groups, denominators, "
                                                        "indicators).")]
MetaOption = Annotated[Path, typer.Option("--meta", help="iMeta CSV (Level, iCode, iName, Direction, Weight, "
                                                        "..., Parent, Type).")]
PipelineOption = Annotated[Path, typer.Option("--pipeline", help="Pipeline YAML: {steps: [{denominate: {}}, "
                                                                "...]}.")]


@index_app.command("run")
@user_errors
def run_command(
    data: DataOption,
    meta: MetaOption,
    pipeline: PipelineOption,
    out: Annotated[Path, typer.Option("--out", help="Output CSV: uCode and one column per code.")],
    stage: Annotated[str, typer.Option("--stage", help="The pipeline's stage to write, raw to aggregated (an "
                                                       "unknown one is refused with the list).")] = "aggregated",
) -> None:
    """Run the pipeline and write one stage of it (default: the aggregated index) as CSV."""
    from hizone.evaluate import STAGES, run_pipeline

    if stage not in STAGES:
        raise HizoneError(f"unknown stage {stage!r} (expected one of {', '.join(STAGES)})", where="--stage")
    table, tree, config = load_inputs(data, meta, pipeline)
    result = run_pipeline(table, tree, config, source=str(pipeline))
    chosen = result.stage(stage)
    rows = [[unit, *map(float, chosen.values[i])] for i, unit in enumerate(chosen.unit_codes)]
    write_csv(out, ["uCode", *chosen.codes], rows)
    typer.echo(f"wrote {len(rows)} units × {len(chosen.codes)} columns ({stage}) to {out}")


@index_app.command("uncertainty")
@user_errors
def uncertainty_command(
    data: DataOption,
    meta: MetaOption,
    pipeline: PipelineOption,
    spec: Annotated[Path, typer.Option("--spec", help="YAML: samples, seed, vary (and sobol_samples).")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV of rank statistics per unit.")],
    sobol: Annotated[Path | None, typer.Option("--sobol", help="Also compute Sobol indices; write them here "
                                                               "(CSV).")] = None,
    print_sobol: Annotated[bool, typer.Option("--print-sobol", help="Compute Sobol indices and print them.")]
    = False,
) -> None:
    """Monte Carlo over method choices and weights: nominal, mean, median, 5th and 95th percentile ranks."""
    from hizone.evaluate.uncertainty import parse_uncertainty_spec, run_sobol, run_uncertainty

    table, tree, config = load_inputs(data, meta, pipeline)
    parsed = parse_uncertainty_spec(read_yaml(spec), config, tree, source=str(spec))
    result = run_uncertainty(table, tree, config, parsed, source=str(spec))
    header = ["uCode", "nominal_rank", "mean_rank", "median_rank", "q05_rank", "q95_rank"]
    rows = [[r.unit, r.nominal, r.mean, r.median, r.q05, r.q95] for r in result.summary()]
    write_csv(out, header, rows)
    console().print(f"wrote rank statistics of {len(rows)} units over {parsed.samples} replications to {out}",
                  highlight=False)
    if sobol is None and not print_sobol:
        return
    indices = run_sobol(table, tree, config, parsed, source=str(spec))
    sobol_rows = [[i.input, i.first_order, i.total, i.first_order_conf, i.total_conf] for i in indices]
    sobol_header = ["input", "S1", "ST", "S1_conf", "ST_conf"]
    if sobol is not None:
        write_csv(sobol, sobol_header, sobol_rows)
    _print_table("Sobol indices of the mean absolute rank shift", sobol_header, sobol_rows)


@index_app.command("analyse")
@user_errors
def analyse_command(
    data: DataOption,
    meta: MetaOption,
    pipeline: PipelineOption,
    out: Annotated[Path, typer.Option("--out", help="Output JSON: correlations, cronbach_alpha, pca.")],
    correlations_csv: Annotated[Path | None, typer.Option("--correlations", help="Also write the correlations "
                                                                                 "as CSV.")] = None,
) -> None:
    """Correlations within and across levels, Cronbach's alpha per aggregate, PCA of each aggregate."""
    from hizone.evaluate import correlations, cronbach_alpha, pca_by_group, run_pipeline

    table, tree, config = load_inputs(data, meta, pipeline)
    result = run_pipeline(table, tree, config, source=str(pipeline))
    pairs = [asdict(c) for c in correlations(result)]
    alphas = cronbach_alpha(result)
    content = {"correlations": pairs, "cronbach_alpha": alphas, "pca": [asdict(g) for g in pca_by_group(result)]}
    write_json(out, _nan_to_none(content))
    if correlations_csv is not None:
        header = list(pairs[0]) if pairs else ["code_a", "code_b"]
        write_csv(correlations_csv, header, [list(pair.values()) for pair in pairs])
    _print_table("Cronbach's alpha", ["aggregate", "alpha"], [[code, value] for code, value in alphas.items()])
    console().print(f"wrote {len(pairs)} correlations, {len(alphas)} alphas to {out}", highlight=False)


@index_app.command("report")
@user_errors
def report_command(
    data: DataOption,
    meta: MetaOption,
    pipeline: PipelineOption,
    unit: Annotated[str, typer.Option("--unit", help="uCode of the unit to report on.")],
    benchmark: Annotated[str, typer.Option("--benchmark", help="A uCode, top:N or peers:GROUP.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSON (or CSV of the gap table if it ends .csv).")],
    top: Annotated[int, typer.Option("--top", help="How many strengths and weaknesses.")] = 5,
) -> None:
    """A unit's scores and ranks at every level, strengths, weaknesses and gaps to a benchmark (对标找差)."""
    from hizone.evaluate import run_pipeline, unit_report

    table, tree, config = load_inputs(data, meta, pipeline)
    result = run_pipeline(table, tree, config, source=str(pipeline))
    report = unit_report(result, unit, benchmark, top=top)
    gap_header = ["iCode", "name", "own", "benchmark", "gap", "index_gain"]
    gap_rows = [[g.code, g.name, g.own, g.benchmark, g.gap, g.index_gain] for g in report.gaps]
    if out.suffix.lower() == ".csv":
        write_csv(out, gap_header, gap_rows)
    else:
        write_json(out, _nan_to_none(asdict(report)))
    _print_table(f"{report.unit} ({report.unit_name}) against {report.benchmark}: largest gains", gap_header,
                 gap_rows[:top])
    console().print(f"wrote the report of {unit} to {out}", highlight=False)


def _print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*[f"{cell:.4g}" if isinstance(cell, float) else str(cell) for cell in row])
    console().print(table)


if __name__ == "__main__":
    index_app()

"""Shared fixtures: the small hand-made index and COINr's ASEM example."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hizone.evaluate import IndexData, IndexTree, table_from_records, tree_from_records

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "evaluate"
ASEM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "coinr-asem"


def read_records(path: Path) -> list[dict[str, str | None]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def small_tree() -> IndexTree:
    return tree_from_records(read_records(FIXTURES / "small_meta.csv"), "small_meta.csv")


@pytest.fixture()
def small_data(small_tree: IndexTree) -> IndexData:
    return table_from_records(read_records(FIXTURES / "small_data.csv"), small_tree, "small_data.csv")


@pytest.fixture(scope="session")
def asem_tree() -> IndexTree:
    return tree_from_records(read_records(ASEM / "ASEM_iMeta.csv"), "ASEM_iMeta.csv")


@pytest.fixture(scope="session")
def asem_data(asem_tree: IndexTree) -> IndexData:
    return table_from_records(read_records(ASEM / "ASEM_iData.csv"), asem_tree, "ASEM_iData.csv")

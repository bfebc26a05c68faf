"""The index tree from iMeta rows: structure and every refusal."""

from __future__ import annotations

import pytest

from hizone.errors import HizoneError
from hizone.evaluate import IndexTree, table_from_records, tree_from_records

from .conftest import ASEM, FIXTURES, read_records


def test_small_tree_structure(small_tree: IndexTree) -> None:
    assert small_tree.indicators == ("a", "b", "c", "d")
    assert small_tree.aggregate_levels == ((2, ("P", "Q")), (3, ("Top",)))
    assert small_tree.children["P"] == ("a", "b")
    assert small_tree.children["Top"] == ("P", "Q")
    assert small_tree.root == "Top"
    assert small_tree.weight["b"] == 2.0 and small_tree.weight["Q"] == 3.0
    assert small_tree.direction["b"] == -1.0
    assert small_tree.target == {"a": 10.0}
    assert small_tree.denominator == {"b": "Pop"}
    assert small_tree.groups == ("grp",) and small_tree.denominators == ("Pop",)
    assert small_tree.indicators_under("Top") == ("a", "b", "c", "d")
    assert small_tree.ancestors("c") == ("Q", "Top")
    assert small_tree.codes == ("a", "b", "c", "d", "P", "Q", "Top")


def test_asem_tree_has_coinr_shape(asem_tree: IndexTree) -> None:
    assert len(asem_tree.indicators) == 49
    assert [level for level, _ in asem_tree.aggregate_levels] == [2, 3, 4]
    assert asem_tree.aggregate_levels[1][1] == ("Conn", "Sust")
    assert asem_tree.root == "Index"
    assert asem_tree.groups == ("GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group")
    assert asem_tree.denominators == ("Area", "Energy", "GDP", "Population")


@pytest.mark.parametrize(
    ("fixture", "fragments"),
    [
        ("meta_cycle.csv", ["meta_cycle.csv", "cycle", "P -> Q -> P"]),
        ("meta_orphan.csv", ["meta_orphan.csv", "'c'", "no parent"]),
        ("meta_negative_weight.csv", ["meta_negative_weight.csv", "'d'", "negative"]),
        ("meta_zero_weights.csv", ["meta_zero_weights.csv", "'Q'", "zero"]),
    ],
)
def test_bad_trees_are_refused_naming_file_and_item(fixture: str, fragments: list[str]) -> None:
    with pytest.raises(HizoneError) as caught:
        tree_from_records(read_records(FIXTURES / fixture), fixture)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def _meta_rows() -> list[dict[str, str | None]]:
    return read_records(FIXTURES / "small_meta.csv")


def test_unknown_type_duplicate_code_and_missing_parent() -> None:
    rows = _meta_rows()
    rows[0]["Type"] = "Indicatr"
    with pytest.raises(HizoneError, match=r"m\.csv, iCode 'a': unknown Type 'Indicatr'"):
        tree_from_records(rows, "m.csv")
    rows = _meta_rows()
    rows[1]["iCode"] = "a"
    with pytest.raises(HizoneError, match="iCode 'a': iCode appears twice"):
        tree_from_records(rows, "m.csv")
    rows = _meta_rows()
    rows[2]["Parent"] = "Nowhere"
    with pytest.raises(HizoneError, match="iCode 'c': parent 'Nowhere' is not an iCode"):
        tree_from_records(rows, "m.csv")


def test_parent_level_direction_and_roots_are_checked() -> None:
    rows = _meta_rows()
    rows[4]["Level"] = "1"
    with pytest.raises(HizoneError, match="iCode 'a': Level 1 is not below its parent's level 1"):
        tree_from_records(rows, "m.csv")
    rows = _meta_rows()
    rows[0]["Direction"] = "2"
    with pytest.raises(HizoneError, match="iCode 'a': Direction must be 1 or -1"):
        tree_from_records(rows, "m.csv")
    rows = _meta_rows()
    rows[5]["Parent"] = ""
    with pytest.raises(HizoneError, match=r"exactly one top aggregate \(found: Q, Top\)"):
        tree_from_records(rows, "m.csv")


def test_data_table_parses_and_ignores_extra_columns(small_tree: IndexTree) -> None:
    data = table_from_records(read_records(FIXTURES / "small_data.csv"), small_tree, "d.csv")
    assert data.unit_codes == ("U1", "U2", "U3", "U4", "U5")
    assert data.unit_names[0] == "Unit one"
    assert data.groups["grp"] == ("east", "east", "west", "west", "west")
    assert data.values.shape == (5, 4)
    assert data.denominators["Pop"].tolist() == [10, 20, 5, 4, 2]
    assert str(data.values[1, 1]) == "nan" and data.values[4, 3] == 6.0
    assert "Time" not in data.indicator_codes


@pytest.mark.parametrize(
    ("fixture", "fragments"),
    [
        ("data_duplicate_unit.csv", ["data_duplicate_unit.csv", "uCode 'U2'", "twice"]),
        ("data_missing_column.csv", ["data_missing_column.csv", "column 'c'", "missing"]),
    ],
)
def test_bad_data_is_refused_naming_file_and_item(small_tree: IndexTree, fixture: str,
                                                  fragments: list[str]) -> None:
    with pytest.raises(HizoneError) as caught:
        table_from_records(read_records(FIXTURES / fixture), small_tree, fixture)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_non_numeric_cell_names_row_and_column(small_tree: IndexTree) -> None:
    rows = read_records(FIXTURES / "small_data.csv")
    rows[2]["c"] = "six"
    with pytest.raises(HizoneError, match=r"d\.csv, row 4, column 'c': 'six' is not a number"):
        table_from_records(rows, small_tree, "d.csv")


def test_asem_files_are_found() -> None:
    assert (ASEM / "ASEM_iData.csv").is_file()

"""Packed values: round trips, whole-column gathering across layouts, bytea COPY text, and the migration
that converted the JSON values (both ways, on both databases)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from hizone.store import downgrade, upgrade
from hizone.store.models import ImportBatch, Submission
from hizone.store.values import ValueLayout, binary_array, gather, layout_of, value_lists

LAYOUT = ValueLayout(("revenue", "employees", "rd"), (False, True, False))


def test_a_row_round_trips_with_integers_as_int_and_blanks_left_out() -> None:
    blob = LAYOUT.pack_one({"revenue": 1234.5, "employees": 12})
    assert len(blob) == 24
    values = LAYOUT.unpack(blob)
    assert values == {"revenue": 1234.5, "employees": 12}
    assert isinstance(values["employees"], int) and isinstance(values["revenue"], float)


def test_whole_columns_pack_without_a_row_loop_and_read_back_as_a_matrix() -> None:
    packed = LAYOUT.pack({"revenue": np.array([1.0, np.nan, 3.5]), "employees": np.array([4.0, 5.0, 6.0])}, 3)
    assert pa.types.is_binary(packed.type) and len(packed) == 3
    matrix = LAYOUT.matrix(packed.slice(1))  # a slice starts at its own offset
    np.testing.assert_array_equal(matrix, [[np.nan, 5.0, np.nan], [3.5, 6.0, np.nan]])
    assert LAYOUT.unpack(packed[0].as_py()) == {"revenue": 1.0, "employees": 4}


def test_gather_aligns_rows_of_different_layouts_by_code() -> None:
    other = ValueLayout(("rd", "revenue"), (False, False))
    blobs = [LAYOUT.pack_one({"revenue": 10, "employees": 2}), other.pack_one({"rd": 7, "revenue": 20}),
             LAYOUT.pack_one({"rd": 1.5})]
    columns = gather(np.array([1, 2, 1]), blobs, {1: LAYOUT, 2: other}, ["revenue", "rd", "missing"])
    np.testing.assert_array_equal(columns["revenue"], [10, 20, np.nan])
    np.testing.assert_array_equal(columns["rd"], [np.nan, 7, 1.5])
    assert np.isnan(columns["missing"]).all()


def test_a_blob_that_does_not_fit_its_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        LAYOUT.matrix([b"\x00" * 20])


def test_packed_rows_read_in_place_as_lists_of_their_values() -> None:
    other = ValueLayout(("rd", "revenue"), (False, False))
    blobs = binary_array([LAYOUT.pack_one({"revenue": 10, "employees": 2}), other.pack_one({"rd": 7, "revenue": 20}),
                          LAYOUT.pack_one({"rd": 1.5})])
    lists = value_lists(blobs.slice(1))  # a slice starts at its own offset
    blank = [[v if v == v else None for v in row] for row in lists.to_pylist()]  # NaN, a blank, as None
    assert blank == [[7.0, 20.0], [None, None, 1.5]]
    assert lists.values.buffers()[1].address == blobs.buffers()[2].address + 24  # the blobs' memory, not a copy
    with pytest.raises(ValueError, match="whole number of values"):
        value_lists(binary_array([b"\x00" * 12]))


def test_layout_of_marks_integers_only_where_every_value_is_one() -> None:
    layout = layout_of([{"a": 1, "b": 2}, {"a": 3, "b": 2.5, "c": None}])
    assert layout.codes == ("a", "b") and layout.integer == (True, False)


def test_bytes_become_the_binary_array_arrow_itself_would_build() -> None:
    blobs = [b"\x00\xff", b"", LAYOUT.pack_one({"revenue": 1.5}), b"z"]
    array = binary_array(blobs)
    assert array.equals(pa.array(blobs, pa.binary())) and array.to_pylist() == blobs
    assert len(binary_array([])) == 0


def _old_submission(conn: object, **row: object) -> None:
    conn.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO submission (id, batch_id, form_code, form_version, entity_key, zone_code, period, revision, "
        "state, \"values\", created_by, created_at, synthetic) VALUES (:id, :batch_id, 'enterprise_annual', 2021, "
        ":entity, 'Z1101', :period, 1, 'approved', :values, 'test', :at, false)"),
        {**row, "at": dt.datetime(2022, 1, 1, tzinfo=dt.UTC)})


def test_the_migration_packs_json_values_and_unpacks_them_on_the_way_back(engine: Engine) -> None:
    downgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO province VALUES ('11', '北京市', 'Beijing', 'east')"))
        conn.execute(text("INSERT INTO zone (code, name_zh, name_en, province_code, city, approved_year, source) "
                          "VALUES ('Z1101', '中关村', 'Zhongguancun', '11', '北京', 1988, 'test')"))
        conn.execute(text("INSERT INTO import_batch (id, form_code, form_version, period, source_name, "
                          "source_sha256, row_count, created_by, created_at) VALUES (7, 'enterprise_annual', 2021, "
                          "'2021', 'a.csv', 'abc', 1, 'test', :at)"), {"at": dt.datetime(2022, 1, 1, tzinfo=dt.UTC)})
        _old_submission(conn, id=1, batch_id=7, entity="E1", period="2021",
                        values=json.dumps({"revenue": 1000.5, "employees": 12}))
        _old_submission(conn, id=2, batch_id=None, entity="E2", period="2022",
                        values=json.dumps({"revenue": 20, "rd_expenditure": 0.5}))
    upgrade(engine)
    with Session(engine) as session:
        first, second = session.get(Submission, 1), session.get(Submission, 2)
        assert first is not None and second is not None
        assert first.values == {"revenue": 1000.5, "employees": 12} and first.batch_id == 7
        assert second.values == {"revenue": 20, "rd_expenditure": 0.5}
        made = session.get(ImportBatch, second.batch_id)
        assert made is not None and made.source_name == "migrated" and made.period == "2022"
    with Session(engine) as session:  # the id sequence goes on after the copied rows
        batch = session.get(ImportBatch, 7)
        assert batch is not None
        session.add(Submission(batch=batch, form_code="enterprise_annual", form_version=2021, entity_key="E3",
                               zone_code="Z1101", period="2021", revision=1, state="draft",
                               packed_values=batch.layout.pack_one({"revenue": 1}), created_by="test"))
        session.commit()
    downgrade(engine, "0005")
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT id, "values" FROM submission ORDER BY id')).all()
    values = {i: (json.loads(v) if isinstance(v, str) else v) for i, v in rows}
    assert values[1] == {"revenue": 1000.5, "employees": 12} and values[3] == {"revenue": 1}
    upgrade(engine)

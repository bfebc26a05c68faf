"""The readings engine (pure): parsing, checks naming row and field, roll-up and tce against hand-computed
values, corrections superseding, the history warning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hizone.carbon.factors import default_library
from hizone.carbon.readings import (
    CHINA_OFFSET_S,
    BatchError,
    Checked,
    HistoryRule,
    MeterInfo,
    Meters,
    Readings,
    Refused,
    above_own_history,
    check_batch,
    default_config,
    parse_csv,
    parse_json,
    rollup,
    tce,
)
from hizone.errors import HizoneError

NOW = 1_800_000_000.0  # 2027-01-15
METERS = Meters.of([(1, "U1", "E", "electricity", "kWh"), (2, "U1", "G", "natural_gas", "m3"),
                    (3, "U2", "D", "diesel", "t")])
INFO = MeterInfo.of([(1, 10, "U1", "E", "Z1", "electricity"), (2, 10, "U1", "G", "Z1", "natural_gas"),
                     (3, 20, "U2", "D", "Z2", "diesel")])


def _json(*rows: dict[str, object]) -> bytes:
    return json.dumps({"readings": list(rows)}).encode()


def _reading(**changes: object) -> dict[str, object]:
    return {"unit": "U1", "meter": "E", "energy": "electricity", "time": "2026-11-01T08:00:00+08:00",
            "quantity": 10.0, **changes}


def _checked(body: bytes, csv: bool = False) -> Checked:
    result = check_batch(parse_csv(body) if csv else parse_json(body), METERS, default_config(), NOW)
    assert isinstance(result, Checked), result
    return result


def _problems(body: bytes) -> list[str]:
    result = check_batch(parse_json(body), METERS, default_config(), NOW)
    assert isinstance(result, Refused)
    return [str(p) for p in result.problems]


def test_times_with_offsets_z_naive_and_epoch_seconds_mean_the_same_instant() -> None:
    instant = 1_793_491_200  # 2026-11-01T00:00:00Z
    for time in ("2026-11-01T08:00:00+08:00", "2026-11-01T00:00:00Z", "2026-11-01 08:00:00", instant):
        assert _checked(_json(_reading(time=time))).times.tolist() == [instant], time


def test_json_and_csv_of_the_same_readings_hash_the_same_in_any_order_and_unit() -> None:
    body = _json(_reading(quantity=1500), _reading(meter="G", energy="natural_gas", quantity=2,
                                                   time="2026-11-01T09:00:00+08:00"))
    csv = (b"meter,unit,energy,time,quantity,measure_unit\n"
           b"G,U1,natural_gas,2026-11-01T09:00:00+08:00,2,\n"
           b"E,U1,electricity,2026-11-01T08:00:00+08:00,1.5,MWh\n")
    assert _checked(body).sha256 == _checked(csv, csv=True).sha256
    assert _checked(csv, csv=True).quantities.tolist() == [1500.0, 2.0]


def test_every_bad_reading_is_named_by_row_and_field() -> None:
    problems = _problems(_json(
        _reading(),
        _reading(energy="coal"),
        _reading(meter="D"),
        _reading(unit="U9"),
        _reading(meter="D", unit="U2", energy="diesel", measure_unit="kWh"),
        _reading(quantity=-3),
        _reading(time="2027-06-01T00:00:00+08:00"),
        _reading(time="yesterday"),
        _reading(quantity="many"),
        {"unit": "U1", "meter": "E", "energy": "electricity", "time": "2026-11-01T10:00:00+08:00"}))
    assert problems == [
        "reading 2, energy: unknown energy code 'coal' (one of electricity, green_electricity, electricity_sold, "
        "renewable_generation, heat, heat_sold, raw_coal, anthracite, bituminous_coal, lignite, washed_coal, coke, "
        "crude_oil, fuel_oil, gasoline, kerosene, diesel, lpg, lng, natural_gas, coke_oven_gas)",
        "reading 3, meter: unit 'U1' has no meter 'D'",
        "reading 4, unit: unknown unit 'U9'",
        "reading 5, measure_unit: 'kWh' is not a unit of diesel (one of t, 吨, kg, 千克, 万t, 万吨)",
        "reading 6, quantity: negative consumption (-3)",
        "reading 7, time: dated in the future (2027-06-01T00:00:00+08:00, after 2027-01-15T16:05:00+08:00)",
        "reading 8, time: 'yesterday' is not a time (ISO 8601, e.g. 2026-11-30T08:00:00+08:00, or epoch seconds)",
        "reading 9, quantity: 'many' is not a number",
        "reading 10, quantity: missing"]


def test_a_reading_of_another_energy_than_its_meter_is_refused() -> None:
    assert _problems(_json(_reading(energy="diesel"))) == [
        "reading 1, energy: meter 'E' of unit 'U1' measures electricity, not diesel"]


def test_the_same_meter_and_time_twice_in_one_batch_is_refused() -> None:
    problems = _problems(_json(_reading(), _reading(meter="G", energy="natural_gas"), _reading(quantity=11)))
    assert problems == ["reading 3, time: a second reading of meter 'E' of unit 'U1' at this time (the first is "
                        "reading 1)"]


def test_csv_rows_count_the_header_as_row_1() -> None:
    body = b"unit,meter,energy,time,quantity\nU1,E,electricity,2026-11-01T08:00:00+08:00,1\nU1,E,electricity,x,1\n"
    result = check_batch(parse_csv(body), METERS, default_config(), NOW)
    assert isinstance(result, Refused)
    assert str(result.problems[0]).startswith("row 3, time: 'x' is not a time")


def test_the_arrow_read_of_a_usual_json_batch_checks_as_the_general_read_does() -> None:
    from hizone.carbon.readings import _arrow_columns

    readings = [_reading(), _reading(unit="U2", quantity=-1), _reading(time="2999-01-01T00:00:00Z"),
                _reading(quantity=7, measure_unit="MWh"), _reading(time="2026-11-01T09:00:00+08:00", unit=None)]
    body = json.dumps({"readings": readings}, indent=1).encode()
    assert _arrow_columns(body) is not None  # pretty-printed, with an int quantity and nulls: still the fast read
    general = check_batch(parse_json(b"\n" * 70 + body), METERS, default_config(), NOW)  # past the 64-byte peek
    fast = check_batch(parse_json(body), METERS, default_config(), NOW)
    assert isinstance(fast, Refused) and isinstance(general, Refused)
    assert [str(p) for p in fast.problems] == [str(p) for p in general.problems] and len(fast.problems) == 4
    for odd in (b'{"readings": [{"unit": "U1", "time": 5}]}', b'{"readings": [null]}', b"\xef\xbb\xbf{}",
                b'{"readings": [{"quantity": NaN}]}', b'{"readings": []}', b'{"readings": [{}]}\n{"readings": [{}]}'):
        assert _arrow_columns(odd) is None, odd  # the general read takes these and names what is wrong


@pytest.mark.parametrize("body, message", [
    (b"{", "not JSON"), (b"[]", "expected an object"), (b'{"readings": [1]}', "an object"),
    (b'{"readings": [{"quantity": NaN}]}', "not JSON"), (b'{"readings": [null, {}]}', "an object")])
def test_unreadable_json_bodies(body: bytes, message: str) -> None:
    with pytest.raises(BatchError, match=message):
        parse_json(body)


def test_csv_without_the_needed_columns() -> None:
    with pytest.raises(BatchError, match="row 1: the header lacks quantity"):
        parse_csv(b"unit,meter,energy,time\nU1,E,electricity,2026-11-01\n")


def _readings(rows: list[tuple[int, str, float, int]]) -> Readings:
    """(meter, China-time 'YYYY-MM-DDTHH', quantity, batch)."""
    times = [int(np.datetime64(t, "s").astype(np.int64)) - CHINA_OFFSET_S for _, t, _, _ in rows]
    return Readings(np.array([r[0] for r in rows], np.int32), np.array(times, np.int64),
                    np.array([r[2] for r in rows]), np.array([r[3] for r in rows], np.int64))


def test_rollup_by_day_and_month_per_meter_unit_and_zone_with_china_days() -> None:
    readings = _readings([(1, "2026-11-01T00", 10, 1), (1, "2026-11-01T23", 5, 1), (2, "2026-11-01T12", 7, 1),
                          (1, "2026-11-02T00", 1, 1), (3, "2026-11-30T23", 2, 1), (3, "2026-12-01T00", 4, 1)])
    unit_day = rollup(readings, INFO, "unit", "day").rows()
    assert unit_day == [("U1", "electricity", "2026-11-01", 15.0, 2), ("U1", "electricity", "2026-11-02", 1.0, 1),
                        ("U1", "natural_gas", "2026-11-01", 7.0, 1), ("U2", "diesel", "2026-11-30", 2.0, 1),
                        ("U2", "diesel", "2026-12-01", 4.0, 1)]
    zone_month = rollup(readings, INFO, "zone", "month")
    assert zone_month.rows() == [("Z1", "electricity", "2026-11", 16.0, 3), ("Z1", "natural_gas", "2026-11", 7.0, 1),
                                 ("Z2", "diesel", "2026-11", 2.0, 1), ("Z2", "diesel", "2026-12", 4.0, 1)]
    assert rollup(readings, INFO, "meter", "month").rows()[0] == ("U1/E", "electricity", "2026-11", 16.0, 3)
    coefficients = {"electricity": 0.0001229, "natural_gas": 0.0012143, "diesel": 1.4571}
    # Z1 in November: 16 kWh × 0.0001229 + 7 m3 × 0.0012143; Z2: 2 t × 1.4571, then 4 t in December
    assert tce(zone_month, coefficients) == pytest.approx(np.array([[16 * 0.0001229 + 7 * 0.0012143, 0],
                                                                    [2 * 1.4571, 4 * 1.4571]]))
    with pytest.raises(HizoneError, match="no standard-coal coefficient for natural_gas"):
        tce(zone_month, {"electricity": 0.0001229, "diesel": 1.4571})


def test_a_later_batch_supersedes_the_same_meter_and_time() -> None:
    readings = _readings([(1, "2026-11-01T00", 10, 1), (1, "2026-11-01T01", 5, 1), (1, "2026-11-01T00", 12, 2),
                          (2, "2026-11-01T00", 3, 2), (1, "2026-11-01T00", 11, 3)])
    current = readings.current()
    assert sorted(zip(current.meter_ids.tolist(), current.quantities.tolist(), strict=True)) == \
        [(1, 5.0), (1, 11.0), (2, 3.0)]
    assert rollup(current, INFO, "unit", "day").rows() == [("U1", "electricity", "2026-11-01", 16.0, 2),
                                                          ("U1", "natural_gas", "2026-11-01", 3.0, 1)]


def test_readings_in_the_same_hour_but_at_other_times_are_all_kept() -> None:
    readings = _readings([(1, "2026-11-01T00", 1, 1), (1, "2026-11-01T01", 2, 1)])
    quarter = Readings(readings.meter_ids, readings.times + np.array([0, -3600 + 900]), readings.quantities,
                       readings.batch_ids)
    assert sorted(quarter.current().quantities.tolist()) == [1.0, 2.0]


RULE = HistoryRule("r", "r", "r", window=10, min_history=5, k=6, min_excess=0.2, severity="warning")


def test_history_rule_flags_a_day_far_above_the_units_own_days() -> None:
    days = [f"2026-11-{d:02d}T12" for d in range(1, 16)]
    usual = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101]
    rows = [(1, days[i], v, 1) for i, v in enumerate(usual)]
    rows += [(1, days[10], 100 * 3, 1), (1, days[11], 104, 1)]  # a spike, then normal
    rows += [(3, days[i], 50, 1) for i in range(12)]  # a flat series: MAD 0, needs the 20% excess
    rows += [(3, days[12], 59, 1)]  # +18%: not flagged
    alerts = above_own_history(RULE, rollup(_readings(rows), INFO, "unit", "day"))
    assert [(a.key, a.period, [d["day"] for d in a.evidence["days"]]) for a in alerts] == \
        [("U1", "2026-11", ["2026-11-11"])]
    # median of the 10 days before 11-11 is 100, MAD 1 → ×1.4826; bound max(100 + 6·1.4826, 120) = 120
    hit = alerts[0].evidence["days"][0]
    assert (hit["median"], hit["bound"], hit["total"]) == (100.0, 120.0, 300.0)
    assert alerts[0].level == "unit" and alerts[0].severity == "warning"


def test_history_rule_waits_for_enough_history() -> None:
    rows = [(1, f"2026-11-0{d}T12", v, 1) for d, v in ((1, 100), (2, 100), (3, 100), (4, 100), (5, 900))]
    assert above_own_history(RULE, rollup(_readings(rows), INFO, "unit", "day")) == []


def test_the_catalog_rule_and_energies_load() -> None:
    config = default_config()
    assert config.unit_problem("diesel", "kWh") == "'kWh' is not a unit of diesel (one of t, 吨, kg, 千克, 万t, 万吨)"
    assert config.factor("electricity", "MWh") == 1000
    assert config.factor("natural_gas", "m³") == config.factor("natural_gas", "M3") == 1  # as the carbon library
    assert config.energies["diesel"] is default_library().energies["diesel"]  # one definition of each energy
    assert "process_co2" not in config.energies  # reported in tCO2, not metered
    assert [r.code for r in config.rules] == ["unit_day_above_history"]


def test_a_csv_line_with_too_few_fields_is_named() -> None:
    body = b"unit,meter,energy,time,quantity\nU1,E,electricity,2026-11-01T08:00:00+08:00,1\nU1,E,electricity,1\n"
    with pytest.raises(BatchError, match="row 3: 4 fields where the header has 5"):
        parse_csv(body)

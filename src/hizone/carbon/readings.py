"""Meter readings of the main energy-using units (重点用能单位): parsing, checking, roll-up and warnings (pure).

A batch of readings (unit, meter, energy, time, quantity; optionally the physical unit the quantity is in) comes
as JSON or CSV. :func:`parse_json` / :func:`parse_csv` turn it into columns, :func:`check_batch` into packed
arrays (meter id, epoch seconds, quantity in the energy's roll-up unit) or into problems naming row and field.
:func:`rollup` sums readings by day or month per meter, unit or zone and energy, in physical units;
:func:`tce` turns such a roll-up into tonnes of standard coal with coefficients given as a dict.
:func:`above_own_history` warns when a unit's day total is far above its own recent days.

Days are China Standard Time days (UTC+8, no daylight saving): a time without an offset is read as such.
Nothing here reads a database; the loader reads the catalog file ``alerts/energy_readings.yaml``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from hizone.carbon.engine import Energy
from hizone.catalog import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError, HizoneError
from hizone.monitor.rules import MAD_SCALE, Alert
from hizone.text import ascii_digits

CONFIG_FILE = "energy_readings.yaml"
CHINA_OFFSET_S = 8 * 3600  # China Standard Time, the day boundary of every roll-up
DAY_S = 86400
FIELDS = ("unit", "meter", "energy", "time", "quantity")
OPTIONAL_FIELDS = ("measure_unit",)
MAX_PROBLEMS = 1000  # a refused batch lists this many problems, and counts the rest
LEVELS = ("meter", "unit", "zone")
GRAINS = ("day", "month")


@dataclass(frozen=True)
class HistoryRule:
    """A unit's day total above median + k × (1.4826 · MAD) of its previous ``window`` days (at least
    ``min_history`` of them with readings) and above the median by ``min_excess`` of it."""

    code: str
    name_zh: str
    name_en: str
    window: int
    min_history: int
    k: float
    min_excess: float
    severity: str


@dataclass(frozen=True)
class ReadingsConfig:
    energies: Mapping[str, Energy]
    rules: tuple[HistoryRule, ...]
    future_tolerance_s: int  # a reading may be this much ahead of the server's clock (meters' clocks drift)

    def factor(self, energy: str, unit: str) -> float | None:
        """The size of ``unit`` in ``energy``'s roll-up unit; None when the energy is not counted in it."""
        known = self.energies.get(energy)
        return None if known is None else known.size_of(unit)

    def unit_problem(self, energy: str, unit: str) -> str | None:
        """Why a meter of ``energy`` cannot count in ``unit``; None when it can."""
        known = self.energies.get(energy)
        if known is None:
            return f"unknown energy code '{energy}' (one of {', '.join(self.energies)})"
        if known.size_of(unit) is None:
            return f"'{unit}' is not a unit of {energy} (one of {', '.join(known.units)})"
        return None


# --- the catalog file -------------------------------------------------------------------------------------


def _number(spec: Mapping[str, Any], name: str, code: str, where: str) -> float:
    value = spec.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise CatalogError(f"rule '{code}': '{name}' must be a non-negative number, got {value!r}", where=where)
    return float(value)


def _rule(code: str, spec: Any, where: str) -> HistoryRule:
    if not isinstance(spec, dict) or spec.get("kind") != "above_own_history":
        raise CatalogError(f"rule '{code}': 'kind' must be above_own_history", where=where)
    window, min_history = int(_number(spec, "window", code, where)), int(_number(spec, "min_history", code, where))
    if not 3 <= min_history <= window:
        raise CatalogError(f"rule '{code}': needs 3 <= min_history <= window", where=where)
    severity = spec.get("severity", "warning")
    if severity not in ("info", "warning", "critical"):
        raise CatalogError(f"rule '{code}': 'severity' must be info, warning or critical", where=where)
    return HistoryRule(code, str(spec.get("name_zh", code)), str(spec.get("name_en", code)), window, min_history,
                       _number(spec, "k", code, where), _number(spec, "min_excess", code, where), severity)


def load_config(directories: Iterable[Path] = (), energies: Mapping[str, Energy] | None = None) -> ReadingsConfig:
    """The readings' rules (the package's file, or a user directory's file of the same name) and the energies a
    meter may measure: the carbon factor library's (one definition of each energy and its units), less process
    emissions, which are reported in tCO2, not metered."""
    path = package_directory("alerts") / CONFIG_FILE
    for directory in directories:
        if (directory / CONFIG_FILE).exists():
            path = directory / CONFIG_FILE
    doc = read_yaml(path)
    where = str(path)
    rules = doc.get("rules")
    if not isinstance(rules, dict):
        raise CatalogError("'rules' must be a mapping", where=where)
    if energies is None:
        from hizone.carbon.factors import default_library

        energies = default_library().energies
    tolerance = doc.get("future_tolerance_s", 300)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise CatalogError("'future_tolerance_s' must be a non-negative whole number of seconds", where=where)
    return ReadingsConfig({code: energy for code, energy in energies.items() if energy.role != "process"},
                          tuple(_rule(str(c), s, where) for c, s in rules.items()), tolerance)


@cache
def default_config() -> ReadingsConfig:
    return load_config(user_directories("alerts"))


# --- parsing ------------------------------------------------------------------------------------------------


class BatchError(HizoneError):
    """A batch that cannot be read at all (not JSON, no header, a missing column)."""


@dataclass(frozen=True)
class RawBatch:
    """A batch as sent: one column per field (text, or numbers from JSON), and the row each reading is on."""

    columns: Mapping[str, pa.Array]
    row_label: str  # "row" (CSV line, header = 1) or "reading" (JSON, 1-based)
    first_row: int

    def __len__(self) -> int:
        return len(self.columns["unit"])

    def row(self, index: int) -> int:
        return self.first_row + index


def _column(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds (text and numbers): as text, checked per row
        return pa.array([None if v is None else str(v) for v in values], pa.string())


# The usual batch: text fields as text, the quantity a number. Arrow's JSON reader puts it straight into columns.
_READING = pa.struct([(name, pa.float64() if name == "quantity" else pa.string()) for name in FIELDS + OPTIONAL_FIELDS])
_JSON_SCHEMA = pa.schema([("readings", pa.list_(_READING))])


def parse_json(body: bytes) -> RawBatch:
    """``{"readings": [{"unit": .., "meter": .., "energy": .., "time": .., "quantity": ..}, ...]}``."""
    columns = _arrow_columns(body)
    if columns is not None:
        return RawBatch(columns, "reading", 1)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BatchError(f"not JSON ({exc})", where="body") from None
    readings = doc.get("readings") if isinstance(doc, dict) else None
    if not isinstance(readings, list) or not readings:
        raise BatchError('expected an object {"readings": [...]} with at least one reading', where="body")
    for i, reading in enumerate(readings):
        if not isinstance(reading, dict):
            raise BatchError("each reading must be an object", where=f"reading {i + 1}")
    names = FIELDS + OPTIONAL_FIELDS
    columns = {name: _column([r.get(name) for r in readings]) for name in names}
    return RawBatch(columns, "reading", 1)


def _arrow_columns(body: bytes) -> dict[str, pa.Array] | None:
    """The usual batch read by Arrow with no Python object per reading; None for anything else (a number where
    text is expected, a reading that is not an object, NaN, more than one document...), which the general path
    reads, so the checks and their messages are the same either way."""
    if body[:64].lstrip()[:1] != b"{":  # a byte-order mark or a non-object: the general path says what it is
        return None
    try:
        table = pajson.read_json(io.BytesIO(body), read_options=pajson.ReadOptions(
            use_threads=False, block_size=len(body) + 1), parse_options=pajson.ParseOptions(
            explicit_schema=_JSON_SCHEMA, newlines_in_values=True, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if table.num_rows != 1 or table.column("readings").null_count:
        return None
    items = table.column("readings").combine_chunks().flatten()
    quantity = np.asarray(items.field("quantity").fill_null(0.0), dtype=np.float64) if len(items) else None
    if quantity is None or items.null_count or not np.isfinite(quantity).all():
        return None
    return {name: items.field(name) for name in FIELDS + OPTIONAL_FIELDS}


def parse_csv(body: bytes) -> RawBatch:
    """A header naming unit, meter, energy, time, quantity (and optionally measure_unit), then one reading a
    line (UTF-8). Arrow's reader, every field as text: the checks read numbers and times themselves."""
    try:
        header = next(csv.reader(io.StringIO(body[:4096].decode("utf-8-sig", errors="replace"))), [])
    except csv.Error as exc:
        raise BatchError(f"not CSV ({exc})", where="row 1") from None
    names = [h.strip() for h in header]
    missing = [f for f in FIELDS if f not in names]
    if missing:
        raise BatchError(f"the header lacks {', '.join(missing)} (it needs {', '.join(FIELDS)})", where="row 1")
    ragged: list[str] = []

    def refuse(row: Any) -> str:
        ragged.append(f"row {row.number}: {row.actual_columns} fields where the header has {row.expected_columns}")
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(body.removeprefix(b"\xef\xbb\xbf")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=refuse),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=True, null_values=[""]))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise BatchError(f"not readable as CSV ({str(exc).splitlines()[0]})", where="body") from None
    if ragged:
        where, reason = ragged[0].split(": ", 1)
        raise BatchError(reason, where=where)
    if table.num_rows == 0:
        raise BatchError("no readings after the header", where="row 2")
    columns = {name: pc.utf8_trim_whitespace(table.column(name).combine_chunks())
               for name in FIELDS + OPTIONAL_FIELDS if name in names}
    columns.setdefault("measure_unit", pa.nulls(table.num_rows, pa.string()))
    return RawBatch(columns, "row", 2)


# --- checking ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    label: str  # "row" or "reading"
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label} {self.row}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class Meters:
    """The meters a sender may send readings of: ``keys[i]`` is "unit\\x1fmeter" of meter ``ids[i]``."""

    ids: npt.NDArray[np.int64]
    keys: pa.Array
    energies: pa.Array
    measure_units: pa.Array
    unit_codes: pa.Array  # each unit once

    @classmethod
    def of(cls, rows: Sequence[tuple[int, str, str, str, str]]) -> Meters:
        """From (meter id, unit code, meter code, energy, measure unit) rows."""
        return cls(np.array([r[0] for r in rows], dtype=np.int64),
                   pa.array([f"{r[1]}\x1f{r[2]}" for r in rows], pa.string()),
                   pa.array([r[3] for r in rows], pa.string()), pa.array([r[4] for r in rows], pa.string()),
                   pa.array(list(dict.fromkeys(r[1] for r in rows)), pa.string()))


@dataclass(frozen=True)
class Checked:
    """A batch that passed: sorted by meter and time, quantities in each energy's roll-up unit."""

    meter_ids: npt.NDArray[np.int32]
    times: npt.NDArray[np.int64]
    quantities: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.times)

    @property
    def sha256(self) -> str:
        """The content: the same readings in any order or format, in any unit of the energy, hash the same."""
        digest = hashlib.sha256()
        for column in (self.meter_ids, self.times, self.quantities):
            digest.update(column.tobytes())
        return digest.hexdigest()

    def packed(self) -> tuple[bytes, bytes, bytes]:
        return (self.meter_ids.astype("<i4").tobytes(), self.times.astype("<i8").tobytes(),
                self.quantities.astype("<f8").tobytes())


@dataclass(frozen=True)
class Refused:
    problems: list[Problem]
    count: int  # all of them; ``problems`` holds the first MAX_PROBLEMS

    def summary(self) -> str:
        more = f" (and {self.count - len(self.problems)} more)" if self.count > len(self.problems) else ""
        return f"{self.count} problem(s), nothing stored{more}"


class _Problems:
    def __init__(self, batch: RawBatch) -> None:
        self.batch = batch
        self.found: list[Problem] = []
        self.count = 0

    def add(self, bad: npt.NDArray[np.bool_], field: str, reason: Any) -> None:
        """Rows where ``bad``; ``reason`` a text, or a function of the row index giving one."""
        where = np.flatnonzero(bad)
        self.count += len(where)
        for i in where[:max(0, MAX_PROBLEMS - len(self.found))]:
            text = reason(int(i)) if callable(reason) else reason
            self.found.append(Problem(self.batch.row_label, self.batch.row(int(i)), field, text))


def _texts(array: pa.Array) -> pa.Array:
    return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())


def _is_null(array: pa.Array) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.is_null(array, nan_is_null=True), dtype=bool)


def _quantities(raw: pa.Array) -> npt.NDArray[np.float64]:
    """Numbers (NaN where not one): JSON numbers as they are, text parsed."""
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
        return np.asarray(pc.cast(raw, pa.float64()).fill_null(np.nan), dtype=np.float64)
    if pa.types.is_null(raw.type):
        return np.full(len(raw), np.nan)
    try:
        return np.asarray(pc.cast(raw, pa.float64()).fill_null(np.nan), dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.array([_float(v) for v in raw.to_pylist()], dtype=np.float64)


def _float(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)
    except ValueError:
        return math.nan


_OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


def _epoch_seconds(raw: pa.Array) -> npt.NDArray[np.float64]:
    """Epoch seconds (NaN where not a time): ISO 8601 text with an offset (none: China Standard Time) or a number
    of epoch seconds. Whole arrays go through Arrow; an array with a bad text is parsed row by row."""
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
        return np.asarray(pc.cast(raw, pa.float64()).fill_null(np.nan), dtype=np.float64)
    if pa.types.is_null(raw.type):
        return np.full(len(raw), np.nan)
    text = pc.utf8_trim_whitespace(_texts(raw))
    zoned = np.asarray(pc.fill_null(pc.match_substring_regex(text, _OFFSET), False), dtype=bool)
    out = np.full(len(text), np.nan)
    try:
        for mask, tz in ((zoned, "UTC"), (~zoned, None)):
            if mask.any():
                part = pc.cast(pc.filter(text, pa.array(mask)), pa.timestamp("us", tz=tz))
                micros = np.asarray(pc.cast(part, pa.int64()).fill_null(np.iinfo(np.int64).min), dtype=np.int64)
                seconds = np.where(micros == np.iinfo(np.int64).min, np.nan, micros // 1_000_000)
                out[mask] = seconds - (0 if tz else CHINA_OFFSET_S)
        return out
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.array([_one_time(v) for v in raw.to_pylist()], dtype=np.float64)


def _one_time(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if ascii_digits(text):
        return float(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(seconds=CHINA_OFFSET_S)))
    return moment.timestamp()


def _shown(array: pa.Array, i: int) -> str:
    value = array[i].as_py()
    return "" if value is None else str(value)[:64]


def check_batch(batch: RawBatch, meters: Meters, config: ReadingsConfig, now: float) -> Checked | Refused:
    """The batch's readings, or every problem (row and field named). ``meters`` holds only the meters the sender
    may send for, so a unit outside its scope is as unknown as one that does not exist."""
    problems = _Problems(batch)
    cols = batch.columns
    for name in FIELDS:
        problems.add(_is_null(cols[name]), name, "missing")
    unit, meter, energy = (_texts(cols[n]) for n in ("unit", "meter", "energy"))
    known_energy = np.asarray(pc.fill_null(pc.is_in(energy, pa.array(list(config.energies))), True), dtype=bool)
    problems.add(~known_energy, "energy", lambda i: f"unknown energy code '{_shown(energy, i)}' "
                                                    f"(one of {', '.join(config.energies)})")
    key = pc.binary_join_element_wise(unit, meter, "\x1f")
    index = pc.index_in(key, meters.keys)
    found = np.asarray(pc.is_valid(index), dtype=bool)
    sent = ~_is_null(cols["unit"]) & ~_is_null(cols["meter"])
    unknown_unit = sent & ~np.asarray(pc.fill_null(pc.is_in(unit, meters.unit_codes), False), dtype=bool)
    problems.add(unknown_unit, "unit", lambda i: f"unknown unit '{_shown(unit, i)}'")
    problems.add(sent & ~unknown_unit & ~found, "meter",
                 lambda i: f"unit '{_shown(unit, i)}' has no meter '{_shown(meter, i)}'")
    at = np.asarray(index.fill_null(0), dtype=np.int64)
    meter_energy = pc.take(meters.energies, pa.array(at)) if len(meters.ids) else pa.nulls(len(at), pa.string())
    wrong = found & known_energy & ~np.asarray(pc.fill_null(pc.equal(meter_energy, energy), True), dtype=bool)
    problems.add(wrong, "energy", lambda i: f"meter '{_shown(meter, i)}' of unit '{_shown(unit, i)}' measures "
                                            f"{meter_energy[i].as_py()}, not {_shown(energy, i)}")
    factors = _factors(batch, meters, config, at, found & known_energy & ~wrong, energy, problems)
    quantity = _quantities(cols["quantity"])
    given = ~_is_null(cols["quantity"])
    problems.add(given & ~np.isfinite(quantity), "quantity",
                 lambda i: f"'{_shown(cols['quantity'], i)}' is not a number")
    with np.errstate(invalid="ignore"):
        problems.add(quantity < 0, "quantity", lambda i: f"negative consumption ({quantity[i]:g})")
    seconds = _epoch_seconds(cols["time"])
    problems.add(~_is_null(cols["time"]) & np.isnan(seconds), "time",
                 lambda i: f"'{_shown(cols['time'], i)}' is not a time (ISO 8601, e.g. 2026-11-30T08:00:00+08:00, "
                           f"or epoch seconds)")
    latest = now + config.future_tolerance_s
    with np.errstate(invalid="ignore"):
        problems.add(seconds > latest, "time", lambda i: f"dated in the future ({_shown(cols['time'], i)}, after "
                                                         f"{_iso(latest)})")
    if problems.count:
        return Refused(sorted(problems.found, key=lambda p: p.row), problems.count)
    ids = meters.ids[at].astype(np.int32)
    times = seconds.astype(np.int64)
    order = np.lexsort((times, ids))
    ids, times = ids[order], times[order]
    repeated = np.flatnonzero((ids[1:] == ids[:-1]) & (times[1:] == times[:-1]))
    if repeated.size:
        rows = order[repeated + 1]
        first = order[repeated]
        problems.add(np.isin(np.arange(len(batch)), rows), "time",
                     lambda i: f"a second reading of meter '{_shown(meter, i)}' of unit '{_shown(unit, i)}' at this "
                               f"time (the first is {batch.row_label} {batch.row(int(first[rows == i][0]))})")
        return Refused(problems.found, problems.count)
    return Checked(ids, times, (quantity * factors)[order])


def _factors(batch: RawBatch, meters: Meters, config: ReadingsConfig, at: npt.NDArray[np.int64],
             ok: npt.NDArray[np.bool_], energy: pa.Array, problems: _Problems) -> npt.NDArray[np.float64]:
    """Each reading's unit's size in its energy's roll-up unit: the reading's own unit when it names one, else its
    meter's."""
    own = batch.columns["measure_unit"]
    meter_unit = pc.take(meters.measure_units, pa.array(at)) if len(meters.ids) else pa.nulls(len(at), pa.string())
    unit = pc.coalesce(_texts(own), meter_unit)
    sizes = {(e, u): f for e, spec in config.energies.items() for u, f in spec.units.items()}  # units normalised
    pairs = pc.binary_join_element_wise(energy, _normalised(unit), "\x1f")
    table = pa.array([f"{e}\x1f{u}" for e, u in sizes], pa.string())
    index = pc.index_in(pairs, table)
    values = np.array(list(sizes.values()), dtype=np.float64)
    fits = np.asarray(pc.is_valid(index), dtype=bool)
    problems.add(ok & ~fits, "measure_unit", lambda i: config.unit_problem(_shown(energy, i), _shown(unit, i)) or "")
    return np.where(fits, values[np.asarray(index.fill_null(0), dtype=np.int64)], np.nan)


def _normalised(units: pa.Array) -> pa.Array:
    """hizone.carbon.engine.normalise_unit over a column: 'm³' = 'M3', 'KWH' = 'kWh'."""
    trimmed = pc.replace_substring(pc.utf8_trim_whitespace(units), " ", "")
    return pc.utf8_lower(pc.replace_substring(trimmed, "³", "3"))


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone(dt.timedelta(seconds=CHINA_OFFSET_S))).isoformat()


# --- roll-up ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readings:
    """Stored readings: one array each, in the order of their batches (``batch_ids`` ascending)."""

    meter_ids: npt.NDArray[np.int32]
    times: npt.NDArray[np.int64]
    quantities: npt.NDArray[np.float64]
    batch_ids: npt.NDArray[np.int64]

    @classmethod
    def concat(cls, parts: Sequence[Readings]) -> Readings:
        if not parts:
            return cls(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("meter_ids", "times", "quantities", "batch_ids")))

    @classmethod
    def unpack(cls, batch_id: int, meter_ids: bytes, times: bytes, quantities: bytes) -> Readings:
        ids = np.frombuffer(meter_ids, dtype="<i4")
        return cls(ids, np.frombuffer(times, dtype="<i8"), np.frombuffer(quantities, dtype="<f8"),
                   np.broadcast_to(np.int64(batch_id), len(ids)))  # one number, not one a reading

    def current(self) -> Readings:
        """Each (meter, time) once, as its latest batch has it (corrections supersede).

        Only the readings that share a meter and clock hour with another are sorted to find the latest: counting
        per (meter, hour) is one pass, where sorting millions of readings is most of a roll-up's time."""
        if len(self.times) < 2:
            return self
        hour = (self.times - self.times.min()) // 3600
        hours = int(hour.max()) + 1
        if (int(self.meter_ids.max()) + 1) * hours > 1 << 28:  # too many cells to count: sort them all
            crowded = np.ones(len(self.times), dtype=bool)
        else:
            cell = self.meter_ids * hours + hour
            counts = np.bincount(cell)
            if counts.max() <= 1:
                return self
            crowded = counts[cell] > 1
        rows = np.flatnonzero(crowded)
        order = rows[np.lexsort((self.batch_ids[rows], self.times[rows], self.meter_ids[rows]))]
        ids, times = self.meter_ids[order], self.times[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (ids[1:] != ids[:-1]) | (times[1:] != times[:-1])
        keep = np.sort(np.concatenate([np.flatnonzero(~crowded), order[last]]))
        return Readings(self.meter_ids[keep], self.times[keep], self.quantities[keep], self.batch_ids[keep])


@dataclass(frozen=True)
class MeterInfo:
    """Each meter's place at each level and its energy, as arrays indexed by meter id (as long as the largest id
    + 1): a roll-up looks every reading up with one gather a level."""

    known: npt.NDArray[np.bool_]  # meter id -> one of these meters
    index_of: Mapping[str, npt.NDArray[np.int64]]  # level -> meter id -> index into ``keys[level]``
    keys: Mapping[str, tuple[str, ...]]  # level -> its keys: "unit/meter", unit codes, zone codes
    energy_of: npt.NDArray[np.int64]  # meter id -> index into ``energies``
    energies: tuple[str, ...]

    @classmethod
    def of(cls, rows: Sequence[tuple[int, int, str, str, str, str]]) -> MeterInfo:
        """From (meter id, unit id, unit code, meter code, zone code, energy) rows."""
        size = max((r[0] for r in rows), default=0) + 1
        known = np.zeros(size, dtype=bool)
        keys: dict[str, dict[str, int]] = {level: {} for level in LEVELS}
        index_of = {level: np.zeros(size, dtype=np.int64) for level in LEVELS}
        energies = tuple(sorted({r[5] for r in rows}))
        energy_index = {e: i for i, e in enumerate(energies)}
        energy_of = np.zeros(size, dtype=np.int64)
        for meter, _, unit, code, zone, energy in rows:
            known[meter] = True
            energy_of[meter] = energy_index[energy]
            for level, key in (("meter", f"{unit}/{code}"), ("unit", unit), ("zone", zone)):
                index_of[level][meter] = keys[level].setdefault(key, len(keys[level]))
        return cls(known, index_of, {level: tuple(k) for level, k in keys.items()}, energy_of, energies)


@dataclass(frozen=True)
class RollUp:
    """Totals per (key, energy, period) in each energy's roll-up unit; periods "YYYY-MM-DD" or "YYYY-MM"."""

    level: str
    grain: str
    keys: tuple[str, ...]
    energies: tuple[str, ...]
    periods: tuple[str, ...]
    totals: npt.NDArray[np.float64]  # [key, energy, period]; NaN where no reading
    counts: npt.NDArray[np.int64]  # readings behind each total

    def rows(self) -> list[tuple[str, str, str, float, int]]:
        """(key, energy, period, total, readings) for every total with readings."""
        k, e, p = np.nonzero(self.counts)
        return [(self.keys[a], self.energies[b], self.periods[c], float(self.totals[a, b, c]),
                 int(self.counts[a, b, c])) for a, b, c in zip(k, e, p, strict=True)]


def china_days(times: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 in China Standard Time."""
    return (times + CHINA_OFFSET_S) // DAY_S


def rollup(readings: Readings, meters: MeterInfo, level: str, grain: str) -> RollUp:
    """Sum readings (current ones: see :meth:`Readings.current`) per meter, unit or zone, energy and day or month
    (China Standard Time), for every key of ``meters`` (a key without readings has none). Every step is a pass
    over the readings, none a sort."""
    if level not in LEVELS or grain not in GRAINS:
        raise HizoneError(f"level must be one of {', '.join(LEVELS)} and grain one of {', '.join(GRAINS)}")
    keys = meters.keys[level]
    if len(readings.times) == 0:
        empty = (len(keys), len(meters.energies), 0)
        return RollUp(level, grain, keys, meters.energies, (), np.zeros(empty), np.zeros(empty, dtype=np.int64))
    ids = readings.meter_ids
    days = china_days(readings.times)
    first = int(days.min())
    calendar = np.arange(first, int(days.max()) + 1).astype("datetime64[D]")
    if grain == "day":
        period, names = days - first, tuple(str(d) for d in calendar)
    else:
        month_of_day = calendar.astype("datetime64[M]").astype(np.int64)
        month_of_day -= month_of_day[0]
        period = month_of_day[days - first]
        names = tuple(str(m) for m in np.unique(calendar.astype("datetime64[M]")))
    shape = (len(keys), len(meters.energies), len(names))
    per_meter = meters.index_of[level] * shape[1] + meters.energy_of  # (key, energy) of each meter: one gather
    cell = per_meter[ids] * shape[2] + period
    size = int(np.prod(shape))
    totals = np.asarray(np.bincount(cell, weights=readings.quantities, minlength=size), dtype=np.float64)
    counts = np.bincount(cell, minlength=size).reshape(shape)
    totals = totals.reshape(shape)
    totals[counts == 0] = np.nan
    return RollUp(level, grain, keys, meters.energies, names, totals, counts)


def tce(totals: RollUp, coefficients: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """Tonnes of standard coal per (key, period): each energy's total × its coefficient (tce per roll-up unit,
    e.g. 0.0001229 for electricity in kWh; 0 for an energy counted elsewhere, as certified green power is part of
    electricity). Every energy of the roll-up needs a coefficient."""
    missing = [e for e in totals.energies if e not in coefficients]
    if missing:
        raise HizoneError(f"no standard-coal coefficient for {', '.join(missing)}")
    factors = np.array([coefficients[e] for e in totals.energies], dtype=np.float64)
    return np.einsum("kep,e->kp", np.nan_to_num(totals.totals), factors)


# --- warnings -----------------------------------------------------------------------------------------------


def above_own_history(rule: HistoryRule, day_totals: RollUp) -> list[Alert]:
    """A unit's (or any key's) day totals far above its own previous days; one alert per key and month (the
    alert store keeps one per period), naming every day flagged and its evidence."""
    if day_totals.grain != "day":
        raise HizoneError("the history rule needs day totals")
    values = day_totals.totals  # [key, energy, day]; NaN where no reading
    days = len(day_totals.periods)
    flagged: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for t in range(rule.min_history, days):
        history = values[:, :, max(0, t - rule.window):t]
        enough = np.sum(np.isfinite(history), axis=2) >= rule.min_history
        if not enough.any():
            continue
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: ``enough`` leaves them out
            median = np.nanmedian(history, axis=2)
            mad = np.nanmedian(np.abs(history - median[:, :, None]), axis=2) * MAD_SCALE
            bound = np.maximum(median + rule.k * mad, median * (1 + rule.min_excess))
            hit = enough & (values[:, :, t] > bound)
        for k, e in zip(*np.nonzero(hit), strict=True):
            day = day_totals.periods[t]
            flagged.setdefault((int(k), day[:7]), []).append({
                "day": day, "energy": day_totals.energies[e], "total": float(values[k, e, t]),
                "median": float(median[k, e]), "mad": float(mad[k, e]), "bound": float(bound[k, e])})
    alerts = []
    for (k, month), hits in sorted(flagged.items()):
        key = day_totals.keys[k]
        worst = max(hits, key=lambda h: h["total"] / max(h["median"], 1e-12))
        alerts.append(Alert(rule.code, "own_history", rule.severity, f"energy_day_{worst['energy']}"[:64],
                            day_totals.level, key, month,
                            f"{key}: {worst['energy']} on {worst['day']} was {worst['total']:g}, above "
                            f"{worst['bound']:g} (median {worst['median']:g} + {rule.k:g}×MAD of its last "
                            f"{rule.window} days); {len(hits)} day(s) this month",
                            {"days": hits, "window": rule.window, "k": rule.k}))
    return alerts


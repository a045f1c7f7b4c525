"""Writing the simulated world as a case folder (the canonical format) plus `truth/`.

Events stream to `events.parquet` one day at a time (bounded memory); the other tables are small
and written as CSV at the end. Ground truth goes under `truth/`, which analyses never read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from countylines.simulate.events import Events
from countylines.simulate.identifiers import address_ids, person_ids
from countylines.simulate.lines import Line
from countylines.simulate.neighbourhoods import areas_frame
from countylines.simulate.world import ACCOUNT_NAMES, DAY_S, PhoneKind, World

_CODES = pa.dictionary(pa.int32(), pa.string())
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("start_time", pa.timestamp("s", tz="UTC")),
        ("event_type", pa.dictionary(pa.int8(), pa.string())),
        ("a_number", _CODES),
        ("b_number", _CODES),
        ("duration_s", pa.int32()),
        ("a_imei", _CODES),
        ("a_imsi", _CODES),
        ("a_cell_id", _CODES),
        ("b_imei", _CODES),
        ("b_imsi", _CODES),
        ("b_cell_id", _CODES),
        ("text", _CODES),
    ]
)
"""The events as written: identifier and text columns are dictionary-coded (indices into the
world's tables), so the Parquet writer stores the dictionary as given instead of hashing every
string. Readers see ordinary text columns."""
DICTIONARY_COLUMNS = [f.name for f in EVENT_SCHEMA if pa.types.is_dictionary(f.type)]
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": DICTIONARY_COLUMNS,
    "write_statistics": ["start_time"],
    "store_schema": False,  # readers see plain text columns, not dictionaries
}
"""How `events.parquet` is written (see EventWriter)."""
EVENT_TYPES = ("voice", "sms")
ROLE = {PhoneKind.DEAL: "deal_line", PhoneKind.RUNNER: "runner", PhoneKind.HOLDER: "holder"}
ID_DIGITS = 10
ROW_GROUP_ROWS = 2_000_000
ROWS_PER_DICTIONARY_ENTRY = 20


def row_group_rows(phones: int) -> int:
    """Events per row group: at least ROW_GROUP_ROWS, and 20 per phone. Every row group stores
    the dictionaries of numbers, IMSIs and IMEIs and the writer hashes them once per group
    (about 0.3 us an entry), so with a large population (huge: 315,000 phones) groups grow to
    keep that cost a small share of the rows'."""
    return max(ROW_GROUP_ROWS, ROWS_PER_DICTIONARY_ENTRY * phones)


_HALF = ID_DIGITS // 2
_DIGITS = (
    (np.arange(10**_HALF)[:, None] // 10 ** np.arange(_HALF - 1, -1, -1)) % 10 + ord("0")
).astype(np.uint8)
"""Row i: the digits of i, zero-padded to half the width of an event number."""


def event_ids(first: int, n: int) -> pa.Array:
    """Event ids E0000000001, ... for the `n` events numbered from `first` (built as bytes).

    The low half of the digits runs through the table `_DIGITS` in order and the high half
    only changes every 10**_HALF events, so each block of ids is two slice copies.
    """
    if n and first + n - 1 >= 10**ID_DIGITS:
        raise OverflowError(f"more than {10**ID_DIGITS - 1:,} events")
    chars = np.empty((n, ID_DIGITS + 1), dtype=np.uint8)
    chars[:, 0] = ord("E")
    block = 10**_HALF
    row = 0
    while row < n:
        high, low = divmod(first + row, block)
        size = min(block - low, n - row)
        chars[row : row + size, 1 : _HALF + 1] = _DIGITS[high]
        chars[row : row + size, _HALF + 1 :] = _DIGITS[low : low + size]
        row += size
    offsets = np.arange(0, (n + 1) * (ID_DIGITS + 1), ID_DIGITS + 1, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars))


@dataclass
class DayBatch:
    """One day's events encoded for writing: compact numpy columns, cheap to pass between
    processes. Identifiers are indices into the world's tables (phones, handsets, cells,
    messages); -1 (0 for `text`) means absent."""

    t: np.ndarray  # seconds since the start, int64
    sms: np.ndarray  # int8: index into EVENT_TYPES
    a: np.ndarray  # phones, int32
    b: np.ndarray
    duration: np.ndarray  # int32
    a_imei: np.ndarray  # handsets, int32
    b_imei: np.ndarray  # -1: not recorded
    b_imsi: np.ndarray  # phone or -1: not recorded
    a_cell: np.ndarray  # int32, -1: unknown
    b_cell: np.ndarray
    text: np.ndarray  # int32 message ids, 0: none

    def __len__(self) -> int:
        return len(self.t)


BATCH_DTYPES = {f.name: np.int32 for f in fields(DayBatch)} | {"t": np.int64, "sms": np.int8}
"""The dtype of each DayBatch column."""


class BatchSlot:
    """Room for one DayBatch of up to `capacity` events in a buffer (for example shared memory
    mapped before forking, so a worker process can hand a day to the writer without pickling)."""

    def __init__(self, buffer: Any, offset: int, capacity: int) -> None:
        self.capacity = capacity
        self.views: dict[str, np.ndarray] = {}
        for name, dtype in BATCH_DTYPES.items():
            self.views[name] = np.frombuffer(buffer, dtype, capacity, offset)
            offset += capacity * np.dtype(dtype).itemsize

    @staticmethod
    def nbytes(capacity: int) -> int:
        return capacity * sum(np.dtype(d).itemsize for d in BATCH_DTYPES.values())

    def put(self, batch: DayBatch) -> bool:
        """Copy `batch` in; False (and nothing copied) when it does not fit."""
        n = len(batch)
        if n > self.capacity:
            return False
        for name, view in self.views.items():
            view[:n] = getattr(batch, name)
        return True

    def view(self, n: int) -> DayBatch:
        """The first `n` events held (views: valid until the slot is written again)."""
        return DayBatch(**{name: view[:n] for name, view in self.views.items()})


def encode(ev: Events, handset_of: np.ndarray, rng: np.random.Generator) -> DayBatch:
    """A day's (sorted) events as a DayBatch; terminating-side handset details are often
    absent (drawn from `rng`)."""
    n = len(ev)
    b_known = rng.random(n) < 0.5
    i32 = np.int32
    return DayBatch(
        t=ev.t.astype(np.int64, copy=False),
        sms=ev.sms.view(np.int8),
        a=ev.a.astype(i32, copy=False),
        b=ev.b.astype(i32, copy=False),
        duration=ev.duration.astype(i32, copy=False),
        a_imei=handset_of[ev.a].astype(i32),
        b_imei=np.where(b_known, handset_of[ev.b], -1).astype(i32),
        b_imsi=np.where(b_known, ev.b, -1).astype(i32),
        a_cell=ev.a_cell.astype(i32, copy=False),
        b_cell=ev.b_cell.astype(i32, copy=False),
        text=ev.text.astype(i32, copy=False),
    )


def _codes(index: np.ndarray, dictionary: pa.Array, absent: int = -1) -> pa.DictionaryArray:
    """Dictionary-coded column: `dictionary[index]`, null where index is `absent` (or below)."""
    mask = index <= absent
    indices = pa.array(index, pa.int32(), mask=mask if mask.any() else None)
    return pa.DictionaryArray.from_arrays(indices, dictionary, safe=False)


class EventWriter:
    """Streams DayBatches to Parquet with global, gap-free event ids.

    Days are gathered into row groups of at least `row_group_rows(phones)` events (each row
    group repeats the dictionaries of phones and handsets, so fewer, larger groups write faster
    and smaller). Only `start_time` keeps column statistics (min/max of strings cost more to compute
    than the rest of the encoding and no reader uses them); `event_id` is unique, so it is
    stored plain (no dictionary; zstd shrinks it to under half a byte a row, and delta encoding
    costs more time than it saves); zstd level 1 compresses these columns as well as the default
    level, faster.
    """

    def __init__(self, path: Path, world: World) -> None:
        self.world = world
        self.writer = pq.ParquetWriter(path, EVENT_SCHEMA, **PARQUET_OPTIONS)
        self.count = 0  # events accepted
        self.written = 0  # events written (the rest wait in `pending`)
        self.group_rows = row_group_rows(len(world.phone["number"]))
        # the pending events, copied in day by day (a batch may be a view of a shared slot)
        self.buffer = {name: np.empty(0, dtype) for name, dtype in BATCH_DTYPES.items()}
        self.epoch = int(datetime.combine(world.params.start, datetime.min.time(), UTC).timestamp())
        self.numbers = pa.array(world.phone["number"], pa.string())
        self.imsis = pa.array(world.phone["imsi"], pa.string())
        self.imeis = pa.array(world.handsets, pa.string())
        self.cells = pa.array(world.cells.cell_id, pa.string())
        self.messages = pa.array(world.messages, pa.string())
        self.types = pa.array(EVENT_TYPES, pa.string())

    def write(self, day: DayBatch) -> None:
        if len(day) == 0:
            return
        if int(day.text.max()) >= len(self.messages):
            raise RuntimeError("a message text was registered after the writer was opened")
        start, end = self.count - self.written, self.count - self.written + len(day)
        if end > len(self.buffer["t"]):  # grow (rarely: the buffer is kept between groups)
            size = max(end, self.group_rows + len(day))
            for name, values in self.buffer.items():
                grown = np.empty(size, values.dtype)
                grown[:start] = values[:start]
                self.buffer[name] = grown
        for name, values in self.buffer.items():
            values[start:end] = getattr(day, name)
        self.count += len(day)
        if self.count - self.written >= self.group_rows:
            self.flush()

    def flush(self) -> None:
        """Write the pending days as one row group."""
        n = self.count - self.written
        if n == 0:
            return
        day = DayBatch(**{name: values[:n] for name, values in self.buffer.items()})
        ids = event_ids(self.written + 1, n)
        self.written += n
        table = pa.Table.from_arrays(
            [
                ids,
                pa.array(self.epoch + day.t, pa.int64()).view(pa.timestamp("s", tz="UTC")),
                pa.DictionaryArray.from_arrays(pa.array(day.sms), self.types, safe=False),
                _codes(day.a, self.numbers),
                _codes(day.b, self.numbers),
                pa.array(day.duration, pa.int32()),
                _codes(day.a_imei, self.imeis),
                _codes(day.a, self.imsis),
                _codes(day.a_cell, self.cells),
                _codes(day.b_imei, self.imeis),
                _codes(day.b_imsi, self.imsis),
                _codes(day.b_cell, self.cells),
                _codes(day.text, self.messages, absent=0),
            ],
            schema=EVENT_SCHEMA,
        )
        self.writer.write_table(table, row_group_size=n)

    def close(self) -> None:
        self.flush()
        self.writer.close()
        self.buffer = {}  # free it before the other tables are built


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, date_format=TIME_FORMAT)


def _time(world: World, seconds: int | np.ndarray) -> Any:
    start = pd.Timestamp(world.params.start, tz="UTC")
    return start + pd.to_timedelta(seconds, unit="s")


def write_tables(out: Path, world: World, lines: list[Line]) -> None:
    """Everything but the events: people, phones, places, intelligence."""
    p, rng = world.params, world.rng
    ph, pe, ad = world.phone, world.person, world.address
    person = person_ids(np.arange(len(pe["kind"])))
    address = address_ids(np.arange(len(ad["place"])))
    cells = world.cells
    _csv(
        pd.DataFrame(
            {
                "cell_id": cells.cell_id,
                "lat": cells.lat.round(6),
                "lon": cells.lon.round(6),
                "radius_m": np.where(cells.place < 0, 3000, 1500),
            }
        ),
        out / "cells.csv",
    )
    known = pe["known"]
    checked = rng.random(len(ph["kind"])) < p.subscriber_check_share
    owner_known = (ph["person"] >= 0) & known[np.maximum(ph["person"], 0)] & ph["registered"]
    seized = np.zeros(len(ph["kind"]), dtype=bool)  # seized on arrest: recorded against the user
    seized[list(world.seized_phones)] = True
    activation = _time(world, ph["start_day"] * DAY_S) - pd.to_timedelta(
        rng.integers(1, 400, len(ph["kind"])) * (ph["start_day"] == 0), unit="D"
    )
    _csv(
        pd.DataFrame(
            {
                "number": ph["number"],
                "account_type": np.array(ACCOUNT_NAMES)[ph["account"]],
                "registered": np.where(ph["registered"], "true", "false"),
                "person_id": np.where(
                    owner_known | seized, person[np.maximum(ph["person"], 0)], ""
                ),
                "activation_date": activation.strftime("%Y-%m-%d"),
            }
        )[checked | seized],
        out / "subscribers.csv",
    )
    tri = {-1: "", 0: "false", 1: "true"}
    persons = pd.DataFrame(
        {
            "person_id": person,
            "birth_year": pe["birth_year"],
            "sex": np.where(pe["male"], "male", "female"),
            "home_address_id": address[pe["address"]],
            **{
                k: pd.Series(pe[k]).map(tri)
                for k in ("mental_health", "drug_use", "debt_bondage", "known_to_care")
            },
            "missing_episodes": pe["missing_episodes"],
        }
    )[known]
    _csv(persons, out / "persons.csv")
    used = np.zeros(len(ad["place"]), dtype=bool)
    used[pe["address"][known]] = True
    occupant_known = known[ad["occupant"]]
    _csv(
        pd.DataFrame(
            {
                "address_id": address,
                "lat": ad["lat"].round(6),
                "lon": ad["lon"].round(6),
                "occupant_person_id": np.where(occupant_known, person[ad["occupant"]], ""),
            }
        )[used],
        out / "addresses.csv",
    )
    world.region.stations_table().to_csv(out / "stations.csv", index=False)
    world.region.hubs_table().to_csv(out / "hubs.csv", index=False)
    world.region.rail_links_table().to_csv(out / "rail_links.csv", index=False)
    areas_frame(world.region, world.hoods).to_file(out / "areas.geojson", driver="GeoJSON")
    intel = [
        (
            ph["number"][s.phone],
            line.brand,
            _time(world, s.start_s + DAY_S).strftime("%Y-%m-%d"),
            "intelligence report",
        )
        for line in lines
        for s in line.segments
        if rng.random() < p.intel_known_share
    ]
    _csv(
        pd.DataFrame(intel, columns=["number", "brand", "date", "source"]), out / "intel_lines.csv"
    )


def write_truth(out: Path, world: World, lines: list[Line]) -> None:
    """Ground truth for `countylines evaluate`: which numbers, handsets and homes are whose."""
    truth = out / "truth"
    truth.mkdir()
    ph = world.phone
    names = world.places.names
    _csv(
        pd.DataFrame(
            [
                {
                    "line_id": ln.line_id,
                    "brand": ln.brand,
                    "hub": names[ln.hub],
                    "market_towns": ";".join(names[t] for t, _ in ln.towns),
                    "start_time": _time(world, ln.start_day * DAY_S),
                    "n_customers": len(ln.customers),
                    "n_deal_numbers": len(ln.segments),
                    "parallel": int(max(s.chain for s in ln.segments) > 0),
                }
                for ln in lines
            ]
        ),
        truth / "lines.csv",
    )
    rows = []
    for ln in lines:
        for s in ln.segments:
            rows.append(
                (
                    ln.line_id,
                    ph["number"][s.phone],
                    "deal_line",
                    _time(world, s.start_s),
                    _time(world, s.end_s),
                    s.ended_by,
                    s.chain,
                )
            )
        end = _time(world, world.days * DAY_S)
        start = _time(world, ln.start_day * DAY_S)
        rows.append((ln.line_id, ph["number"][ln.holder], "holder", start, end, "", 0))
        rows.extend((ln.line_id, ph["number"][r], "runner", start, end, "", 0) for r in ln.runners)
    _csv(
        pd.DataFrame(
            rows,
            columns=[
                "line_id",
                "number",
                "role",
                "first_active",
                "last_active",
                "ended_by",
                "chain",
            ],
        ),
        truth / "line_numbers.csv",
    )
    _csv(
        pd.DataFrame(
            [
                (ln.line_id, ph["number"][c], int(d))
                for ln in lines
                for c, d in zip(ln.customers, ln.customer_since, strict=True)
            ],
            columns=["line_id", "number", "since_day"],
        ),
        truth / "customers.csv",
    )
    _csv(
        pd.DataFrame(
            [
                (ln.line_id, address_ids(np.array([a]))[0], _time(world, d * DAY_S))
                for ln in lines
                for a, d in ln.cuckoo
            ],
            columns=["line_id", "address_id", "from"],
        ),
        truth / "cuckooed_addresses.csv",
    )
    _csv(exploited_persons(world, lines), truth / "exploited_persons.csv")
    _csv(infiltration(world, lines), truth / "infiltration.csv")
    _csv(
        pd.DataFrame(
            {
                "town": [names[i] for i in world.places.towns],
                "hidden_attractiveness": world.town_noise[world.places.towns].round(4),
            }
        ),
        truth / "towns.csv",
    )
    params = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in asdict(world.params).items()
    }
    (truth / "params.json").write_text(json.dumps(params, indent=2))


def infiltration(world: World, lines: list[Line]) -> pd.DataFrame:
    """(town, area_id, month, line_id): in each town a line works (`Line.towns`, from the month
    it arrives), the neighbourhoods its customers there live in (their home cell's
    neighbourhood; customers shared with another line count for both), each month from the
    later of the two starts. Reads the world only."""
    hoods = world.hoods
    ids = areas_frame(world.region, hoods)["area_id"].to_numpy()
    names = world.places.names
    rows = set()
    for ln in lines:
        arrived = dict(ln.towns)
        hood = hoods.of_cell[world.phone["home_cell"][ln.customers]]
        for h, since in {(int(h), int(d)) for h, d in zip(hood, ln.customer_since, strict=True)}:
            town = int(hoods.place[h]) if h >= 0 else -1
            if town not in arrived:
                continue
            for m in range(max(since, arrived[town]) // 30, world.params.months):
                rows.add((names[town], ids[h], m, ln.line_id))
    frame = pd.DataFrame(sorted(rows), columns=["town", "area_id", "month", "line_id"])
    return frame.sort_values(["line_id", "month", "town", "area_id"], ignore_index=True)


def exploited_persons(world: World, lines: list[Line]) -> pd.DataFrame:
    """Who each line exploits: its runners (every age) and the occupants of the homes it
    cuckoos, with the number each uses (the occupant's phone is a customer phone of the line).
    Reads the world only: no random numbers are drawn."""
    ph, occupant = world.phone, world.address["occupant"]
    rows: list[tuple[int, str, str, str]] = []
    for ln in lines:
        rows.extend(
            (int(ph["person"][r]), ln.line_id, "runner", ph["number"][r]) for r in ln.runners
        )
        phone_of = {int(ph["person"][c]): int(c) for c in ln.customers}
        for address, _ in ln.cuckoo:
            victim = int(occupant[address])
            number = ph["number"][phone_of[victim]] if victim in phone_of else ""
            rows.append((victim, ln.line_id, "cuckooed_occupant", number))
    frame = pd.DataFrame(rows, columns=["person", "line_id", "role", "number"])
    frame.insert(0, "person_id", person_ids(frame.pop("person").to_numpy(np.int64)))
    return frame

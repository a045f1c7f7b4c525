"""Writing the simulated world as a case folder (the canonical format) plus `truth/`.

Events stream to `events.parquet` one day at a time (bounded memory); the other tables are small
and written as CSV at the end. Ground truth goes under `truth/`, which analyses never read.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from countylines.simulate.events import Events
from countylines.simulate.identifiers import address_ids, person_ids
from countylines.simulate.lines import Line
from countylines.simulate.world import ACCOUNT_NAMES, DAY_S, PhoneKind, World

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("start_time", pa.timestamp("s", tz="UTC")),
        ("event_type", pa.string()),
        ("a_number", pa.string()),
        ("b_number", pa.string()),
        ("duration_s", pa.int32()),
        ("a_imei", pa.string()),
        ("a_imsi", pa.string()),
        ("a_cell_id", pa.string()),
        ("b_imei", pa.string()),
        ("b_imsi", pa.string()),
        ("b_cell_id", pa.string()),
        ("text", pa.string()),
    ]
)
ROLE = {PhoneKind.DEAL: "deal_line", PhoneKind.RUNNER: "runner", PhoneKind.HOLDER: "holder"}


def _take(values: pa.Array, index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """`values[index]`, null where `missing` (or where index < 0)."""
    mask = index < 0 if missing is None else (missing | (index < 0))
    return values.take(pa.array(np.where(mask, 0, index), mask=mask))


class EventWriter:
    """Streams events to Parquet with global, gap-free event ids."""

    def __init__(self, path: Path, world: World) -> None:
        self.world = world
        self.writer = pq.ParquetWriter(path, EVENT_SCHEMA, compression="zstd")
        self.count = 0
        self.epoch = int(datetime.combine(world.params.start, datetime.min.time(), UTC).timestamp())
        self.numbers = pa.array(world.phone["number"], pa.string())
        self.imsis = pa.array(world.phone["imsi"], pa.string())
        self.imeis = pa.array(world.handsets, pa.string())
        self.cells = pa.array(world.cells.cell_id, pa.string())
        self.types = pa.array(["voice", "sms"])

    def write(self, ev: Events, handset_of: np.ndarray) -> None:
        n = len(ev)
        if n == 0:
            return
        rng = self.world.rng
        ids = pc.utf8_lpad(
            pa.array(np.arange(self.count + 1, self.count + n + 1)).cast(pa.string()), 10, "0"
        )
        self.count += n
        b_known = rng.random(n) < 0.5  # terminating-side handset details are often absent
        messages = pa.array(self.world.messages, pa.string())
        table = pa.table(
            {
                "event_id": pc.binary_join_element_wise("E", ids, ""),
                "start_time": pa.array(self.epoch + ev.t, pa.int64()).cast(
                    pa.timestamp("s", tz="UTC")
                ),
                "event_type": self.types.take(pa.array(ev.sms.astype(np.int8))),
                "a_number": self.numbers.take(pa.array(ev.a)),
                "b_number": self.numbers.take(pa.array(ev.b)),
                "duration_s": pa.array(ev.duration, pa.int32()),
                "a_imei": self.imeis.take(pa.array(handset_of[ev.a])),
                "a_imsi": self.imsis.take(pa.array(ev.a)),
                "a_cell_id": _take(self.cells, ev.a_cell),
                "b_imei": _take(self.imeis, handset_of[ev.b], ~b_known),
                "b_imsi": _take(self.imsis, ev.b, ~b_known),
                "b_cell_id": _take(self.cells, ev.b_cell),
                "text": _take(messages, ev.text, ev.text == 0),
            },
            schema=EVENT_SCHEMA,
        )
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()


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
    activation = _time(world, ph["start_day"] * DAY_S) - pd.to_timedelta(
        rng.integers(1, 400, len(ph["kind"])) * (ph["start_day"] == 0), unit="D"
    )
    _csv(
        pd.DataFrame(
            {
                "number": ph["number"],
                "account_type": np.array(ACCOUNT_NAMES)[ph["account"]],
                "registered": np.where(ph["registered"], "true", "false"),
                "person_id": np.where(owner_known, person[np.maximum(ph["person"], 0)], ""),
                "activation_date": activation.strftime("%Y-%m-%d"),
            }
        )[checked],
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
    world.region.areas().to_file(out / "areas.geojson", driver="GeoJSON")
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
    months = [
        (names[t], m, ln.line_id)
        for ln in lines
        for t, d in ln.towns
        for m in range(world.params.months)
        if d < 30 * (m + 1)
    ]
    _csv(pd.DataFrame(months, columns=["town", "month", "line_id"]), truth / "infiltration.csv")
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

"""Running the simulator: build the world, trade day by day, write the case and its truth.

`simulate(out, params, region)` writes into a temporary folder beside `out` and renames it at the
end, so an interrupted run never leaves a half-written case where a finished one is expected.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from countylines.simulate.business import BusinessTraffic, build_businesses
from countylines.simulate.events import Events
from countylines.simulate.lines import Line, LineTraffic, build_lines
from countylines.simulate.movement import Movement
from countylines.simulate.params import Params
from countylines.simulate.region import Region
from countylines.simulate.social import SocialGroup
from countylines.simulate.violence import Violence
from countylines.simulate.world import PhoneKind, World, build_background, build_world
from countylines.simulate.writer import TIME_FORMAT, EventWriter, write_tables, write_truth


@dataclass
class SimulationSummary:
    out: Path
    days: int
    events: int
    lines: int
    phones: int
    persons: int


class DayModel(Protocol):
    """Anything that produces a day of events.

    A model may also define `relocate(world, day, events)` to correct, in place, the cells of
    the phones it moves (runners on a train, a phone dwelling at an address); `tables(world)`
    returning extra case tables {name: DataFrame}; and `truth(world)` returning extra ground
    truth tables {name: DataFrame}.
    """

    def day(self, world: World, day: int) -> Events: ...


def build(region: Region, params: Params) -> tuple[World, list[Line], list[DayModel]]:
    """The world with every population and the traffic models that animate it."""
    world = build_world(region, params)
    background = build_background(world)
    lines = build_lines(world)
    businesses = build_businesses(world, background)
    world.freeze()
    kind = world.phone["kind"]
    pool = background
    models: list[DayModel] = [
        SocialGroup.build(world, background, pool, params.bg_events_per_day),
        SocialGroup.build(world, np.flatnonzero(kind == PhoneKind.CUSTOMER), pool, 2.0),
        SocialGroup.build(world, np.flatnonzero(kind == PhoneKind.RUNNER), pool, 1.5),
        LineTraffic(lines),
        BusinessTraffic(businesses),
        Movement.build(world, lines),
        Violence.build(world, lines),
    ]
    return world, lines, models


def simulate(
    out: Path, params: Params, region: Region, on_day: Callable[[int, int], None] | None = None
) -> SimulationSummary:
    """Simulate and write the case folder `out` (which must not exist yet)."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose a new folder")
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    world, lines, models = build(region, params)
    handset_of = world.phone["handset"].copy()
    changes = world.handset_changes
    writer = EventWriter(tmp / "events.parquet", world)
    k = 0
    try:
        for day in range(world.days):
            while k < len(changes) and changes[k][0] <= day:
                handset_of[changes[k][1]] = changes[k][2]
                k += 1
            events = Events.concat([m.day(world, day) for m in models]).sorted()
            for m in models:
                if hasattr(m, "relocate"):
                    m.relocate(world, day, events)
            writer.write(events, handset_of)
            if on_day is not None:
                on_day(day + 1, world.days)
    finally:
        writer.close()
    write_tables(tmp, world, lines)
    write_truth(tmp, world, lines)
    for m in models:
        for name, frame in (m.tables(world) if hasattr(m, "tables") else {}).items():
            if isinstance(frame, pa.Table):  # large tables stay in Arrow, written as Parquet
                pq.write_table(frame, tmp / f"{name}.parquet", compression="zstd")
            else:
                frame.to_csv(tmp / f"{name}.csv", index=False, date_format=TIME_FORMAT)
        for name, frame in (m.truth(world) if hasattr(m, "truth") else {}).items():
            frame.to_csv(tmp / "truth" / f"{name}.csv", index=False, date_format=TIME_FORMAT)
    tmp.rename(out)
    return SimulationSummary(
        out,
        world.days,
        writer.count,
        len(lines),
        len(world.phone["kind"]),
        len(world.person["kind"]),
    )

"""Running the simulator: build the world, trade day by day, write the case and its truth.

`simulate(out, params, region)` writes into a temporary folder beside `out` and renames it at the
end, so an interrupted run never leaves a half-written case where a finished one is expected.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
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
from countylines.simulate.writer import (
    TIME_FORMAT,
    DayBatch,
    EventWriter,
    encode,
    write_tables,
    write_truth,
)


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

    A model may also define `messages(world)`, every message text its days can send (registered
    before the days run); `relocate(world, day, events)` to correct, in place, the cells of
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
    for m in models:
        for text in m.messages(world) if hasattr(m, "messages") else []:
            world.message(text)
    world.messages_locked = True
    return world, lines, models


def day_rng(seed: int, day: int) -> np.random.Generator:
    """The random stream of one simulated day: child `day` of the seed's SeedSequence (what
    `np.random.SeedSequence(seed).spawn(days)[day]` gives), independent of every other day's."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(day,)))


class DayGenerator:
    """Generates and encodes single days; any day can be asked for, in any process.

    The world and models are fixed once built; a day's events depend only on them, the day and
    the day's own random stream (`day_rng`), so days can be generated in parallel and still
    give the same case. The one state that moves with time, which handset each phone is in,
    is replayed from `world.handset_changes` (sorted by day).
    """

    def __init__(self, world: World, models: list[DayModel]) -> None:
        self.world = world
        self.models = models
        self._handset_of = world.phone["handset"].copy()
        self._changes = world.handset_changes
        self._applied = 0  # changes applied to _handset_of
        self._day = -1

    def _handsets(self, day: int) -> np.ndarray:
        if day < self._day:  # asked to go back: replay from the start
            self._handset_of = self.world.phone["handset"].copy()
            self._applied = 0
        changes = self._changes
        while self._applied < len(changes) and changes[self._applied][0] <= day:
            _, phone, handset = changes[self._applied]
            self._handset_of[phone] = handset
            self._applied += 1
        self._day = day
        return self._handset_of

    def __call__(self, day: int) -> DayBatch:
        world = self.world
        handset_of = self._handsets(day)
        saved = world.rng
        world.rng = day_rng(world.params.seed, day)
        try:
            events = Events.concat([m.day(world, day) for m in self.models]).sorted()
            for m in self.models:
                if hasattr(m, "relocate"):
                    m.relocate(world, day, events)
            return encode(events, handset_of, world.rng)
        finally:
            world.rng = saved


_GENERATOR: DayGenerator | None = None  # the generator a forked worker process inherits


def _generate_in_worker(day: int) -> DayBatch:
    assert _GENERATOR is not None
    return _GENERATOR(day)


def default_workers() -> int:
    """Worker processes to use by default: one per CPU this process may run on (at most 8)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def generate_days(
    generator: DayGenerator, days: int, workers: int
) -> Generator[DayBatch, None, None]:
    """Every day's batch, in day order; with `workers` > 1, generated by that many forked
    processes, at most two days ahead of the consumer each (bounded memory)."""
    if workers <= 1 or days <= 1 or "fork" not in mp.get_all_start_methods():
        for day in range(days):
            yield generator(day)
        return
    global _GENERATOR
    _GENERATOR = generator
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            pending: deque[AsyncResult[DayBatch]] = deque()
            ahead = 2 * workers
            for day in range(days):
                pending.append(pool.apply_async(_generate_in_worker, (day,)))
                if len(pending) >= ahead:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _GENERATOR = None


def simulate(
    out: Path,
    params: Params,
    region: Region,
    on_day: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> SimulationSummary:
    """Simulate and write the case folder `out` (which must not exist yet).

    `workers` processes generate the days (default: one per CPU); the case does not depend on
    how many.
    """
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose a new folder")
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    world, lines, models = build(region, params)
    days = generate_days(
        DayGenerator(world, models), world.days, default_workers() if workers is None else workers
    )
    writer = EventWriter(tmp / "events.parquet", world)
    try:
        for day, batch in enumerate(days):
            writer.write(batch)
            if on_day is not None:
                on_day(day + 1, world.days)
    finally:
        days.close()
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

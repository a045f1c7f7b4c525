"""Running the simulator: build the world, trade day by day, write the case and its truth.

`simulate(out, params, region)` writes into a temporary folder beside `out` and renames it at the
end, so an interrupted run never leaves a half-written case where a finished one is expected.
"""

from __future__ import annotations

import itertools
import mmap
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
from countylines.simulate.recorded import record_vulnerabilities
from countylines.simulate.region import Region
from countylines.simulate.reports import AddressReports
from countylines.simulate.social import SocialGroup
from countylines.simulate.violence import Violence
from countylines.simulate.world import PhoneKind, World, build_background, build_world
from countylines.simulate.writer import (
    TIME_FORMAT,
    BatchSlot,
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
    record_vulnerabilities(world, lines)
    reports = AddressReports.build(world, lines)
    kind = world.phone["kind"]
    pool = background
    models: list[DayModel] = [
        SocialGroup.build(world, background, pool, params.bg_events_per_day),
        SocialGroup.build(world, np.flatnonzero(kind == PhoneKind.CUSTOMER), pool, 2.0),
        SocialGroup.build(world, np.flatnonzero(kind == PhoneKind.RUNNER), pool, 1.5),
        LineTraffic(lines),
        BusinessTraffic(businesses),
        Movement.build(world, lines),
        Violence.build(world, lines).with_incidents(reports.frame),
        reports,
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


_GENERATOR: DayGenerator | None = None  # what a forked worker process inherits ...
_SLOTS: list[BatchSlot] = []  # ... and the shared memory it hands days back through
SLOT_SPARE = 1.3  # slots hold this many times the events of day 0 (larger days are pickled)


def _generate_in_worker(day: int, slot: int) -> int | DayBatch:
    """Generate `day` into shared slot `slot` and return its size (or the batch, if too big)."""
    assert _GENERATOR is not None
    batch = _GENERATOR(day)
    return len(batch) if _SLOTS[slot].put(batch) else batch


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
    """Every day's batch, in day order.

    With `workers` > 1, day 0 is generated here (its size sets the room for a day), then that
    many forked processes generate the others, each writing its batch into one of `workers` + 1
    slots of shared memory mapped before the fork; the batch is copied out here in day order and
    its slot handed to the next day. So at most `workers` + 1 days are in flight (bounded
    memory) and no day is pickled unless it outgrows its slot. A batch may then be a view of
    its slot: it is valid until the next batch is asked for (`EventWriter.write` copies it).
    """
    if days == 0:
        return
    first = generator(0)
    if workers <= 1 or days == 1 or "fork" not in mp.get_all_start_methods():
        yield first
        for day in range(1, days):
            yield generator(day)
        return
    global _GENERATOR, _SLOTS
    capacity = int(len(first) * SLOT_SPARE) + 10_000
    size = BatchSlot.nbytes(capacity)
    shared = mmap.mmap(-1, size * (workers + 1))  # anonymous and shared: seen by the children
    _GENERATOR = generator
    _SLOTS = [BatchSlot(shared, i * size, capacity) for i in range(workers + 1)]
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            free = list(range(len(_SLOTS)))
            queue: deque[tuple[int, AsyncResult[int | DayBatch]]] = deque()
            next_day = 1

            def submit() -> None:
                nonlocal next_day
                while free and next_day < days:
                    slot = free.pop()
                    queue.append((slot, pool.apply_async(_generate_in_worker, (next_day, slot))))
                    next_day += 1

            submit()
            yield first
            while queue:
                slot, result = queue.popleft()
                got = result.get()
                yield _SLOTS[slot].view(got) if isinstance(got, int) else got
                free.append(slot)  # the consumer is done with the batch: reuse its slot
                submit()
    finally:
        # the mapping is freed with the last view of it (the consumer may still hold one)
        _GENERATOR, _SLOTS = None, []


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
    try:
        first = next(days, None)  # forks the workers, before this process has used Arrow
        writer = EventWriter(tmp / "events.parquet", world)
        try:
            for day, batch in enumerate(itertools.chain([] if first is None else [first], days)):
                writer.write(batch)
                if on_day is not None:
                    on_day(day + 1, world.days)
        finally:
            writer.close()
    finally:
        days.close()
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

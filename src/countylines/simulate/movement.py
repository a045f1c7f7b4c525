"""Movement: runners' journeys by train and car, number-plate reads, and missing-person episodes.

Child runners live in the hub and are sent to a line's market town for stays of a few days,
roughly weekly. Each journey goes by rail (when both ends have a station) or by road in one of
the line's hire cars, taxis or private-hire cars. On a train the runner's phone is seen on the
rail-corridor cells in travel order; on the road the car is read by ANPR cameras along its route.
During a stay the runner sleeps at one of the line's cuckooed addresses in the town, so
night-time events sit on the cell nearest it; some customers visit an address to buy. A line
with two homes in a town uses both (trips take them in turn, visits are spread over them).
Ordinary cars and legitimate hire, taxi and private-hire vehicles (which also drive between
towns and hubs) are read by the same cameras, and children in care who are not exploited go
missing too, so that neither a car on the road to a hub nor a missing episode is proof on its
own.

`Movement.build(world, lines)` plans everything up front (after `world.freeze`); `day` adds the
runners' texts sent while travelling, `relocate` moves the cells of runners' and customers'
events, and `tables` / `truth` write the case tables `vehicles`, `anpr`, `missing_episodes` and
the ground truth `journeys`, `vehicles_of_interest` and `missing_truth`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike

from countylines.simulate.events import HOURLY_PEOPLE, Events
from countylines.simulate.identifiers import person_ids, utc_text
from countylines.simulate.lines import Line
from countylines.simulate.region import shortest_paths
from countylines.simulate.world import DAY_S, METRES_PER_DEGREE, PhoneKind, World, offset

RAIL, ROAD = 0, 1
GOLDEN = (math.sqrt(5) - 1) / 2
MODES = ("rail", "road")
HUB, TRAVEL, STAY = 0, 1, 2
KEY = 10**10  # combines an id and a time (seconds) into one sortable key: id * KEY + t
NIGHT_FROM_H, NIGHT_TO_H = 22, 7
CATEGORIES = ("hire", "taxi", "private_hire")
HIRE_FIRMS = ("Midshire Car Hire", "Northway Rentals", "Easydrive Hire", "Crown Vehicle Rental")
APP_OPERATOR = "RideNow"
RAIL_TEXTS = (
    "on train",
    "20 mins",
    "on the train now",
    "just left",
    "bout 10 mins",
    "nearly there",
)
ROAD_TEXTS = ("in the car", "on my way", "20 mins", "nearly there")
TRAVEL_REPLIES = ("ok", "text when ur there", "cool", "go straight to the house")
PLATE_LETTERS = np.array(list("ABCDEFGHJKLMNOPRSTUVWXY"))
PLATE_AGES = np.array(["15", "65", "16", "66", "17", "67", "18"])
EDGE_CAMERA_M = 1_500.0
"""Town-edge cameras stand this far out of a town along each road (roads over 4 km long)."""


@dataclass
class Route:
    """A path through the rail or road network and what is passed on the way.

    `points` are cell ids (rail) or camera indices (road) in travel order; `at` the seconds after
    departure when each is passed (at normal speed); `seconds` the whole journey.
    """

    nodes: list[str]
    seconds: float
    points: np.ndarray
    at: np.ndarray


def _walk(prev: dict[str, str], source: str, target: str) -> list[str]:
    nodes = [target]
    while nodes[-1] != source:
        nodes.append(prev[nodes[-1]])
    return nodes[::-1]


def _metres(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    """Flat-earth distances in metres (fine within a town)."""
    dy = (lat1 - lat2) * METRES_PER_DEGREE
    dx = (lon1 - lon2) * METRES_PER_DEGREE * np.cos(np.radians(lat2))
    return np.hypot(dx, dy)


class Network:
    """Rail routes over corridor cells and road routes over ANPR cameras."""

    def __init__(self, world: World) -> None:
        region, cells, places = world.region, world.cells, world.places
        self.place_index = {name: i for i, name in enumerate(places.names)}
        self.place_names = places.names
        # rail: corridor cells of each link (ordered a -> b with their fraction along it)
        self.rail_edges = [(r.a, r.b, r.minutes) for r in region.rail_links]
        self.link_cells: dict[frozenset[str], tuple[str, float, np.ndarray, np.ndarray]] = {}
        corridor = np.flatnonzero(cells.place < 0)
        station = {s.code: s for s in region.stations}
        for link in region.rail_links:
            a, b = station[link.a], station[link.b]
            dlat, dlon = b.lat - a.lat, b.lon - a.lon
            qlat, qlon = cells.lat[corridor] - a.lat, cells.lon[corridor] - a.lon
            norm = dlat * dlat + dlon * dlon
            f = (qlat * dlat + qlon * dlon) / norm
            off = np.abs(qlat * dlon - qlon * dlat) / math.sqrt(norm)
            on = (off < 1e-7) & (f > 0) & (f < 1)
            order = np.argsort(f[on])
            self.link_cells[frozenset((link.a, link.b))] = (
                link.a,
                link.minutes,
                corridor[on][order],
                f[on][order],
            )
        self._rail: dict[str, tuple[dict[str, float], dict[str, str]]] = {}
        # road: cameras along each road, and at the edges of the towns it joins
        self.road_edges = [(r.a, r.b, r.minutes) for r in region.roads]
        lat, lon = places.lat, places.lon
        cam_lat: list[float] = []
        cam_lon: list[float] = []
        self.road_cams: dict[frozenset[str], tuple[str, float, np.ndarray, np.ndarray]] = {}
        spacing = world.params.road_camera_minutes
        for road in region.roads:
            ia, ib = self.place_index[road.a], self.place_index[road.b]
            length = float(_metres(np.array([lat[ia]]), np.array([lon[ia]]), lat[ib], lon[ib])[0])
            fractions = list(
                (np.arange(1, int(road.minutes // spacing) + 1))
                / (int(road.minutes // spacing) + 1)
            )
            if length > 4_000:
                fractions += [EDGE_CAMERA_M / length, 1 - EDGE_CAMERA_M / length]
            fr = np.unique(np.array(fractions, dtype=float))
            ids = np.arange(len(cam_lat), len(cam_lat) + len(fr))
            cam_lat.extend(lat[ia] + fr * (lat[ib] - lat[ia]))
            cam_lon.extend(lon[ia] + fr * (lon[ib] - lon[ia]))
            self.road_cams[frozenset((road.a, road.b))] = (road.a, road.minutes, ids, fr)
        self.cam_lat = np.array(cam_lat)
        self.cam_lon = np.array(cam_lon)
        self.cam_id = np.array([f"CAM{i + 1:04d}" for i in range(len(cam_lat))], dtype=object)
        self._road: dict[str, tuple[dict[str, float], dict[str, str]]] = {}
        self._routes: dict[tuple[int, str, str], Route | None] = {}
        n = len(places.names)
        self.road_minutes = np.full((n, n), np.inf)
        for i, name in enumerate(places.names):
            dist, _ = self._road_tree(name)
            for other, d in dist.items():
                self.road_minutes[i, self.place_index[other]] = d

    def _rail_tree(self, code: str) -> tuple[dict[str, float], dict[str, str]]:
        if code not in self._rail:
            self._rail[code] = shortest_paths(self.rail_edges, code)
        return self._rail[code]

    def _road_tree(self, place: str) -> tuple[dict[str, float], dict[str, str]]:
        if place not in self._road:
            self._road[place] = shortest_paths(self.road_edges, place)
        return self._road[place]

    def _route(
        self,
        nodes: list[str],
        parts: dict[frozenset[str], tuple[str, float, np.ndarray, np.ndarray]],
    ) -> Route:
        points, at = [], []
        t = 0.0
        for u, v in itertools.pairwise(nodes):
            a, minutes, ids, fr = parts[frozenset((u, v))]
            if a != u:
                ids, fr = ids[::-1], 1 - fr[::-1]
            points.append(ids)
            at.append(t + fr * minutes * 60)
            t += minutes * 60
        return Route(nodes, t, np.concatenate(points), np.concatenate(at))

    def rail(self, from_codes: tuple[str, ...], to_code: str | None) -> Route | None:
        """The quickest rail route from any of `from_codes` to `to_code` (None without one)."""
        key = (RAIL, ";".join(from_codes), str(to_code))
        if key not in self._routes:
            best: Route | None = None
            if to_code is not None:
                for code in from_codes:
                    dist, prev = self._rail_tree(code)
                    if to_code in dist and code != to_code:
                        route = self._route(_walk(prev, code, to_code), self.link_cells)
                        if best is None or route.seconds < best.seconds:
                            best = route
            self._routes[key] = best
        return self._routes[key]

    def road(self, origin: int, dest: int) -> Route | None:
        """The quickest road route between two places (None if unreachable or the same)."""
        a, b = self.place_names[origin], self.place_names[dest]
        key = (ROAD, a, b)
        if key not in self._routes:
            dist, prev = self._road_tree(a)
            ok = b in dist and a != b
            self._routes[key] = self._route(_walk(prev, a, b), self.road_cams) if ok else None
        return self._routes[key]


@dataclass
class Legs:
    """Drives of vehicles: vehicle index, origin and destination place, departure, slowness."""

    vehicle: list[np.ndarray] = field(default_factory=list)
    origin: list[np.ndarray] = field(default_factory=list)
    dest: list[np.ndarray] = field(default_factory=list)
    depart: list[np.ndarray] = field(default_factory=list)
    factor: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        vehicle: ArrayLike,
        origin: ArrayLike,
        dest: ArrayLike,
        depart: ArrayLike,
        factor: ArrayLike,
    ) -> None:
        for name, values in zip(
            ("vehicle", "origin", "dest", "depart", "factor"),
            (vehicle, origin, dest, depart, factor),
            strict=True,
        ):
            getattr(self, name).append(np.atleast_1d(np.asarray(values)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(
            np.concatenate(getattr(self, n)) if getattr(self, n) else np.empty(0)
            for n in ("vehicle", "origin", "dest", "depart", "factor")
        )


def plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct current-style British registration marks (e.g. AB12CDE, no spaces)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        k = n - len(out) + 8
        letters = PLATE_LETTERS[rng.integers(0, len(PLATE_LETTERS), (k, 5))]
        ages = PLATE_AGES[rng.integers(0, len(PLATE_AGES), k)]
        for row, age in zip(letters, ages, strict=True):
            plate = f"{row[0]}{row[1]}{age}{row[2]}{row[3]}{row[4]}"
            if plate not in seen and len(out) < n:
                seen.add(plate)
                out.append(plate)
    return np.array(out, dtype=object)


@dataclass
class Movement:
    """Runners' journeys, vehicles and their ANPR reads, and missing-person episodes."""

    net: Network
    lines: list[Line]
    # vehicles: plate, category ("" for private cars), operator, line index (-1: not a line's)
    vrm: np.ndarray
    category: np.ndarray
    operator: np.ndarray
    vehicle_line: np.ndarray
    legs: Legs
    # journeys of runners
    j_line: np.ndarray
    j_phone: np.ndarray
    j_mode: np.ndarray
    j_vehicle: np.ndarray
    j_from: np.ndarray
    j_to: np.ndarray
    j_depart: np.ndarray
    j_arrive: np.ndarray
    j_route: list[Route]
    # where each child runner is: contiguous states per phone, sorted by (phone, start)
    tracked: np.ndarray
    st_key: np.ndarray
    st_kind: np.ndarray
    st_place: np.ndarray
    st_journey: np.ndarray
    st_cuckoo: np.ndarray
    hub_home: np.ndarray
    rail_key: np.ndarray
    rail_cell: np.ndarray
    # the line's cuckooed homes per (line, place): runners sleep there, customers visit
    deal_line: np.ndarray
    homes: CuckooHomes
    travel: Events
    # missing episodes
    m_person: np.ndarray
    m_start: np.ndarray
    m_end: np.ndarray
    m_lat: np.ndarray
    m_lon: np.ndarray
    m_exploited: np.ndarray

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def build(cls, world: World, lines: list[Line]) -> Movement:
        net = Network(world)
        p, rng = world.params, world.rng
        deal_line = np.full(len(world.phone["kind"]), -1, dtype=np.int64)
        for li, line in enumerate(lines):
            for seg in line.segments:
                deal_line[seg.phone] = li
        homes = CuckooHomes.build(world, lines)
        fleet = _Fleet(world)
        for li, line in enumerate(lines):
            fleet.add(int(rng.integers(1, p.line_vehicles_max + 1)), int(line.hub), line=li)
        n_fleet = max(6, round(p.n_background * p.fleet_vehicle_share))
        fleet.add(n_fleet, None, line=-1)
        plan = _Plan(world, net, lines, fleet, homes)
        for li, line in enumerate(lines):
            for runner in line.runners:
                if plan.is_child_runner(int(runner), line):
                    plan.runner_trips(li, line, int(runner))
        plan.assign_vehicles()
        legs = plan.legs
        n_private = round(p.n_background * p.private_car_share)
        private = fleet.add_private(n_private)
        _background_legs(world, net, legs, private, fleet.home[private], p.private_trips_per_day)
        legit = np.flatnonzero(
            (np.array(fleet.line) == -1) & (np.array(fleet.category, dtype=object) != "")
        )
        _background_legs(
            world, net, legs, legit, fleet.home[legit], p.fleet_trips_per_day, fleet=True
        )
        missing = _missing_episodes(world, plan)
        return cls(
            net=net,
            lines=lines,
            vrm=plates(rng, len(fleet.line)),
            category=np.array(fleet.category, dtype=object),
            operator=np.array(fleet.operator, dtype=object),
            vehicle_line=np.array(fleet.line),
            legs=legs,
            **plan.arrays(),
            deal_line=deal_line,
            homes=homes,
            travel=plan.travel_texts(),
            **missing,
        )

    # --- day model ------------------------------------------------------------------------------

    def day(self, world: World, day: int) -> Events:
        t = self.travel.t
        lo, hi = np.searchsorted(t, [day * DAY_S, (day + 1) * DAY_S])
        return self.travel.subset(np.arange(lo, hi))

    def relocate(self, world: World, day: int, events: Events) -> None:
        """Runners' cells from their plans; some customers' orders at a cuckooed address."""
        self._place(world, events.a, events.t, events.a_cell)
        self._place(world, events.b, events.t, events.b_cell)
        line = self.deal_line[events.b]
        order = (line >= 0) & (world.phone["kind"][events.a] == PhoneKind.CUSTOMER)
        idx = np.flatnonzero(order)
        if len(idx) == 0:
            return
        town = world.phone["place"][events.a[idx]]
        share = world.params.cuckoo_visit_share
        u = world.rng.random(len(idx))
        # a visit (u < share) goes to one of the homes taken over by then, u / share picks which
        cell = self.homes.cell(line[idx], town, np.full(len(idx), day), u / share)
        visit = (cell >= 0) & (u < share)
        events.a_cell[idx[visit]] = cell[visit]

    def _place(self, world: World, phones: np.ndarray, t: np.ndarray, cells: np.ndarray) -> None:
        idx = np.flatnonzero(self.tracked[phones])
        if len(idx) == 0:
            return
        rng = world.rng
        ph, tt = phones[idx].astype(np.int64), t[idx]
        s = np.searchsorted(self.st_key, ph * KEY + tt, side="right") - 1
        kind = self.st_kind[s]
        place = self.st_place[s]
        new = cells[idx].copy()
        # in the hub: mostly at home
        m = kind == HUB
        if m.any():
            home = rng.random(int(m.sum())) < 0.7
            new[m] = np.where(home, self.hub_home[ph[m]], world.cells_near(place[m]))
        # staying in a market town: nights at the cuckooed address, days about the town
        m = kind == STAY
        if m.any():
            hour = (tt[m] % DAY_S) // 3600
            night = (hour >= NIGHT_FROM_H) | (hour < NIGHT_TO_H)
            cuckoo = self.st_cuckoo[s[m]]
            away = place[m] != world.phone["place"][ph[m]]
            here = np.where(away, world.cells_near(place[m]), new[m])
            new[m] = np.where(night & (cuckoo >= 0), cuckoo, here)
        # travelling: by train along the corridor cells, by road near the two ends
        m = kind == TRAVEL
        if m.any():
            j = self.st_journey[s[m]]
            rail = self.j_mode[j] == RAIL
            half = tt[m] < (self.j_depart[j] + self.j_arrive[j]) // 2
            end = np.where(half, self.j_from[j], self.j_to[j])
            cell = world.cells_near(end)
            if rail.any():
                # the last corridor cell passed (the first one before reaching it)
                key = j[rail] * KEY + tt[m][rail]
                first = np.searchsorted(self.rail_key, j[rail] * KEY)
                pos = np.searchsorted(self.rail_key, key, side="right") - 1
                cell[rail] = self.rail_cell[np.maximum(pos, first)]
            new[m] = cell
        cells[idx] = new

    # --- output ---------------------------------------------------------------------------------

    def anpr(self, world: World) -> pa.Table:
        vehicle, origin, dest, depart, factor = self.legs.arrays()
        vehicle = vehicle.astype(np.int64)
        origin, dest = origin.astype(np.int64), dest.astype(np.int64)
        n_places = len(world.places.names)
        key = origin * n_places + dest
        reads_v, reads_t, reads_c = [], [], []
        for k in np.unique(key):
            route = self.net.road(int(k // n_places), int(k % n_places))
            if route is None or len(route.points) == 0:
                continue
            m = np.flatnonzero(key == k)
            t = depart[m, None] + factor[m, None] * route.at[None, :]
            reads_v.append(np.repeat(vehicle[m], len(route.points)))
            reads_t.append(t.astype(np.int64).ravel())
            reads_c.append(np.tile(route.points, len(m)))
        if reads_v:
            v, t, c = (np.concatenate(x) for x in (reads_v, reads_t, reads_c))
        else:
            v = t = c = np.empty(0, dtype=np.int64)
        seen = (world.rng.random(len(t)) < world.params.anpr_read_prob) & (t < world.days * DAY_S)
        v, t, c = v[seen], t[seen], c[seen]
        order = np.lexsort((v, c, t))
        v, t, c = v[order], t[order], c[order]
        numbers = pa.array(np.arange(1, len(t) + 1)).cast(pa.string())
        start = np.datetime64(world.params.start, "s")
        return pa.table(
            {
                "read_id": pc.binary_join_element_wise("R", pc.utf8_lpad(numbers, 9, "0"), ""),
                "vrm": pa.array(self.vrm, pa.string()).take(pa.array(v)),
                "time": pa.array(start + t.astype("timedelta64[s]")).cast(
                    pa.timestamp("s", tz="UTC")
                ),
                "camera_id": pa.array(self.net.cam_id, pa.string()).take(pa.array(c)),
                "lat": pa.array(self.net.cam_lat[c].round(6)),
                "lon": pa.array(self.net.cam_lon[c].round(6)),
            }
        )

    def tables(self, world: World) -> dict[str, pd.DataFrame | pa.Table]:
        known = self.category != ""
        vehicles = pd.DataFrame(
            {
                "vrm": self.vrm[known],
                "category": self.category[known],
                "operator": self.operator[known],
            }
        )
        order = np.lexsort((self.m_person, self.m_start))
        missing = pd.DataFrame(
            {
                "person_id": person_ids(self.m_person[order]),
                "start_time": _time(world, self.m_start[order]),
                "end_time": _time(world, self.m_end[order]),
                "found_lat": self.m_lat[order].round(6),
                "found_lon": self.m_lon[order].round(6),
            }
        )
        return {"vehicles": vehicles, "anpr": self.anpr(world), "missing_episodes": missing}

    def truth(self, world: World) -> dict[str, pd.DataFrame]:
        names = np.array(world.places.names, dtype=object)
        line_ids = np.array([ln.line_id for ln in self.lines], dtype=object)
        runner_no = {int(r): i + 1 for ln in self.lines for i, r in enumerate(ln.runners)}
        v = self.j_vehicle
        journeys = pd.DataFrame(
            {
                "line_id": line_ids[self.j_line] if len(self.j_line) else [],
                "runner": [runner_no[int(ph)] for ph in self.j_phone],
                "number": world.phone["number"][self.j_phone],
                "person_id": person_ids(world.phone["person"][self.j_phone]),
                "mode": np.array(MODES, dtype=object)[self.j_mode],
                "vrm": np.where(v >= 0, self.vrm[np.maximum(v, 0)], ""),
                "from_place": names[self.j_from],
                "to_place": names[self.j_to],
                "depart": _time(world, self.j_depart),
                "arrive": _time(world, self.j_arrive),
                "route": [";".join(r.nodes) for r in self.j_route],
            }
        )
        # a line's vehicle is of interest once it has carried one of its runners: a car the
        # line had but never drove leaves no trace to find
        ours = (self.vehicle_line >= 0) & np.isin(np.arange(len(self.vrm)), v[v >= 0])
        interest = pd.DataFrame(
            {"vrm": self.vrm[ours], "line_id": line_ids[self.vehicle_line[ours]]}
        )
        order = np.lexsort((self.m_person, self.m_start))
        missing = pd.DataFrame(
            {
                "person_id": person_ids(self.m_person[order]),
                "start_time": _time(world, self.m_start[order]),
                "exploited": np.where(self.m_exploited[order], "true", "false"),
            }
        )
        return {
            "journeys": journeys,
            "vehicles_of_interest": interest,
            "missing_truth": missing,
        }


# --- helpers ------------------------------------------------------------------------------------


def _time(world: World, seconds: np.ndarray) -> np.ndarray:
    return utc_text(world.params.start, seconds)


@dataclass(frozen=True)
class CuckooHomes:
    """The cells nearest a line's cuckooed homes in each town, in the order taken over.

    `cells` and `days` are (line, place, home) arrays: the home's nearest town cell (-1 when the
    line has no such home) and the day it was taken over."""

    cells: np.ndarray
    days: np.ndarray

    @classmethod
    def build(cls, world: World, lines: list[Line]) -> CuckooHomes:
        n_places = len(world.places.names)
        place = world.address["place"]
        k = max(
            [1]
            + [
                int(np.bincount(place[[a for a, _ in ln.cuckoo]]).max())
                for ln in lines
                if ln.cuckoo
            ]
        )
        cells = np.full((len(lines), n_places, k), -1, dtype=np.int64)
        days = np.zeros((len(lines), n_places, k), dtype=np.int64)
        for li, line in enumerate(lines):
            slot = np.zeros(n_places, dtype=int)
            for address, day in sorted(line.cuckoo, key=lambda c: c[1]):
                town = int(world.address["place"][address])
                cells[li, town, slot[town]] = _nearest_cell(world, address)
                days[li, town, slot[town]] = day
                slot[town] += 1
        return cls(cells, days)

    def cell(
        self, line: np.ndarray, town: np.ndarray, day: np.ndarray, which: np.ndarray
    ) -> np.ndarray:
        """The cell of one of the homes of (`line`, `town`) taken over by `day`, -1 when there is
        none: the one at fraction `which` (in [0, 1)) of those homes."""
        cells, days = self.cells[line, town], self.days[line, town]
        count = ((cells >= 0) & (days <= day[:, None])).sum(axis=1)  # a prefix: sorted by day
        k = np.minimum((which * count).astype(np.int64), np.maximum(count - 1, 0))
        return np.where(count > 0, np.take_along_axis(cells, k[:, None], axis=1)[:, 0], -1)

    def trip_cell(self, line: int, town: int, day: int, trip: int) -> int:
        """Where a runner on its `trip`-th trip sleeps: the line's homes in the town taken over by
        `day` in turn (a low-discrepancy rotation, which draws no random numbers)."""
        which = np.array([(trip * GOLDEN) % 1.0])
        return int(self.cell(np.array([line]), np.array([town]), np.array([day]), which)[0])


def _nearest_cell(world: World, address: int) -> int:
    """The town cell (not a corridor cell) nearest an address."""
    cells = world.cells
    town = np.flatnonzero(cells.place >= 0)
    lat, lon = float(world.address["lat"][address]), float(world.address["lon"][address])
    return int(town[np.argmin(_metres(cells.lat[town], cells.lon[town], lat, lon))])


class _Fleet:
    """Vehicles as growing lists: category ("" private), operator, line, home place."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.category: list[str] = []
        self.operator: list[str] = []
        self.line: list[int] = []
        self.home_list: list[int] = []

    @property
    def home(self) -> np.ndarray:
        return np.array(self.home_list, dtype=np.int64)

    def add(self, n: int, place: int | None, line: int) -> np.ndarray:
        """`n` hire cars, taxis or private-hire cars based at `place` (None: by population)."""
        world, rng = self.world, self.world.rng
        places = world.places
        start = len(self.line)
        pop = places.population.astype(float)
        hubs = places.hubs
        for _ in range(n):
            category = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]
            if place is not None:
                home = place
            elif category == "hire":  # rental depots are in the cities
                home = int(rng.choice(hubs, p=pop[hubs] / pop[hubs].sum()))
            else:
                home = int(rng.choice(len(pop), p=pop / pop.sum()))
            name = places.names[home]
            if category == "hire":
                operator = HIRE_FIRMS[int(rng.integers(0, len(HIRE_FIRMS)))]
            elif category == "taxi":
                operator = f"{name} Taxis"
            else:
                operator = APP_OPERATOR if rng.random() < 0.5 else f"{name} Private Hire"
            self.category.append(category)
            self.operator.append(operator)
            self.line.append(line)
            self.home_list.append(home)
        return np.arange(start, len(self.line))

    def add_private(self, n: int) -> np.ndarray:
        pop = self.world.places.population.astype(float)
        home = self.world.rng.choice(len(pop), size=n, p=pop / pop.sum())
        start = len(self.line)
        self.category.extend([""] * n)
        self.operator.extend([""] * n)
        self.line.extend([-1] * n)
        self.home_list.extend(int(h) for h in home)
        return np.arange(start, len(self.line))


@dataclass
class _Journey:
    line: int
    phone: int
    mode: int
    origin: int
    dest: int
    depart: int
    arrive: int
    route: Route
    factor: float = 1.0
    vehicle: int = -1


class _Plan:
    """Child runners' trips, the states they imply and the line vehicles' drives."""

    def __init__(
        self,
        world: World,
        net: Network,
        lines: list[Line],
        fleet: _Fleet,
        homes: CuckooHomes,
    ) -> None:
        self.world, self.net, self.lines, self.fleet = world, net, lines, fleet
        self.homes = homes
        self.journeys: list[_Journey] = []
        self.trips: list[tuple[int, int, int]] = []  # (phone, outbound journey, return journey)
        self.states: list[tuple[int, int, int, int, int, int]] = []
        self.children: list[int] = []
        self.legs = Legs()

    def is_child_runner(self, phone: int, line: Line) -> bool:
        w = self.world
        person = int(w.phone["person"][phone])
        young = w.params.start.year - int(w.person["birth_year"][person]) < 18
        return young and int(w.person["place"][person]) == line.hub

    def _route(self, mode: int, a: int, b: int) -> Route | None:
        if mode == ROAD:
            return self.net.road(a, b)
        region, names = self.world.region, self.world.places.names
        hubs = {h.name: h for h in region.hubs}
        towns = {t.name: t for t in region.towns}
        if names[a] in hubs:
            return self.net.rail(hubs[names[a]].stations, towns[names[b]].rail_station)
        route = self.net.rail(hubs[names[b]].stations, towns[names[a]].rail_station)
        if route is None:
            return None
        at = route.seconds - route.at[::-1]
        return Route(route.nodes[::-1], route.seconds, route.points[::-1], at)

    def _journey(self, li: int, phone: int, mode: int, a: int, b: int, depart: int) -> _Journey:
        route = self._route(mode, a, b)
        assert route is not None
        factor = 1.0 if mode == RAIL else float(self.world.rng.uniform(0.95, 1.25))
        arrive = depart + round(route.seconds * factor)
        return _Journey(li, phone, mode, a, b, depart, arrive, route, factor)

    def runner_trips(self, li: int, line: Line, phone: int) -> None:
        w, p, rng = self.world, self.world.params, self.world.rng
        end = w.days * DAY_S
        hub = int(line.hub)
        self.children.append(phone)
        state_start = 0
        day = line.start_day + int(rng.integers(0, 7))
        while True:
            towns = [t for t, d in line.towns if d <= day]
            if not towns:
                break
            weights = np.array([2.0] + [1.0] * (len(towns) - 1))
            town = int(towns[int(rng.choice(len(towns), p=weights / weights.sum()))])
            depart = day * DAY_S + int(rng.integers(9, 21)) * 3600 + int(rng.integers(0, 3600))
            rail_ok = self._route(RAIL, hub, town) is not None
            mode = RAIL if rail_ok and rng.random() < p.runner_rail_share else ROAD
            out = self._journey(li, phone, mode, hub, town, depart)
            stay = int(rng.integers(p.runner_stay_days_min, p.runner_stay_days_max + 1))
            back_depart = (day + stay) * DAY_S + int(rng.integers(9, 21)) * 3600
            back_depart = max(back_depart + int(rng.integers(0, 3600)), out.arrive + 12 * 3600)
            back = self._journey(li, phone, mode, town, hub, back_depart)
            if back.arrive + 6 * 3600 >= end:
                break
            j = len(self.journeys)
            cuckoo = self.homes.trip_cell(li, town, out.arrive // DAY_S, j // 2)
            self.journeys += [out, back]
            self.trips.append((phone, j, j + 1))
            self.states += [
                (phone, state_start, HUB, hub, -1, -1),
                (phone, out.depart, TRAVEL, hub, j, -1),
                (phone, out.arrive, STAY, town, -1, cuckoo),
                (phone, back.depart, TRAVEL, town, j + 1, -1),
            ]
            state_start = back.arrive
            gap = int(rng.integers(p.runner_hub_days_min, p.runner_hub_days_max + 1))
            day = back.arrive // DAY_S + gap
        self.states.append((phone, state_start, HUB, hub, -1, -1))

    def assign_vehicles(self) -> None:
        """Give each road journey a free vehicle of its line (a new one when all are busy).

        The car fetches the runner from the hub for the journey back and drives home empty
        after dropping them off; those empty drives are read by cameras too.
        """
        rng, fleet = self.world.rng, self.fleet
        busy: dict[int, list[tuple[int, int]]] = {}
        road = sorted(
            (j for j in self.journeys if j.mode == ROAD), key=lambda j: (j.depart, j.phone)
        )
        for j in road:
            outbound = self.world.places.is_hub[j.origin]
            hub, town = (j.origin, j.dest) if outbound else (j.dest, j.origin)
            empty = round(j.route.seconds * float(rng.uniform(0.95, 1.2)))
            gap = int(rng.integers(10, 40)) * 60
            if outbound:
                window = (j.depart, j.arrive + gap + empty)
                extra = (town, hub, j.arrive + gap)
            else:
                window = (j.depart - gap - empty, j.arrive)
                extra = (hub, town, j.depart - gap - empty)
            mine = [v for v, ln in enumerate(fleet.line) if ln == j.line]
            free = [
                v for v in mine if all(e <= window[0] or s >= window[1] for s, e in busy.get(v, []))
            ]
            if free:
                vehicle = int(free[int(rng.integers(0, len(free)))])
            else:
                vehicle = int(fleet.add(1, int(self.lines[j.line].hub), line=j.line)[0])
            busy.setdefault(vehicle, []).append(window)
            j.vehicle = vehicle
            self.legs.add(vehicle, j.origin, j.dest, j.depart, j.factor)
            self.legs.add(vehicle, extra[0], extra[1], extra[2], empty / j.route.seconds)

    def arrays(self) -> dict[str, Any]:
        w = self.world
        js = self.journeys
        n_phones = len(w.phone["kind"])
        tracked = np.zeros(n_phones, dtype=bool)
        tracked[self.children] = True
        st = np.array(self.states, dtype=np.int64).reshape(-1, 6)
        order = np.lexsort((st[:, 1], st[:, 0]))
        st = st[order]
        hub_home = np.full(n_phones, -1, dtype=np.int64)
        for phone in self.children:
            hub = int(st[st[:, 0] == phone][0, 3])
            w.rng.choice(w.cells.by_place[hub])  # drawn before homes had cells: kept in step
            home = w.person["address"][w.phone["person"][phone]]
            hub_home[phone] = w.serving_cells(
                np.array([hub]), w.address["lat"][[home]], w.address["lon"][[home]]
            )[0]
        rail = [(i, j) for i, j in enumerate(js) if j.mode == RAIL]
        rail_key = np.concatenate(
            [i * KEY + j.depart + np.round(j.route.at).astype(np.int64) for i, j in rail]
            or [np.empty(0, dtype=np.int64)]
        )
        rail_cell = np.concatenate(
            [j.route.points for _, j in rail] or [np.empty(0, dtype=np.int64)]
        )
        ints = np.int64
        return {
            "j_line": np.array([j.line for j in js], dtype=ints),
            "j_phone": np.array([j.phone for j in js], dtype=ints),
            "j_mode": np.array([j.mode for j in js], dtype=ints),
            "j_vehicle": np.array([j.vehicle for j in js], dtype=ints),
            "j_from": np.array([j.origin for j in js], dtype=ints),
            "j_to": np.array([j.dest for j in js], dtype=ints),
            "j_depart": np.array([j.depart for j in js], dtype=ints),
            "j_arrive": np.array([j.arrive for j in js], dtype=ints),
            "j_route": [j.route for j in js],
            "tracked": tracked,
            "st_key": st[:, 0] * KEY + st[:, 1],
            "st_kind": st[:, 2],
            "st_place": st[:, 3],
            "st_journey": st[:, 4],
            "st_cuckoo": st[:, 5],
            "hub_home": hub_home,
            "rail_key": rail_key.astype(np.int64),
            "rail_cell": rail_cell.astype(np.int64),
        }

    def travel_texts(self) -> Events:
        """A few texts from each travelling runner to the deal phone or holder, some answered."""
        w, rng = self.world, self.world.rng
        parts = []
        for j in self.journeys:
            line = self.lines[j.line]
            rail = j.mode == RAIL
            k = int(rng.integers(2, 5)) if rail else int(rng.integers(1, 3))
            frac = np.sort(rng.uniform(0.05, 0.95, k))
            t = j.depart + (frac * (j.arrive - j.depart)).astype(np.int64)
            to, text = np.empty(k, dtype=np.int64), np.zeros(k, dtype=np.int64)
            holder_known = rng.random() < w.params.download_share
            templates = RAIL_TEXTS if rail else ROAD_TEXTS
            for i, ti in enumerate(t):
                live = [s for s in line.segments if s.start_s <= ti < s.end_s]
                message = w.message(templates[int(rng.integers(0, len(templates)))])
                if live and rng.random() < 0.7:
                    to[i] = live[0].phone
                    text[i] = message if live[0].texts_known else 0
                else:
                    to[i] = line.holder
                    text[i] = message if holder_known else 0
            a = np.full(k, j.phone)
            home = w.phone["home_cell"]
            parts.append(Events.make(t, True, a, to, None, home[a], home[to], text))
            reply = rng.random(k) < 0.4
            r = int(reply.sum())
            if r:
                ids = np.array([w.message(x) for x in TRAVEL_REPLIES])
                said = np.where(text[reply] > 0, rng.choice(ids, r), 0)
                t2 = t[reply] + rng.integers(30, 240, r)
                parts.append(
                    Events.make(
                        t2, True, to[reply], a[reply], None, home[to[reply]], home[a[reply]], said
                    )
                )
        return Events.concat(parts).sorted()


def _background_legs(
    world: World,
    net: Network,
    legs: Legs,
    vehicles: np.ndarray,
    home: np.ndarray,
    rate: float,
    fleet: bool = False,
) -> None:
    """Out-and-back drives of ordinary vehicles (fleet: shorter stops, longer reach)."""
    if len(vehicles) == 0:
        return
    rng = world.rng
    pop = world.places.population.astype(float)
    reach = 60.0 if fleet else 30.0
    n_out = rng.poisson(rate * world.days, len(vehicles))
    veh = np.repeat(vehicles, n_out)
    origin = np.repeat(home, n_out)
    n = len(veh)
    dest = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for o in np.unique(origin):
        minutes = net.road_minutes[o]
        weights = np.where(np.isfinite(minutes), np.sqrt(pop) * np.exp(-minutes / reach), 0.0)
        weights[o] = 0.0
        cdf = np.cumsum(weights) / weights.sum()
        m = origin == o
        dest[m] = np.minimum(np.searchsorted(cdf, u[m]), len(cdf) - 1)
    day = rng.integers(0, world.days, n)
    hours = rng.choice(24, size=n, p=HOURLY_PEOPLE / HOURLY_PEOPLE.sum())
    depart = day * DAY_S + hours * 3600 + rng.integers(0, 3600, n)
    factor = rng.uniform(0.95, 1.3, n)
    seconds = net.road_minutes[origin, dest] * 60 * factor
    stop = rng.lognormal(np.log(1200 if fleet else 3 * 3600), 0.8, n)
    back = depart + seconds + stop
    legs.add(veh, origin, dest, depart, factor)
    legs.add(veh, dest, origin, back.astype(np.int64), rng.uniform(0.95, 1.3, n))


def _add_children(world: World, n: int) -> np.ndarray:
    """Children in care (ages 12-17) who go missing but are not exploited; returns person ids."""
    rng, places = world.rng, world.places
    pop = places.population.astype(float)
    place = rng.choice(len(pop), size=n, p=pop / pop.sum())
    ages = rng.integers(12, 18, n)
    persons = world.add_persons(
        place, world.params.start.year - ages, rng.random(n) < 0.55, "child", np.ones(n, bool)
    )
    cols = world.persons.columns
    cols["known_to_care"][-1][:] = 1
    cols["mental_health"][-1][:] = np.where(rng.random(n) < 0.3, 1, -1)
    cols["drug_use"][-1][:] = np.where(rng.random(n) < 0.1, 1, -1)
    _sync(world.person, world.persons.columns, int(persons[0]))
    _sync(world.address, world.addresses.columns, int(world.person["address"][persons[0]]))
    return persons


def _sync(frozen: dict[str, np.ndarray], columns: dict[str, list[np.ndarray]], first: int) -> None:
    """Append the last chunk of each column to the frozen arrays (after `World.freeze`)."""
    for name, chunks in columns.items():
        if name not in frozen or len(frozen[name]) != first:
            raise RuntimeError(f"frozen column {name!r} is out of step with its table")
        frozen[name] = np.concatenate([frozen[name], chunks[-1]])


def _missing_episodes(world: World, plan: _Plan) -> dict[str, Any]:
    """Episodes of child runners known to care (around their trips) and of other children."""
    p, rng = world.params, world.rng
    person, start, end, lat, lon, exploited = [], [], [], [], [], []
    ktc = world.person["known_to_care"]
    hour = 3600
    for phone, jo, jb in plan.trips:
        who = int(world.phone["person"][phone])
        if ktc[who] != 1 or rng.random() >= p.runner_missing_report_prob:
            continue
        out, back = plan.journeys[jo], plan.journeys[jb]
        s = out.depart + int(rng.uniform(1, 10) * hour)
        e = back.depart - int(rng.uniform(0.5, 6) * hour)
        s = min(s, (out.arrive + back.depart) // 2)
        e = max(e, s + hour)
        town = out.dest
        cell = plan.homes.trip_cell(out.line, town, e // DAY_S, jo // 2)
        if cell >= 0 and rng.random() < 0.7:
            la, lo, spread = world.cells.lat[cell], world.cells.lon[cell], 300.0
        else:
            la, lo, spread = world.places.lat[town], world.places.lon[town], 1000.0
        fl, fo = offset(
            np.array([la]), np.array([lo]), rng.normal(0, spread, 1), rng.normal(0, spread, 1)
        )
        person.append(who)
        start.append(s)
        end.append(e)
        lat.append(float(fl[0]))
        lon.append(float(fo[0]))
        exploited.append(True)
    n = max(10, round(p.n_background * p.care_children_share))
    children = _add_children(world, n)
    count = rng.poisson(p.care_missing_per_month * p.months, n)
    if count.sum() == 0:
        count[0] = 1
    kid = np.repeat(children, count)
    k = len(kid)
    day = rng.integers(0, world.days, k)
    ks = day * DAY_S + rng.integers(15, 24, k) * hour + rng.integers(0, hour, k)
    ke = np.minimum(
        ks + rng.lognormal(np.log(14 * hour), 0.8, k).astype(np.int64), world.days * DAY_S - 1
    )
    ke = np.maximum(ke, ks + 600)
    home = world.person["place"][kid]
    pop = world.places.population.astype(float)
    elsewhere = rng.choice(len(pop), size=k, p=pop / pop.sum())
    where = np.where(rng.random(k) < 0.7, home, elsewhere)
    at_home = where == home
    addr = world.person["address"][kid]
    base_lat = np.where(at_home, world.address["lat"][addr], world.places.lat[where])
    base_lon = np.where(at_home, world.address["lon"][addr], world.places.lon[where])
    fl, fo = offset(base_lat, base_lon, rng.normal(0, 1500, k), rng.normal(0, 1500, k))
    m_person = np.concatenate([np.array(person, dtype=np.int64), kid])
    counts = world.person["missing_episodes"]
    counts[:] = 0
    np.add.at(counts, m_person, 1)
    return {
        "m_person": m_person,
        "m_start": np.concatenate([np.array(start, dtype=np.int64), ks]),
        "m_end": np.concatenate([np.array(end, dtype=np.int64), ke]),
        "m_lat": np.concatenate([np.array(lat), fl]),
        "m_lon": np.concatenate([np.array(lon), fo]),
        "m_exploited": np.concatenate([np.array(exploited, dtype=bool), np.zeros(k, dtype=bool)]),
    }

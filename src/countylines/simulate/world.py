"""The simulated world before any traffic: places, cells, people, phones, handsets and addresses.

Everything is held in numpy arrays indexed by integer ids (phone 0..n-1, cell 0..m-1, ...), so the
traffic generators can work on whole days at once. Coordinates are WGS84 degrees; offsets are
drawn in metres and converted with a local flat-earth approximation (errors of a few metres over
a town, far below a cell's reach).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from countylines.simulate.identifiers import imeis, imsis, phone_numbers
from countylines.simulate.neighbourhoods import STREAM, Neighbourhoods, build_neighbourhoods
from countylines.simulate.params import Params
from countylines.simulate.region import Region

METRES_PER_DEGREE = 111_320.0
DAY_S = 86_400


class PhoneKind(IntEnum):
    BACKGROUND = 0
    CUSTOMER = 1
    BUSINESS = 2
    DRIVER = 3
    DEAL = 4
    RUNNER = 5
    HOLDER = 6


class Account(IntEnum):
    PAYG = 0
    CONTRACT = 1
    BUSINESS = 2


ACCOUNT_NAMES = ("payg", "contract", "business")


def offset(lat: np.ndarray, lon: np.ndarray, dx_m: np.ndarray, dy_m: np.ndarray) -> tuple:
    """Move points by metres east (dx) and north (dy); returns (lat, lon)."""
    lat2 = lat + dy_m / METRES_PER_DEGREE
    lon2 = lon + dx_m / (METRES_PER_DEGREE * np.cos(np.radians(lat)))
    return lat2, lon2


@dataclass
class Places:
    """Towns then hubs: names, coordinates, population and vulnerability (0 for hubs)."""

    names: list[str]
    is_hub: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    vulnerability: np.ndarray

    @property
    def towns(self) -> np.ndarray:
        return np.flatnonzero(~self.is_hub)

    @property
    def hubs(self) -> np.ndarray:
        return np.flatnonzero(self.is_hub)


@dataclass
class Cells:
    """Mobile cells; `place` is -1 for cells along rail and road corridors."""

    cell_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    place: np.ndarray
    by_place: list[np.ndarray]

    def __post_init__(self) -> None:
        self.count = np.array([len(c) for c in self.by_place])
        self.table = np.zeros((len(self.by_place), max(self.count, default=1)), dtype=np.int64)
        for i, c in enumerate(self.by_place):
            self.table[i, : len(c)] = c


@dataclass
class Table:
    """A growable column store: `add` appends rows given as equal-length arrays."""

    columns: dict[str, list[np.ndarray]] = field(default_factory=dict)
    size: int = 0  # rows added so far

    def add(self, **cols: np.ndarray) -> np.ndarray:
        n = len(next(iter(cols.values())))
        start = self.size
        for name, values in cols.items():
            self.columns.setdefault(name, []).append(np.asarray(values))
        self.size += n
        return np.arange(start, start + n)

    def array(self, name: str) -> np.ndarray:
        return np.concatenate(self.columns[name])


@dataclass
class World:
    """All static entities. Arrays are finalised by `freeze` after building."""

    params: Params
    region: Region
    rng: np.random.Generator
    places: Places
    cells: Cells
    hoods: Neighbourhoods
    hood_rng: np.random.Generator
    phones: Table = field(default_factory=Table)
    persons: Table = field(default_factory=Table)
    addresses: Table = field(default_factory=Table)
    handsets: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    handset_changes: list[tuple[int, int, int]] = field(default_factory=list)
    seized_phones: dict[int, int] = field(default_factory=dict)  # seized phone -> its user
    n_handsets: int = 0
    phone: dict[str, np.ndarray] = field(default_factory=dict)
    person: dict[str, np.ndarray] = field(default_factory=dict)
    address: dict[str, np.ndarray] = field(default_factory=dict)
    town_noise: np.ndarray = field(default_factory=lambda: np.empty(0))
    messages: list[str] = field(default_factory=lambda: [""])
    _message_ids: dict[str, int] = field(default_factory=dict)
    messages_locked: bool = False

    def message(self, text: str) -> int:
        """The id of a message text (registered on first use); 0 is the empty text.

        Every text is registered while building (see `run.build`), before the days are
        generated, possibly in several processes: then the ids must not change, so a text that
        is new once `messages_locked` is set is an error.
        """
        if text not in self._message_ids:
            if self.messages_locked:
                raise RuntimeError(f"message text {text!r} was not registered while building")
            self._message_ids[text] = len(self.messages)
            self.messages.append(text)
        return self._message_ids[text]

    @property
    def days(self) -> int:
        return 30 * self.params.months

    def new_handsets(self, n: int) -> np.ndarray:
        """Reserve `n` handset ids (IMEIs are drawn once, in `freeze`)."""
        ids = np.arange(self.n_handsets, self.n_handsets + n)
        self.n_handsets += n
        return ids

    def cells_near(self, place: np.ndarray) -> np.ndarray:
        """A random cell of each given place."""
        cells = self.cells
        pick = (self.rng.random(len(place)) * cells.count[place]).astype(np.int64)
        return cells.table[place, pick]

    def serving_cells(self, place: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The cell of each `place` nearest each point (WGS84 degrees; flat-earth metres): the
        cell that serves a home there, where its occupant's phone spends the night."""
        out = np.empty(len(place), dtype=np.int64)
        for p in np.unique(place):
            m = np.flatnonzero(place == p)
            own = self.cells.by_place[p]
            dy = (self.cells.lat[own][None, :] - lat[m, None]) * METRES_PER_DEGREE
            dx = (self.cells.lon[own][None, :] - lon[m, None]) * (
                METRES_PER_DEGREE * np.cos(np.radians(lat[m, None]))
            )
            out[m] = own[np.argmin(dx * dx + dy * dy, axis=1)]
        return out

    def home_cells(self, person: np.ndarray, place: np.ndarray) -> np.ndarray:
        """Where each phone of `person` (-1: nobody) based in `place` sleeps: the cell of
        `place` serving the person's home when they live there, else a random cell of `place`
        (drawn for every phone, so the random stream is the same either way)."""
        cells = self.cells_near(place)
        person = np.asarray(person)
        at = np.flatnonzero(person >= 0)
        if len(at) == 0:
            return cells
        lives = np.concatenate(self.persons.columns["place"])[person[at]]
        at = at[lives == place[at]]
        address = np.concatenate(self.persons.columns["address"])[person[at]]
        lat = np.concatenate(self.addresses.columns["lat"])[address]
        lon = np.concatenate(self.addresses.columns["lon"])[address]
        cells[at] = self.serving_cells(place[at], lat, lon)
        return cells

    def add_persons(
        self,
        place: np.ndarray,
        birth_year: np.ndarray,
        male: np.ndarray,
        kind: str,
        known: np.ndarray,
    ) -> np.ndarray:
        """Persons living in `place`, each with a new home address; returns person ids."""
        n = len(place)
        lat, lon = offset(
            self.places.lat[place],
            self.places.lon[place],
            self.rng.normal(0, 1200, n),
            self.rng.normal(0, 1200, n),
        )
        first = self.persons.size
        addresses = self.addresses.add(
            lat=lat, lon=lon, place=place, occupant=np.arange(first, first + n)
        )
        unknown = np.full(n, -1, dtype=np.int8)
        return self.persons.add(
            place=place,
            birth_year=birth_year,
            male=male,
            address=addresses,
            kind=np.full(n, kind, dtype=object),
            known=known,
            mental_health=unknown,
            drug_use=unknown.copy(),
            debt_bondage=unknown.copy(),
            known_to_care=unknown.copy(),
            missing_episodes=np.zeros(n, dtype=np.int64),
        )

    def add_phones(
        self,
        kind: PhoneKind,
        person: np.ndarray,
        place: np.ndarray,
        account: np.ndarray,
        registered: np.ndarray,
        start_day: np.ndarray | None = None,
        end_day: np.ndarray | None = None,
        handset: np.ndarray | None = None,
    ) -> np.ndarray:
        """Phones (numbers) with a home cell in `place` (`home_cells`); returns phone ids."""
        n = len(place)
        return self.phones.add(
            kind=np.full(n, int(kind), dtype=np.int8),
            person=person,
            place=place,
            home_cell=self.home_cells(person, place),
            account=account,
            registered=registered,
            start_day=np.zeros(n, dtype=np.int64) if start_day is None else start_day,
            end_day=np.full(n, self.days, dtype=np.int64) if end_day is None else end_day,
            handset=self.new_handsets(n) if handset is None else handset,
        )

    def freeze(self) -> None:
        """Draw the identifiers and turn the column lists into arrays."""
        self.phone = {k: self.phones.array(k) for k in self.phones.columns}
        self.person = {k: self.persons.array(k) for k in self.persons.columns}
        self.address = {k: self.addresses.array(k) for k in self.addresses.columns}
        n_phones = len(self.phone["kind"])
        self.phone["number"] = phone_numbers(self.rng, n_phones)
        self.phone["imsi"] = imsis(self.rng, n_phones)
        self.handsets = imeis(self.rng, self.n_handsets)
        self.handset_changes.sort()


def build_places(region: Region) -> Places:
    towns, hubs = region.towns, region.hubs
    return Places(
        names=[t.name for t in towns] + [h.name for h in hubs],
        is_hub=np.array([False] * len(towns) + [True] * len(hubs)),
        lat=np.array([t.lat for t in towns] + [h.lat for h in hubs]),
        lon=np.array([t.lon for t in towns] + [h.lon for h in hubs]),
        population=np.array([t.population for t in towns] + [h.population for h in hubs]),
        vulnerability=np.array([t.vulnerability for t in towns] + [0.0] * len(hubs)),
    )


def _place_cells(
    places: Places, i: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`n` cells scattered around place `i` (normal, spread growing with its population), each
    nearer to `i` than to any other place: a phone on a Birmingham cell is in Birmingham, not
    in Wolverhampton 20 km away."""
    spread = 6.0 * np.sqrt(places.population[i])
    lat, lon = np.empty(0), np.empty(0)
    while len(lat) < n:
        la, lo = offset(
            np.full(4 * n, places.lat[i]),
            np.full(4 * n, places.lon[i]),
            rng.normal(0, spread, 4 * n),
            rng.normal(0, spread, 4 * n),
        )
        dy = la[:, None] - places.lat[None, :]
        dx = (lo[:, None] - places.lon[None, :]) * np.cos(np.radians(places.lat[i]))
        own = np.argmin(dx * dx + dy * dy, axis=1) == i
        lat, lon = np.concatenate([lat, la[own]]), np.concatenate([lon, lo[own]])
    return lat[:n], lon[:n]


def build_cells(region: Region, places: Places, rng: np.random.Generator) -> Cells:
    """Cells around each place (about one per 4,000 people, 3 to 40) and along rail links."""
    lat: list[np.ndarray] = []
    lon: list[np.ndarray] = []
    place: list[np.ndarray] = []
    for i in range(len(places.names)):
        n = int(np.clip(places.population[i] / 4000, 3, 40))
        la, lo = _place_cells(places, i, n, rng)
        lat.append(la)
        lon.append(lo)
        place.append(np.full(n, i))
    station = {s.code: s for s in region.stations}
    for link in region.rail_links:
        a, b = station[link.a], station[link.b]
        steps = max(1, int(link.minutes // 6))  # a cell about every 6 minutes of travel
        f = np.arange(1, steps + 1) / (steps + 1)
        lat.append(a.lat + f * (b.lat - a.lat))
        lon.append(a.lon + f * (b.lon - a.lon))
        place.append(np.full(steps, -1))
    all_place = np.concatenate(place)
    n = len(all_place)
    return Cells(
        cell_id=np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype("U6"), 6)).astype(object),
        lat=np.concatenate(lat),
        lon=np.concatenate(lon),
        place=all_place,
        by_place=[np.flatnonzero(all_place == i) for i in range(len(places.names))],
    )


def build_background(world: World) -> np.ndarray:
    """Ordinary subscribers spread over places by population; returns their phone ids."""
    p, rng = world.params, world.rng
    pop = world.places.population.astype(float)
    hub = world.places.is_hub
    weights = np.where(
        hub, p.bg_hub_share * pop / pop[hub].sum(), (1 - p.bg_hub_share) * pop / pop[~hub].sum()
    )
    place = rng.choice(len(weights), size=p.n_background, p=weights)
    ages = rng.integers(18, 80, size=p.n_background)
    persons = world.add_persons(
        place,
        p.start.year - ages,
        rng.random(p.n_background) < 0.5,
        "background",
        rng.random(p.n_background) < p.person_known_share,
    )
    payg = rng.random(p.n_background) < p.bg_payg_share
    registered = ~payg | (rng.random(p.n_background) < p.bg_payg_registered)
    account = np.where(payg, int(Account.PAYG), int(Account.CONTRACT))
    phones = world.add_phones(PhoneKind.BACKGROUND, persons, place, account, registered)
    changers = phones[rng.random(len(phones)) < p.bg_handset_change]
    for ph, day, hs in zip(
        changers,
        rng.integers(1, world.days, len(changers)),
        world.new_handsets(len(changers)),
        strict=True,
    ):
        world.handset_changes.append((int(day), int(ph), int(hs)))
    return phones


def build_world(region: Region, params: Params) -> World:
    """Places, cells and the towns' neighbourhoods (drawn from their own random stream, so the
    world's other draws do not move); people and phones are added by the traffic models'
    `build` steps."""
    rng = np.random.default_rng(params.seed)
    places = build_places(region)
    cells = build_cells(region, places, rng)
    hood_rng = np.random.default_rng(np.random.SeedSequence(params.seed, spawn_key=STREAM))
    hoods = build_neighbourhoods(
        region,
        cells.place,
        cells.lat,
        cells.lon,
        params.neighbourhood_vulnerability_sd,
        params.neighbourhood_density_correlation,
        hood_rng,
    )
    return World(params, region, rng, places, cells, hoods, hood_rng)

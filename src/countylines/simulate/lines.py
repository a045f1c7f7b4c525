"""County lines: branded deal phones run from a hub, customers, runners, churn and disruption.

A line is built once (`build_lines`) and then trades every day (`LineTraffic.day`): customers
order from the deal phone, the order is passed to a runner in the market town who calls the
customer back, the deal phone sends bulk marketing texts, and the holder in the hub keeps in
touch. Deal numbers change on a schedule and after police disruption (a new number within hours
that texts the same customers); handsets are swapped more often still.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from countylines.simulate.events import HOURLY_LINES, Events, call_durations, times_of_day
from countylines.simulate.neighbourhoods import choose, homes
from countylines.simulate.social import bulk_send, local_cells
from countylines.simulate.world import DAY_S, Account, PhoneKind, World

if TYPE_CHECKING:
    from countylines.simulate.region import Region

BRANDS = (
    "TOM",
    "BLUE",
    "AJ",
    "DIDDY",
    "KENNY",
    "MARCUS",
    "RAMBO",
    "STAR",
    "DOLLA",
    "ICE",
    "BEAST",
    "JOKER",
    "LUCKY",
    "SMOKEY",
    "BANKS",
    "ZED",
    "MANNY",
    "CHASE",
    "PRINCE",
    "VIPER",
    "TANK",
    "MONEY",
    "SHAY",
    "NINO",
    "RICO",
    "DEE",
    "BIGZ",
    "JAY",
    "MILLZ",
    "RONNIE",
    "SNOW",
    "GOLD",
)
MARKETING = (
    "{b} back on!! 2 for 1 on white till 6",
    "{b} LINE OPEN 24/7 bnw ready 10 mins",
    "{b}: free tenner bag with every 3, call now",
    "morning all {b} on it all day b+w",
    "{b} here, new batch proper food, hmu",
    "{b} 3 for 25 tonight only",
)
NEW_NUMBER = "new number same {b} save this one, old phone dead"
ORDERS = (
    "need 2",
    "1b 1w at the usual",
    "u on?",
    "can i get 3 white",
    "outside the co-op",
    "2 for 1 still on?",
    "need 1 asap",
)
RELAYS = ("2w 1b for {c} at the park 10 mins", "1 white for {c} usual spot", "drop to {c} now")
CALLBACKS = ("here", "outside", "2 mins", "come out")


@dataclass
class Segment:
    """One deal number's working life: seconds since the start, and why it ended."""

    phone: int
    chain: int
    start_s: int
    end_s: int
    ended_by: str  # "planned", "disruption" or "end"
    texts_known: bool


@dataclass
class Line:
    line_id: str
    brand: str
    hub: int
    towns: list[tuple[int, int]]  # (place, first day)
    start_day: int
    holder: int
    runners: np.ndarray
    customers: np.ndarray
    customer_since: np.ndarray
    propensity: np.ndarray
    segments: list[Segment] = field(default_factory=list)
    cuckoo: list[tuple[int, int]] = field(default_factory=list)  # (address, first day)

    def deal_phones(self) -> list[int]:
        return [s.phone for s in self.segments]


NO_ROAD_MINUTES = 240.0
"""Road minutes assumed for a town the region's road network does not reach from a hub."""


def road_minutes_to(region: Region, hub: str, towns: Sequence[str]) -> np.ndarray:
    """Shortest road minutes from `hub` to each of `towns` (`NO_ROAD_MINUTES` where the
    region's roads do not reach)."""
    road = region.road_minutes_from(hub)
    return np.array([road.get(t, NO_ROAD_MINUTES) for t in towns], float)


def attractiveness(
    population: np.ndarray,
    vulnerability: np.ndarray,
    road_minutes: np.ndarray,
    power: float,
    beta: float,
) -> np.ndarray:
    """How attractive towns are to a line from one hub, before the hidden factor (unnormalised):
    population ** `power` x exp(`beta` x vulnerability) x exp(-road minutes from the hub / 60)
    (`Params.town_population_power` and `town_vulnerability_beta`)."""
    return (
        np.asarray(population, float) ** power
        * np.exp(beta * np.asarray(vulnerability, float))
        * np.exp(-np.asarray(road_minutes, float) / 60.0)
    )


def town_weights(world: World, hub: int, noise: np.ndarray) -> np.ndarray:
    """The chance a line from `hub` picks each place (0 for hubs): `attractiveness` x noise."""
    places, region = world.places, world.region
    towns = places.towns
    minutes = road_minutes_to(region, places.names[hub], [places.names[i] for i in towns])
    weights = np.zeros(len(places.names))
    weights[towns] = (
        attractiveness(
            places.population[towns],
            places.vulnerability[towns],
            minutes,
            world.params.town_population_power,
            world.params.town_vulnerability_beta,
        )
        * noise[towns]
    )
    return weights / weights.sum()


def _segments(world: World, line: Line, chain: int, start_s: int, end_s: int) -> None:
    """Plan the chain of deal numbers of one deal phone slot from `start_s` to `end_s`."""
    p, rng = world.params, world.rng
    place = line.towns[0][0] if p.deal_phones_in_town else line.hub
    t = start_s
    handset = None
    while t < end_s:
        planned = t + int(rng.exponential(p.number_change_days) * DAY_S)
        rate = p.disruptions_per_month / (30 * DAY_S)
        disrupted = t + int(rng.exponential(1 / rate)) if rate > 0 else end_s
        end = min(planned, disrupted, end_s)
        ended_by = "end" if end == end_s else ("disruption" if disrupted < planned else "planned")
        reuse = (
            handset is not None and ended_by != "disruption" and rng.random() < p.keep_handset_prob
        )
        phone = int(
            world.add_phones(
                PhoneKind.DEAL,
                np.array([-1]),
                np.array([place]),
                np.array([int(Account.PAYG)]),
                np.array([False]),
                np.array([t // DAY_S]),
                np.array([end // DAY_S + 1]),
                handset=np.array([handset]) if reuse else None,
            )[0]
        )
        handset = int(world.phones.columns["handset"][-1][0])
        swap = t + int(rng.exponential(p.handset_swap_days) * DAY_S)
        while swap < end:
            handset = int(world.new_handsets(1)[0])
            world.handset_changes.append((swap // DAY_S, phone, handset))
            swap += int(rng.exponential(p.handset_swap_days) * DAY_S)
        line.segments.append(
            Segment(phone, chain, t, end, ended_by, bool(rng.random() < p.download_share))
        )
        gap = (
            rng.lognormal(np.log(p.relaunch_hours), 0.6) * 3600
            if ended_by == "disruption"
            else rng.uniform(0, 2) * 3600
        )
        t = end + int(gap)


def _people(
    world: World, n: int, place: np.ndarray, ages: np.ndarray, male: np.ndarray, kind: str
) -> np.ndarray:
    return world.add_persons(
        place, world.params.start.year - ages, male, kind, np.ones(n, dtype=bool)
    )


def _customers(world: World, town: int, n: int, since: int) -> tuple[np.ndarray, np.ndarray]:
    rng = world.rng
    persons = _people(
        world, n, np.full(n, town), rng.integers(19, 62, n), rng.random(n) < 0.7, "customer"
    )
    drug = world.persons.columns["drug_use"][-1]
    drug[:] = np.where(rng.random(n) < 0.6, 1, -1)
    payg = rng.random(n) < 0.7
    phones = world.add_phones(
        PhoneKind.CUSTOMER,
        persons,
        np.full(n, town),
        np.where(payg, int(Account.PAYG), int(Account.CONTRACT)),
        ~payg | (rng.random(n) < 0.2),
    )
    _settle(world, town, n)
    return phones, np.full(n, since)


def _settle(world: World, town: int, n: int) -> None:
    """Move the `n` customers just added (the last address and phone chunks) into the
    neighbourhoods of `town` their line works (`neighbourhoods.choose`): home cell the
    neighbourhood's cell, home address near it. Draws from the neighbourhoods' own stream."""
    p, hoods, rng = world.params, world.hoods, world.hood_rng
    if not len(hoods.by_place[town]):
        return
    worked = choose(
        hoods, town, n, p.line_customers_per_neighbourhood, p.neighbourhood_vulnerability_beta, rng
    )
    where = worked[rng.integers(0, len(worked), n)]
    lat, lon = homes(hoods, where, rng)
    world.addresses.columns["lat"][-1][:] = lat
    world.addresses.columns["lon"][-1][:] = lon
    world.phones.columns["home_cell"][-1][:] = hoods.cell[where]


def build_lines(world: World) -> list[Line]:
    """Create every line with its people, phones, expansion plan and deal-number chains."""
    p, rng, places = world.params, world.rng, world.places
    hubs = places.hubs
    shares = np.array([h.share for h in world.region.hubs])
    noise = rng.lognormal(0, p.town_noise_sigma, len(places.names))
    world.town_noise = noise
    brands = rng.permutation(len(BRANDS))
    lines: list[Line] = []
    for i in range(p.n_lines):
        hub = int(hubs[rng.choice(len(hubs), p=shares / shares.sum())])
        weights = town_weights(world, hub, noise)
        town = int(rng.choice(len(weights), p=weights))
        start_day = 0 if rng.random() >= p.late_start_share else int(rng.integers(1, world.days))
        brand = BRANDS[brands[i % len(BRANDS)]] + ("" if i < len(BRANDS) else str(i // len(BRANDS)))
        n_customers = int(
            np.clip(
                rng.lognormal(np.log(p.customers_median), p.customers_sigma), 15, p.customers_max
            )
        )
        customers, since = _customers(world, town, n_customers, start_day)
        towns = [(town, start_day)]
        for month in range(1, p.months):
            if rng.random() < p.expand_per_month:
                other = int(rng.choice(len(weights), p=weights))
                if other in [t for t, _ in towns]:
                    continue
                day = max(start_day, 30 * month + int(rng.integers(0, 30)))
                more, more_since = _customers(world, other, max(10, n_customers // 3), day)
                customers = np.concatenate([customers, more])
                since = np.concatenate([since, more_since])
                towns.append((other, day))
        holder_person = _people(
            world, 1, np.array([hub]), rng.integers(19, 31, 1), np.array([True]), "holder"
        )
        holder = int(
            world.add_phones(
                PhoneKind.HOLDER,
                holder_person,
                np.array([hub]),
                np.array([int(Account.PAYG)]),
                np.array([False]),
            )[0]
        )
        runners = _runners(world, hub, town, int(rng.integers(p.runners_min, p.runners_max + 1)))
        line = Line(
            f"L{i + 1:03d}",
            brand,
            hub,
            towns,
            start_day,
            holder,
            runners,
            customers,
            since,
            rng.lognormal(0, 1.0, len(customers)),
        )
        chains = 2 if rng.random() < p.parallel_share else 1
        for chain in range(chains):
            _segments(world, line, chain, start_day * DAY_S, world.days * DAY_S)
        line.cuckoo = _cuckoo(world, line)
        lines.append(line)
    _share_customers(world, lines)
    return lines


def _runners(world: World, hub: int, town: int, n: int) -> np.ndarray:
    """Runners: mostly children from the hub, else vulnerable adults from the market town."""
    p, rng = world.params, world.rng
    child = rng.random(n) < p.runner_child_share
    ages = np.where(child, rng.integers(15, 18, n), rng.integers(18, 45, n))
    home = np.where(child, hub, town)
    persons = _people(world, n, home, ages, rng.random(n) < p.runner_male_share, "runner")
    cols = world.persons.columns
    cols["known_to_care"][-1][:] = np.where(child & (rng.random(n) < 0.55), 1, -1)
    cols["drug_use"][-1][:] = np.where(~child & (rng.random(n) < 0.6), 1, -1)
    cols["mental_health"][-1][:] = np.where(rng.random(n) < 0.35, 1, -1)
    cols["debt_bondage"][-1][:] = np.where(rng.random(n) < 0.3, 1, -1)
    cols["missing_episodes"][-1][:] = np.where(child, rng.poisson(3, n), 0)
    return world.add_phones(
        PhoneKind.RUNNER,
        persons,
        np.full(n, town),
        np.full(n, int(Account.PAYG)),
        np.zeros(n, dtype=bool),
    )


def _cuckoo(world: World, line: Line) -> list[tuple[int, int]]:
    """Take over the homes of one or two vulnerable customers in each of the line's towns."""
    rng = world.rng
    out = []
    person_of = world.phones.columns["person"]
    persons = np.concatenate(person_of)[line.customers]
    places = np.concatenate(world.persons.columns["place"])[persons]
    for town, day in line.towns:
        local = persons[places == town]
        for victim in rng.choice(
            local, size=min(len(local), int(rng.integers(1, 3))), replace=False
        ):
            address = int(np.concatenate(world.persons.columns["address"])[victim])
            out.append((address, day + int(rng.integers(0, 7))))
            _mark_vulnerable(world, int(victim))
    return out


def _mark_vulnerable(world: World, person: int) -> None:
    """Set the risk factors of a cuckooing victim (known to services, so recorded)."""
    for name, value in (("mental_health", 1), ("drug_use", 1), ("debt_bondage", 1)):
        offset = 0
        for chunk in world.persons.columns[name]:
            if person < offset + len(chunk):
                if world.rng.random() < 0.7:
                    chunk[person - offset] = value
                break
            offset += len(chunk)


def _share_customers(world: World, lines: list[Line]) -> None:
    """Some customers of one line buy from another line working the same town."""
    rng, p = world.rng, world.params
    by_town: dict[int, list[Line]] = {}
    for line in lines:
        by_town.setdefault(line.towns[0][0], []).append(line)
    for group in by_town.values():
        for line in group:
            others = [o for o in group if o is not line]
            if not others:
                continue
            pool = np.concatenate([o.customers for o in others])
            n = int(len(line.customers) * p.shared_customer_share)
            extra = rng.choice(pool, size=min(n, len(pool)), replace=False)
            line.customers = np.concatenate([line.customers, extra])
            line.customer_since = np.concatenate(
                [line.customer_since, np.full(len(extra), line.start_day)]
            )
            line.propensity = np.concatenate([line.propensity, rng.lognormal(0, 1.0, len(extra))])


@dataclass
class LineTraffic:
    """Daily trading of all lines."""

    lines: list[Line]

    def messages(self, world: World) -> list[str]:
        out = []
        for line in self.lines:
            out += [t.format(b=line.brand) for t in (*MARKETING, NEW_NUMBER)]
            out += [t.format(b=line.brand, c="mate") for t in (*ORDERS, *RELAYS, *CALLBACKS)]
        return out

    def day(self, world: World, day: int) -> Events:
        return Events.concat([self._line_day(world, line, day) for line in self.lines])

    def _line_day(self, world: World, line: Line, day: int) -> Events:
        lo, hi = day * DAY_S, (day + 1) * DAY_S
        live = [s for s in line.segments if s.start_s < hi and s.end_s > lo]
        if not live:
            return Events.concat([])
        parts = []
        chains = 1 + max(s.chain for s in line.segments)
        for seg in live:
            parts.append(self._orders(world, line, seg, chains, day))
            parts.append(self._marketing(world, line, seg, day))
            parts.append(self._holder(world, line, seg, day))
            first_of_chain = next(s for s in line.segments if s.chain == seg.chain)
            if seg is not first_of_chain and lo <= seg.start_s < hi:
                parts.append(self._announce(world, line, seg))
        return Events.concat(parts)

    @staticmethod
    def _within(seg: Segment, t: np.ndarray) -> np.ndarray:
        return (t >= seg.start_s) & (t < seg.end_s)

    def _orders(self, world: World, line: Line, seg: Segment, chains: int, day: int) -> Events:
        p, rng = world.params, world.rng
        mine = (np.arange(len(line.customers)) % chains == seg.chain) & (line.customer_since <= day)
        if not mine.any():
            return Events.concat([])
        weights = line.propensity * mine
        n = rng.poisson(p.orders_per_customer_day * mine.sum())
        t = times_of_day(rng, day, n, HOURLY_LINES)
        t = t[self._within(seg, t)]
        n = len(t)
        customer = line.customers[rng.choice(len(weights), size=n, p=weights / weights.sum())]
        deal = np.full(n, seg.phone)
        text_ids = self._texts(world, seg, ORDERS, n, line.brand)
        by_text = rng.random(n) < p.order_text_share
        order = Events.make(
            t,
            by_text,
            customer,
            deal,
            np.where(by_text, 0, call_durations(rng, n, 25, 0.5)),
            local_cells(world, customer),
            world.phone["home_cell"][deal],
            np.where(by_text, text_ids, 0),
        )
        relay = rng.random(n) < p.relay_prob
        r = int(relay.sum())
        runner = rng.choice(line.runners, size=r)
        t1 = t[relay] + rng.lognormal(np.log(p.relay_delay_s), 0.7, r).astype(np.int64)
        instruct = Events.make(
            t1,
            True,
            deal[relay],
            runner,
            None,
            order.b_cell[relay],
            local_cells(world, runner, 0.5),
            self._texts(world, seg, RELAYS, r, line.brand),
        )
        t2 = t1 + rng.lognormal(np.log(p.callback_delay_s), 0.7, r).astype(np.int64)
        call = rng.random(r) < 0.6
        callback = Events.make(
            t2,
            ~call,
            runner,
            customer[relay],
            np.where(call, call_durations(rng, r, 20, 0.5), 0),
            instruct.b_cell,
            order.a_cell[relay],
            np.where(call, 0, self._texts(world, seg, CALLBACKS, r, line.brand)),
        )
        q = n - r
        reply = Events.make(
            t[~relay] + rng.integers(20, 300, q),
            True,
            deal[~relay],
            customer[~relay],
            None,
            order.b_cell[~relay],
            order.a_cell[~relay],
            self._texts(world, seg, CALLBACKS, q, line.brand),
        )
        return Events.concat([order, instruct, callback, reply])

    def _bulk(
        self, world: World, line: Line, seg: Segment, t0: int, template: str, reach: float
    ) -> Events:
        rng, p = world.rng, world.params
        day = t0 // DAY_S
        known = line.customers[line.customer_since <= day]
        to = known[rng.random(len(known)) < reach]
        text = world.message(template.format(b=line.brand)) if seg.texts_known else 0
        return bulk_send(world, seg.phone, to, t0, p.marketing_burst_s, text)

    def _marketing(self, world: World, line: Line, seg: Segment, day: int) -> Events:
        rng, p = world.rng, world.params
        sends = rng.poisson(p.marketing_per_day)
        t0 = day * DAY_S + rng.integers(8 * 3600, 23 * 3600, sends)
        t0 = t0[self._within(seg, t0)]
        return Events.concat(
            [
                self._bulk(
                    world,
                    line,
                    seg,
                    int(t),
                    MARKETING[rng.integers(len(MARKETING))],
                    p.marketing_reach,
                )
                for t in t0
            ]
        )

    def _announce(self, world: World, line: Line, seg: Segment) -> Events:
        t0 = seg.start_s + int(world.rng.integers(0, 2 * 3600))
        return self._bulk(world, line, seg, t0, NEW_NUMBER, 1.0)

    def _holder(self, world: World, line: Line, seg: Segment, day: int) -> Events:
        rng = world.rng
        n = rng.poisson(world.params.holder_calls_per_day)
        t = day * DAY_S + rng.integers(0, DAY_S, n)
        t = t[self._within(seg, t)]
        n = len(t)
        outgoing = rng.random(n) < 0.5
        a = np.where(outgoing, line.holder, seg.phone)
        b = np.where(outgoing, seg.phone, line.holder)
        return Events.make(
            t, False, a, b, call_durations(rng, n, 90), local_cells(world, a), local_cells(world, b)
        )

    @staticmethod
    def _texts(
        world: World, seg: Segment, templates: tuple[str, ...], n: int, brand: str
    ) -> np.ndarray:
        if not seg.texts_known:
            return np.zeros(n, dtype=np.int64)
        ids = np.array([world.message(t.format(b=brand, c="mate")) for t in templates])
        return world.rng.choice(ids, size=n)

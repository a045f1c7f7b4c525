"""Legitimate businesses whose phones look like deal lines: the hard negatives.

Surgeries, pharmacies, schools and takeaways send bulk texts to long recipient lists; taxi firms
take many short inbound calls and their drivers call the customer back minutes later; busy small
businesses answer many distinct callers a day. Some of them use unregistered pay-as-you-go phones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from countylines.simulate.events import (
    HOURLY_EVENING,
    HOURLY_OFFICE,
    Events,
    call_durations,
    times_of_day,
)
from countylines.simulate.social import local_cells
from countylines.simulate.world import Account, PhoneKind, World

BULK_KINDS = ("surgery", "pharmacy", "school", "takeaway")
BULK_TEXTS = {
    "surgery": "Reminder: your appointment at the surgery tomorrow. "
    "Reply CANCEL if you cannot attend",
    "pharmacy": "Your prescription is ready to collect from the pharmacy",
    "school": "Reminder: school closes early on Friday for staff training",
    "takeaway": "2 for 1 on all pizzas tonight! Order now, free delivery over 15",
}
TAXI_TEXTS = ("your taxi is outside", "driver 5 mins away", "outside now")


@dataclass
class Business:
    kind: str
    phone: int
    place: int
    contacts: np.ndarray  # recipient list or customer pool
    drivers: np.ndarray  # taxi drivers' phones (empty for others)


def build_businesses(world: World, pool: np.ndarray) -> list[Business]:
    """Create the businesses; `pool` are the phones of ordinary people who use them."""
    p, rng = world.params, world.rng
    towns = world.places.towns
    weights = world.places.population[towns] / world.places.population[towns].sum()
    place_of = np.concatenate(world.phones.columns["place"])
    out: list[Business] = []
    plan = (
        [(BULK_KINDS[i % len(BULK_KINDS)]) for i in range(p.n_bulk_senders)]
        + ["taxi"] * p.n_taxi_firms
        + ["busy"] * p.n_busy_businesses
    )
    for kind in plan:
        place = int(rng.choice(towns, p=weights))
        payg = rng.random() < p.business_payg_share
        account = int(Account.PAYG) if payg else int(Account.BUSINESS)
        phone = int(
            world.add_phones(
                PhoneKind.BUSINESS,
                np.array([-1]),
                np.array([place]),
                np.array([account]),
                np.array([not payg]),
            )[0]
        )
        local = pool[place_of[pool] == place]
        local = local if len(local) >= 20 else pool
        if kind in BULK_KINDS:
            size = int(min(len(local), rng.lognormal(np.log(p.bulk_list_median), 0.6)))
            contacts = rng.choice(local, size=max(size, 10), replace=size < 10)
        else:
            contacts = local
        drivers = np.empty(0, dtype=np.int64)
        if kind == "taxi":
            n = p.taxi_drivers
            drivers = world.add_phones(
                PhoneKind.DRIVER,
                np.full(n, -1),
                np.full(n, place),
                np.full(n, int(Account.PAYG)),
                rng.random(n) < 0.3,
            )
        out.append(Business(kind, phone, place, contacts, drivers))
    return out


def _ragged(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lists of phones as (all of them concatenated, start of each list, length of each)."""
    size = np.array([len(x) for x in lists], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    flat = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists] or [np.empty(0, np.int64)])
    return flat.astype(np.int64), start, size


def _pick(rng: np.random.Generator, ragged: tuple, owner: np.ndarray) -> np.ndarray:
    """One phone drawn uniformly from the list of each `owner`."""
    flat, start, size = ragged
    return flat[start[owner] + (rng.random(len(owner)) * size[owner]).astype(np.int64)]


@dataclass
class BusinessTraffic:
    """The day's traffic of every business at once (vectorised over businesses).

    Bulk senders (surgeries, pharmacies and schools on weekdays, takeaways daily) send a Poisson
    number of bulk texts, each to their whole list (schools, takeaways) or a 15% sample of it;
    takeaways, taxi firms and busy businesses take a Poisson number of inbound calls and texts
    from their customers; a taxi firm's drivers call or text 70% of the bookers back minutes
    later.
    """

    businesses: list[Business]

    def __post_init__(self) -> None:
        bs = self.businesses
        self.phone = np.array([b.phone for b in bs], dtype=np.int64)
        kind = np.array([b.kind for b in bs], dtype=object)
        self.bulk = np.isin(kind, BULK_KINDS)
        self.takeaway = kind == "takeaway"
        self.taxi = kind == "taxi"
        self.busy = kind == "busy"
        self.office = np.isin(kind, ("surgery", "pharmacy", "school"))
        self.reach = np.where(np.isin(kind, ("school", "takeaway")), 1.0, 0.15)
        self.contacts = _ragged([b.contacts for b in bs])
        self.drivers = _ragged([b.drivers for b in bs])
        self._kind = kind

    @staticmethod
    def messages(world: World) -> list[str]:
        return [*BULK_TEXTS.values(), *TAXI_TEXTS]

    def day(self, world: World, day: int) -> Events:
        p = world.params
        weekday = (p.start.toordinal() + day) % 7 < 5  # Mon-Fri
        parts = [self._bulk(world, day, weekday)]
        rate = (
            np.where(self.takeaway, 25.0, 0.0)
            + np.where(self.taxi, p.taxi_bookings_per_day, 0.0)
            + np.where(self.busy, p.busy_calls_per_day, 0.0)
        )
        office = self.busy if weekday else np.zeros_like(self.busy)
        parts.append(self._inbound(world, day, np.where(office, 0.0, rate), HOURLY_EVENING))
        parts.append(self._inbound(world, day, np.where(office, rate, 0.0), HOURLY_OFFICE))
        return Events.concat(parts)

    def _bulk(self, world: World, day: int, weekday: bool) -> Events:
        rng, p = world.rng, world.params
        per_day = p.bulk_sends_per_week / np.where(self.takeaway, 7, 5)
        sending = self.bulk & (self.takeaway | weekday)
        sends = np.repeat(np.arange(len(self.phone)), rng.poisson(per_day * sending))
        if len(sends) == 0:
            return Events.concat([])
        t0 = np.where(
            self.takeaway[sends],
            times_of_day(rng, day, len(sends), HOURLY_EVENING),
            times_of_day(rng, day, len(sends), HOURLY_OFFICE),
        )
        flat, start, size = self.contacts
        send = np.repeat(np.arange(len(sends)), size[sends])  # one row per list member
        first = np.repeat(np.cumsum(size[sends]) - size[sends], size[sends])
        member = flat[start[sends[send]] + np.arange(len(send)) - first]
        keep = rng.random(len(send)) < self.reach[sends[send]]
        send, member = send[keep], member[keep]
        sender = self.phone[sends[send]]
        text_of = np.array(
            [world.message(BULK_TEXTS[k]) if k in BULK_TEXTS else 0 for k in self._kind]
        )
        return Events.make(
            t0[send] + rng.uniform(0, 600, len(send)).astype(np.int64),
            True,
            sender,
            member,
            None,
            world.phone["home_cell"][sender],
            local_cells(world, member),
            text_of[sends[send]],
        )

    def _inbound(self, world: World, day: int, rate: np.ndarray, hourly: np.ndarray) -> Events:
        rng = world.rng
        biz = np.repeat(np.arange(len(self.phone)), rng.poisson(rate))
        n = len(biz)
        t = times_of_day(rng, day, n, hourly)
        caller = _pick(rng, self.contacts, biz)
        a_cells = local_cells(world, caller)
        phone = self.phone[biz]
        sms = rng.random(n) < 0.15
        calls = Events.make(
            t,
            sms,
            caller,
            phone,
            np.where(sms, 0, call_durations(rng, n, 45, 0.5)),
            a_cells,
            world.phone["home_cell"][phone],
        )
        back = self.taxi[biz] & (self.drivers[2][biz] > 0) & (rng.random(n) < 0.7)
        r = int(back.sum())
        if r == 0:
            return calls
        driver = _pick(rng, self.drivers, biz[back])
        t2 = t[back] + rng.integers(180, 1200, r)
        text_ids = np.array([world.message(x) for x in TAXI_TEXTS])
        by_text = rng.random(r) < 0.5
        driven = Events.make(
            t2,
            by_text,
            driver,
            caller[back],
            np.where(by_text, 0, call_durations(rng, r, 15, 0.4)),
            local_cells(world, driver),
            a_cells[back],
            np.where(by_text, rng.choice(text_ids, size=r), 0),
        )
        return Events.concat([calls, driven])

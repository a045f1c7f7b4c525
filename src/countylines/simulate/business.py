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
from countylines.simulate.social import bulk_send, local_cells
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


@dataclass
class BusinessTraffic:
    businesses: list[Business]

    @staticmethod
    def messages(world: World) -> list[str]:
        return [*BULK_TEXTS.values(), *TAXI_TEXTS]

    def day(self, world: World, day: int) -> Events:
        parts = []
        weekday = (world.params.start.toordinal() + day) % 7 < 5  # Mon-Fri
        for biz in self.businesses:
            if biz.kind in BULK_KINDS:
                parts.append(self._bulk(world, biz, day, weekday))
                if biz.kind == "takeaway":
                    parts.append(self._inbound(world, biz, day, 25.0, HOURLY_EVENING, False))
            elif biz.kind == "taxi":
                parts.append(
                    self._inbound(
                        world, biz, day, world.params.taxi_bookings_per_day, HOURLY_EVENING, True
                    )
                )
            else:
                parts.append(
                    self._inbound(
                        world,
                        biz,
                        day,
                        world.params.busy_calls_per_day,
                        HOURLY_OFFICE if weekday else HOURLY_EVENING,
                        False,
                    )
                )
        return Events.concat(parts)

    @staticmethod
    def _bulk(world: World, biz: Business, day: int, weekday: bool) -> Events:
        rng, p = world.rng, world.params
        if biz.kind != "takeaway" and not weekday:
            return Events.concat([])
        sends = rng.poisson(p.bulk_sends_per_week / (7 if biz.kind == "takeaway" else 5))
        parts = []
        for _ in range(sends):
            reach = 1.0 if biz.kind in ("school", "takeaway") else 0.15
            to = biz.contacts[rng.random(len(biz.contacts)) < reach]
            hourly = HOURLY_EVENING if biz.kind == "takeaway" else HOURLY_OFFICE
            t0 = times_of_day(rng, day, 1, hourly)[0]
            text = world.message(BULK_TEXTS[biz.kind])
            parts.append(bulk_send(world, biz.phone, to, int(t0), 600, text))
        return Events.concat(parts)

    @staticmethod
    def _inbound(
        world: World, biz: Business, day: int, rate: float, hourly: np.ndarray, callback: bool
    ) -> Events:
        rng = world.rng
        n = rng.poisson(rate)
        t = times_of_day(rng, day, n, hourly)
        caller = rng.choice(biz.contacts, size=n)
        a_cells = local_cells(world, caller)
        biz_cell = np.full(n, world.phone["home_cell"][biz.phone])
        sms = rng.random(n) < 0.15
        calls = Events.make(
            t,
            sms,
            caller,
            np.full(n, biz.phone),
            np.where(sms, 0, call_durations(rng, n, 45, 0.5)),
            a_cells,
            biz_cell,
        )
        if not callback or len(biz.drivers) == 0:
            return calls
        back = rng.random(n) < 0.7
        r = int(back.sum())
        driver = rng.choice(biz.drivers, size=r)
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

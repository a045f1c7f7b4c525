"""Everyday calls and texts between people: the background that hides the lines.

Each phone in a social group has a circle of contacts (mostly in its own town), a personal
activity level (log-normal), a daily rhythm, and texts that are often answered within minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from countylines.simulate.events import HOURLY_PEOPLE, Events, call_durations, times_of_day
from countylines.simulate.world import World

EVERYDAY_TEXTS = (
    "on my way",
    "running late sorry",
    "see you at 7",
    "can you call me",
    "ok",
    "thanks x",
    "what time is tea",
    "have you fed the dog",
    "happy birthday!!",
    "at the shop need anything",
    "pick up from school?",
    "lol",
    "love you x",
    "meeting ran over",
    "call you back in 5",
)


def local_cells(world: World, phones: np.ndarray, home_share: float = 0.7) -> np.ndarray:
    """Where each phone is: its home cell, or another cell of its town."""
    cells = world.phone["home_cell"][phones]
    away = np.flatnonzero(world.rng.random(len(phones)) >= home_share)
    cells[away] = world.cells_near(world.phone["place"][phones[away]])
    return cells


def bulk_send(
    world: World, sender: int, recipients: np.ndarray, t0: int, burst_s: float, text: int
) -> Events:
    """One bulk send: texts from `sender` to every recipient within `burst_s` seconds of t0."""
    n = len(recipients)
    t = t0 + world.rng.uniform(0, burst_s, n).astype(np.int64)
    a = np.full(n, sender)
    return Events.make(
        t,
        True,
        a,
        recipients,
        None,
        world.phone["home_cell"][a],
        local_cells(world, recipients),
        np.full(n, text),
    )


def contacts_for(
    world: World, phones: np.ndarray, pool: np.ndarray, k: int, same_town: float
) -> np.ndarray:
    """A (len(phones), k) array of contacts from `pool`, mostly in the phone's own town."""
    rng = world.rng
    place_of = world.phone["place"]
    out = rng.choice(pool, size=(len(phones), k))
    pool_place = place_of[pool]
    for p in np.unique(place_of[phones]):
        mine = np.flatnonzero(place_of[phones] == p)
        local = pool[pool_place == p]
        if len(local) == 0:
            continue
        pick = rng.choice(local, size=(len(mine), k))
        keep = rng.random((len(mine), k)) < same_town
        out[mine] = np.where(keep, pick, out[mine])
    clash = out == phones[:, None]
    while clash.any():
        out[clash] = rng.choice(pool, size=int(clash.sum()))
        clash = out == phones[:, None]
    return out


@dataclass
class SocialGroup:
    """Phones with contacts and activity levels; `day` generates their everyday traffic."""

    phones: np.ndarray
    contacts: np.ndarray
    rate: np.ndarray  # events a day
    sms_share: float
    reply_prob: float
    texts_known: np.ndarray  # per phone: message texts recoverable (handset download)

    @classmethod
    def build(
        cls, world: World, phones: np.ndarray, pool: np.ndarray, rate_median: float
    ) -> SocialGroup:
        p, rng = world.params, world.rng
        return cls(
            phones=phones,
            contacts=contacts_for(world, phones, pool, p.bg_contacts, p.bg_contacts_same_town),
            rate=rng.lognormal(np.log(rate_median), p.bg_events_sigma, len(phones)),
            sms_share=p.bg_sms_share,
            reply_prob=p.bg_reply_prob,
            texts_known=rng.random(len(phones)) < 0.02,
        )

    def day(self, world: World, day: int) -> Events:
        rng = world.rng
        active = (world.phone["start_day"][self.phones] <= day) & (
            world.phone["end_day"][self.phones] > day
        )
        counts = rng.poisson(self.rate * active)
        who = np.repeat(np.arange(len(self.phones)), counts)
        n = len(who)
        a = self.phones[who]
        b = self.contacts[who, rng.integers(0, self.contacts.shape[1], n)]
        t = times_of_day(rng, day, n, HOURLY_PEOPLE)
        sms = rng.random(n) < self.sms_share
        duration = np.zeros(n, dtype=np.int64)
        calls = np.flatnonzero(~sms)
        duration[calls] = call_durations(rng, len(calls), 75)
        text = np.zeros(n, dtype=np.int64)
        known = np.flatnonzero(sms & self.texts_known[who])
        text[known] = self._texts(world, len(known))
        events = Events.make(
            t, sms, a, b, duration, local_cells(world, a), local_cells(world, b), text
        )
        replies = sms & (rng.random(n) < self.reply_prob)
        r = int(replies.sum())
        answer = Events.make(
            t[replies] + rng.lognormal(np.log(90), 1.0, r).astype(np.int64),
            True,
            b[replies],
            a[replies],
            None,
            events.b_cell[replies],
            events.a_cell[replies],
            np.where(self.texts_known[who[replies]], self._texts(world, r), 0),
        )
        return Events.concat([events, answer])

    @staticmethod
    def messages(world: World) -> list[str]:
        return list(EVERYDAY_TEXTS)

    @staticmethod
    def _texts(world: World, n: int) -> np.ndarray:
        ids = np.array([world.message(t) for t in EVERYDAY_TEXTS])
        return world.rng.choice(ids, size=n)

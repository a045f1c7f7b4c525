"""Police-recorded incidents: violence caused by the lines, and the background crime around it.

Lines cause three kinds of incident (the motive is ground truth; the case only has free text):

* `taxing`: a runner robs or attacks a customer who owes, or a rival line's runner;
* `rivalry`: two lines working the same town fight; a rivalry starts some days after both lines
  are in the town and escalates, its rate growing month by month and its weapons getting more
  serious (machetes, guns, acid);
* `show_of_strength`: a weapon brandished in public, an attack at a cuckooed address.

Line incidents happen on days the line trades, within a few hundred metres of the town centre or
one of the line's cuckooed addresses, and name the line's runners and their victims when police
know them. Sometimes the runner calls the deal line minutes later (the only phone traces).

Background incidents (motive `unrelated`) happen in every town at the real West Mercia rates per
head (data.police.uk street crime, 2018-10 to 2019-01: violence 2.29, public order and other
crime 0.38, drugs 0.139, weapons possession 0.054, robbery 0.041 per 1,000 residents a month),
higher in deprived towns (exp(2.3 * vulnerability), mean kept), and now and then name a known
background person. Everything is drawn up front in `Violence.build` from `world.rng`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from countylines.simulate.events import HOURLY_PEOPLE, Events, call_durations
from countylines.simulate.identifiers import person_ids as ids_of
from countylines.simulate.lines import Line
from countylines.simulate.seized import Suspects, seize_phones
from countylines.simulate.world import DAY_S, World, offset

HOURLY_VIOLENCE = np.array(
    [2.2, 2.0, 1.6, 1.0, 0.6, 0.4, 0.4, 0.5, 0.7, 0.8, 0.9, 1.0,
     1.1, 1.2, 1.3, 1.5, 1.7, 1.8, 1.9, 2.0, 2.1, 2.3, 2.5, 2.5]
)  # fmt: skip
"""Relative violence by hour: the night-time economy peak around midnight."""

ARMS = ("knife", "blunt", "bladed", "firearm", "corrosive", "none")
SEVERITY = np.array([0.5, 0.0, 1.0, 1.5, 1.0, -1.0])  # how far escalation favours each weapon
LINE_WEAPONS = {
    "taxing": np.array([0.40, 0.18, 0.05, 0.02, 0.05, 0.30]),
    "show_of_strength": np.array([0.40, 0.12, 0.25, 0.08, 0.05, 0.10]),
    "rivalry": np.array([0.45, 0.20, 0.10, 0.03, 0.04, 0.18]),
}
LINE_CATEGORIES = {
    "taxing": (("robbery", 0.5), ("violence", 0.45), ("weapons_possession", 0.05)),
    "rivalry": (("violence", 0.75), ("weapons_possession", 0.2), ("other", 0.05)),
    "show_of_strength": (("violence", 0.45), ("weapons_possession", 0.4), ("other", 0.15)),
}
# Background weapons by category: most recorded violence is unarmed (common assault, ABH).
BG_WEAPONS = {
    "violence": np.array([0.09, 0.05, 0.01, 0.003, 0.004, 0.843]),
    "robbery": np.array([0.25, 0.08, 0.03, 0.02, 0.02, 0.60]),
    "weapons_possession": np.array([0.72, 0.10, 0.10, 0.05, 0.03, 0.0]),
    "drugs": np.array([0, 0, 0, 0, 0, 1.0]),
    "other": np.array([0, 0, 0, 0, 0, 1.0]),
}
BG_DRUG_PHRASE_SHARE = 0.03  # background violence described as drug-related: hard negatives
PERSON_ROLES = ("suspect", "victim", "witness")
BACKGROUND_ROLES = {
    "drugs": np.array([1.0, 0.0, 0.0]),
    "weapons_possession": np.array([1.0, 0.0, 0.0]),
    "violence": np.array([0.4, 0.5, 0.1]),
    "robbery": np.array([0.3, 0.6, 0.1]),
    "other": np.array([0.4, 0.4, 0.2]),
}
"""Shares of suspect, victim and witness among people named in background incidents."""
ROLES_STREAM = (0, 9)
"""The spawn key of the background roles' random stream (`seized.py` has (0, 8))."""
NEAR_M = 180.0  # typical distance of a line incident from its anchor (centre or cuckoo address)
MAX_NEAR_M = 450.0

# --- description vocabulary -----------------------------------------------------------------

VICTIMS = (
    "male", "man", "victim", "IP", "youth", "female", "local man", "resident", "teenager",
    "male aged approx 30", "young male", "male in his 40s", "woman", "lad", "male victim",
)  # fmt: skip
SUSPECTS = (
    "unknown male", "group of males", "two youths", "suspect", "male in dark clothing",
    "males in balaclavas", "three males", "youth on pushbike", "male wearing hoodie",
    "offender", "group of youths", "two males", "male with scarf over face", "suspects",
)  # fmt: skip
PLACES = (
    "outside flats", "in the park", "near the station", "in alleyway", "outside the co-op",
    "on high st", "at the address", "in stairwell of flats", "near the bus station",
    "outside chip shop", "in car park", "on the estate", "near the shops", "behind the pub",
    "at the underpass", "outside takeaway", "near the garages", "on the towpath", "by the rec",
    "outside the bookies", "in the subway", "near the church", "on the footpath", "in town centre",
)  # fmt: skip
BODY = ("leg", "arm", "back", "chest", "thigh", "buttock", "hand", "face", "stomach", "side")
KNIVES = (
    "lock knife", "kitchen knife", "flick knife", "lock-knife", "folding knife",
    "butterfly knife", "large kitchen knife", "knife", "blade", "steak knife",
)  # fmt: skip
BLUNT = (
    "hammer", "baseball bat", "bat", "metal bar", "iron bar", "brick", "wheel brace",
    "wooden pole", "claw hammer", "knuckle duster",
)  # fmt: skip
BLADED = ("machete", "sword", "zombie knife", "samurai sword", "axe", "meat cleaver", "machette")
GUNS = ("handgun", "gun", "shotgun", "pistol", "sawn-off shotgun", "firearm")
LIQUIDS = ("acid", "ammonia", "bleach", "corrosive liquid", "noxious substance")
DRUGS = ("cannabis", "cocaine", "crack cocaine", "heroin", "white powder", "spice", "wraps")
LOOT = ("phone", "cash", "phone and cash", "wallet", "bike", "drugs and cash", "jacket")
SHORT = {"knife": KNIVES, "blunt": BLUNT, "bladed": BLADED, "firearm": GUNS, "corrosive": LIQUIDS}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "violence": {
        "knife": (
            "{v} stabbed in {b} {p}",
            "{v} slashed with knife {p}",
            "stab wound to {b}, {v} taken to hospital",
            "{s} pulled a {k} on {v} {p}",
            "knife attack {p}, {v} suffered cut to {b}",
            "{v} sustained stab wound {p}",
            "{v} knifed in the {b} by {s}",
        ),
        "blunt": (
            "{v} struck with {h} {p}",
            "{v} hit over the head with {h}",
            "assault with {h} {p}, head injury",
            "{s} attacked {v} with a {h}",
            "{v} beaten with {h} {p}",
        ),
        "bladed": (
            "{v} attacked with {m} {p}",
            "{m} swung at {v} {p}",
            "{v} suffered deep cuts to {b}, {m} used",
            "{s} chased {v} with a {m}",
            "{m} attack {p}, {v} seriously injured",
        ),
        "firearm": (
            "shots fired at vehicle {p}",
            "shots heard {p}, cartridge cases recovered",
            "{v} shot in {b}",
            "firearm discharged {p}",
            "{g} pointed at {v} {p}",
            "shotgun discharged at front door",
        ),
        "corrosive": (
            "acid thrown in face of {v} {p}",
            "corrosive substance thrown at {v}",
            "{v} sprayed with {c} {p}",
            "{v} suffered burns after liquid thrown {p}",
            "{c} squirted at {v}",
        ),
        "none": (
            "{v} punched {p}",
            "{v} assaulted by {s} {p}",
            "{v} kicked to the ground {p}",
            "fight {p}, {v} injured",
            "{v} headbutted {p}",
            "ABH {p}, {v} punched repeatedly",
            "common assault {p}",
            "{v} stamped on by {s}",
        ),
        "": (
            "{v} assaulted {p}",
            "serious assault {p}",
            "{v} attacked by {s} {p}",
            "GBH {p}",
            "{v} found injured {p}",
            "disturbance {p}, one injured",
            "{v} taken to hospital after assault {p}",
            "report of assault {p}",
            "{v} injured in attack {p}",
        ),
    },
    "weapons_possession": {
        "knife": (
            "{s} found with {k} in waistband",
            "stop and search: {k} recovered from {s}",
            "{s} arrested in possession of a {k} {p}",
            "{k} found in jacket pocket of {s}",
            "{s} seen carrying knife {p}",
        ),
        "blunt": (
            "{s} found with {h} in bag",
            "knuckle duster recovered from {s}",
            "{s} carrying {h} {p}",
        ),
        "bladed": (
            "{m} brandished in street {p}",
            "{s} waving a {m} {p}",
            "{m} found in car during stop",
            "{s} seen with {m} {p}",
        ),
        "firearm": (
            "{s} seen with {g} {p}",
            "firearm recovered during search of address",
            "ammunition and {g} found {p}",
            "{s} brandishing gun {p}",
        ),
        "corrosive": (
            "bottle of {c} found on {s}",
            "{s} in possession of corrosive liquid {p}",
            "squirty bottle with acid recovered during stop",
        ),
        "": (
            "possession of offensive weapon {p}",
            "stop search, {s} arrested for poss offensive weapon",
            "weapon recovered {p}",
            "{s} arrested, weapon seized",
            "offensive weapon found on {s} {p}",
        ),
    },
    "robbery": {
        "knife": (
            "{v} robbed at knifepoint {p}",
            "knife produced, {v}'s {l} taken",
            "{s} threatened {v} with {k} and took {l}",
        ),
        "blunt": ("{v} hit with {h} and robbed {p}", "{s} took {l} after striking {v} with {h}"),
        "bladed": ("{v} robbed by {s} armed with {m}", "{m} held to {v}, {l} taken"),
        "firearm": ("{v} robbed at gunpoint {p}", "{g} shown to {v}, {l} taken"),
        "corrosive": ("{v} robbed after liquid sprayed in face", "{c} thrown at {v}, {l} taken"),
        "none": (
            "{v} pushed to ground and {l} taken {p}",
            "{v} mugged {p}",
            "{s} took {l} from {v} by force",
            "{v} punched and robbed of {l}",
        ),
        "": (
            "robbery {p}",
            "{v} robbed of {l} {p}",
            "street robbery {p}, {l} taken",
            "{v} reports being robbed by {s}",
        ),
    },
    "drugs": {
        "": (
            "{s} found in possession of {d} {p}",
            "small amount of {d} found on {s}",
            "stop search: {d} recovered",
            "{s} arrested for possession with intent {p}",
            "cannabis smell, {s} searched, {d} found",
            "drug paraphernalia found {p}",
            "{s} seen dealing {p}, {d} seized",
            "possession of {d}, {s} reported",
        ),
    },
    "other": {
        "": (
            "public order offence {p}",
            "threats made to {v} {p}",
            "criminal damage to door at address",
            "disturbance {p}, group dispersed",
            "threats to kill reported by {v}",
            "window smashed at address",
            "youths causing fear and alarm {p}",
            "harassment of {v}",
            "affray {p}",
        ),
    },
}
MOTIVE_PHRASES = {
    "taxing": (
        "dispute over drug debt",
        "believed to be over money owed",
        "victim owes money to suspects",
        "drug debt",
        "victim says he was taxed",
        "robbed of drugs and cash",
        "ongoing debt issue",
        "money owed for drugs",
    ),
    "rivalry": (
        "ongoing feud between two groups",
        "believed linked to rival drug dealers",
        "retaliation for earlier incident",
        "turf dispute",
        "rival groups from out of town",
        "tit for tat",
        "linked to previous stabbing",
    ),
    "show_of_strength": (
        "intimidation of local residents",
        "group making threats in street",
        "occupant of flat threatened",
        "people at address being intimidated",
        "show of force by group of males",
        "suspects shouting about their line",
    ),
    "unrelated": ("possibly drug related", "both parties known drug users", "drink related"),
}
ABBREVIATIONS = (
    ("outside", "o/s"),
    ("hospital", "hosp"),
    ("vehicle", "veh"),
    ("address", "addr"),
    ("approx", "approx."),
    ("possession", "poss"),
    ("street", "st"),
)
SEPARATORS = (", ", ". ", " - ", "; ", " / ")


def _pick(u: float, options: tuple[str, ...]) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _typo(text: str, u1: float, u2: float) -> str:
    """One typo in a word of four letters or more: swap, drop or double a letter."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = long[min(int(u1 * len(long)), len(long) - 1)]
    w = words[i]
    j = 1 + int(u2 * 1000) % (len(w) - 2)
    kind = int(u2 * 3000) % 3
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def describe(
    u: np.ndarray, category: str, weapon: str, mention: bool, motive: str | None, typo: float
) -> str:
    """Free text for one incident from a row of uniforms `u` (at least 20 values).

    `weapon` is the true weapon; `mention` says whether the text names it; `motive` is a motive
    phrase key to mention (None: no motive in the text); `typo` the chance of a typo.
    """
    bank = TEMPLATES[category]
    key = weapon if mention and weapon in bank else ""
    text = _pick(u[0], bank[key])
    text = text.format(
        v=_pick(u[1], VICTIMS),
        s=_pick(u[2], SUSPECTS),
        p=_pick(u[3], PLACES),
        b=_pick(u[4], BODY),
        k=_pick(u[5], KNIVES),
        h=_pick(u[5], BLUNT),
        m=_pick(u[5], BLADED),
        g=_pick(u[5], GUNS),
        c=_pick(u[5], LIQUIDS),
        d=_pick(u[6], DRUGS),
        l=_pick(u[7], LOOT),
    )
    if mention and key == "" and weapon in SHORT:  # a weapon-free template: add the weapon
        text += f", {_pick(u[5], SHORT[weapon])} seen"
    if motive is not None:
        phrase = _pick(u[8], MOTIVE_PHRASES[motive])
        text = phrase + ": " + text if u[9] < 0.2 else text + _pick(u[10], SEPARATORS) + phrase
    for (word, short), x in zip(ABBREVIATIONS, u[11:18], strict=True):
        if x < 0.2:
            text = text.replace(word, short)
    if u[18] < typo:
        text = _typo(text, u[19], u[17])
    style = u[16]
    if style < 0.1:
        return text.upper()
    if style < 0.55:
        return text[0].upper() + text[1:]
    return text


# --- model ----------------------------------------------------------------------------------


@dataclass
class Rivalry:
    a: Line
    b: Line
    town: int
    start_day: int


@dataclass
class _Record:
    t: int
    lat: float
    lon: float
    category: str
    weapon: str
    motive: str
    line_id: str
    rival_line_id: str
    town: int
    persons: list[int]
    suspects: list[int] = field(default_factory=list)  # the line's named runners (phone ids)
    roles: dict[int, str] = field(default_factory=dict)  # person -> role in the crime report


def _roles(suspects: list[int], victims: list[int]) -> dict[int, str]:
    """Each person's role in the crime report: the suspects, then the victims (a person is
    never both)."""
    roles = {q: "victim" for q in victims}
    roles.update({q: "suspect" for q in suspects})
    return roles


def background_roles(world: World, records: list[_Record]) -> None:
    """Fill the role of every person named in a background incident (the line incidents' roles
    are known): from a random stream of its own (`ROLES_STREAM`), so nothing else in the case
    changes. The role follows what such a report names: the person found with drugs or a
    weapon is the suspect; in an assault, robbery or public-order report a named person is the
    victim, the suspect or a witness (`BACKGROUND_ROLES`)."""
    rng = np.random.default_rng(np.random.SeedSequence(world.params.seed, spawn_key=ROLES_STREAM))
    for rec in records:
        shares = BACKGROUND_ROLES[rec.category]
        for q in rec.persons:
            if q not in rec.roles:
                rec.roles[q] = PERSON_ROLES[int(rng.choice(len(PERSON_ROLES), p=shares))]


def _live_days(world: World, line: Line) -> np.ndarray:
    live = np.zeros(world.days, dtype=bool)
    for s in line.segments:
        live[s.start_s // DAY_S : (s.end_s - 1) // DAY_S + 1] = True
    return live


def _near(world: World, lat: float, lon: float, max_m: float, typical_m: float) -> tuple:
    rng = world.rng
    r = min(rng.exponential(typical_m), max_m)
    a = rng.uniform(0, 2 * np.pi)
    la, lo = offset(
        np.array([lat]), np.array([lon]), np.array([r * np.cos(a)]), np.array([r * np.sin(a)])
    )
    return float(la[0]), float(lo[0])


def rivalry_weapons(months_in: int, escalation: float) -> np.ndarray:
    """Weights over ARMS for a rivalry incident `months_in` whole months after it began.

    Each month (up to four) multiplies a weapon's weight by exp(escalation * severity): fists
    and bats give way to machetes, guns and acid, while knives stay the most common.
    """
    level = min(max(months_in, 0), 4)
    w = LINE_WEAPONS["rivalry"] * np.exp(escalation * SEVERITY * level)
    return np.asarray(w / w.sum())


def _weapon(world: World, weights: np.ndarray, category: str) -> str:
    w = weights.copy()
    if category == "weapons_possession":
        w[ARMS.index("none")] = 0.0
    return ARMS[int(world.rng.choice(len(ARMS), p=w / w.sum()))]


def _category(world: World, motive: str) -> str:
    cats = [c for c, _ in LINE_CATEGORIES[motive]]
    probs = np.array([q for _, q in LINE_CATEGORIES[motive]])
    return cats[int(world.rng.choice(len(cats), p=probs / probs.sum()))]


def _time(world: World, day: int, hourly: np.ndarray = HOURLY_VIOLENCE) -> int:
    hour = int(world.rng.choice(24, p=hourly / hourly.sum()))
    return day * DAY_S + hour * 3600 + int(world.rng.integers(0, 3600))


@dataclass
class Violence:
    """Incidents (drawn once, at build) and the calls runners make just after line incidents."""

    frame: pd.DataFrame
    truth_frame: pd.DataFrame
    rivalries: pd.DataFrame
    calls: dict[int, list[tuple[int, int, int, int, int]]] = field(default_factory=dict)
    seized: pd.DataFrame = field(default_factory=pd.DataFrame)  # phones seized on arrest

    @classmethod
    def build(cls, world: World, lines: list[Line]) -> Violence:
        builder = _Builder(world, lines)
        return builder.finish()

    def with_incidents(self, more: pd.DataFrame) -> Violence:
        """The same, with the incidents `more` (other ids) merged into the case table by time."""
        frame = pd.concat([self.frame, more], ignore_index=True)
        self.frame = frame.sort_values("time", kind="stable", ignore_index=True)
        return self

    def day(self, world: World, day: int) -> Events:
        todays = self.calls.get(day, [])
        if not todays:
            return Events.concat([])
        t, a, b, a_cell, b_cell = (np.array(c, dtype=np.int64) for c in zip(*todays, strict=True))
        return Events.make(t, False, a, b, call_durations(world.rng, len(t), 40), a_cell, b_cell)

    def tables(self, world: World) -> dict[str, pd.DataFrame]:
        return {"incidents": self.frame}

    def truth(self, world: World) -> dict[str, pd.DataFrame]:
        return {
            "incidents": self.truth_frame,
            "rivalries": self.rivalries,
            "seized_phones": self.seized,
        }


class _Builder:
    def __init__(self, world: World, lines: list[Line]) -> None:
        self.world = world
        self.lines = lines
        self.records: list[_Record] = []
        self.calls: dict[int, list[tuple[int, int, int, int, int]]] = defaultdict(list)
        self.live = {ln.line_id: _live_days(world, ln) for ln in lines}
        self.address_place = world.address["place"]

    # -- anchors and people --

    def _towns_on(self, line: Line, day: int) -> list[int]:
        return [t for t, d in line.towns if d <= day]

    def _cuckoos(self, line: Line, town: int, day: int) -> list[int]:
        return [a for a, d in line.cuckoo if d <= day and self.address_place[a] == town]

    def _spot(self, lines: list[Line], town: int, day: int, cuckoo_share: float) -> tuple:
        """A place near the town centre or one of `lines`' cuckooed addresses in the town."""
        world = self.world
        cuckoos = [a for ln in lines for a in self._cuckoos(ln, town, day)]
        if cuckoos and world.rng.random() < cuckoo_share:
            a = cuckoos[int(world.rng.integers(len(cuckoos)))]
            lat, lon = world.address["lat"][a], world.address["lon"][a]
        else:
            lat, lon = world.places.lat[town], world.places.lon[town]
        return _near(world, float(lat), float(lon), MAX_NEAR_M, NEAR_M)

    def _runners(self, line: Line, most: int) -> list[int]:
        rng = self.world.rng
        k = int(rng.integers(1, min(most, len(line.runners)) + 1))
        return [int(r) for r in rng.choice(line.runners, size=k, replace=False)]

    def _person(self, phone: int) -> int:
        return int(self.world.phone["person"][phone])

    def _people(self, phones: list[int]) -> list[int]:
        """The persons using `phones`."""
        return [self._person(r) for r in phones]

    def _named(self, persons: list[int]) -> list[int]:
        """The persons police can name: only those in the persons table."""
        known = self.world.person["known"]
        return [p for p in persons if p >= 0 and known[p]]

    def _suspects(self, runners: list[int], named: bool) -> list[int]:
        """The runner phones among `runners` whose users the police name as suspects (none when
        the incident names no suspect): only users in the persons table."""
        known = self.world.person["known"]
        return [r for r in runners if named and self._person(r) >= 0 and known[self._person(r)]]

    def _call(self, line: Line, runner: int, t: int, town: int, lat: float, lon: float) -> None:
        """Sometimes the runner rings the deal line a few minutes after an incident."""
        world = self.world
        if world.rng.random() >= world.params.incident_call_prob:
            return
        t2 = t + int(world.rng.integers(120, 900))
        live = [s for s in line.segments if s.start_s <= t2 < s.end_s]
        if not live or t2 >= world.days * DAY_S:
            return
        deal = live[0].phone
        cells = world.cells.by_place[town]
        d2 = (world.cells.lat[cells] - lat) ** 2 + (
            (world.cells.lon[cells] - lon) * np.cos(np.radians(lat))
        ) ** 2
        cell = int(cells[int(np.argmin(d2))])
        self.calls[t2 // DAY_S].append(
            (t2, runner, deal, cell, int(world.phone["home_cell"][deal]))
        )

    # -- line incidents --

    def line_incidents(self) -> None:
        p, rng = self.world.params, self.world.rng
        for line in self.lines:
            live = self.live[line.line_id]
            for motive, rate in (
                ("taxing", p.taxing_per_line_month),
                ("show_of_strength", p.show_of_strength_per_line_month),
            ):
                counts = rng.poisson(rate / 30.0, self.world.days) * live
                for day in np.flatnonzero(counts):
                    for _ in range(int(counts[day])):
                        if motive == "taxing":
                            self._taxing(line, int(day))
                        else:
                            self._show(line, int(day))

    def _taxing(self, line: Line, day: int) -> None:
        world, rng, p = self.world, self.world.rng, self.world.params
        towns = self._towns_on(line, day)
        town = towns[int(rng.integers(len(towns)))]
        lat, lon = self._spot([line], town, day, 0.4)
        t = _time(world, day)
        runners = self._runners(line, 2)
        rival = ""
        others = [
            o
            for o in self.lines
            if o is not line and town in self._towns_on(o, day) and self.live[o.line_id][day]
        ]
        if others and rng.random() < 0.25:  # tax a rival line's runner
            other = others[int(rng.integers(len(others)))]
            victim = self._person(int(rng.choice(other.runners)))
            rival = other.line_id
            victim_named = rng.random() < 0.6
        else:
            local = line.customers[
                (world.phone["place"][line.customers] == town) & (line.customer_since <= day)
            ]
            pool = local if len(local) else line.customers
            victim = self._person(int(rng.choice(pool)))
            victim_named = rng.random() < 0.85
        suspects = self._suspects(runners, rng.random() < p.line_suspect_named_share)
        persons = [self._person(r) for r in suspects]
        if victim_named:
            persons.append(victim)
        category = _category(world, "taxing")
        weapon = _weapon(world, LINE_WEAPONS["taxing"], category)
        self.records.append(
            _Record(t, lat, lon, category, weapon, "taxing", line.line_id, rival, town,
                    self._named(persons), suspects, _roles(self._people(suspects), [victim]))
        )  # fmt: skip
        self._call(line, runners[0], t, town, lat, lon)

    def _show(self, line: Line, day: int) -> None:
        world, rng, p = self.world, self.world.rng, self.world.params
        towns = self._towns_on(line, day)
        town = towns[int(rng.integers(len(towns)))]
        cuckoos = self._cuckoos(line, town, day)
        persons: list[int] = []
        if cuckoos and rng.random() < 0.5:  # at the cuckooed address itself
            a = cuckoos[int(rng.integers(len(cuckoos)))]
            lat, lon = _near(
                world, float(world.address["lat"][a]), float(world.address["lon"][a]), 30.0, 10.0
            )
            if rng.random() < 0.6:
                persons.append(int(world.address["occupant"][a]))
        else:
            lat, lon = self._spot([line], town, day, 0.5)
        t = _time(world, day)
        runners = self._runners(line, 3)
        suspects = self._suspects(runners, rng.random() < p.line_suspect_named_share)
        occupants = persons  # the threatened occupant of a cuckooed address, when named
        persons = self._people(suspects) + occupants
        category = _category(world, "show_of_strength")
        weapon = _weapon(world, LINE_WEAPONS["show_of_strength"], category)
        self.records.append(
            _Record(t, lat, lon, category, weapon, "show_of_strength", line.line_id, "", town,
                    self._named(persons), suspects, _roles(self._people(suspects), occupants))
        )  # fmt: skip
        self._call(line, runners[0], t, town, lat, lon)

    # -- rivalries --

    def rivalries(self) -> list[Rivalry]:
        """Pairs of lines sharing a town that fall out, from the earliest shared town."""
        world, rng, p = self.world, self.world.rng, self.world.params
        out: list[Rivalry] = []
        taken: dict[str, int] = defaultdict(int)
        pairs = [(a, b) for i, a in enumerate(self.lines) for b in self.lines[i + 1 :]]
        for k in rng.permutation(len(pairs)):
            a, b = pairs[int(k)]
            shared = sorted(
                (max(da, db), ta) for ta, da in a.towns for tb, db in b.towns if ta == tb
            )
            if not shared or rng.random() >= p.rivalry_prob:
                continue
            if max(taken[a.line_id], taken[b.line_id]) >= p.rivalry_max_per_line:
                continue
            met, town = shared[0]
            start = max(met, a.start_day, b.start_day) + int(rng.exponential(p.rivalry_delay_days))
            if start < world.days:
                taken[a.line_id] += 1
                taken[b.line_id] += 1
                out.append(Rivalry(a, b, int(town), int(start)))
        return out

    def rivalry_incidents(self, rivalries: list[Rivalry]) -> list[list[int]]:
        world, rng, p = self.world, self.world.rng, self.world.params
        per_rivalry: list[list[int]] = []
        for rv in rivalries:
            days = np.arange(rv.start_day, world.days)
            months = (days - rv.start_day) / 30.0
            rate = np.minimum(
                p.rivalry_base_per_month * p.rivalry_growth**months, p.rivalry_max_per_month
            )
            both = self.live[rv.a.line_id][days] & self.live[rv.b.line_id][days]
            counts = rng.poisson(rate / 30.0) * both
            mine: list[int] = []
            for day, n in zip(days[counts > 0], counts[counts > 0], strict=True):
                months_in = (int(day) - rv.start_day) // 30
                weights = rivalry_weapons(months_in, p.rivalry_weapon_escalation)
                for _ in range(int(n)):
                    first, second = (rv.a, rv.b) if rng.random() < 0.5 else (rv.b, rv.a)
                    lat, lon = self._spot([first, second], rv.town, int(day), 0.5)
                    t = _time(world, int(day))
                    ra, rb = self._runners(first, 2), self._runners(second, 2)
                    category = _category(world, "rivalry")
                    # `first` attacks `second`: in an assault the injured side is the crime
                    # report's victim, identified far more often than the attackers.
                    hurt = category == "violence"
                    suspects = self._suspects(ra, rng.random() < p.line_suspect_named_share)
                    persons = self._people(suspects)
                    if rng.random() < (
                        p.rivalry_victim_named_share if hurt else p.line_suspect_named_share
                    ):
                        persons += self._people(rb)
                    # the injured side is the victim; beside a weapons find or a public-order
                    # offence the other group is only present (`other`)
                    roles = _roles(self._people(suspects), self._people(rb) if hurt else [])
                    roles.update({q: "other" for q in self._people(rb) if q not in roles})
                    weapon = _weapon(world, weights, category)
                    mine.append(len(self.records))
                    self.records.append(
                        _Record(t, lat, lon, category, weapon, "rivalry", first.line_id,
                                second.line_id, rv.town, self._named(persons), suspects, roles)
                    )  # fmt: skip
                    self._call(first, ra[0], t, rv.town, lat, lon)
                    self._call(second, rb[0], t, rv.town, lat, lon)
            per_rivalry.append(mine)
        return per_rivalry

    # -- background --

    def background(self) -> None:
        """Unrelated incidents in every town at real per-head rates, more where deprived."""
        world, rng, p = self.world, self.world.rng, self.world.params
        places = world.places
        towns = places.towns
        pop = places.population[towns].astype(float)
        lift = np.exp(p.bg_incident_deprivation_beta * places.vulnerability[towns])
        lift *= pop.sum() / (pop * lift).sum()  # the population-weighted mean rate is kept
        rates = {
            "violence": p.bg_violence_per_1000_month,
            "weapons_possession": p.bg_weapons_per_1000_month,
            "drugs": p.bg_drugs_per_1000_month,
            "robbery": p.bg_robbery_per_1000_month,
            "other": p.bg_other_per_1000_month,
        }
        start = len(self.records)
        for category, rate in rates.items():
            lam = rate / 1000.0 * pop * lift * p.months * p.bg_incident_scale
            n = rng.poisson(lam)
            town = np.repeat(towns, n)
            k = len(town)
            hourly = HOURLY_PEOPLE if category in ("drugs", "other") else HOURLY_VIOLENCE
            day = rng.integers(0, world.days, k)
            t = day * DAY_S + rng.choice(24, size=k, p=hourly / hourly.sum()) * 3600
            t += rng.integers(0, 3600, k)
            central = rng.random(k) < 0.4
            sd = np.where(central, 350.0, 4.0 * np.sqrt(places.population[town]))
            lat, lon = offset(
                places.lat[town], places.lon[town], rng.normal(0, sd), rng.normal(0, sd)
            )
            w = BG_WEAPONS[category]
            weapon = np.array(ARMS)[rng.choice(len(ARMS), size=k, p=w / w.sum())]
            for i in range(k):
                self.records.append(
                    _Record(int(t[i]), float(lat[i]), float(lon[i]), category, str(weapon[i]),
                            "unrelated", "", "", int(town[i]), [])
                )  # fmt: skip
        # Known people living in the towns (ordinary residents and drug users who buy from the
        # lines) are now and then named in an unrelated incident in their own town; drug users
        # mostly in drugs incidents. Most background persons live in the hubs, outside the area.
        by_town: dict[tuple[int, bool], list[int]] = defaultdict(list)
        for i in range(start, len(self.records)):
            rec = self.records[i]
            by_town[(rec.town, False)].append(i)
            if rec.category == "drugs":
                by_town[(rec.town, True)].append(i)
        person = world.person
        in_towns = ~world.places.is_hub[person["place"]]
        kinds = (person["kind"] == "background") | (person["kind"] == "customer")
        people = np.flatnonzero(kinds & person["known"] & in_towns)
        hits = rng.poisson(p.bg_person_incident_rate * p.months, len(people))
        for who in np.repeat(people, hits):
            user = person["drug_use"][who] == 1 and rng.random() < 0.6
            pool = by_town.get((int(person["place"][who]), bool(user)), [])
            if pool:
                self.records[pool[int(rng.integers(len(pool)))]].persons.append(int(who))

    # -- output --

    def finish(self) -> Violence:
        world, rng, p = self.world, self.world.rng, self.world.params
        self.line_incidents()
        rivalries = self.rivalries()
        per_rivalry = self.rivalry_incidents(rivalries)
        self.background()
        recs = self.records
        n = len(recs)
        order = sorted(range(n), key=lambda i: (recs[i].t, i))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        ids = [f"I{r + 1:07d}" for r in rank]
        u = rng.random((n, 20))
        rec_u = rng.random(n)
        motive_u = rng.random(n)
        recorded, texts = [], []
        for i, r in enumerate(recs):
            if rec_u[i] < p.weapon_unknown_share:
                field_weapon, mention = "unknown", True
            elif rec_u[i] < p.weapon_unknown_share + p.weapon_silent_share:
                field_weapon, mention = r.weapon, False
            else:
                field_weapon, mention = r.weapon, True
            if r.motive == "unrelated":
                share = BG_DRUG_PHRASE_SHARE if r.category in ("violence", "robbery") else 0.0
            else:
                share = p.motive_mention_share
            motive = r.motive if motive_u[i] < share else None
            recorded.append(field_weapon)
            texts.append(describe(u[i], r.category, r.weapon, mention, motive, p.typo_share))
        start = pd.Timestamp(p.start, tz="UTC")
        background_roles(world, recs)
        named = [list(dict.fromkeys(r.persons)) for r in recs]
        person_ids = [";".join(ids_of(np.array(q, dtype=np.int64))) for q in named]
        person_roles = [
            ";".join(r.roles[q] for q in people) for r, people in zip(recs, named, strict=True)
        ]
        frame = pd.DataFrame(
            {
                "incident_id": ids,
                "time": start + pd.to_timedelta([r.t for r in recs], unit="s"),
                "lat": np.round([r.lat for r in recs], 6),
                "lon": np.round([r.lon for r in recs], 6),
                "category": [r.category for r in recs],
                "weapon": recorded,
                "description": texts,
                "person_ids": person_ids,
                "person_roles": person_roles,
            }
        ).iloc[order]
        names = world.places.names
        truth = pd.DataFrame(
            {
                "incident_id": ids,
                "motive": [r.motive for r in recs],
                "line_id": [r.line_id for r in recs],
                "rival_line_id": [r.rival_line_id for r in recs],
                "town": [names[r.town] for r in recs],
                "weapon": [r.weapon for r in recs],
            }
        ).iloc[order]
        rows = []
        for rv, mine in zip(rivalries, per_rivalry, strict=True):
            by_month = np.bincount([recs[i].t // (30 * DAY_S) for i in mine], minlength=p.months)
            rows.append(
                {
                    "line_a": rv.a.line_id,
                    "line_b": rv.b.line_id,
                    "town": names[rv.town],
                    "start": start + pd.Timedelta(days=rv.start_day),
                    "n_incidents": len(mine),
                    "incidents_by_month": ";".join(str(int(c)) for c in by_month),
                    "serious_weapons": sum(
                        recs[i].weapon in ("bladed", "firearm", "corrosive") for i in mine
                    ),
                }
            )
        rivalry_frame = pd.DataFrame(
            rows,
            columns=[
                "line_a",
                "line_b",
                "town",
                "start",
                "n_incidents",
                "incidents_by_month",
                "serious_weapons",
            ],
        )
        suspects = [
            Suspects(ids[i], recs[i].t, recs[i].category, recs[i].line_id, recs[i].suspects)
            for i in order
            if recs[i].suspects
        ]
        return Violence(
            frame.reset_index(drop=True),
            truth.reset_index(drop=True),
            rivalry_frame,
            dict(self.calls),
            seize_phones(world, suspects),
        )

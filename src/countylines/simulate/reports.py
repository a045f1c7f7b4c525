"""Police-recorded reports about an address: neighbours' complaints of callers at all hours,
suspected drug dealing from the address, concerns for the occupant's welfare.

Analysts hold these (incidents and intelligence logged at an address), and a cuckooed home is
often reported, but not always and not at once, while ordinary homes are reported too:

* **Cuckooed homes.** A home is ever reported with probability `cuckoo_report_share`; its first
  report comes an exponential delay (mean `cuckoo_report_delay_days`) after the takeover, then
  further reports at `cuckoo_reports_per_month`, until the end of the period. A report is a
  drugs report, an anti-social behaviour report of callers, or a welfare concern (`KINDS`).
* **Ordinary homes** in the market towns (every simulated address outside the hubs) are reported
  for drugs or callers at `address_reports_per_1000_month` per 1,000 residents (times the
  household size, `HOUSEHOLD`), `address_report_drug_lift` times as often when the occupant is a
  recorded drug user; occupants with a recorded mental-health need get welfare concerns at
  `welfare_concern_per_month`.

A report is an `incidents` row at the address (within about `JITTER_M` metres: the address point
of the log) of category `drugs` or `other`, weapon `none`, naming the occupant with probability
`report_named_share` when the occupant is in the persons table. Ids are `R0000001`, ... (by
time), apart from the other incidents' `I` ids, so adding reports changes no other incident.
The draws come from a random stream of their own (`STREAM`): nothing else in the case changes.
The truth (`truth/address_reports.csv`) names the address and, for a cuckooed home, the line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from countylines.simulate.events import HOURLY_PEOPLE, Events
from countylines.simulate.identifiers import address_ids, person_ids
from countylines.simulate.lines import Line
from countylines.simulate.world import DAY_S, World, offset

STREAM = (0, 2)
"""The spawn key of this module's random stream (`recorded.py` has (0, 1))."""
HOUSEHOLD = 2.4
"""Residents per household (Census 2011, England and Wales: 2.4)."""
JITTER_M = 10.0
"""Standard deviation (metres) of a report's position about the address point."""
KINDS = {
    "drugs": (
        "drugs",
        (
            "Suspected drug dealing from the address",
            "Report of drug dealing from a flat, callers at all hours",
            "Intel: class A being sold from the address",
            "Neighbour reports drug dealing at the address, smell of cannabis and visitors",
            "Suspected drug activity at the address, short visits by different people",
        ),
    ),
    "callers": (
        "other",
        (
            "ASB: neighbour complains of callers at all hours",
            "Neighbour reports people coming and going from the address day and night",
            "ASB: noise and visitors at the address through the night",
            "Complaint of nuisance from the address, groups calling at all hours",
        ),
    ),
    "welfare": (
        "other",
        (
            "Concern for welfare of the occupant",
            "Welfare check requested by a partner agency, occupant not answering",
            "Concern for the occupant, unknown people staying at the address",
            "Adult social care raise concern for the occupant's safety at home",
        ),
    ),
}
"""Report kinds: (incident category, description texts)."""
CUCKOO_KINDS = {"drugs": 0.45, "callers": 0.35, "welfare": 0.2}
"""How a cuckooed home's reports split between the kinds (choice)."""


@dataclass
class AddressReports:
    """The reports (case `incidents` rows) and their truth."""

    frame: pd.DataFrame
    truth_frame: pd.DataFrame

    @classmethod
    def build(cls, world: World, lines: list[Line]) -> AddressReports:
        p = world.params
        rng = np.random.default_rng(np.random.SeedSequence(p.seed, spawn_key=STREAM))
        end = world.days * DAY_S
        rows: list[tuple[int, int, str, str]] = []  # (time, address, kind, line_id)
        for line in lines:
            for address, day in line.cuckoo:
                if rng.random() >= p.cuckoo_report_share:
                    continue
                t = day * DAY_S + rng.exponential(p.cuckoo_report_delay_days * DAY_S)
                while t < end:
                    kind = str(rng.choice(list(CUCKOO_KINDS), p=list(CUCKOO_KINDS.values())))
                    rows.append((int(t), address, kind, line.line_id))
                    t += rng.exponential(30 * DAY_S / p.cuckoo_reports_per_month)
        rows += _background(world, rng)
        return _frames(world, rng, rows)

    def day(self, world: World, day: int) -> Events:
        """No phone events: the reports are merged into the incidents (`Violence`)."""
        return Events.concat([])

    def truth(self, world: World) -> dict[str, pd.DataFrame]:
        return {"address_reports": self.truth_frame}


def _background(world: World, rng: np.random.Generator) -> list[tuple[int, int, str, str]]:
    """Reports at ordinary homes in the market towns: drugs or callers, and welfare concerns."""
    p, ad, person = world.params, world.address, world.person
    occupant = ad["occupant"]
    in_town = ~world.places.is_hub[ad["place"]]
    drug_user = person["drug_use"][occupant] == 1
    per_month = (
        p.address_reports_per_1000_month / 1000 * HOUSEHOLD
        * np.where(drug_user, p.address_report_drug_lift, 1.0)
    )  # fmt: skip
    welfare = np.where(person["mental_health"][occupant] == 1, p.welfare_concern_per_month, 0.0)
    rows = []
    for rate, kinds in ((per_month, ("drugs", "callers")), (welfare, ("welfare",))):
        n = rng.poisson(rate * p.months * in_town)
        for address in np.repeat(np.arange(len(occupant)), n):
            day = int(rng.integers(0, world.days))
            kind = kinds[int(rng.integers(len(kinds)))]
            rows.append((day * DAY_S, int(address), kind, ""))
    return rows


def _frames(
    world: World, rng: np.random.Generator, rows: list[tuple[int, int, str, str]]
) -> AddressReports:
    """The incidents rows (ids by time) and the truth of `rows` (time in seconds, address, kind,
    line id)."""
    p, ad = world.params, world.address
    rows.sort()
    n = len(rows)
    t = np.array([r[0] for r in rows], dtype=np.int64)
    address = np.array([r[1] for r in rows], dtype=np.int64)
    kind = [r[2] for r in rows]
    # the hour of day of a report; a cuckooed home's first report keeps its day
    t = (t // DAY_S) * DAY_S + rng.choice(24, size=n, p=HOURLY_PEOPLE / HOURLY_PEOPLE.sum()) * 3600
    t += rng.integers(0, 3600, n)
    lat, lon = offset(
        ad["lat"][address], ad["lon"][address], rng.normal(0, JITTER_M, n),
        rng.normal(0, JITTER_M, n),
    )  # fmt: skip
    occupant = ad["occupant"][address]
    named = world.person["known"][occupant] & (rng.random(n) < p.report_named_share)
    description = [KINDS[k][1][int(rng.integers(len(KINDS[k][1])))] for k in kind]
    ids = [f"R{i + 1:07d}" for i in np.argsort(np.argsort(t, kind="stable"), kind="stable")]
    start = pd.Timestamp(p.start, tz="UTC")
    frame = pd.DataFrame(
        {
            "incident_id": ids,
            "time": start + pd.to_timedelta(t, unit="s"),
            "lat": np.round(lat, 6),
            "lon": np.round(lon, 6),
            "category": [KINDS[k][0] for k in kind],
            "weapon": "none",
            "description": description,
            "person_ids": np.where(named, person_ids(occupant), ""),
            "person_roles": np.where(named, "other", ""),  # the occupant the report is about
        }
    )
    truth = pd.DataFrame(
        {
            "incident_id": ids,
            "address_id": address_ids(address),
            "kind": kind,
            "line_id": [r[3] for r in rows],
        }
    )
    order = np.argsort(t, kind="stable")
    return AddressReports(
        frame.iloc[order].reset_index(drop=True), truth.iloc[order].reset_index(drop=True)
    )

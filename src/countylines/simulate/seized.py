"""Phones seized on arrest: the police record a runner's line phone against the runner.

A line's runner named as a suspect in one of its line's incidents may be arrested and searched:
at the scene when the incident is a weapons find (`weapons_possession`: the suspect was stopped
with the weapon), or later, with probability `Params.suspect_later_arrest_share`, when it is a
robbery or an assault (a named suspect is arrested some days on, 1 to 14, while still working
the line). The runner phone the suspect carries is then seized with probability
`Params.arrest_phone_seized_share` and its number recorded against the person (the writer puts
the person in `subscribers.person_id`). Victims, rival runners and people named in public-order
incidents are never searched, and an arrest after the period or after the phone's last day is
not in the case. The draws come from a random stream of their own (`STREAM`), so with the share
at 0 the case is exactly the case without seizures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from countylines.simulate.identifiers import person_ids
from countylines.simulate.world import DAY_S, World

STREAM = (0, 8)
"""The spawn key of this module's random stream (`reports.py` has (0, 2))."""
LATER_ARREST_DAYS = (1, 14)
"""A named robbery or assault suspect is arrested this many days after the incident (uniform)."""


@dataclass
class Suspects:
    """The named runners (phone ids) of the line that caused one incident."""

    incident_id: str
    t: int  # seconds from the start of the period
    category: str
    line_id: str
    phones: list[int]


def seize_phones(world: World, incidents: list[Suspects]) -> pd.DataFrame:
    """Phones seized on arrest, in incident order: number, person_id, line_id, incident_id, time.

    Each number is seized at most once (its first seizure). Also fills `world.seized_phones`
    (phone id -> person id) for the writer's `subscribers.csv`.
    """
    p = world.params
    rng = np.random.default_rng(np.random.SeedSequence(p.seed, spawn_key=STREAM))
    ph = world.phone
    rows = []
    for inc in incidents:
        if inc.category == "weapons_possession":
            t = inc.t
        elif inc.category in ("robbery", "violence"):
            if rng.random() >= p.suspect_later_arrest_share:
                continue
            t = inc.t + int(rng.integers(*LATER_ARREST_DAYS, endpoint=True)) * DAY_S
        else:
            continue
        for phone in inc.phones:
            seized = rng.random() < p.arrest_phone_seized_share
            live = ph["start_day"][phone] * DAY_S <= t < ph["end_day"][phone] * DAY_S
            if seized and live and t < world.days * DAY_S and phone not in world.seized_phones:
                world.seized_phones[phone] = int(ph["person"][phone])
                rows.append((phone, inc.line_id, inc.incident_id, t))
    phones = np.array([r[0] for r in rows], dtype=np.int64)
    return pd.DataFrame(
        {
            "number": ph["number"][phones],
            "person_id": person_ids(ph["person"][phones]),
            "line_id": [r[1] for r in rows],
            "incident_id": [r[2] for r in rows],
            "time": pd.Timestamp(p.start, tz="UTC") + pd.to_timedelta([r[3] for r in rows], "s"),
        }
    )

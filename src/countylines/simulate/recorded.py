"""Recorded vulnerabilities of people the lines do not exploit: background adults and customers.

Without this, only the lines' victims and adult runners have a recorded mental-health need or
drug debt, which makes a vulnerable occupant near a line's base almost proof of cuckooing. The
default shares are realistic recording rates (see `Params` and docs/simulator.md); with every
share 0 nobody else has a record. The draws come from a random stream of their own. Only risk
factors still unknown (-1) are set: the victims' own records (set when their homes are taken
over) stay as they are.
"""

from __future__ import annotations

import numpy as np

from countylines.simulate.lines import Line
from countylines.simulate.world import World

STREAM = (0, 1)
"""The spawn key of this module's random stream (each simulated day's key is `(day,)`)."""


def record_vulnerabilities(world: World, lines: list[Line]) -> None:
    """Set `mental_health` and `drug_use` of background adults and `mental_health` and
    `debt_bondage` of customers who are not victims to 1 with the `Params` shares (after
    `world.freeze`)."""
    p, person = world.params, world.person
    shares = (
        ("background", "mental_health", p.bg_mental_health_share),
        ("background", "drug_use", p.bg_drug_use_share),
        ("customer", "mental_health", p.customer_mental_health_share),
        ("customer", "debt_bondage", p.customer_drug_debt_share),
    )
    if not any(share for _, _, share in shares):
        return
    rng = np.random.default_rng(np.random.SeedSequence(p.seed, spawn_key=STREAM))
    victims = world.address["occupant"][[a for line in lines for a, _ in line.cuckoo]]
    free = np.ones(len(person["kind"]), dtype=bool)
    free[victims] = False
    for kind, factor, share in shares:
        chosen = (person["kind"] == kind) & free & (rng.random(len(free)) < share)
        person[factor][chosen & (person[factor] == -1)] = 1

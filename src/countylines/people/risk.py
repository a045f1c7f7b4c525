"""Exploitation risk per person: transparent points, every contribution shown.

Plain pandas in and out. A person's score is the sum of the points of the facts known about
them (`POINTS`). A risk factor that is recorded `true` adds its points; one that is empty in the
case is *unknown*: it adds nothing and is listed as unknown, never read as "no" (`false`,
"checked, not present", adds nothing either, and is not listed).

Age: from `birth_year` against the first year of the case period (the events), `age` is the age
reached in that year. A child is under 18 at the start of the period: `yes` when age <= 17,
`possibly` at 18 (17 on 1 January if the birthday comes later), `no` from 19, `unknown` without a
birth year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POINTS = {
    "child": 2,
    "possibly_child": 1,
    "mental_health": 1,
    "drug_use": 1,
    "debt_bondage": 2,
    "known_to_care": 1,
    "missing": 1,
    "missing_repeat": 2,
    "runner": 5,
    "cuckooed_occupant": 4,
    "line_contact": 1,
    "found_in_line_town": 2,
    "line_violence": 2,
    "reported_at_home": 1,
    "runner_phone_home": 1,
}
"""Points per fact. Runner: a runner number is linked to the person; cuckooed_occupant: the
person occupies a suspected cuckooed home; line_contact: a number registered to the person was
in contact with a deal line or runner; found_in_line_town: found, during a missing episode, near
a cell where a line's phones dwell or its customers buy; line_violence: named in 2 or more
violent incidents near such a cell; reported_at_home: a report of dealing or callers at the
person's home; runner_phone_home: the person's home is served by the cell a runner number
lives on (its most used cell), one of the homes that cell serves; missing: one or two missing
episodes, missing_repeat: three or more."""
WORDS = {
    "child": "child (under 18)",
    "possibly_child": "possibly a child (17 or 18 at the start of the period)",
    "mental_health": "mental-health need",
    "drug_use": "drug use",
    "debt_bondage": "drug debt / debt bondage",
    "known_to_care": "known to care services",
    "line_violence": "named in violence near a line's base",
    "reported_at_home": "reports of dealing or callers at home",
    "runner_phone_home": "home served by a runner phone's usual cell",
}
FACTORS = ("mental_health", "drug_use", "debt_bondage", "known_to_care")
BANDS = ((18, "under 18"), (25, "18-24"), (45, "25-44"), (65, "45-64"))


def ages(birth_year: pd.Series, period_year: int) -> pd.DataFrame:
    """(age, age_band, child) for each birth year (see the module docstring)."""
    age = period_year - pd.to_numeric(birth_year, errors="coerce")
    band = pd.Series("65+", index=birth_year.index, dtype=object)
    for upper, name in reversed(BANDS):
        band[age < upper] = name
    band[age.isna()] = "unknown"
    child = np.select([age.isna(), age <= 17, age == 18], ["unknown", "yes", "possibly"], "no")
    return pd.DataFrame({"age": age.astype("Int64"), "age_band": band, "child": child})


def score_persons(persons: pd.DataFrame, period_year: int, evidence: pd.DataFrame) -> pd.DataFrame:
    """Score every person. `evidence` has one row per (person_id, fact, detail) for the facts
    `runner`, `cuckooed_occupant`, `line_contact`, `found_in_line_town` (a fact counts once per
    person; the details are joined). Returns persons with age, age_band, child, score, reasons
    (each contribution with its points), unknown (the risk factors not recorded), evidence,
    facts (the set of facts) and missing (episode count)."""
    out = persons[["person_id", "sex"]].copy()
    out = out.join(ages(persons["birth_year"], period_year))
    n_missing = pd.to_numeric(persons["missing_episodes"], errors="coerce").astype(float)
    facts: list[list[str]] = [[] for _ in range(len(persons))]
    unknown: list[list[str]] = [[] for _ in range(len(persons))]
    for i, c in enumerate(out["child"]):
        if c == "yes":
            facts[i].append("child")
        elif c == "possibly":
            facts[i].append("possibly_child")
    for factor in FACTORS:
        values = persons[factor].astype(object).to_numpy()
        for i, v in enumerate(values):
            if v is True:
                facts[i].append(factor)
            elif v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                unknown[i].append(factor)
    for i, n in enumerate(n_missing):
        if n >= 3:
            facts[i].append("missing_repeat")
        elif n >= 1:
            facts[i].append("missing")
        elif pd.isna(n):
            unknown[i].append("missing_episodes")
    row_of = {p: i for i, p in enumerate(persons["person_id"])}
    details: dict[int, list[str]] = {}
    for person, fact, detail in evidence[["person_id", "fact", "detail"]].itertuples(index=False):
        if person not in row_of:
            continue
        at = row_of[person]
        if fact not in facts[at]:
            facts[at].append(fact)
        details.setdefault(at, []).append(str(detail))
    out["score"] = [sum(POINTS[f] for f in fs) for fs in facts]
    out["reasons"] = [
        "; ".join(f"{_word(f, n)} +{POINTS[f]}" for f in sorted(fs, key=lambda f: -POINTS[f]))
        for fs, n in zip(facts, n_missing, strict=True)
    ]
    out["unknown"] = [";".join(u) for u in unknown]
    out["evidence"] = [" | ".join(details.get(i, [])) for i in range(len(persons))]
    out["facts"] = pd.Series([set(fs) for fs in facts], index=out.index, dtype=object)
    out["missing"] = n_missing.fillna(0).astype(int).to_numpy()
    return out


def _word(fact: str, n_missing: float) -> str:
    if fact in ("missing", "missing_repeat"):
        return f"{int(n_missing)} missing episode{'' if n_missing == 1 else 's'}"
    return WORDS.get(fact, fact.replace("_", " "))

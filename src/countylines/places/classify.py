"""Classes, driving factors and suggested measures per area.

Class: `infiltrated` when a line worked the area in any month of the data; otherwise by the
relative risk `score` (the model's expected risk over its mean across all areas):
`heightened risk` at `HEIGHTENED` or more, `elevated` at `ELEVATED` or more, else `lower`. The
driving factors of an area are the chosen factors that raise its risk by at least
`DRIVER_MIN_RR` (exp(beta * z)), strongest first; each suggests the measures in `MEASURES`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from countylines.places.indicators import Indicator

CLASSES = ("infiltrated", "heightened risk", "elevated", "lower")
HEIGHTENED = 2.0
ELEVATED = 1.0
DRIVER_MIN_RR = 1.2

MEASURES: dict[str, str] = {
    "deprivation": "partnership problem-solving with housing, health and social services",
    "cuckooing": "cuckooing-prevention visits to vulnerable tenants",
    "care": "safeguarding for children placed in care (placement checks, return interviews)",
    "missing": "return-home interviews and missing-person risk reviews",
    "drugs": "drug treatment outreach and targeted drug enforcement",
    "weapons": "weapon sweeps and knife-crime education in schools",
    "violence": "hot-spot patrols and violence-reduction partnership work",
    "station": "station and British Transport Police presence",
    "rail": "British Transport Police operations on rail routes from the hubs",
    "road": "taxi and private-hire licensing checks and ANPR on roads from the hubs",
    "contagion": "joint tasking with neighbouring areas where lines already operate",
}
"""Measure keys (`Indicator.measure`) and what to do about them."""

CONTAGION = Indicator(
    "lines in neighbouring areas", "share of neighbouring areas infiltrated (0-1)",
    "higher: lines next door", False, "contagion")  # fmt: skip


def classify(score: pd.Series, infiltrated: pd.Series) -> pd.Series:
    """Class of each area from its relative-risk `score` and whether it is `infiltrated`. The
    areas not yet infiltrated are compared with each other: their score over the mean score of
    the areas not yet infiltrated (infiltrated areas, usually the largest towns, would otherwise
    set a bar that almost no other area reaches)."""
    free = ~infiltrated.astype(bool)
    base = float(score[free].mean()) if free.any() else 0.0
    rel = score / base if base > 0 else score
    cls = np.where(rel >= HEIGHTENED, CLASSES[1], np.where(rel >= ELEVATED, CLASSES[2],
                                                           CLASSES[3]))  # fmt: skip
    return pd.Series(np.where(free, cls, CLASSES[0]), index=score.index)


def drivers(
    contributions: pd.DataFrame, relative_risk: pd.Series, meaning: dict[str, Indicator]
) -> tuple[pd.Series, pd.Series]:
    """(`factors`, `measures`) text per area: each driving factor as "high drug offences
    (x1.6)" ("low" when the factor lowers risk, exp(beta) < 1, and the area is below average),
    strongest first, joined by "; "; and the distinct measures they suggest, joined by ";"."""
    names = list(contributions.columns)
    values = contributions.to_numpy(float)
    words = [f"{'high' if relative_risk[n] > 1 else 'low'} {meaning[n].label}" for n in names]
    measure = [MEASURES.get(meaning[n].measure or "", "") for n in names]
    order = np.argsort(-values, axis=1, kind="stable")
    strong = np.exp(values) >= DRIVER_MIN_RR
    factor_text, measure_text = [], []
    for i in range(len(values)):
        keep = [j for j in order[i] if strong[i, j]]
        factor_text.append("; ".join(f"{words[j]} (x{np.exp(values[i, j]):.1f})" for j in keep))
        chosen = dict.fromkeys(measure[j] for j in keep if measure[j])
        measure_text.append(";".join(chosen))
    index = contributions.index
    return pd.Series(factor_text, index=index), pd.Series(measure_text, index=index)

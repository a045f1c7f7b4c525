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
    """Class of each area from its relative-risk `score` and whether it is `infiltrated`."""
    cls = np.where(score >= HEIGHTENED, CLASSES[1], np.where(score >= ELEVATED, CLASSES[2],
                                                             CLASSES[3]))  # fmt: skip
    return pd.Series(np.where(infiltrated, CLASSES[0], cls), index=score.index)


def drivers(
    contributions: pd.DataFrame, relative_risk: pd.Series, meaning: dict[str, Indicator]
) -> tuple[pd.Series, pd.Series]:
    """(`factors`, `measures`) text per area: each driving factor as "high drug offences
    (x1.6)" ("low" when the factor lowers risk, exp(beta) < 1, and the area is below average),
    strongest first, joined by "; "; and the
    distinct measures they suggest, joined by ";"."""
    factor_text, measure_text = [], []
    for _, row in contributions.iterrows():
        strong = row[np.exp(row) >= DRIVER_MIN_RR].sort_values(ascending=False)
        parts, measures = [], []
        for name, value in strong.items():
            info = meaning[str(name)]
            side = "high" if relative_risk[name] > 1 else "low"
            parts.append(f"{side} {info.label} (x{np.exp(value):.1f})")
            if info.measure and MEASURES[info.measure] not in measures:
                measures.append(MEASURES[info.measure])
        factor_text.append("; ".join(parts))
        measure_text.append(";".join(measures))
    return (pd.Series(factor_text, index=contributions.index),
            pd.Series(measure_text, index=contributions.index))  # fmt: skip

"""The simulator backtest: fit on the first months of a simulated case, score the new
infiltrations of the later months, beside baselines from the same run.

The model sees only the case before the cut-off (`PlaceSettings.before`; undated person tables
are left out). The outcome of each area is whether it (its neighbourhood in the ground truth;
its town for a case simulated before neighbourhoods) is infiltrated in a month at or after the
cut-off although it was not before (a new infiltration); areas infiltrated before the cut-off
are left out of the scoring. The truth is handed in by the
caller (`evaluate.places_truth`): nothing here reads `truth/`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from countylines.places.backtest import compare
from countylines.places.pipeline import PlacesResult

BASELINES = ("last_period", "imd", "population")


def _imd(areas: pd.DataFrame) -> pd.Series:
    """IMD alone: minus the first IMD rank/decile column (1 = most deprived), else the first
    IMD score column; NaN (no baseline) without one."""
    for column in areas.columns:
        if re.search(r"imd.*(rank|decile)", column, re.IGNORECASE):
            return -areas[column].astype(float)
    for column in areas.columns:
        if re.search(r"imd.*score", column, re.IGNORECASE):
            return areas[column].astype(float)
    return pd.Series(np.nan, index=areas.index)


def candidate_scores(result: PlacesResult, truth: pd.DataFrame, fit_months: int) -> pd.DataFrame:
    """Per area not infiltrated in truth months < `fit_months`: `area_m2`, `outcome` (1 if it
    is infiltrated at or after), and the scores `model`, `last_period` (drug and
    weapon-possession offences over the fitted months, per area), `imd` and `population`.
    The unit is the truth's: the area when it has `area_id` (neighbourhoods), else the town
    (every area of a town infiltrated before is left out; cases simulated before
    neighbourhoods)."""
    areas = result.areas
    unit = "area_id" if "area_id" in truth.columns else "town"
    before = set(truth.loc[truth["month"] < fit_months, unit])
    after = set(truth.loc[truth["month"] >= fit_months, unit])
    keep = ~areas[unit].isin(before)
    pop = areas["population"].astype(float) if "population" in areas else np.nan
    rates = sum(
        (areas[c].fillna(0.0) for c in ("drugs_per_1000", "weapons_possession_per_1000")
         if c in areas),
        start=pd.Series(0.0, index=areas.index),
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "area_id": areas["area_id"],
            "town": areas["town"],
            "area_m2": areas.geometry.area,
            "outcome": areas[unit].isin(after).astype(int),
            "model": areas["expected_lines"].astype(float),
            "last_period": rates * pop,
            "imd": _imd(areas),
            "population": pop,
        }
    )
    return frame[keep.to_numpy()].reset_index(drop=True)


def metrics(frames: list[pd.DataFrame], extra: tuple[str, ...] = ()) -> dict[str, object]:
    """Pooled metrics over several cases' `candidate_scores` (each score turned into its
    percentile rank within its own case, so cases pool into one ranking), and per case;
    `extra`: more score columns of the frames to measure beside the model and baselines."""
    names = ["model", *BASELINES, *extra]
    ranked = [f.assign(**{n: f[n].rank(pct=True) for n in names}) for f in frames]
    pooled = pd.concat(ranked, ignore_index=True)
    usable = [n for n in names if pooled[n].notna().all()]
    per_case = [compare({n: f[n] for n in usable}, f["area_m2"], f["outcome"]) for f in frames]
    return {
        "cases": len(frames),
        "candidates": len(pooled),
        "new_infiltrations": int(pooled["outcome"].sum()),
        "pooled": compare({n: pooled[n] for n in usable}, pooled["area_m2"], pooled["outcome"]),
        "per_case": per_case,
    }

"""Hit rate, Predictive Accuracy Index and AUC of risk scores, beside baselines.

Generic: every function takes per-unit `scores` (higher = more risk), unit areas in square metres
and `outcomes` (counts of what happened in each unit; AUC uses outcome > 0), so the same code
scores the simulator backtest and a real-data one.

Units are taken in order of score (ties in the given order) until a share `p` of the total area is
covered; the unit that crosses the limit counts in proportion to the part of its area inside it.
Hit rate = share of all outcomes inside; PAI = hit rate / p (1 is no better than chance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

SHARES = (0.05, 0.10, 0.20)
Values = Sequence[float] | np.ndarray | pd.Series


def _arrays(*values: Values) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    if len({len(a) for a in arrays}) != 1:
        raise ValueError("scores, areas and outcomes must have the same length")
    return arrays


def hit_rate(scores: Values, area_m2: Values, outcomes: Values, share: float) -> float:
    """Share of outcomes in the highest-scoring units covering `share` of the area."""
    s, a, o = _arrays(scores, area_m2, outcomes)
    if o.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    order = np.argsort(-s, kind="stable")
    a, o = a[order], o[order]
    budget = share * a.sum()
    before = np.concatenate([[0.0], np.cumsum(a)[:-1]])
    inside = np.clip((budget - before) / np.where(a > 0, a, 1.0), 0.0, 1.0)
    return float((inside * o).sum() / o.sum())


def pai(scores: Values, area_m2: Values, outcomes: Values, share: float) -> float:
    """Predictive Accuracy Index: hit rate over the share of area searched."""
    return hit_rate(scores, area_m2, outcomes, share) / share


def auc(scores: Values, outcomes: Values) -> float:
    """Area under the ROC curve for outcome > 0 (ties count one half); NaN with one class."""
    s, o = _arrays(scores, outcomes)
    positive = o > 0
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def compare(
    scores: Mapping[str, Values],
    area_m2: Values,
    outcomes: Values,
    shares: Sequence[float] = SHARES,
) -> dict[str, dict[str, float]]:
    """{score name: {hit_rate_5, pai_5, ..., auc}} for the model and each baseline."""
    result = {}
    for name, values in scores.items():
        row = {}
        for p in shares:
            pct = round(p * 100)
            row[f"hit_rate_{pct}"] = round(hit_rate(values, area_m2, outcomes, p), 4)
            row[f"pai_{pct}"] = round(pai(values, area_m2, outcomes, p), 4)
        row["auc"] = round(auc(values, outcomes), 4)
        result[name] = row
    return result

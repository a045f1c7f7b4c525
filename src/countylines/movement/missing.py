"""Linking missing children to runner phones: a child reported missing and found in a market
town, while one of a line's runner phones was seen there, episode after episode.

For each missing episode with a found place, a line's runner phone *matches* when at least
`MIN_NEAR_SHARE` of its sightings between the episode's start and end (at least
`MIN_SIGHTINGS` of them) are within `NEAR_M` of the found place, it was seen more than
`AWAY_M` from there in the `ARRIVED_S` before the start (it travelled there, as the child did;
a phone that stays in the town does not match) and again in the `LEFT_S` after the end (it
went home when the child was found: one of the dozen lines working a busy town has a runner
phone that arrived before some child's episode by chance, but rarely one that also leaves
just after it). A person is linked to the line
whose runners match the most of their episodes, when that is at least `MIN_EPISODES` episodes
and at least `MIN_EPISODE_SHARE` of the person's episodes. Distances in British National Grid
metres.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

NEAR_M = 3_000.0
MIN_SIGHTINGS = 3
MIN_NEAR_SHARE = 0.6
MIN_EPISODES = 2
MIN_EPISODE_SHARE = 0.5
AWAY_M = 20_000.0
ARRIVED_S = 14 * 3600
LEFT_S = 12 * 3600


def _count(x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, px: np.ndarray,
           py: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:  # fmt: skip
    """For each window [lo, hi) of the points (`x`, `y`), how many of its points pass `test` on
    their distance (metres) to the window's place (`px`, `py`)."""
    n = hi - lo
    window = np.repeat(np.arange(len(n)), n)
    idx = np.repeat(lo, n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    d = np.hypot(x[idx] - px[window], y[idx] - py[window])
    return np.bincount(window, weights=test(d), minlength=len(n))


def link_missing(episodes: pd.DataFrame, sightings: pd.DataFrame) -> pd.DataFrame:
    """line_id, person_id, n_episodes. `episodes`: person_id, start, end, x, y; `sightings`:
    line_id, number, t, x, y (runner phones)."""
    columns = ["line_id", "person_id", "n_episodes"]
    if episodes.empty or sightings.empty:
        return pd.DataFrame(columns=columns)
    episodes = episodes.reset_index(drop=True)
    start, end = episodes["start"].to_numpy(float), episodes["end"].to_numpy(float)
    ex, ey = episodes["x"].to_numpy(float), episodes["y"].to_numpy(float)
    who = episodes["person_id"].to_numpy()
    rows = []
    for (line, number), seen in sightings.sort_values("t").groupby(["line_id", "number"]):
        t, x, y = (seen[c].to_numpy(float) for c in ("t", "x", "y"))
        before = np.searchsorted(t, start - ARRIVED_S)
        lo = np.searchsorted(t, start)
        hi = np.searchsorted(t, end, side="right")
        after = np.searchsorted(t, end + LEFT_S, side="right")
        e = np.flatnonzero(hi - lo >= MIN_SIGHTINGS)
        near = _count(x, y, lo[e], hi[e], ex[e], ey[e], lambda d: d <= NEAR_M)
        came = _count(x, y, before[e], lo[e], ex[e], ey[e], lambda d: d > AWAY_M)
        left = _count(x, y, hi[e], after[e], ex[e], ey[e], lambda d: d > AWAY_M)
        for k in e[(near / (hi[e] - lo[e]) >= MIN_NEAR_SHARE) & (came > 0) & (left > 0)]:
            rows.append((line, who[k], k, number))
    if not rows:
        return pd.DataFrame(columns=columns)
    hits = pd.DataFrame(rows, columns=["line_id", "person_id", "episode", "number"])
    per = hits.drop_duplicates(["line_id", "person_id", "episode"])
    counts = per.groupby(["person_id", "line_id"]).size().rename("n_episodes").reset_index()
    total = episodes.groupby("person_id").size()
    counts["share"] = counts["n_episodes"] / counts["person_id"].map(total)
    counts = counts.sort_values(
        ["person_id", "n_episodes", "line_id"], ascending=[True, False, True]
    )
    best = counts.drop_duplicates("person_id")
    best = best[(best["n_episodes"] >= MIN_EPISODES) & (best["share"] >= MIN_EPISODE_SHARE)]
    return best[columns].reset_index(drop=True)

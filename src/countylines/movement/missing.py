"""Linking missing children to runner phones: a child reported missing and found in a market
town, while one of a line's runner phones was seen there, episode after episode.

For each missing episode with a found place, a line's runner phone *matches* when at least
`MIN_NEAR_SHARE` of its sightings between the episode's start and end (at least
`MIN_SIGHTINGS` of them) are within `NEAR_M` of the found place, and it was seen more than
`AWAY_M` from there in the `ARRIVED_S` before the start (it travelled there, as the child did;
a phone that stays in the town does not match). A person is linked to the line
whose runners match the most of their episodes, when that is at least `MIN_EPISODES` episodes
and at least `MIN_EPISODE_SHARE` of the person's episodes. Distances in British National Grid
metres.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NEAR_M = 3_000.0
MIN_SIGHTINGS = 3
MIN_NEAR_SHARE = 0.6
MIN_EPISODES = 2
MIN_EPISODE_SHARE = 0.5
AWAY_M = 20_000.0
ARRIVED_S = 14 * 3600


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
        for e in np.flatnonzero(hi - lo >= MIN_SIGHTINGS):
            d = np.hypot(x[lo[e] : hi[e]] - ex[e], y[lo[e] : hi[e]] - ey[e])
            came = np.hypot(x[before[e] : lo[e]] - ex[e], y[before[e] : lo[e]] - ey[e])
            if (d <= NEAR_M).mean() >= MIN_NEAR_SHARE and (came > AWAY_M).any():
                rows.append((line, who[e], e, number))
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

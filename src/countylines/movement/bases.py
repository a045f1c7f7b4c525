"""The line's places and times in its market towns: where its runner phones spend the night
(its local base, often a cuckooed home) and the days they are there.

`base_evidence` gives the evidence kind `base_near`: an incident whose nearest cell is one of a
line's night cells in the town, on a day when the line's runner phones are in the town (the day
before to the day after). In `attribute` it only helps pick the *other side* of an incident
already attributed to a line (a fight at one line's base involves that line); it never
attributes an incident by itself. Coordinates in British National Grid (EPSG:27700) metres;
times in seconds since 1970 (UTC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NIGHT_HOURS = range(0, 6)
"""Hours (UTC) whose sightings say where a runner phone spends the night."""
BASE_SHARE = 0.2
"""A line's night cell in a town is a base when it holds at least this share of the line's
night sightings there."""
ACTIVE_DAYS = 1
"""A line works a town on a day when its runner phones are seen there within this many days."""
DAY_S = 86_400
COLUMNS = ["incident_id", "line_id", "kind", "detail"]


def night_bases(seen: pd.DataFrame) -> set[tuple[str, str, str]]:
    """(line_id, town, cell_id) of each line's night cells in its towns. `seen`: line_id, t (s),
    cell_id, town (the area holding the cell, "" for none) of its runner phones' sightings."""
    hour = (seen["t"] // 3600 % 24).astype(int)
    night = seen[hour.isin(NIGHT_HOURS) & (seen["town"] != "")]
    n = night.groupby(["line_id", "town", "cell_id"]).size().rename("n").reset_index()
    n = n[n["n"] >= BASE_SHARE * n.groupby(["line_id", "town"])["n"].transform("sum")]
    return set(zip(n["line_id"], n["town"], n["cell_id"], strict=True))


def nearest_cells(x: np.ndarray, y: np.ndarray, cells: pd.DataFrame) -> np.ndarray:
    """The cell_id of the cell nearest each point (`cells`: cell_id, x, y), in blocks."""
    cx, cy = cells["x"].to_numpy(float), cells["y"].to_numpy(float)
    out = np.empty(len(x), dtype=object)
    for i in range(0, len(x), 2000):
        d = np.hypot(x[i : i + 2000, None] - cx, y[i : i + 2000, None] - cy)
        out[i : i + 2000] = cells["cell_id"].to_numpy()[d.argmin(axis=1)]
    return out


def base_evidence(
    incidents: pd.DataFrame, towns: pd.DataFrame, seen: pd.DataFrame, cells: pd.DataFrame
) -> pd.DataFrame:
    """`base_near` rows: incidents in a line's market town (`towns`: `town_evidence` rows, the
    town in `detail`) whose nearest cell is one of the line's night cells there, the line's
    runner phones in the town within `ACTIVE_DAYS` of the incident. `incidents`: incident_id,
    t, x, y; `seen`: line_id, t, cell_id, town; `cells`: cell_id, x, y."""
    if towns.empty or seen.empty or cells.empty:
        return pd.DataFrame(columns=COLUMNS)
    bases = night_bases(seen)
    days = seen.loc[seen["town"] != "", ["line_id", "town"]].assign(day=seen["t"] // DAY_S)
    active = set(zip(days["line_id"], days["town"], days["day"].astype(int), strict=True))
    place = incidents[["incident_id", "t", "x", "y"]]
    place = place[place["incident_id"].isin(set(towns["incident_id"]))]
    cell = dict(zip(place["incident_id"], nearest_cells(place["x"].to_numpy(float),
                                                         place["y"].to_numpy(float), cells),
                    strict=True))  # fmt: skip
    day = dict(zip(place["incident_id"], (place["t"] // DAY_S).astype(int), strict=True))
    hits = [
        (ln, town, cell[i]) in bases
        and any((ln, town, day[i] + k) in active for k in range(-ACTIVE_DAYS, ACTIVE_DAYS + 1))
        for i, ln, town in zip(towns["incident_id"], towns["line_id"], towns["detail"],
                               strict=True)
    ]  # fmt: skip
    found = towns[np.asarray(hits, dtype=bool)]
    return found.assign(kind="base_near")[COLUMNS]

"""Linking phone numbers to persons, with the evidence stated.

Three kinds of evidence, strongest first (plain pandas in and out):

* `subscriber`: a subscriber check names the person for the number itself;
* `handset`: the number was used in a handset (IMEI) that a number registered to the person also
  used;
* `missing_episode`: while the person was missing, the phone was away from its usual cell and
  near where the person was found (co-location in time and place).

A number is linked to one person only: when the best evidence names several people equally,
the number stays unlinked and the candidates are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from countylines.people.dwell import usual_cells
from countylines.people.geo import distance_m

LINK_COLUMNS = ["number", "person_id", "link", "link_evidence"]


@dataclass(frozen=True)
class LinkSettings:
    """Distances (metres) and counts of the co-location link."""

    found_within_m: float = 3_000.0
    """The phone's mean position during the episode is at most this far from where the person
    was found."""
    away_from_home_m: float = 10_000.0
    """... and at least this far from the phone's most used cell."""
    min_events: int = 2
    """Events of the phone during the episode needed to place it."""


def by_subscriber(numbers: list[str], subscribers: pd.DataFrame) -> pd.DataFrame:
    """Links from subscriber checks (`subscribers`: number, person_id)."""
    hit = subscribers[subscribers["number"].isin(numbers)]
    return pd.DataFrame(
        {
            "number": hit["number"],
            "person_id": hit["person_id"],
            "link": "subscriber",
            "link_evidence": "subscriber check names the person",
        }
    )


def by_handset(shared: pd.DataFrame, subscribers: pd.DataFrame) -> pd.DataFrame:
    """Links through a shared handset (`shared`: number, other, imei) to a number whose
    subscriber is known."""
    hit = shared.merge(subscribers, left_on="other", right_on="number", suffixes=("", "_s"))
    return pd.DataFrame(
        {
            "number": hit["number"],
            "person_id": hit["person_id"],
            "link": "handset",
            "link_evidence": "handset " + hit["imei"] + " also used by " + hit["other"]
            + ", registered to the person",
        }
    )  # fmt: skip


def by_missing_episode(
    positions: pd.DataFrame,
    episodes: pd.DataFrame,
    homes: pd.DataFrame,
    s: LinkSettings,
) -> pd.DataFrame:
    """Links by co-location during missing episodes.

    `positions` (episode, number, n, lat, lon): where each phone was during each episode;
    `episodes` (episode, person_id, found_lat, found_lon); `homes` (number, lat, lon): each
    phone's most used cell."""
    if positions.empty or homes.empty or episodes.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    m = positions[positions["n"] >= s.min_events].merge(episodes, on="episode")
    m = m.dropna(subset=["found_lat", "found_lon"]).merge(
        homes, on="number", suffixes=("", "_home")
    )
    if m.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    near = distance_m(m["lat"], m["lon"], m["found_lat"], m["found_lon"]) <= s.found_within_m
    away = distance_m(m["lat"], m["lon"], m["lat_home"], m["lon_home"]) >= s.away_from_home_m
    hits = m[near & away].groupby(["number", "person_id"], as_index=False).size()
    return pd.DataFrame(
        {
            "number": hits["number"],
            "person_id": hits["person_id"],
            "link": "missing_episode",
            "link_evidence": [
                f"away from its usual cell and near where the person was found in {n} missing "
                f"episode{'' if n == 1 else 's'}"
                for n in hits["size"]
            ],
            "weight": hits["size"],
        }
    )


def best_links(candidates: list[pd.DataFrame]) -> pd.DataFrame:
    """One person per number: the first kind of evidence in `candidates` that names anyone,
    and within it the person with the most weight (ties leave the number unlinked, with the
    candidates in the evidence)."""
    rows = []
    done: set[str] = set()
    for frame in candidates:
        if frame.empty:
            continue
        f = frame if "weight" in frame else frame.assign(weight=1)
        f = f.groupby(["number", "person_id", "link"], as_index=False).agg(
            weight=("weight", "sum"), link_evidence=("link_evidence", "first")
        )
        for number, g in f.groupby("number"):
            if number in done:
                continue
            done.add(str(number))
            top = g[g["weight"] == g["weight"].max()]
            if len(top) == 1:
                rows.append(top.iloc[0][LINK_COLUMNS].tolist())
            else:
                people = ", ".join(sorted(top["person_id"]))
                rows.append([number, None, "ambiguous",
                             f"{top['link'].iloc[0]} evidence names {people} equally"])  # fmt: skip
    return pd.DataFrame(rows, columns=LINK_COLUMNS).astype({"person_id": object})


def home_positions(night_cells: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """(number, lat, lon): each number's most used cell (`night_cells` from `features`)."""
    if night_cells.empty:
        return pd.DataFrame({"number": pd.Series(dtype=object), "lat": 0.0, "lon": 0.0})
    top = usual_cells(night_cells)
    return top.merge(cells, left_on="cell", right_on="cell_id")[["number", "lat", "lon"]]

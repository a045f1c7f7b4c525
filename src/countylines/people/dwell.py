"""Where the lines' phones spend the night away from home: the dwell cells.

Plain pandas: the input is `features.night_cells` (number, cell, nights, n_night, n_all) for the
lines' numbers. A phone *dwells* at a cell when it is there on several nights, mostly at night (a
runner sleeping at a cuckooed address spends its days about the town), and the cell is far from
the phone's most used cell (its home), in metres on the British National Grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from countylines.people.geo import distance_m


@dataclass(frozen=True)
class DwellSettings:
    min_nights: int = 2
    """Distinct nights at the cell."""
    min_night_share: float = 0.5
    """Share of the phone's events at the cell that are at night (22:00-07:00 UTC)."""
    min_from_home_m: float = 5_000.0
    """Distance of the cell from the phone's most used cell."""


def usual_cells(night_cells: pd.DataFrame) -> pd.DataFrame:
    """(number, cell): each number's most used cell in `night_cells` (ties by cell id): where
    the phone lives, the cell that serves its user's home."""
    top = night_cells.sort_values(["number", "n_all", "cell"], ascending=[True, False, True])
    return top.drop_duplicates("number")[["number", "cell"]].reset_index(drop=True)


def dwell_cells(night_cells: pd.DataFrame, cells: pd.DataFrame, s: DwellSettings) -> pd.DataFrame:
    """(number, cell, nights): the cells each phone dwells at overnight, away from home.
    `cells` (cell_id, lat, lon) places them; a cell not in it is never a dwell cell."""
    if night_cells.empty:
        return pd.DataFrame(
            {"number": pd.Series(dtype=object), "cell": pd.Series(dtype=object), "nights": 0}
        )
    home = usual_cells(night_cells).set_index("number")["cell"]
    at = cells.set_index("cell_id")[["lat", "lon"]]
    here = at.reindex(night_cells["cell"]).to_numpy()
    there = at.reindex(night_cells["number"].map(home)).to_numpy()
    far = distance_m(here[:, 0], here[:, 1], there[:, 0], there[:, 1]) >= s.min_from_home_m
    share = night_cells["n_night"] / night_cells["n_all"].clip(lower=1)
    ok = (night_cells["nights"] >= s.min_nights) & (share >= s.min_night_share) & far
    return night_cells.loc[ok, ["number", "cell", "nights"]].reset_index(drop=True)

"""Positions in British National Grid (EPSG:27700, metres) and the nearest cell to a point."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_bng(lat: pd.Series | np.ndarray, lon: pd.Series | np.ndarray) -> np.ndarray:
    """(n, 2) eastings and northings in metres of WGS84 `lat`, `lon` (degrees)."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def distance_m(
    lat1: pd.Series | np.ndarray,
    lon1: pd.Series | np.ndarray,
    lat2: pd.Series | np.ndarray,
    lon2: pd.Series | np.ndarray,
) -> np.ndarray:
    """Metres between two sets of WGS84 points, row by row (on the British National Grid)."""
    a, b = to_bng(lat1, lon1), to_bng(lat2, lon2)
    return np.hypot(*(a - b).T)


def nearest_cell(points: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """For each row of `points` (lat, lon): the nearest cell of `cells` (cell_id, lat, lon) and
    its distance in metres, as columns `cell_id`, `cell_m` (None and NaN when there are no
    cells)."""
    if cells.empty or points.empty:
        return pd.DataFrame(
            {"cell_id": pd.Series([None] * len(points), dtype=object), "cell_m": np.nan},
            index=points.index,
        )
    tree = cKDTree(to_bng(cells["lat"], cells["lon"]))
    dist, idx = tree.query(to_bng(points["lat"], points["lon"]))
    return pd.DataFrame(
        {"cell_id": cells["cell_id"].to_numpy()[idx], "cell_m": dist}, index=points.index
    )

"""Places in British National Grid (EPSG:27700, metres): projecting points and naming the town
(area) that contains them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_bng(
    lat: np.ndarray | pd.Series, lon: np.ndarray | pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Easting and northing in metres of WGS84 `lat`, `lon` (degrees)."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def town_of(x: np.ndarray, y: np.ndarray, towns: pd.DataFrame) -> np.ndarray:
    """The town (area name) containing each point (EPSG:27700 metres); "" outside every area.
    `towns`: town, geometry_wkb (EPSG:27700), as `CaseTables.towns` returns."""
    out = np.full(len(x), "", dtype=object)
    if len(towns) == 0 or len(x) == 0:
        return out
    polygons = shapely.from_wkb(towns["geometry_wkb"].map(bytes).to_numpy())
    tree = shapely.STRtree(polygons)
    points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    hit_point, hit_area = tree.query(points, predicate="within")
    names = towns["town"].to_numpy(dtype=object)
    first = pd.Series(hit_area).groupby(hit_point).first()
    out[first.index.to_numpy()] = names[first.to_numpy()]
    return out

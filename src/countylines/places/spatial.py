"""Point-in-area and neighbour lookups in British National Grid (EPSG:27700, metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


def to_bng(lat: pd.Series | np.ndarray, lon: pd.Series | np.ndarray) -> gpd.GeoSeries:
    """WGS84 degrees to points in EPSG:27700."""
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat, crs=WGS84)).to_crs(BNG)


def locate(lat: pd.Series | np.ndarray, lon: pd.Series | np.ndarray, areas: gpd.GeoDataFrame
           ) -> np.ndarray:  # fmt: skip
    """The `area_id` of the area holding each point (WGS84 degrees), None outside every area;
    a point on a shared border goes to the first area by `area_id`."""
    pts = gpd.GeoDataFrame(geometry=to_bng(np.asarray(lat, float), np.asarray(lon, float)))
    out = np.full(len(pts), None, dtype=object)
    if len(pts) == 0 or areas.empty:
        return out
    joined = gpd.sjoin(pts, areas[["area_id", "geometry"]], how="inner", predicate="within")
    joined = joined.sort_values("area_id").groupby(level=0)["area_id"].first()
    out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def count_ids(area_ids: np.ndarray, areas: gpd.GeoDataFrame) -> pd.Series:
    """How often each area's id occurs in `area_ids` (from `locate`), indexed by area_id."""
    where = pd.Series(area_ids, dtype=object).dropna()
    return where.value_counts().reindex(areas["area_id"], fill_value=0).astype("int64")


def count_in_areas(points: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Number of `points` (lat, lon) in each area, indexed by area_id (0 where none)."""
    return count_ids(locate(points["lat"], points["lon"], areas), areas)


def neighbours(areas: gpd.GeoDataFrame, gap_m: float = 1.0) -> dict[str, list[str]]:
    """Areas whose polygons touch or lie within `gap_m` metres of each other, by area_id."""
    ids = areas["area_id"].astype(str).to_numpy()
    left, right = areas.sindex.query(areas.geometry.buffer(gap_m), predicate="intersects")
    result: dict[str, list[str]] = {a: [] for a in ids}
    for a, b in zip(left, right, strict=True):
        if a != b:
            result[ids[a]].append(ids[b])
    return result

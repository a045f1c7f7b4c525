"""What a line is called, where it comes from and where it sells.

Plain data in and out. Places: the hub is the case's `hubs` row nearest to the holder's most used
cell (else the deal numbers'), within `HUB_RADIUS_KM`; market towns are the areas (their `town`
column where the areas have one, else their `name`) that hold the most used cells of a large
enough share of the line's customers. Point-in-area work is done in British National Grid
(EPSG:27700, metres).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HUB_RADIUS_KM = 60.0
TOWN_MIN_SHARE = 0.1
TOWN_MIN_CUSTOMERS = 5
WORD = re.compile(r"[A-Z][A-Z0-9]{1,11}")
NOT_BRANDS = frozenset(
    {"LINE", "OPEN", "NEW", "NUMBER", "SAME", "CALL", "NOW", "ALL", "ON", "BACK", "TEXT", "OK"}
)
"""Upper-case words common in deal-line texts that are not brands."""


def brand(texts: pd.Series, counts: pd.Series | None = None) -> str | None:
    """The brand: the upper-case word in most of a line's messages (None when there is none)."""
    seen: Counter[str] = Counter()
    weights = counts if counts is not None else pd.Series(1, index=texts.index)
    for text, n in zip(texts, weights, strict=True):
        for word in set(WORD.findall(str(text))) - NOT_BRANDS:
            seen[word] += int(n)
    if not seen:
        return None
    total = int(weights.sum())
    word, n = min(seen.items(), key=lambda kv: (-kv[1], kv[0]))
    return word if n >= 0.5 * total else None


def generated_name(first_number: str) -> str:
    """A stable name for a line whose texts are unknown, from its earliest deal number."""
    return "UNBRANDED-" + hashlib.sha256(first_number.encode()).hexdigest()[:6].upper()


def _km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in kilometres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    cos = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(np.radians(lon2 - lon1))
    return 6371.0 * np.arccos(np.clip(cos, -1.0, 1.0))


def hub_of(uses: pd.DataFrame, hubs: pd.DataFrame, towns: pd.DataFrame) -> str | None:
    """The hub where a phone is. Each cell it used (`lat`, `lon`, `n` uses) votes for its
    nearest hub if that hub is within `HUB_RADIUS_KM` and either nearer than every area
    centroid of the case (`towns`: `lat`, `lon`) or the cell lies outside every area of the
    case (optional boolean column `in_area` of `uses`; absent: every cell counts as inside). So
    a large city's outer cells still count, even beside a neighbourhood of a small town of the
    case, and a cell in one of the case's own towns never does; the winner needs more than half
    of all uses. Voting over every cell, not the single most used one, keeps the edge of one
    city (which can be nearer a neighbouring hub) from deciding."""
    if hubs.empty or uses.empty:
        return None
    lat, lon = uses["lat"].to_numpy(float)[:, None], uses["lon"].to_numpy(float)[:, None]
    km = _km(lat, lon, hubs["lat"].to_numpy(float)[None, :], hubs["lon"].to_numpy(float)[None, :])
    nearest = km.argmin(axis=1)
    hub_km = km[np.arange(len(uses)), nearest]
    town_km = (
        _km(
            lat, lon, towns["lat"].to_numpy(float)[None, :], towns["lon"].to_numpy(float)[None, :]
        ).min(axis=1)
        if len(towns)
        else np.full(len(uses), np.inf)
    )
    inside = uses["in_area"].to_numpy(bool) if "in_area" in uses else np.ones(len(uses), bool)
    near = (hub_km <= HUB_RADIUS_KM) & ((hub_km < town_km) | ~inside)
    votes = np.bincount(nearest[near], weights=uses["n"].to_numpy(float)[near], minlength=len(hubs))
    if votes.max() * 2 <= uses["n"].sum():
        return None
    return str(hubs["name"].iloc[int(votes.argmax())])


def cell_towns(cells: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Town of each cell (index: cell_id) from the area polygon that contains it."""
    if areas.empty or cells.empty:
        return pd.Series(dtype=object)
    points = gpd.GeoDataFrame(
        {"cell_id": cells["cell_id"].to_numpy()},
        geometry=gpd.points_from_xy(cells["lon"], cells["lat"], crs="EPSG:4326"),
    ).to_crs(areas.crs)
    joined = gpd.sjoin(points, areas[["town", "geometry"]], how="inner", predicate="within")
    joined = joined.drop_duplicates("cell_id")
    return pd.Series(joined["town"].to_numpy(), index=joined["cell_id"].to_numpy())


def areas_frame(towns: pd.DataFrame) -> gpd.GeoDataFrame:
    """Areas as a GeoDataFrame (EPSG:27700) from `features.area_towns` (town, WKB)."""
    geometry = shapely.from_wkb(towns["geometry_wkb"].map(bytes).to_numpy())
    return gpd.GeoDataFrame({"town": towns["town"]}, geometry=geometry, crs="EPSG:27700")


def market_towns(customer_towns: pd.Series) -> list[str]:
    """Towns holding at least `TOWN_MIN_SHARE` (and `TOWN_MIN_CUSTOMERS`) of a line's customers,
    most customers first."""
    counts = customer_towns.value_counts()
    if counts.empty:
        return []
    keep = counts[(counts >= TOWN_MIN_CUSTOMERS) & (counts >= TOWN_MIN_SHARE * counts.sum())]
    return sorted(keep.index, key=lambda t: (-int(keep[t]), str(t)))

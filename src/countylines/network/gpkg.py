"""GeoPackage layers for QGIS, all in British National Grid (EPSG:27700, metres):

* `areas`: the case's areas (polygons) with their `class` and `score` from `places` when its
  `places.csv` was found (else empty);
* `market_towns`: one polygon per line and market town (the town's areas merged), with the
  line's brand and hub;
* `cuckooed_homes`: points of the suspected cuckooed homes (`people`), occupant as a token;
* `incidents`: points of every incident `violence` classified, with weapon, motive and lines;
* `journeys`: straight lines from the place a runner journey left to the place it reached
  (town centres and hubs), numbers and vehicles as tokens.

A layer with no rows is not written (QGIS cannot style an empty layer's geometry type).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from countylines.maps.write import replace_atomically
from countylines.movement.geo import to_bng
from countylines.network.network import NetworkResult

CRS = "EPSG:27700"


def _areas(result: NetworkResult) -> gpd.GeoDataFrame:
    areas = result.frames.areas
    places = result.tables["places"].drop_duplicates("area_id").set_index("area_id")
    frame = pd.DataFrame(
        {
            "area_id": areas["area_id"].astype(str),
            "name": areas["name"].astype(str),
            "town": areas["town"].astype(str),
            "class": areas["area_id"].astype(str).map(places["class"]).astype(object).fillna(""),
            "score": pd.to_numeric(
                areas["area_id"].astype(str).map(places["score"]), errors="coerce"
            ),
        }
    )
    geometry = shapely.from_wkb(areas["geometry_wkb"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def _market_towns(result: NetworkResult, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    towns = areas.dissolve(by="town")[["geometry"]] if len(areas) else areas
    lines = result.lines.explode("market_towns").dropna(subset=["market_towns"])
    lines = lines[lines["market_towns"].isin(set(towns.index))]
    brand = result.graph.nodes.set_index("node_id")["label"]
    frame = pd.DataFrame(
        {
            "line_id": lines["line_id"].to_numpy(),
            "label": ("line:" + lines["line_id"]).map(brand).to_numpy(),
            "hub": lines["hub"].to_numpy(),
            "town": lines["market_towns"].to_numpy(),
        }
    )
    geometry = towns.loc[frame["town"], "geometry"].to_numpy() if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def _points(frame: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> gpd.GeoDataFrame:
    ok = np.isfinite(x) & np.isfinite(y)
    return gpd.GeoDataFrame(
        frame[ok].reset_index(drop=True), geometry=shapely.points(x[ok], y[ok]), crs=CRS
    )


def _homes(result: NetworkResult) -> gpd.GeoDataFrame:
    homes = result.tables["cuckooed_addresses"]
    at = result.frames.addresses.drop_duplicates("address_id").set_index("address_id")
    keep = [
        c
        for c in (
            "rank",
            "address_id",
            "line_ids",
            "occupant_person_id",
            "score",
            "cell_id",
            "runner_nights",
        )
        if c in homes.columns
    ]
    x = homes["address_id"].map(at["x"]).to_numpy(dtype=float)
    y = homes["address_id"].map(at["y"]).to_numpy(dtype=float)
    return _points(homes[keep], x, y)


def _incidents(result: NetworkResult) -> gpd.GeoDataFrame:
    inc = result.tables["violence"]
    keep = [
        c
        for c in (
            "incident_id",
            "time",
            "town",
            "category",
            "weapon",
            "serious",
            "motive",
            "line_id",
            "rival_line_id",
            "score",
        )
        if c in inc.columns
    ]
    x, y = to_bng(
        pd.to_numeric(inc["lat"], errors="coerce"), pd.to_numeric(inc["lon"], errors="coerce")
    )
    return _points(inc[keep], x, y)


def _journeys(result: NetworkResult) -> gpd.GeoDataFrame:
    trips = result.tables["journeys"]
    at = result.frames.towns.drop_duplicates("town").set_index("town")
    x0, y0 = (trips["from_place"].map(at[c]).to_numpy(dtype=float) for c in ("x", "y"))
    x1, y1 = (trips["to_place"].map(at[c]).to_numpy(dtype=float) for c in ("x", "y"))
    ok = (
        np.isfinite(x0)
        & np.isfinite(y0)
        & np.isfinite(x1)
        & np.isfinite(y1)
        & ((x0 != x1) | (y0 != y1))
    )
    coords = np.stack(
        [np.column_stack([x0[ok], y0[ok]]), np.column_stack([x1[ok], y1[ok]])], axis=1
    )
    keep = [
        c
        for c in ("line_id", "number", "mode", "vrm", "from_place", "to_place", "depart", "arrive")
        if c in trips.columns
    ]
    return gpd.GeoDataFrame(
        trips.loc[ok, keep].reset_index(drop=True), geometry=shapely.linestrings(coords), crs=CRS
    )


def layers(result: NetworkResult) -> dict[str, gpd.GeoDataFrame]:
    """Every non-empty layer, by name."""
    areas = _areas(result)
    found = {
        "areas": areas,
        "market_towns": _market_towns(result, areas),
        "cuckooed_homes": _homes(result),
        "incidents": _incidents(result),
        "journeys": _journeys(result),
    }
    return {name: layer for name, layer in found.items() if len(layer)}


def write_gpkg(result: NetworkResult, path: Path) -> Path | None:
    """Write the layers into one GeoPackage at `path`, atomically; None when every layer is
    empty (nothing is written)."""
    found = layers(result)
    if not found:
        return None

    def write(tmp: Path) -> None:
        for name, layer in found.items():
            layer.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")

    replace_atomically(path, write)
    return path

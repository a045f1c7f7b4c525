"""Grouping LSOAs into built-up towns from GeoNames populated places.

The rule (all distances in British National Grid, EPSG:27700, metres):

1. Candidate towns are GeoNames places with population ≥ `min_population` (5,000) whose point
   lies in one of the areas.
2. Each candidate gets a built-up radius R = 1.25 * sqrt(P / (pi * 3,000 per km2)), at least 1 km:
   the radius of a disc holding its population at a typical English urban density, plus a
   quarter. (Telford, 155,570: 5.1 km; Hereford, 60,415: 3.2 km; 5,000: 1 km.)
3. A candidate is dropped when none of the areas within R of it (centroids), nor the area holding
   it, has at least `min_density` (5) residents per hectare: GeoNames puts a few places in the
   wrong county (a "Loughton" with the Essex town's population in rural Shropshire).
4. Largest first, a candidate whose point lies within R of a larger town already kept joins that
   town (Wellington, Hadley and Oakengates join Telford).
5. The area holding a town's point belongs to it; every other area belongs to the town
   minimising d/R among those with d ≤ R, where d is the distance from the area's centroid to
   the town's point.
6. Areas left over form one rural group per local authority: "<authority> rural".

Limits: a radius is a disc, not a built-up outline, so a town's edge LSOAs (which often reach
into countryside) may fall to the rural group, and a large town's disc may take a village close
to it; places under 5,000 people are rural; GeoNames populations are indicative.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

URBAN_DENSITY_PER_KM2 = 3_000.0
RADIUS_FACTOR = 1.25
MIN_RADIUS_M = 1_000.0


def built_up_radius(population: pd.Series) -> pd.Series:
    """Radius in metres of the built-up disc of a place of this population (step 2)."""
    people = population.astype("float64").to_numpy()
    km = RADIUS_FACTOR * np.sqrt(people / (math.pi * URBAN_DENSITY_PER_KM2))
    return pd.Series(np.maximum(km * 1000.0, MIN_RADIUS_M), index=population.index)


def rural_name(lad_name: str) -> str:
    """'Herefordshire, County of UA' → 'Herefordshire rural'."""
    name = lad_name.removesuffix(" UA").removesuffix(", County of").strip()
    return f"{name} rural"


def assign_towns(
    areas: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    min_population: int = 5_000,
    min_density: float = 5.0,
) -> tuple[pd.Series, pd.DataFrame]:
    """Town name per area (index of `areas`) and the towns kept.

    `areas`: EPSG:27700 polygons with `area_id`, `population` and `lad_name`.
    `places`: EPSG:27700 points with `name` and `population`.
    Returns (town per area, towns: `town`, `population`, `radius_m`, `x`, `y`, `centre_area`).
    """
    centroids = areas.geometry.centroid
    density = areas["population"].astype("float64") / (areas.geometry.area / 10_000.0)
    cand = places[places["population"].astype("float64") >= min_population].copy()
    cand = gpd.sjoin(cand, areas[["area_id", "geometry"]], predicate="within", how="inner")
    cand = cand.sort_values(["population", "name"], ascending=[False, True])
    cand = cand[~cand.index.duplicated(keep="first")]
    cand["radius_m"] = built_up_radius(cand["population"])
    cx, cy = centroids.x.to_numpy(), centroids.y.to_numpy()
    index_of = pd.Series(np.arange(len(areas)), index=areas["area_id"].to_numpy())
    kept: list[dict[str, object]] = []
    for row in cand.itertuples():
        x, y, r = row.geometry.x, row.geometry.y, float(row.radius_m)
        if any(math.hypot(x - k["x"], y - k["y"]) <= k["radius_m"] for k in kept):  # type: ignore[operator]
            continue
        near = np.hypot(cx - x, cy - y) <= r
        near[index_of[row.area_id]] = True
        if float(density[near].max()) < min_density:
            continue
        kept.append(
            {
                "name": str(row.name),
                "population": int(row.population),
                "radius_m": r,
                "x": x,
                "y": y,
                "centre_area": row.area_id,
                "lad": areas["lad_name"].iloc[index_of[row.area_id]],
            }
        )
    towns = pd.DataFrame(
        kept, columns=["name", "population", "radius_m", "x", "y", "centre_area", "lad"]
    )
    repeated = towns["name"].duplicated(keep=False)
    towns["town"] = towns["name"].where(
        ~repeated,
        towns["name"] + " (" + towns["lad"].map(rural_name).str.removesuffix(" rural") + ")",
    )
    town = np.array(areas["lad_name"].map(rural_name).tolist(), dtype=object)
    best = np.full(len(areas), np.inf)  # smallest d/R so far, per area
    points = gpd.GeoSeries(centroids.to_numpy(), crs=areas.crs)
    for t in towns.itertuples():
        near = points.sindex.query(Point(t.x, t.y).buffer(t.radius_m), predicate="intersects")
        ratio = np.hypot(cx[near] - t.x, cy[near] - t.y) / t.radius_m
        better = (ratio <= 1.0) & (ratio < best[near])
        best[near[better]] = ratio[better]
        town[near[better]] = t.town
    town[index_of[towns["centre_area"]].to_numpy()] = towns["town"].to_numpy()
    return pd.Series(town, index=areas.index, name="town"), towns.drop(columns=["name", "lad"])

"""Neighbourhoods inside the simulated towns: the case's `areas`, and where lines work in a town.

Each town's polygon (`Region.areas()`, EPSG:27700) is split into one neighbourhood per cell of
the town (cells are about one per 4,000 residents, 3 to 40 a town): the Voronoi cell of the
town's mobile cells inside the town polygon, so a phone whose home is a neighbourhood's cell is
placed in that neighbourhood by point-in-polygon. The town's population is shared equally (as
LSOAs are drawn to hold similar numbers of residents); each neighbourhood's deprivation is the
town's `vulnerability` plus a normal deviation of standard deviation
`Params.neighbourhood_vulnerability_sd` (the within-town sample SD, as calibrated), with
correlation `neighbourhood_density_correlation` with the neighbourhood's density (small
neighbourhoods, in the town centre, are more often deprived), centred so the town's mean is
kept, then held to 0..1.

A line working a town works `ceil(customers / Params.line_customers_per_neighbourhood)` of its
neighbourhoods, drawn without replacement with weights population x
exp(`Params.neighbourhood_vulnerability_beta` x vulnerability) (`choose`); its customers there
live in them (home cell the neighbourhood's cell, address near it). The draws come from a random
stream of their own (`STREAM`), so the rest of the world is drawn exactly as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from countylines.geography import BNG, WGS84
from countylines.simulate.region import (
    AREA_COLUMNS,
    IMD2019_LSOAS_ENGLAND,
    Region,
    _to_bng,
    area_id,
)

STREAM = (0, 5)
"""The spawn key of this module's random stream (each simulated day's key is `(day,)`)."""
ADDRESS_SPREAD_M = 300.0
"""Standard deviation (metres) of a customer's home around its neighbourhood's cell."""
NEIGHBOURHOOD_COLUMNS = (*AREA_COLUMNS, "town_population")


@lru_cache(maxsize=1)
def _to_wgs84() -> Transformer:
    return Transformer.from_crs(BNG, WGS84, always_xy=True)


@dataclass
class Neighbourhoods:
    """The neighbourhoods of every town, as arrays over neighbourhoods 0..n-1.

    `place`: the town (index into `Places`); `cell`: the cell it is built around; `x`, `y`: that
    cell in EPSG:27700 metres; `population`; `vulnerability` (0..1, higher = more deprived);
    `geometry`: polygons (EPSG:27700); `of_cell`: the neighbourhood of each cell (-1 for cells
    outside every neighbourhood: corridors, hubs); `by_place`: the neighbourhoods of each place.
    """

    place: np.ndarray
    cell: np.ndarray
    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    vulnerability: np.ndarray
    geometry: np.ndarray
    of_cell: np.ndarray
    by_place: list[np.ndarray]

    def weights(self, beta: float, members: np.ndarray) -> np.ndarray:
        """The chance of each of `members` (neighbourhood ids) being chosen by a line:
        population x exp(beta x vulnerability), normalised."""
        w = self.population[members] * np.exp(beta * self.vulnerability[members])
        return w / w.sum()


def split_town(polygon: shapely.Geometry, x: np.ndarray, y: np.ndarray) -> list[shapely.Geometry]:
    """The Voronoi cell of each point (x, y) inside `polygon`, cut to it (an empty polygon for a
    point outside it; the whole polygon when only one point is inside)."""
    points = shapely.points(x, y)
    inside = shapely.contains(polygon, points)
    out = [shapely.Polygon() for _ in points]
    idx = np.flatnonzero(inside)
    if len(idx) == 1:
        out[idx[0]] = polygon
        return out
    if len(idx) == 0:
        return out
    diagram = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points[idx]), extend_to=polygon)
    )
    for part in diagram:
        hit = idx[shapely.contains(part, points[idx])]
        if len(hit):
            piece = shapely.set_precision(shapely.intersection(part, polygon), 1.0)
            out[hit[0]] = piece if piece.is_valid else shapely.make_valid(piece)
    return out


def build_neighbourhoods(
    region: Region,
    cell_place: np.ndarray,
    cell_lat: np.ndarray,
    cell_lon: np.ndarray,
    sd: float,
    rho: float,
    rng: np.random.Generator,
) -> Neighbourhoods:
    """Split every town of `region` (places 0..len(towns)-1) by its cells (`cell_place`,
    WGS84 `cell_lat`, `cell_lon`). Deprivation deviations have standard deviation `sd` and
    correlation `rho` with density (minus the log area, standardised within the town)."""
    towns = region.areas()
    cx, cy = _to_bng().transform(cell_lon, cell_lat)
    cx, cy = np.asarray(cx), np.asarray(cy)
    of_cell = np.full(len(cell_place), -1)
    rows: list[tuple[int, int, float, float, int, float, shapely.Geometry]] = []
    by_place: list[np.ndarray] = []
    for t, town in enumerate(region.towns):
        cells = np.flatnonzero(cell_place == t)
        pieces = split_town(towns.geometry.iloc[t], cx[cells], cy[cells])
        kept = [(c, g) for c, g in zip(cells, pieces, strict=True) if not g.is_empty]
        first = len(rows)
        n = len(kept)
        shares = np.full(n, town.population // n) + (np.arange(n) < town.population % n)
        z = rng.standard_normal(n)
        if n > 1:
            log_area = np.log([max(g.area, 1.0) for _, g in kept])
            dense = -(log_area - log_area.mean()) / max(log_area.std(), 1e-9)
            z = rho * dense + np.sqrt(1 - rho**2) * z
        dev = sd * (z - z.mean()) * np.sqrt(n / (n - 1)) if n > 1 else np.zeros(n)
        vul = np.clip(town.vulnerability + dev, 0.0, 1.0)
        for j, (c, g) in enumerate(kept):
            of_cell[c] = first + j
            rows.append((t, int(c), float(cx[c]), float(cy[c]), int(shares[j]), float(vul[j]), g))
        by_place.append(np.arange(first, len(rows)))
    by_place += [np.empty(0, dtype=np.int64)] * len(region.hubs)
    cols = list(zip(*rows, strict=True))
    return Neighbourhoods(
        place=np.array(cols[0]),
        cell=np.array(cols[1]),
        x=np.array(cols[2]),
        y=np.array(cols[3]),
        population=np.array(cols[4], dtype=np.int64),
        vulnerability=np.array(cols[5]),
        geometry=np.array(cols[6], dtype=object),
        of_cell=of_cell,
        by_place=by_place,
    )


def choose(
    hoods: Neighbourhoods, town: int, customers: int, per_hood: float, beta: float,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """The neighbourhoods of `town` a line with `customers` customers there works:
    ceil(customers / `per_hood`) of them (at least 1, at most all), drawn without replacement
    by `Neighbourhoods.weights`."""
    members = hoods.by_place[town]
    k = int(np.clip(math.ceil(customers / per_hood), 1, len(members)))
    return rng.choice(members, size=k, replace=False, p=hoods.weights(beta, members))


def homes(
    hoods: Neighbourhoods, where: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) WGS84 of a home in each neighbourhood of `where`: its cell moved by a normal
    offset of `ADDRESS_SPREAD_M` metres, drawn again (up to 5 times) while outside the
    neighbourhood, else the cell itself."""
    x, y = hoods.x[where].copy(), hoods.y[where].copy()
    todo = np.arange(len(where))
    for _ in range(5):
        tx = hoods.x[where[todo]] + rng.normal(0, ADDRESS_SPREAD_M, len(todo))
        ty = hoods.y[where[todo]] + rng.normal(0, ADDRESS_SPREAD_M, len(todo))
        ok = shapely.contains_xy(hoods.geometry[where[todo]], tx, ty)
        x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
    lon, lat = _to_wgs84().transform(x, y)
    return np.asarray(lat), np.asarray(lon)


def areas_frame(region: Region, hoods: Neighbourhoods) -> gpd.GeoDataFrame:
    """The case's `areas` (EPSG:27700): one row per neighbourhood with `NEIGHBOURHOOD_COLUMNS`.

    area_id is the town's area id and a two-digit number (`telford-07`), name the town's name
    and that number; imd_rank_mean is the IMD 2019 rank the vulnerability stands for
    (1 + (1 - vulnerability) x 32,843); station_distance_m is metres from the neighbourhood's
    cell to the nearest station; hub_road_minutes and town_population are the town's.
    """
    towns = region.areas()
    stations = region.stations_table()
    sx, sy = _to_bng().transform(stations["lon"].to_numpy(), stations["lat"].to_numpy())
    station_m = np.hypot(hoods.x[:, None] - np.asarray(sx), hoods.y[:, None] - np.asarray(sy))
    number = np.concatenate([np.arange(1, len(m) + 1) for m in hoods.by_place])
    town = towns.iloc[hoods.place]
    frame = pd.DataFrame(
        {
            "area_id": [f"{area_id(n)}-{k:02d}" for n, k in zip(town["name"], number, strict=True)],
            "name": [f"{n} {k:02d}" for n, k in zip(town["name"], number, strict=True)],
            "population": hoods.population,
            "town": town["name"].to_numpy(),
            "imd_rank_mean": np.round(1 + (1 - hoods.vulnerability) * (IMD2019_LSOAS_ENGLAND - 1)),
            "vulnerability": hoods.vulnerability.round(4),
            "station_distance_m": station_m.min(axis=1).round(),
            "hub_road_minutes": town["hub_road_minutes"].to_numpy(),
            "town_population": town["population"].to_numpy(),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=list(hoods.geometry), crs=BNG)

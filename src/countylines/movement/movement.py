"""`find_movement`: vehicles of interest, runners' journeys by road and rail, and each line's
modes and routes, from ANPR reads and the cells of the lines' runner phones (`travel`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from countylines.movement import travel as tr
from countylines.movement.data import CaseTables
from countylines.movement.geo import to_bng, town_of
from countylines.movement.lineset import Lines

JOURNEY_COLUMNS = (
    "line_id", "number", "mode", "vrm", "n_vehicles", "from_place", "to_place", "depart",
    "arrive", "route",
)  # fmt: skip
LINE_TRAVEL_COLUMNS = ("line_id", "n_road", "n_rail", "vehicles", "routes")


@dataclass
class MovementResult:
    journeys: pd.DataFrame
    vehicles: pd.DataFrame
    line_travel: pd.DataFrame
    n_trips: int


def _places(db: CaseTables) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """hubs and towns (name, x, y: town centres averaged over a town's areas) and the areas."""
    hubs = db.places("hubs", "name")
    hx, hy = to_bng(hubs["lat"], hubs["lon"])
    areas = db.towns()
    towns = areas.groupby("town", as_index=False)[["x", "y"]].mean()
    return (
        pd.DataFrame({"name": hubs["name"], "x": hx, "y": hy}),
        towns.rename(columns={"town": "name"}),
        areas,
    )


def _placed(frame: pd.DataFrame, hubs: pd.DataFrame, towns: pd.DataFrame,
            areas: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """`frame` (lat, lon) with x, y (EPSG:27700), place and hub (whether the place is a hub)."""
    x, y = to_bng(frame["lat"], frame["lon"])
    place = tr.place_names(x, y, town_of(x, y, areas), hubs, towns)
    return frame.assign(
        x=x, y=y, place=place, hub=pd.Series(place).isin(set(hubs["name"])).to_numpy()
    )


def _rail_links(db: CaseTables, stations: pd.DataFrame) -> pd.DataFrame:
    """x0, y0, x1, y1 (EPSG:27700) of the case's rail links, or of every pair of `stations`
    (name, x, y) when the case has no `rail_links` table."""
    links = db.rail_links()
    if links.empty:
        return tr.station_pairs(stations)
    x0, y0 = to_bng(links["lat0"], links["lon0"])
    x1, y1 = to_bng(links["lat1"], links["lon1"])
    return pd.DataFrame({"x0": x0, "y0": y0, "x1": x1, "y1": y1})


def _iso(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds, unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _line_travel(journeys: pd.DataFrame, vehicles: pd.DataFrame, lines: Lines) -> pd.DataFrame:
    rows = []
    for line in lines.lines["line_id"]:
        mine = journeys[journeys["line_id"] == line]
        routes = mine["from_place"].replace("", "?") + ">" + mine["to_place"].replace("", "?")
        rows.append(
            {
                "line_id": line,
                "n_road": int((mine["mode"] == "road").sum()),
                "n_rail": int((mine["mode"] == "rail").sum()),
                "vehicles": ";".join(sorted(vehicles.loc[vehicles["line_id"] == line, "vrm"])),
                "routes": ";".join(f"{r} ({n})" for r, n in routes.value_counts().head(5).items()),
            }
        )
    return pd.DataFrame(rows, columns=list(LINE_TRAVEL_COLUMNS))


def find_movement(database: Path, lines: Lines) -> MovementResult:
    """Vehicles of interest, journeys and line travel from the loaded case `database`."""
    with CaseTables(database) as db:
        hubs, towns, areas = _places(db)
        reads = db.anpr()
        # cameras stand still: place each distinct position once, not each of millions of reads
        spots = _placed(reads[["lat", "lon"]].drop_duplicates(), hubs, towns, areas)
        reads = reads.merge(spots, on=["lat", "lon"], how="left")
        vehicles = db.vehicles()
        cells = _placed(db.cells(), hubs, towns, areas)
        stations = db.places("stations", "name")
        sx, sy = to_bng(stations["lat"], stations["lon"])
        stations = stations.assign(x=sx, y=sy)
        cells["corridor"] = tr.corridor_cells(cells, _rail_links(db, stations))
        runners = lines.role("runner")[["line_id", "number"]].drop_duplicates()
        seen = db.sightings(sorted(set(runners["number"]))).merge(runners, on="number")
    seen = seen.merge(cells[["cell_id", "x", "y", "place", "corridor"]], on="cell_id")
    trips = tr.vehicle_trips(reads)
    centres = pd.concat([hubs.assign(hub=True), towns.assign(hub=False)], ignore_index=True)
    carried = tr.co_travel(trips, seen, centres)
    voi = tr.vehicles_of_interest(trips, carried, vehicles, lines.lines)
    road = tr.road_journeys(trips, carried, voi)
    # a phone at a town cell next to the railway while a line's own car drove it was not on a
    # train; otherwise the train wins over the cars that kept pace with it on the road
    driven = road.merge(voi[["vrm", "line_id"]], on=["vrm", "line_id"])
    rail = tr.without_overlaps(tr.rail_journeys(seen, stations), driven)
    road = tr.without_overlaps(road, rail)
    names = set(hubs["name"])
    journeys = pd.concat([tr.through_hubs(road, names), tr.through_hubs(rail, names)],
                         ignore_index=True)  # fmt: skip
    journeys = journeys.sort_values(["line_id", "number", "depart"])
    journeys["depart"], journeys["arrive"] = _iso(journeys["depart"]), _iso(journeys["arrive"])
    journeys["n_vehicles"] = journeys["n_vehicles"].astype("Int64")  # empty for rail
    journeys = journeys[list(JOURNEY_COLUMNS)].reset_index(drop=True)
    return MovementResult(journeys, voi, _line_travel(journeys, voi, lines), len(trips))

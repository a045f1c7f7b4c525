"""Writing the places outputs and the map layers.

Files (columns in docs/places.md): `places.csv` (one row per area), `towns.csv` (one row per
town), `place_factors.csv` (every factor offered to the model, with its relative risk),
`infiltration.csv` (area, town, month, line), `places.gpkg` (layers `areas`, `towns`, `hubs`,
`stations`, `links`, EPSG:27700), the maps (`places_map.png`, a static map with legend, scale
bar and north arrow; `places_map.html`, an interactive map that works offline; and
`places_map.json`, the same map's data, which the dashboard draws) and `places_summary.txt`.
Each file is written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from countylines.maps import write_html, write_png
from countylines.maps.html import map_data
from countylines.maps.write import replace_atomically
from countylines.places.pipeline import PlacesResult
from countylines.places.spatial import BNG, to_bng


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame.drop(columns=["lat", "lon"]),
        geometry=to_bng(frame["lat"], frame["lon"]).values,
        crs=BNG,
    )


def _towns_layer(result: PlacesResult) -> gpd.GeoDataFrame:
    """The areas of each town dissolved into one (multi)polygon, with the town columns."""
    towns = result.areas[["town", "geometry"]].dissolve(by="town").reset_index()
    return gpd.GeoDataFrame(towns.merge(result.towns, on="town"), geometry="geometry", crs=BNG)


def map_layers(result: PlacesResult) -> dict[str, gpd.GeoDataFrame]:
    """Layers for the map renderers (`countylines.maps`), all EPSG:27700: `areas` (polygons
    with every output column; `score` there is the area's percentile rank of relative risk,
    0 to 1, as the renderers expect, and the relative risk itself is `relative_risk`), `hubs`
    and `stations` (points) and `links` (a straight LineString from each hub to each town its
    lines worked: hub, town, n_lines)."""
    areas = result.areas.rename(columns={"score": "relative_risk"})
    areas.insert(areas.columns.get_loc("relative_risk"), "score",
                 areas["relative_risk"].rank(pct=True).round(4))  # fmt: skip
    centre = _towns_layer(result).set_index("town").geometry.representative_point()
    hubs = _points(result.hubs)
    hub_at = hubs.set_index("name").geometry
    links = result.links[result.links["town"].isin(centre.index)
                         & result.links["hub"].isin(hub_at.index)]  # fmt: skip
    lines = [
        shapely.LineString([hub_at[h], centre[t]])
        for h, t in zip(links["hub"], links["town"], strict=True)
    ]
    return {
        "areas": gpd.GeoDataFrame(areas, geometry="geometry", crs=BNG),
        "hubs": hubs,
        "stations": _points(result.stations),
        "links": gpd.GeoDataFrame(links.reset_index(drop=True), geometry=lines, crs=BNG),
    }


def summary(result: PlacesResult) -> str:
    """A few lines an analyst can read: classes, the strongest factors, the towns at risk."""
    towns, areas = result.towns, result.areas
    counts = areas["class"].value_counts()
    chosen = result.factors[result.factors["chosen"]].sort_values("relative_risk")
    out = [
        f"{len(areas)} areas in {len(towns)} towns: "
        + ", ".join(
            f"{counts.get(c, 0)} {c}"
            for c in ("infiltrated", "heightened risk", "elevated", "lower")
        )
        + ".",
        f"Lines seen in {int((towns['n_lines'] > 0).sum())} towns "
        f"({result.infiltration['line_id'].nunique()} lines).",
        "Risk factors (relative risk per standard deviation): "
        + (
            ", ".join(f"{r.label} x{r.relative_risk:.2f}" for r in chosen.itertuples())
            or "none chosen: too little infiltration to learn from"
        )
        + ".",
        "",
        "Towns not yet infiltrated, highest risk first:",
    ]
    free = towns[towns["n_lines"] == 0].sort_values("score", ascending=False).head(10)
    for town, score, cls, factors in free[["town", "score", "class", "factors"]].itertuples(
        index=False
    ):
        out.append(f"  {town!s:<24} {score:>6.2f}  {cls!s:<16} {factors or '-'}")
    return "\n".join(out) + "\n"


def write_outputs(result: PlacesResult, out: Path) -> list[Path]:
    """Write every output file of `countylines places` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "places.csv": result.areas.drop(columns="geometry"),
        "towns.csv": result.towns,
        "place_factors.csv": result.factors,
        "infiltration.csv": result.infiltration,
    }
    paths = []
    for name, frame in tables.items():
        paths.append(out / name)
        replace_atomically(paths[-1], partial(_csv, frame))
    layers = {**map_layers(result), "areas": result.areas, "towns": _towns_layer(result)}

    def gpkg(path: Path) -> None:
        for name in ("areas", "towns", "hubs", "stations", "links"):
            layers[name].to_file(path, layer=name, driver="GPKG")

    paths.append(out / "places.gpkg")
    replace_atomically(paths[-1], gpkg)
    drawn = map_layers(result)
    title = "Infiltrated and at-risk places"
    paths.append(write_png(drawn, out / "places_map.png", title))
    paths.append(write_html(drawn, out / "places_map.html", title))
    data = json.dumps(map_data(drawn), ensure_ascii=False, allow_nan=False)
    paths.append(out / "places_map.json")
    replace_atomically(paths[-1], lambda p: p.write_text(data, encoding="utf-8"))
    text = summary(result)
    paths.append(out / "places_summary.txt")
    replace_atomically(paths[-1], lambda p: p.write_text(text))
    return paths

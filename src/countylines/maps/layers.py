"""The map layers the renderers draw, their checks and the fixed class palette.

`layers` is a dict of GeoDataFrames in British National Grid (EPSG:27700, metres):

* `areas`: polygons with `area_id`, `name`, `class`, `score` (0 to 1, or NaN), `factors` (text) and
  `measures` (`;`-separated text);
* `hubs`: points with `name`;
* `stations`: points with `name` and `code`;
* `links`: LineStrings from a hub to a town with `hub`, `town` and `n_lines`.

Any layer may be missing or empty. `check_layers` returns the non-empty ones, or raises
`MapInputError` naming the layer and column.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from countylines.problems import CaseError

BNG = "EPSG:27700"

CLASS_COLOURS: dict[str, str] = {
    "infiltrated": "#b30000",
    "heightened risk": "#e34a33",
    "elevated": "#fdbb84",
    "lower": "#fef0d9",
}
"""Area class → fill colour: ColorBrewer OrRd (4 classes), an ordered single-hue scheme that
stays readable with colour-blindness and in greyscale. Anything else is drawn in `OTHER_COLOUR`."""
OTHER_COLOUR = "#bdbdbd"
HUB_COLOUR = "#2c7fb8"
STATION_COLOUR = "#252525"
LINK_COLOUR = "#54278f"

LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "areas": ("area_id", "name", "class", "score", "factors", "measures"),
    "hubs": ("name",),
    "stations": ("name", "code"),
    "links": ("hub", "town", "n_lines"),
}
LAYER_GEOMETRY: dict[str, tuple[str, ...]] = {
    "areas": ("Polygon", "MultiPolygon"),
    "hubs": ("Point",),
    "stations": ("Point",),
    "links": ("LineString",),
}


class MapInputError(CaseError):
    """A layer is not in the expected form (wrong CRS, missing column, wrong geometry)."""


def check_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The known, non-empty layers, checked; raises MapInputError for any problem."""
    unknown = sorted(set(layers) - set(LAYER_COLUMNS))
    if unknown:
        raise MapInputError(
            f"unknown map layer(s) {', '.join(unknown)}; expected {', '.join(LAYER_COLUMNS)}"
        )
    checked: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in layers.items():
        if frame is None or len(frame) == 0:
            continue
        if not isinstance(frame, gpd.GeoDataFrame):
            raise MapInputError(f"map layer {name!r} is not a GeoDataFrame")
        if frame.crs is None or not frame.crs.equals(BNG):
            raise MapInputError(
                f"map layer {name!r} must be in British National Grid ({BNG}), not {frame.crs}"
            )
        missing = [c for c in LAYER_COLUMNS[name] if c not in frame.columns]
        if missing:
            raise MapInputError(f"map layer {name!r} has no column(s) {', '.join(missing)}")
        types = set(frame.geometry.geom_type.dropna())
        wrong = types - set(LAYER_GEOMETRY[name])
        if wrong or frame.geometry.isna().any():
            found = ", ".join(sorted(wrong)) or "missing geometry"
            raise MapInputError(
                f"map layer {name!r} needs {' or '.join(LAYER_GEOMETRY[name])} geometry, "
                f"found {found}"
            )
        if name == "areas":
            score = pd.to_numeric(frame["score"], errors="coerce")
            if (score.notna() & ((score < 0) | (score > 1))).any() or (
                score.isna() & frame["score"].notna()
            ).any():
                raise MapInputError("map layer 'areas': column 'score' must be numbers 0-1 or NaN")
        if name == "links":
            n = pd.to_numeric(frame["n_lines"], errors="coerce")
            if n.isna().any() or (n < 0).any():
                raise MapInputError("map layer 'links': column 'n_lines' must be numbers >= 0")
        checked[name] = frame
    return checked


def class_colour(value: object) -> str:
    """The fill colour of an area class (grey for an unknown or empty class)."""
    return CLASS_COLOURS.get(str(value), OTHER_COLOUR)

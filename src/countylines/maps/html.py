"""A self-contained interactive HTML map (Leaflet 1.9.4, vendored and inlined; works offline).

Everything the page needs is inside the file: Leaflet's script and stylesheet (its images as
`data:` URIs), the layers as GeoJSON in WGS84 (EPSG:4326), and a small script that draws them.
There are no tiles and no requests to any server. Text from the data (names, factors, measures)
reaches the page only as JSON inside a `<script type="application/json">` block, with `<`, `>`
and `&` written as `\\u003c`, `\\u003e`, `\\u0026` so nothing can close the block, and the page
script puts it on screen with `textContent`, never as HTML.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from countylines.maps.layers import (
    CLASS_COLOURS,
    HUB_COLOUR,
    LINK_COLOUR,
    OTHER_COLOUR,
    STATION_COLOUR,
    check_layers,
)
from countylines.maps.write import replace_atomically

WGS84 = "EPSG:4326"
LEAFLET = resources.files("countylines") / "web" / "static" / "vendor" / "leaflet"

STATIC = resources.files("countylines") / "web" / "static"
"""The dashboard's static files: the page script `map.js` is shared by the standalone map and
the dashboard's map page."""

_STYLE = """
html, body, #map { height: 100%; margin: 0; background: #f7f7f7; font-family: sans-serif; }
h1 { position: absolute; z-index: 1000; left: 60px; top: 4px; margin: 0; padding: 4px 10px;
     font-size: 18px; background: rgba(255,255,255,0.85); border-radius: 4px; }
.legend { background: white; padding: 6px 10px; border-radius: 4px; line-height: 20px; }
.legend .swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
                  vertical-align: middle; border: 1px solid #636363; }
.leaflet-popup-content ul { margin: 2px 0 4px 16px; padding: 0; }
"""


def _leaflet_css() -> str:
    """Leaflet's stylesheet with its images as data: URIs (no relative file requests) and
    without its comments (which name web pages)."""
    css = re.sub(
        r"/\*.*?\*/", "", (LEAFLET / "leaflet.css").read_text(encoding="utf-8"), flags=re.S
    )

    def inline(match: re.Match[str]) -> str:
        image = (LEAFLET / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(image).decode('ascii')})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` characters at all."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _geojson(frame: gpd.GeoDataFrame, columns: tuple[str, ...]) -> dict[str, Any]:
    """A FeatureCollection in WGS84 with only `columns` as properties (NaN → null)."""
    wgs = frame.to_crs(WGS84)
    features = []
    for row, geom in zip(wgs[list(columns)].itertuples(index=False), wgs.geometry, strict=True):
        props = {c: _clean(v) for c, v in zip(columns, row, strict=True)}
        features.append(
            {"type": "Feature", "properties": props, "geometry": geom.__geo_interface__}
        )
    return {"type": "FeatureCollection", "features": features}


def map_data(layers: Mapping[str, gpd.GeoDataFrame], attribution: str = "") -> dict[str, Any]:
    """The JSON the page draws: one FeatureCollection per layer present, colours and legend."""
    checked = check_layers(layers)
    data: dict[str, Any] = {
        "colours": CLASS_COLOURS,
        "other": OTHER_COLOUR,
        "hub": HUB_COLOUR,
        "station": STATION_COLOUR,
        "link": LINK_COLOUR,
        "attribution": html.escape(attribution),
        "max_lines": 1.0,
    }
    if "areas" in checked:
        areas = checked["areas"].copy()
        areas["score"] = pd.to_numeric(areas["score"], errors="coerce").astype("float64")
        areas["class"] = areas["class"].astype("string").fillna("")
        for col in ("area_id", "name", "factors"):
            areas[col] = areas[col].astype("string").fillna("")
        areas["measures"] = [
            [m.strip() for m in str(v).split(";") if m.strip()] if pd.notna(v) else []
            for v in areas["measures"]
        ]
        data["areas"] = _geojson(
            areas, ("area_id", "name", "class", "score", "factors", "measures")
        )
    for name, columns in (("hubs", ("name",)), ("stations", ("name", "code"))):
        if name in checked:
            frame = checked[name].copy()
            for col in columns:
                frame[col] = frame[col].astype("string").fillna("")
            data[name] = _geojson(frame, columns)
    if "links" in checked:
        links = checked["links"].copy()
        links["n_lines"] = pd.to_numeric(links["n_lines"]).astype("float64")
        for col in ("hub", "town"):
            links[col] = links[col].astype("string").fillna("")
        data["links"] = _geojson(links, ("hub", "town", "n_lines"))
        data["max_lines"] = max(float(links["n_lines"].max()), 1.0)
    return data


def render_html(layers: Mapping[str, gpd.GeoDataFrame], title: str, attribution: str = "") -> str:
    """The complete HTML page as text."""
    data = map_data(layers, attribution)
    leaflet_js = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">",
            f"<title>{html.escape(title)}</title>",
            f"<style>{_leaflet_css()}</style>",
            f"<style>{_STYLE}</style>",
            "</head><body>",
            f"<h1>{html.escape(title)}</h1>",
            '<div id="map"></div>',
            f'<script type="application/json" id="map-data">{script_json(data)}</script>',
            f"<script>{leaflet_js}</script>",
            f"<script>{(STATIC / 'map.js').read_text(encoding='utf-8')}</script>",
            "</body></html>",
            "",
        ]
    )


def write_html(
    layers: Mapping[str, gpd.GeoDataFrame], path: Path, title: str, attribution: str = ""
) -> Path:
    """Write the interactive map of the layers (EPSG:27700) to `path`; returns it."""
    page = render_html(layers, title, attribution)
    replace_atomically(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return path

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

_PAGE_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var map = L.map("map", {preferCanvas: false, zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(data.attribution);
  function popup(rows) {
    var box = document.createElement("div");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      var line = document.createElement("div");
      var key = document.createElement("b");
      key.textContent = row[0] + ": ";
      line.appendChild(key);
      if (Array.isArray(row[1])) {
        var list = document.createElement("ul");
        row[1].forEach(function (item) {
          var li = document.createElement("li");
          li.textContent = item;
          list.appendChild(li);
        });
        line.appendChild(list);
      } else {
        line.appendChild(document.createTextNode(String(row[1])));
      }
      box.appendChild(line);
    });
    return box;
  }
  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  var overlays = {};
  var bounds = null;
  if (data.areas) {
    overlays["Areas"] = L.geoJSON(data.areas, {
      style: function (f) {
        return {color: "#636363", weight: 0.6, fillOpacity: 0.75,
                fillColor: data.colours[f.properties["class"]] || data.other};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(popup([["Area", p.name + " (" + p.area_id + ")"], ["Class", p["class"]],
          ["Score", p.score === null ? "" : p.score.toFixed(3)], ["Factors", p.factors],
          ["Measures", p.measures]]));
      }
    }).addTo(map);
    bounds = overlays["Areas"].getBounds();
  }
  if (data.links) {
    overlays["Links from hubs"] = L.geoJSON(data.links, {
      style: function (f) {
        var weight = 1 + 5 * f.properties.n_lines / data.max_lines;
        return {color: data.link, weight: weight, opacity: 0.8};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(popup([["Hub", p.hub], ["Town", p.town], ["Lines", p.n_lines]]));
      }
    }).addTo(map);
  }
  if (data.stations) {
    overlays["Rail stations"] = L.geoJSON(data.stations, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 3, color: data.station, fillOpacity: 1, weight: 1});
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(popup([["Station", f.properties.name], ["Code", f.properties.code]]));
      }
    }).addTo(map);
  }
  if (data.hubs) {
    overlays["Hubs"] = L.geoJSON(data.hubs, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 8, color: "#ffffff", fillColor: data.hub,
                                       fillOpacity: 1, weight: 2});
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(label(f.properties.name), {permanent: true, direction: "right"});
      }
    }).addTo(map);
  }
  Object.keys(overlays).forEach(function (k) {
    if (!bounds && overlays[k].getBounds().isValid()) { bounds = overlays[k].getBounds(); }
  });
  if (bounds && bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20]}); }
  else { map.setView([52.5, -1.9], 7); }
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "legend");
    Object.keys(data.colours).forEach(function (k) {
      var row = document.createElement("div");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = data.colours[k];
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(k));
      box.appendChild(row);
    });
    return box;
  };
  legend.addTo(map);
})();
"""

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


def _script_json(data: Any) -> str:
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
            f'<script type="application/json" id="map-data">{_script_json(data)}</script>',
            f"<script>{leaflet_js}</script>",
            f"<script>{_PAGE_SCRIPT}</script>",
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

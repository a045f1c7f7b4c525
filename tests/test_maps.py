"""The map renderers: a PNG that shows the classes, and an offline HTML map that escapes
everything from the data."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.image import imread
from shapely.geometry import LineString, Point, box

from countylines.maps import CLASS_COLOURS, MapInputError, write_html, write_png
from countylines.maps.html import LEAFLET
from countylines.maps.png import SIZE_PX

BNG = "EPSG:27700"
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script><script>alert(2)"]


def _layers(text: str = "") -> dict[str, gpd.GeoDataFrame]:
    """Four areas (one per class) near Hereford, a hub far outside them, a station, a link."""
    classes = list(CLASS_COLOURS)
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"A{i}" for i in range(4)],
            "name": [f"{text}area {i}" for i in range(4)],
            "class": classes,
            "score": [0.9, 0.7, float("nan"), 0.1],
            "factors": [f"{text}near a station"] * 4,
            "measures": [f"{text}station patrols;{text}cuckooing visits"] * 4,
        },
        geometry=[box(350_000 + 3000 * i, 240_000, 353_000 + 3000 * i, 243_000) for i in range(4)],
        crs=BNG,
    )
    hubs = gpd.GeoDataFrame(
        {"name": [f"{text}Birmingham"]}, geometry=[Point(406_000, 286_000)], crs=BNG
    )
    stations = gpd.GeoDataFrame(
        {"name": [f"{text}Hereford"], "code": ["HFD"]}, geometry=[Point(351_000, 241_000)], crs=BNG
    )
    links = gpd.GeoDataFrame(
        {"hub": [f"{text}Birmingham"], "town": [f"{text}Hereford"], "n_lines": [3]},
        geometry=[LineString([(406_000, 286_000), (351_500, 241_500)])],
        crs=BNG,
    )
    return {"areas": areas, "hubs": hubs, "stations": stations, "links": links}


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def test_png_has_size_content_and_class_colours(tmp_path: Path) -> None:
    path = write_png(_layers(), tmp_path / "map.png", "Test map")
    image = imread(path)[:, :, :3]
    assert image.shape[:2] == (SIZE_PX[1], SIZE_PX[0])
    assert image.std() > 0.05
    for colour in CLASS_COLOURS.values():
        matches = np.all(np.abs(image - _rgb(colour)) < 0.02, axis=2).sum()
        assert matches > 500, colour


def test_png_with_missing_and_empty_layers(tmp_path: Path) -> None:
    layers = _layers()
    layers["links"] = layers["links"].iloc[0:0]
    del layers["stations"]
    assert write_png(layers, tmp_path / "a.png", "t").is_file()
    assert write_png({}, tmp_path / "b.png", "nothing").is_file()


def test_bad_layers_are_clear_errors(tmp_path: Path) -> None:
    layers = _layers()
    layers["areas"] = layers["areas"].to_crs(4326)
    with pytest.raises(MapInputError, match="'areas' must be in British National Grid"):
        write_png(layers, tmp_path / "x.png", "t")
    layers = _layers()
    layers["links"] = layers["links"].drop(columns=["n_lines"])
    with pytest.raises(MapInputError, match=r"'links' has no column.*n_lines"):
        write_html(layers, tmp_path / "x.html", "t")
    layers = _layers()
    layers["hubs"] = layers["areas"][["area_id", "geometry"]].assign(name="x")
    with pytest.raises(MapInputError, match="'hubs' needs Point geometry"):
        write_html(layers, tmp_path / "x.html", "t")


def _embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1))


def test_html_is_offline(tmp_path: Path) -> None:
    page = write_html(_layers(), tmp_path / "map.html", "Test").read_text()
    leaflet = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    assert page.count(leaflet) == 1
    ours = page.replace(leaflet, "")
    # outside Leaflet's own code there is no URL at all (so no src, href, url() or @import)
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}", ours, re.I), ours[:2000]
    assert "@import" not in ours
    # Leaflet's code names two URLs it never fetches: the SVG namespace and its home page
    # (the attribution prefix link, switched off by the page)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", leaflet))
    assert urls == {"http://www.w3.org/2000/svg", "https://leafletjs.com"}, urls
    assert "setPrefix(false)" in ours
    assert "url(images/" not in page  # Leaflet's images are inlined as data: URIs
    assert "default-src 'none'" in page


def test_html_geojson_round_trips(tmp_path: Path) -> None:
    layers = _layers()
    data = _embedded(write_html(layers, tmp_path / "map.html", "t").read_text())
    for name, frame in layers.items():
        assert len(data[name]["features"]) == len(frame)
    first = data["areas"]["features"][0]
    lon, lat = first["geometry"]["coordinates"][0][0]
    assert -3.5 < lon < -2 and 51.5 < lat < 52.5  # WGS84 degrees
    assert data["areas"]["features"][2]["properties"]["score"] is None
    assert first["properties"]["measures"] == ["station patrols", "cuckooing visits"]


@pytest.mark.parametrize("text", XSS)
def test_html_escapes_data(tmp_path: Path, text: str) -> None:
    page = write_html(_layers(text), tmp_path / "map.html", text).read_text()
    ours = page.replace((LEAFLET / "leaflet.js").read_text(encoding="utf-8"), "")
    assert text not in page
    assert "<img" not in ours and "<script>alert" not in ours
    assert ours.count("<script") == ours.count("</script>") == 3  # no block closed early
    assert f"<title>{html.escape(text)}</title>" in page
    data = _embedded(page)
    props = data["areas"]["features"][0]["properties"]
    assert props["name"].startswith(text) and props["factors"].startswith(text)
    assert all(m.startswith(text) for m in props["measures"])
    assert data["hubs"]["features"][0]["properties"]["name"].startswith(text)
    assert data["links"]["features"][0]["properties"]["town"].startswith(text)


def test_html_missing_and_empty_layers(tmp_path: Path) -> None:
    layers = {"areas": _layers()["areas"], "hubs": _layers()["hubs"].iloc[0:0]}
    data = _embedded(write_html(layers, tmp_path / "a.html", "t").read_text())
    assert "hubs" not in data and len(data["areas"]["features"]) == 4
    assert _embedded(write_html({}, tmp_path / "b.html", "t").read_text())["colours"]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists() or not shutil.which("chromium"), reason="no chromium")
def test_html_renders_in_chromium(tmp_path: Path) -> None:
    path = write_html(_layers(XSS[1]), tmp_path / "map.html", "t")
    dom = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "leaflet-container" in dom and "<img src=x" not in dom

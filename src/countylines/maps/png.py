"""A static PNG map (matplotlib, Agg backend; no basemap, nothing downloaded).

Areas are filled by class (`layers.CLASS_COLOURS`), stations are small squares, hubs labelled
circles and links arrows from hub to town whose width grows with `n_lines`. The map is framed on
the areas (and stations); a hub outside that frame is drawn on the frame's edge, in its
direction, labelled with its name and straight-line distance, and its arrows start there. A
scale bar (kilometres) and a north arrow (grid north of British National Grid, EPSG:27700,
within a degree of true north in England) are drawn in the corners.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from shapely.geometry import LineString, Point, box

from countylines.maps.layers import (
    CLASS_COLOURS,
    HUB_COLOUR,
    LINK_COLOUR,
    STATION_COLOUR,
    check_layers,
    class_colour,
)
from countylines.maps.write import replace_atomically

SIZE_PX = (1600, 1200)
"""Width and height of the PNG in pixels."""
DPI = 100
MAP_LEFT, MAP_RIGHT, MAP_BOTTOM, MAP_TOP = 0.01, 0.80, 0.01, 0.94
"""The map panel, as fractions of the figure; the legend sits to its right."""


def _frame(layers: Mapping[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    """Map extent in metres: areas and stations (else everything), padded 8% and 1 km."""
    framing = [layers[n] for n in ("areas", "stations") if n in layers] or list(layers.values())
    bounds = [f.total_bounds for f in framing]
    minx, miny = min(b[0] for b in bounds), min(b[1] for b in bounds)
    maxx, maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
    pad = max(maxx - minx, maxy - miny, 2_000.0) * 0.08
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    # match the map panel's aspect ratio so the frame is what is drawn
    aspect = (SIZE_PX[0] * (MAP_RIGHT - MAP_LEFT)) / (SIZE_PX[1] * (MAP_TOP - MAP_BOTTOM))
    width, height = maxx - minx, maxy - miny
    if width / height < aspect:
        grow = (height * aspect - width) / 2
        minx, maxx = minx - grow, maxx + grow
    else:
        grow = (width / aspect - height) / 2
        miny, maxy = miny - grow, maxy + grow
    return minx, miny, maxx, maxy


def _on_frame(start: Point, end: Point, frame: tuple[float, float, float, float]) -> Point:
    """Where the segment start→end enters the (slightly shrunk) frame; `start` if inside."""
    minx, miny, maxx, maxy = frame
    inset = 0.03 * (maxx - minx)
    inner = box(minx + inset, miny + inset, maxx - inset, maxy - inset)
    if inner.contains(start):
        return start
    crossing = LineString([start, end]).intersection(inner.exterior)
    if crossing.is_empty:  # the segment misses the frame: use the nearest frame point
        return inner.exterior.interpolate(inner.exterior.project(start))
    points = [crossing] if isinstance(crossing, Point) else list(getattr(crossing, "geoms", []))
    return min(points, key=start.distance) if points else start


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 times 10^k metres) near a fifth of the span."""
    target = span_m / 5
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def _scale_bar(ax: plt.Axes, frame: tuple[float, float, float, float]) -> None:
    minx, miny, maxx, maxy = frame
    length = _nice_length(maxx - minx)
    x0, y0 = minx + 0.04 * (maxx - minx), miny + 0.05 * (maxy - miny)
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=4, solid_capstyle="butt")
    label = f"{length / 1000:g} km"
    ax.text(x0 + length / 2, y0 + 0.012 * (maxy - miny), label, ha="center", va="bottom")


def _north_arrow(ax: plt.Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=14,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12},
    )


def _hub_points(
    hubs: gpd.GeoDataFrame | None, frame: tuple[float, float, float, float]
) -> dict[str, tuple[Point, str]]:
    """Hub name → (where it is drawn, its label); hubs outside the frame go on its edge."""
    if hubs is None:
        return {}
    minx, miny, maxx, maxy = frame
    centre = Point((minx + maxx) / 2, (miny + maxy) / 2)
    drawn = {}
    for name, point in zip(hubs["name"].astype(str), hubs.geometry, strict=True):
        at = _on_frame(point, centre, frame)
        label = name if at.equals(point) else f"{name} ({point.distance(at) / 1000:.0f} km)"
        drawn[name] = (at, label)
    return drawn


def _links(
    ax: plt.Axes,
    links: gpd.GeoDataFrame,
    hubs: dict[str, tuple[Point, str]],
    frame: tuple[float, float, float, float],
) -> None:
    top = max(float(links["n_lines"].max()), 1.0)
    for hub, n, line in zip(
        links["hub"].astype(str), links["n_lines"], links.geometry, strict=True
    ):
        start, end = Point(line.coords[0]), Point(line.coords[-1])
        at = hubs[hub][0] if hub in hubs else _on_frame(start, end, frame)
        width = 1.0 + 5.0 * float(n) / top
        ax.add_patch(
            FancyArrowPatch(
                (at.x, at.y),
                (end.x, end.y),
                arrowstyle="-|>",
                mutation_scale=10 + 3 * width,
                linewidth=width,
                color=LINK_COLOUR,
                alpha=0.85,
                zorder=4,
                connectionstyle="arc3,rad=0.12",
            )
        )


def write_png(layers: Mapping[str, gpd.GeoDataFrame], path: Path, title: str) -> Path:
    """Draw the layers (EPSG:27700) into a PNG of `SIZE_PX` pixels at `path`; returns it."""
    checked = check_layers(layers)
    fig, ax = plt.subplots(figsize=(SIZE_PX[0] / DPI, SIZE_PX[1] / DPI), dpi=DPI)
    try:
        ax.set_title(title, fontsize=16)
        ax.set_axis_off()
        if not checked:
            ax.text(0.5, 0.5, "nothing to map", ha="center", va="center", transform=ax.transAxes)
        else:
            frame = _frame(checked)
            ax.set_xlim(frame[0], frame[2])
            ax.set_ylim(frame[1], frame[3])
            ax.set_aspect("equal")
            _draw(ax, checked, frame)
        fig.subplots_adjust(left=MAP_LEFT, right=MAP_RIGHT, bottom=MAP_BOTTOM, top=MAP_TOP)
        replace_atomically(path, lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    finally:
        plt.close(fig)
    return path


def _draw(
    ax: plt.Axes,
    layers: Mapping[str, gpd.GeoDataFrame],
    frame: tuple[float, float, float, float],
) -> None:
    handles: list[Patch | Line2D] = []
    if "areas" in layers:
        areas = layers["areas"]
        colours = areas["class"].map(class_colour)
        areas.plot(ax=ax, color=colours, edgecolor="#636363", linewidth=0.2, zorder=1)
        handles += [
            Patch(facecolor=c, edgecolor="#636363", label=k) for k, c in CLASS_COLOURS.items()
        ]
    if "stations" in layers:
        st = layers["stations"]
        ax.scatter(st.geometry.x, st.geometry.y, marker="s", s=14, color=STATION_COLOUR, zorder=3)
        handles.append(
            Line2D([], [], marker="s", color=STATION_COLOUR, linestyle="", label="rail station")
        )
    hubs = _hub_points(layers.get("hubs"), frame)
    if "links" in layers:
        _links(ax, layers["links"], hubs, frame)
        handles.append(
            Line2D([], [], color=LINK_COLOUR, linewidth=3, label="line from hub (width: lines)")
        )
    east = frame[0] + 0.75 * (frame[2] - frame[0])
    for at, label in hubs.values():
        right = at.x > east  # labels near the east edge go left, so they stay on the map
        ax.scatter([at.x], [at.y], s=140, color=HUB_COLOUR, edgecolor="white", zorder=5)
        ax.annotate(
            label,
            (at.x, at.y),
            xytext=(-8 if right else 8, 6),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=11,
            fontweight="bold",
            color=HUB_COLOUR,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
        )
    if hubs:
        handles.append(
            Line2D(
                [], [], marker="o", color=HUB_COLOUR, linestyle="", markersize=10, label="urban hub"
            )
        )
    if handles:
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(1.01, 0.0),
            frameon=False,
            fontsize=11,
        )
    _scale_bar(ax, frame)
    _north_arrow(ax)

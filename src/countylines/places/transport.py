"""Transport links of each area: nearest station, road and rail minutes to each hub.

All distances in British National Grid (EPSG:27700, metres), from the area centroid. Road minutes
to a hub come from the case's `travel_times` (mode `road`) where given; else they are the
straight-line distance times `DETOUR` at `ROAD_KMH`. Rail minutes come from `travel_times` (mode
`rail`) where given; else, with a `rail_links` table, they are the shortest in-train minutes from
the station nearest the area to the station nearest the hub (a link without minutes counts
`LINK_MINUTES`); without either, there are none. `hub_minutes` folds the per-hub minutes into one
"effective minutes to the hubs" value, weighting each hub by the share of lines it sends.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from countylines.places.indicators import Indicator
from countylines.places.spatial import to_bng

DETOUR = 1.3
"""Road distance over straight-line distance (about 1.2-1.4 for British roads)."""
ROAD_KMH = 60.0
"""Average road speed, km/h, for the straight-line estimate (inter-urban A roads)."""
LINK_MINUTES = 30.0
"""Minutes assumed for a rail link whose `minutes` are not given."""
DECAY_MINUTES = 60.0
"""Distance decay of `hub_minutes`: a hub an hour further away counts e (2.7) times less."""

TRANSPORT: dict[str, Indicator] = {
    "station_distance_m": Indicator(
        "distance to the nearest station", "metres, straight line from the area centroid",
        "lower: easier rail access", True, "station"),
    "road_hub_minutes": Indicator(
        "road time to the hubs", "effective minutes (hub-weighted soft minimum)",
        "lower: easier road access from the hubs", False, "road"),
    "rail_hub_minutes": Indicator(
        "rail time to the hubs", "effective minutes (hub-weighted soft minimum)",
        "lower: easier rail access from the hubs", False, "rail"),
}  # fmt: skip


def _xy(frame: pd.DataFrame) -> np.ndarray:
    pts = to_bng(frame["lat"].to_numpy(float), frame["lon"].to_numpy(float))
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def _distances(areas: pd.DataFrame, places: pd.DataFrame) -> np.ndarray:
    """Metres from each area centroid (`x`, `y`; rows) to each place (`lat`, `lon`; columns)."""
    a = areas[["x", "y"]].to_numpy(float)
    p = _xy(places)
    return np.hypot(a[:, None, 0] - p[None, :, 0], a[:, None, 1] - p[None, :, 1])


def _nearest(areas: pd.DataFrame, places: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(metres, index) of the nearest of `places` (`lat`, `lon`) to each area centroid (`x`,
    `y`), by a k-d tree in EPSG:27700."""
    distance, index = KDTree(_xy(places)).query(areas[["x", "y"]].to_numpy(float), k=1)
    return distance[:, 0], index[:, 0]


def station_distance(areas: gpd.GeoDataFrame, stations: pd.DataFrame) -> pd.Series:
    """Metres from each area centroid to the nearest station (NaN without stations)."""
    if stations.empty:
        return pd.Series(np.nan, index=areas["area_id"])
    return pd.Series(_nearest(areas, stations)[0], index=areas["area_id"])


def _given(travel: pd.DataFrame, mode: str, areas: gpd.GeoDataFrame, hubs: pd.DataFrame
           ) -> pd.DataFrame:  # fmt: skip
    rows = travel[travel["mode"] == mode]
    table = rows.pivot_table(index="area_id", columns="hub", values="minutes", aggfunc="min")
    return table.reindex(index=areas["area_id"], columns=hubs["name"]).astype(float)


def road_minutes(areas: gpd.GeoDataFrame, hubs: pd.DataFrame, travel: pd.DataFrame
                 ) -> pd.DataFrame:  # fmt: skip
    """Road minutes from each area (rows, area_id) to each hub (columns): given, else estimated."""
    estimate = pd.DataFrame(
        _distances(areas, hubs) * DETOUR / 1000.0 / ROAD_KMH * 60.0,
        index=areas["area_id"],
        columns=hubs["name"],
    )
    return _given(travel, "road", areas, hubs).fillna(estimate)


def rail_minutes(
    areas: gpd.GeoDataFrame,
    hubs: pd.DataFrame,
    stations: pd.DataFrame,
    links: pd.DataFrame,
    travel: pd.DataFrame,
) -> pd.DataFrame:
    """Rail minutes from each area to each hub: given, else over `links` between the nearest
    stations; NaN where neither says (no path, no stations)."""
    given = _given(travel, "rail", areas, hubs)
    if links.empty or stations.empty or hubs.empty:
        return given
    graph = nx.Graph()
    for a, b, minutes in links[["from_code", "to_code", "minutes"]].itertuples(index=False):
        w = LINK_MINUTES if pd.isna(minutes) else float(minutes)
        if not graph.has_edge(a, b) or graph[a][b]["weight"] > w:
            graph.add_edge(a, b, weight=w)
    codes = stations["code"].to_numpy()
    area_station = codes[_nearest(areas, stations)[1]]
    hub_station = codes[_nearest(_hub_points(hubs), stations)[1]]
    reach = {
        h: nx.single_source_dijkstra_path_length(graph, s) if s in graph else {}
        for h, s in zip(hubs["name"], hub_station, strict=True)
    }
    computed = pd.DataFrame(
        {h: [reach[h].get(s, np.nan) for s in area_station] for h in hubs["name"]},
        index=areas["area_id"],
    )
    return given.fillna(computed)


def _hub_points(hubs: pd.DataFrame) -> pd.DataFrame:
    """Hubs with BNG `x`, `y` columns (as areas have), for `_distances`."""
    xy = _xy(hubs)
    return hubs.assign(x=xy[:, 0], y=xy[:, 1])


def hub_minutes(minutes: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Effective minutes to the hubs: -D ln(sum_h w_h exp(-minutes_h / D)), D = DECAY_MINUTES,
    weights normalised to sum 1 over the hubs; NaN where no hub is reachable."""
    w = weights.reindex(minutes.columns).fillna(0.0).to_numpy(float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / max(1, len(w)))
    reach = np.exp(-minutes.to_numpy(float) / DECAY_MINUTES)
    total = np.nansum(reach * w[None, :], axis=1)
    with np.errstate(divide="ignore"):
        value = -DECAY_MINUTES * np.log(total)
    return pd.Series(np.where(total > 0, value, np.nan), index=minutes.index)

"""Simulator geography: the towns, hubs, rail stations, rail links and roads of one region.

A region is a small JSON file (format in `docs/region-format.md`). `load_region` reads and checks
one; `builtin_region("west-mercia")` loads the region shipped with the package. Everything here
works without any external data: the numbers in a region file were checked against open data once,
by hand, and typed in.

Coordinates are WGS84 degrees in the file and in the case tables; `Region.areas()` returns
British National Grid (EPSG:27700, metres) polygons, as `countylines.geography` stores areas.
"""

from __future__ import annotations

import heapq
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Transformer

from countylines.geography import BNG, WGS84

FORMAT = "countylines-region"
FORMAT_VERSION = 1
TOWN_KINDS = ("market_town", "city", "village")
ROAD_CLASSES = ("motorway", "a_road")
IMD2019_LSOAS_ENGLAND = 32_844
"""Number of ranked LSOAs in the English IMD 2019 (rank 1 = most deprived)."""
AREA_MARGIN_M = 10_000.0
"""The area polygons fill the convex hull of the towns grown by this many metres."""
MIN_TOWN_SEPARATION_M = 200.0
SHARE_TOLERANCE = 0.01

AREA_COLUMNS = (
    "area_id",
    "name",
    "population",
    "town",
    "imd_rank_mean",
    "vulnerability",
    "station_distance_m",
    "hub_road_minutes",
)
STATION_COLUMNS = ("code", "name", "lat", "lon")
HUB_COLUMNS = ("name", "lat", "lon")


class RegionError(ValueError):
    """A region file that cannot be used; `problems` lists every problem found."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(
            f"{source}: {n} problem{'s' if n != 1 else ''} in the region file:\n{lines}"
        )


@dataclass(frozen=True)
class Town:
    """A town (or city, or large village) that lines may run into."""

    name: str
    lat: float
    lon: float
    population: int
    local_authority: str
    lad_code: str
    kind: str
    imd_rank_mean: float
    vulnerability: float
    rail_station: str | None
    geonames_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Hub:
    """An urban hub that exports lines; `share` is the weight of lines originating there."""

    name: str
    lat: float
    lon: float
    population: int
    station: str
    share: float
    other_stations: tuple[str, ...] = ()
    geonames_id: int | None = None
    note: str = ""

    @property
    def stations(self) -> tuple[str, ...]:
        return (self.station, *self.other_stations)


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    lat: float
    lon: float
    note: str = ""


@dataclass(frozen=True)
class RailLink:
    """A direct, two-way rail service between two stations; typical in-train minutes."""

    a: str
    b: str
    minutes: float
    note: str = ""


@dataclass(frozen=True)
class Road:
    """A main-road link between two places (towns or hubs); typical off-peak driving minutes."""

    a: str
    b: str
    minutes: float
    road_class: str
    route: str = ""
    note: str = ""


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    towns: tuple[Town, ...]
    hubs: tuple[Hub, ...]
    stations: tuple[Station, ...]
    rail_links: tuple[RailLink, ...]
    roads: tuple[Road, ...]
    description: str = ""
    source: str = ""

    # --- look-ups -------------------------------------------------------------------------------

    def town(self, name: str) -> Town:
        for t in self.towns:
            if t.name == name:
                return t
        raise KeyError(f"region {self.id!r} has no town {name!r}")

    def hub(self, name: str) -> Hub:
        for h in self.hubs:
            if h.name == name:
                return h
        raise KeyError(f"region {self.id!r} has no hub {name!r}")

    def station(self, code: str) -> Station:
        for s in self.stations:
            if s.code == code:
                return s
        raise KeyError(f"region {self.id!r} has no station {code!r}")

    @property
    def place_names(self) -> tuple[str, ...]:
        """Names that roads may join: every town and hub."""
        return tuple(t.name for t in self.towns) + tuple(h.name for h in self.hubs)

    # --- networks -------------------------------------------------------------------------------

    def rail_minutes_from(self, code: str) -> dict[str, float]:
        """Shortest rail minutes from station `code` to every station it reaches."""
        self.station(code)
        return _dijkstra(((r.a, r.b, r.minutes) for r in self.rail_links), code)

    def road_minutes_from(self, place: str) -> dict[str, float]:
        """Shortest road minutes from town or hub `place` to every place it reaches."""
        if place not in self.place_names:
            raise KeyError(f"region {self.id!r} has no town or hub {place!r}")
        return _dijkstra(((r.a, r.b, r.minutes) for r in self.roads), place)

    def nearest_hub_by_road(self, place: str) -> tuple[str, float] | None:
        """(hub, minutes) of the hub nearest by road, or None when no hub is reachable."""
        reach = self.road_minutes_from(place)
        best = [(reach[h.name], h.name) for h in self.hubs if h.name in reach]
        if not best:
            return None
        minutes, hub = min(best)
        return hub, minutes

    def nearest_hub_by_rail(self, town: str) -> tuple[str, float] | None:
        """(hub, minutes) nearest by rail from the town's station; None without station or path."""
        code = self.town(town).rail_station
        if code is None:
            return None
        reach = self.rail_minutes_from(code)
        best = [(reach[s], h.name) for h in self.hubs for s in h.stations if s in reach]
        if not best:
            return None
        minutes, hub = min(best)
        return hub, minutes

    # --- tables ---------------------------------------------------------------------------------

    def stations_table(self) -> pd.DataFrame:
        """The case-format `stations` table (code, name, lat, lon)."""
        return pd.DataFrame(
            [(s.code, s.name, s.lat, s.lon) for s in self.stations], columns=list(STATION_COLUMNS)
        )

    def hubs_table(self) -> pd.DataFrame:
        """The case-format `hubs` table (name, lat, lon)."""
        return pd.DataFrame([(h.name, h.lat, h.lon) for h in self.hubs], columns=list(HUB_COLUMNS))

    def rail_links_table(self) -> pd.DataFrame:
        """The case-format `rail_links` table (from_code, to_code, minutes)."""
        return pd.DataFrame(
            [(r.a, r.b, r.minutes) for r in self.rail_links],
            columns=["from_code", "to_code", "minutes"],
        )

    def areas(self, margin_m: float = AREA_MARGIN_M) -> gpd.GeoDataFrame:
        """One synthetic polygon per town (EPSG:27700) with the case-format area columns.

        Each polygon is the town's Voronoi cell (the land nearer to it than to any other town or
        hub; hubs are seeds too, so no town's area swallows a hub city, but hubs get no area),
        cut to the convex hull of all towns grown by `margin_m` metres. Columns: area_id (the
        town name in lower case, words joined by '-'), name, population (the town's), town (its
        name: one area per town), and the
        indicators imd_rank_mean, vulnerability, station_distance_m (town centre to the nearest
        station in the region, metres) and hub_road_minutes (shortest road minutes to any hub;
        NaN when no hub is reachable).
        """
        to_bng = _to_bng()
        seeds: list[Town | Hub] = [*self.towns, *self.hubs]
        xs, ys = to_bng.transform([p.lon for p in seeds], [p.lat for p in seeds])
        all_points = shapely.points(list(zip(xs, ys, strict=True)))
        points = all_points[: len(self.towns)]
        outline = shapely.convex_hull(shapely.multipoints(points)).buffer(margin_m)
        cells = _voronoi_cells(all_points, outline)[: len(self.towns)]
        sx, sy = to_bng.transform([s.lon for s in self.stations], [s.lat for s in self.stations])
        stations = shapely.points(list(zip(sx, sy, strict=True)))
        rows = []
        for town, point, cell in zip(self.towns, points, cells, strict=True):
            nearest = self.nearest_hub_by_road(town.name)
            rows.append(
                {
                    "area_id": area_id(town.name),
                    "name": town.name,
                    "population": town.population,
                    "town": town.name,
                    "imd_rank_mean": float(town.imd_rank_mean),
                    "vulnerability": float(town.vulnerability),
                    "station_distance_m": round(float(shapely.distance(point, stations).min())),
                    "hub_road_minutes": float(nearest[1]) if nearest else math.nan,
                    "geometry": cell,
                }
            )
        frame = pd.DataFrame(rows, columns=[*AREA_COLUMNS, "geometry"])
        frame["population"] = frame["population"].astype("int64")
        frame["station_distance_m"] = frame["station_distance_m"].astype("float64")
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=BNG)


def area_id(name: str) -> str:
    """The area id of a town: its name in lower case, runs of other characters as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@lru_cache(maxsize=1)
def _to_bng() -> Transformer:
    return Transformer.from_crs(WGS84, BNG, always_xy=True)


def _voronoi_cells(points: Any, outline: shapely.Geometry) -> list[shapely.Geometry]:
    """The Voronoi cell of each point, cut to `outline`, in the order of `points`."""
    if len(points) == 1:
        return [outline]
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline)
    parts = list(shapely.get_parts(diagram))
    cells = []
    for p in points:
        cell = next((c for c in parts if c.contains(p)), None)
        if cell is None:  # a point on a cell edge only happens for coincident towns
            raise ValueError(f"no Voronoi cell contains the town at {p.wkt}")
        clipped = shapely.set_precision(cell.intersection(outline), 1.0)
        if not clipped.is_valid:
            clipped = shapely.make_valid(clipped)
        cells.append(clipped)
    return cells


def shortest_paths(
    edges: Iterable[tuple[str, str, float]], source: str
) -> tuple[dict[str, float], dict[str, str]]:
    """Dijkstra over two-way edges: (distance to each reachable node, predecessor on its path)."""
    graph: dict[str, list[tuple[str, float]]] = {}
    for a, b, w in edges:
        graph.setdefault(a, []).append((b, w))
        graph.setdefault(b, []).append((a, w))
    dist, prev = {source: 0.0}, {}
    queue = [(0.0, source)]
    while queue:
        d, node = heapq.heappop(queue)
        if d > dist.get(node, math.inf):
            continue
        for nxt, w in graph.get(node, ()):
            nd = d + w
            if nd < dist.get(nxt, math.inf):
                dist[nxt] = nd
                prev[nxt] = node
                heapq.heappush(queue, (nd, nxt))
    return dist, prev


def _dijkstra(edges: Iterable[tuple[str, str, float]], source: str) -> dict[str, float]:
    return shortest_paths(edges, source)[0]


# --- loading ----------------------------------------------------------------------------------


def builtin_regions() -> list[str]:
    """Names of the regions shipped with countylines (for `builtin_region`)."""
    folder = resources.files("countylines.simulate").joinpath("regions")
    return sorted(
        p.name.removesuffix(".json").replace("_", "-")
        for p in folder.iterdir()
        if p.name.endswith(".json")
    )


def builtin_region(name: str = "west-mercia") -> Region:
    """A region shipped with countylines, by name (e.g. "west-mercia")."""
    file = f"{name.replace('-', '_')}.json"
    res = resources.files("countylines.simulate").joinpath("regions", file)
    if not res.is_file():
        known = ", ".join(builtin_regions()) or "none"
        raise KeyError(f"no built-in region {name!r} (built-in regions: {known})")
    return parse_region(res.read_text(encoding="utf-8"), source=f"built-in region {name!r}")


def load_region(path: str | Path) -> Region:
    """Read and check a region JSON file; raises RegionError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionError(str(path), [f"cannot read the file ({exc})"]) from exc
    return parse_region(text, source=str(path))


def parse_region(text: str, source: str = "<region>") -> Region:
    """Check and build a region from the text of a region JSON file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegionError(
            source, [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from exc
    return _Parser(source).region(data)


_TOP = {
    "format": False,
    "format_version": False,
    "id": True,
    "name": True,
    "description": False,
    "towns": True,
    "hubs": True,
    "stations": True,
    "rail_links": True,
    "roads": True,
}
_TOWN = {
    "name": True,
    "lat": True,
    "lon": True,
    "population": True,
    "local_authority": True,
    "lad_code": True,
    "kind": True,
    "imd_rank_mean": True,
    "vulnerability": True,
    "rail_station": True,
    "geonames_id": False,
    "note": False,
}
_HUB = {
    "name": True,
    "lat": True,
    "lon": True,
    "population": True,
    "station": True,
    "other_stations": False,
    "share": True,
    "geonames_id": False,
    "note": False,
}
_STATION = {"code": True, "name": True, "lat": True, "lon": True, "note": False}
_RAIL = {"a": True, "b": True, "minutes": True, "note": False}
_ROAD = {"a": True, "b": True, "minutes": True, "road_class": True, "route": False, "note": False}

_MISSING = object()


class _Parser:
    """Collects every problem in a region document, then builds the Region or raises."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    # -- field readers (each returns None after logging a problem) --

    def _get(self, obj: Mapping[str, Any], key: str, where: str, required: bool) -> Any:
        value = obj.get(key, _MISSING)
        if value is _MISSING or value is None:  # JSON null counts as absent
            if required:
                self.problem(where, f"missing field {key!r}")
            return _MISSING
        return value

    def text(self, obj: Mapping[str, Any], key: str, where: str, required: bool = True) -> Any:
        value = self._get(obj, key, where, required)
        if value is _MISSING:
            return None if required else ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(where, f"field {key!r} must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    def number(
        self,
        obj: Mapping[str, Any],
        key: str,
        where: str,
        lo: float | None = None,
        hi: float | None = None,
        unit: str = "",
        integer: bool = False,
        positive: bool = False,
        required: bool = True,
    ) -> Any:
        value = self._get(obj, key, where, required)
        if value is _MISSING:
            return None
        kind = "a whole number" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(where, f"field {key!r} must be {kind}, got {value!r}")
            return None
        if not math.isfinite(value) or (integer and not float(value).is_integer()):
            self.problem(where, f"field {key!r} must be {kind}, got {value!r}")
            return None
        suffix = f" {unit}" if unit else ""
        if positive and value <= 0:
            self.problem(where, f"field {key!r} must be greater than 0{suffix}, got {value!r}")
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            rng = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
            self.problem(where, f"field {key!r} must be {rng}{suffix}, got {value!r}")
            return None
        return int(value) if integer else float(value)

    def choice(self, obj: Mapping[str, Any], key: str, where: str, values: tuple[str, ...]) -> Any:
        value = self.text(obj, key, where)
        if value is not None and value not in values:
            options = ", ".join(repr(v) for v in values)
            self.problem(where, f"field {key!r} must be one of {options}, got {value!r}")
            return None
        return value

    def fields(self, obj: Any, where: str, spec: Mapping[str, bool]) -> bool:
        """Check that `obj` is an object without unknown fields; report missing ones later."""
        if not isinstance(obj, dict):
            self.problem(where, f"must be a JSON object, got {type(obj).__name__}")
            return False
        for key in obj:
            if key not in spec:
                known = ", ".join(spec)
                self.problem(where, f"unknown field {key!r} (known fields: {known})")
        return True

    def entries(self, data: Mapping[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        """(label, entry) for each object of list `key`; labels like `towns[3] "Ludlow"`."""
        items = data.get(key)
        if items is None:
            return []  # the missing field was reported by the top-level check
        if not isinstance(items, list):
            self.problem(key, f"must be a JSON list, got {type(items).__name__}")
            return []
        out = []
        for i, item in enumerate(items):
            label = f"{key}[{i}]"
            if isinstance(item, dict):
                ident = item.get("code" if key == "stations" else "name")
                if key in ("rail_links", "roads"):
                    ident = f"{item.get('a')} - {item.get('b')}"
                if isinstance(ident, str) and ident:
                    label += f" {json.dumps(ident, ensure_ascii=False)}"
            out.append((label, item))
        return out

    # -- sections --

    def coords(self, obj: Mapping[str, Any], where: str) -> tuple[Any, Any]:
        lat = self.number(obj, "lat", where, -90, 90, "degrees (WGS84 latitude)")
        lon = self.number(obj, "lon", where, -180, 180, "degrees (WGS84 longitude)")
        return lat, lon

    def region(self, data: Any) -> Region:
        if not isinstance(data, dict):
            raise RegionError(self.source, ["the file must hold one JSON object"])
        self.fields(data, "region", _TOP)
        for key, required in _TOP.items():
            if required and key not in data:
                self.problem("region", f"missing field {key!r}")
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            self.problem("region", f"field 'format' must be {FORMAT!r}, got {fmt!r}")
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            self.problem(
                "region",
                f"field 'format_version' {version!r} is not supported (this countylines reads "
                f"version {FORMAT_VERSION})",
            )
        rid = self.text(data, "id", "region") if "id" in data else None
        name = self.text(data, "name", "region") if "name" in data else None
        description = self.text(data, "description", "region", required=False)

        # references are checked against every named entry, valid or not, so that one bad entry
        # gives one problem rather than one more for each link to it
        codes = _named(data, "stations", "code")
        places = _named(data, "towns", "name") | _named(data, "hubs", "name")
        stations = self.stations(data)
        towns = self.towns(data, codes)
        hubs = self.hubs(data, codes)
        self.unique_places(data, towns, hubs)
        self.separated(towns, hubs)
        rail = self.rail_links(data, codes)
        roads = self.roads(data, places)
        if "towns" in data and not towns and not self.problems:
            self.problem("towns", "the region needs at least one town")
        if "hubs" in data and not hubs and not self.problems:
            self.problem("hubs", "the region needs at least one hub")
        if self.problems:
            raise RegionError(self.source, self.problems)
        return Region(
            id=rid or "",
            name=name or "",
            description=description or "",
            towns=tuple(towns),
            hubs=tuple(hubs),
            stations=tuple(stations),
            rail_links=tuple(rail),
            roads=tuple(roads),
            source=self.source,
        )

    def stations(self, data: Mapping[str, Any]) -> list[Station]:
        out: list[Station] = []
        seen: dict[str, str] = {}
        for where, obj in self.entries(data, "stations"):
            if not self.fields(obj, where, _STATION):
                continue
            code = self.text(obj, "code", where)
            name = self.text(obj, "name", where)
            lat, lon = self.coords(obj, where)
            note = self.text(obj, "note", where, required=False)
            if code is not None and code in seen:
                self.problem(where, f"duplicate station code {code!r} (also {seen[code]})")
                continue
            if code is not None:
                seen[code] = where
            if None not in (code, name, lat, lon):
                out.append(Station(code, name, lat, lon, note or ""))
        return out

    def towns(self, data: Mapping[str, Any], codes: set[str]) -> list[Town]:
        out: list[Town] = []
        for where, obj in self.entries(data, "towns"):
            if not self.fields(obj, where, _TOWN):
                continue
            name = self.text(obj, "name", where)
            lat, lon = self.coords(obj, where)
            population = self.number(obj, "population", where, 0, None, "people", integer=True)
            la = self.text(obj, "local_authority", where)
            lad = self.text(obj, "lad_code", where)
            kind = self.choice(obj, "kind", where, TOWN_KINDS)
            imd = self.number(
                obj, "imd_rank_mean", where, 1, IMD2019_LSOAS_ENGLAND, "(IMD 2019 rank)"
            )
            vul = self.number(obj, "vulnerability", where, 0, 1)
            station = self.optional_station(obj, "rail_station", where, codes)
            gid = self.number(obj, "geonames_id", where, 1, None, integer=True, required=False)
            note = self.text(obj, "note", where, required=False)
            values = (name, lat, lon, population, la, lad, kind, imd, vul, station)
            if None not in values[:-1] and station is not _MISSING:
                out.append(Town(*values, geonames_id=gid, note=note or ""))
        return out

    def optional_station(
        self, obj: Mapping[str, Any], key: str, where: str, codes: set[str]
    ) -> Any:
        """A station code or None (JSON null); _MISSING after a problem."""
        if key not in obj:
            self.problem(where, f"missing field {key!r} (use null for a town without a station)")
            return _MISSING
        value = obj[key]
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"field {key!r} must be a station code or null, got {value!r}")
            return _MISSING
        if value not in codes:
            self.problem(where, f"field {key!r}: unknown station {value!r} (not in 'stations')")
            return _MISSING
        return value

    def hubs(self, data: Mapping[str, Any], codes: set[str]) -> list[Hub]:
        out: list[Hub] = []
        for where, obj in self.entries(data, "hubs"):
            if not self.fields(obj, where, _HUB):
                continue
            name = self.text(obj, "name", where)
            lat, lon = self.coords(obj, where)
            population = self.number(obj, "population", where, 0, None, "people", integer=True)
            station = self.text(obj, "station", where)
            if station is not None and station not in codes:
                self.problem(where, f"field 'station': unknown station {station!r}")
                station = None
            others = obj.get("other_stations", [])
            if not isinstance(others, list) or not all(isinstance(c, str) for c in others):
                self.problem(where, "field 'other_stations' must be a list of station codes")
                others = None
            else:
                for c in others:
                    if c not in codes:
                        self.problem(where, f"field 'other_stations': unknown station {c!r}")
                        others = None
            share = self.number(obj, "share", where, 0, 1)
            gid = self.number(obj, "geonames_id", where, 1, None, integer=True, required=False)
            note = self.text(obj, "note", where, required=False)
            if None not in (name, lat, lon, population, station, others, share):
                out.append(
                    Hub(name, lat, lon, population, station, share, tuple(others), gid, note or "")
                )
        n_entries = len(data.get("hubs") or []) if isinstance(data.get("hubs"), list) else 0
        if out and len(out) == n_entries:
            total = sum(h.share for h in out)
            if abs(total - 1.0) > SHARE_TOLERANCE:
                self.problem("hubs", f"the hub shares add up to {total:.3f}; they must add up to 1")
        return out

    def separated(self, towns: list[Town], hubs: list[Hub]) -> None:
        """Towns and hubs must be apart, or the area polygons cannot be drawn."""
        places: list[Town | Hub] = [*towns, *hubs]
        for i, a in enumerate(places):
            for b in places[:i]:
                if _metres(a.lat, a.lon, b.lat, b.lon) < MIN_TOWN_SEPARATION_M:
                    what = "town" if isinstance(a, Town) else "hub"
                    other = "town" if isinstance(b, Town) else "hub"
                    self.problem(
                        f"{what}s {json.dumps(a.name, ensure_ascii=False)}",
                        f"lies within {MIN_TOWN_SEPARATION_M:g} m of {other} {b.name!r}; "
                        "places must be further apart",
                    )

    def unique_places(self, data: Mapping[str, Any], towns: list[Town], hubs: list[Hub]) -> None:
        seen: dict[str, str] = {}
        ids: dict[str, str] = {}
        for section, items in (("towns", towns), ("hubs", hubs)):
            for item in items:
                label = f"{section} {json.dumps(item.name, ensure_ascii=False)}"
                if item.name in seen:
                    self.problem(
                        label, f"duplicate name {item.name!r} (already used by {seen[item.name]})"
                    )
                    continue
                seen[item.name] = "a town" if section == "towns" else "a hub"
                if section == "towns":
                    aid = area_id(item.name)
                    if not aid:
                        self.problem(label, "the name must contain a letter or digit")
                    elif aid in ids:
                        self.problem(
                            label,
                            f"name gives area id {aid!r}, the same as town {ids[aid]!r}",
                        )
                    else:
                        ids[aid] = item.name

    def link_ends(
        self, obj: Mapping[str, Any], where: str, known: set[str], what: str
    ) -> tuple[Any, Any]:
        ends = []
        for key in ("a", "b"):
            value = self.text(obj, key, where)
            if value is not None and value not in known:
                self.problem(where, f"field {key!r}: unknown {what} {value!r}")
                value = None
            ends.append(value)
        a, b = ends
        if a is not None and a == b:
            self.problem(where, f"link joins {a!r} to itself")
            return None, None
        return a, b

    def rail_links(self, data: Mapping[str, Any], codes: set[str]) -> list[RailLink]:
        out: list[RailLink] = []
        seen: dict[frozenset[str], str] = {}
        for where, obj in self.entries(data, "rail_links"):
            if not self.fields(obj, where, _RAIL):
                continue
            a, b = self.link_ends(obj, where, codes, "station")
            minutes = self.number(obj, "minutes", where, unit="minutes", positive=True)
            note = self.text(obj, "note", where, required=False)
            if None in (a, b, minutes):
                continue
            pair = frozenset((a, b))
            if pair in seen:
                self.problem(where, f"duplicate link (also {seen[pair]})")
                continue
            seen[pair] = where
            out.append(RailLink(a, b, minutes, note or ""))
        return out

    def roads(self, data: Mapping[str, Any], places: set[str]) -> list[Road]:
        out: list[Road] = []
        seen: dict[frozenset[str], str] = {}
        for where, obj in self.entries(data, "roads"):
            if not self.fields(obj, where, _ROAD):
                continue
            a, b = self.link_ends(obj, where, places, "town or hub")
            minutes = self.number(obj, "minutes", where, unit="minutes", positive=True)
            road_class = self.choice(obj, "road_class", where, ROAD_CLASSES)
            route = self.text(obj, "route", where, required=False)
            note = self.text(obj, "note", where, required=False)
            if None in (a, b, minutes, road_class):
                continue
            pair = frozenset((a, b))
            if pair in seen:
                self.problem(where, f"duplicate road (also {seen[pair]})")
                continue
            seen[pair] = where
            out.append(Road(a, b, minutes, road_class, route or "", note or ""))
        return out


def _named(data: Mapping[str, Any], section: str, key: str) -> set[str]:
    """The `key` strings of the objects in list `section` (whatever else is wrong with them)."""
    items = data.get(section)
    if not isinstance(items, list):
        return set()
    return {
        item[key].strip()
        for item in items
        if isinstance(item, dict) and isinstance(item.get(key), str) and item[key].strip()
    }


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))

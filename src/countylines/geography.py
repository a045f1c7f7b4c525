"""Reading and checking the case's area polygons (`areas.geojson` or `areas.gpkg`).

Areas are stored in British National Grid (EPSG:27700, metres): geometry as WKB, the centroid as
`x`, `y` (metres) and as `lat`, `lon` (WGS84 degrees), and `area_m2`. Numeric columns other than
the named ones are kept as indicators (for example IMD ranks or offence rates).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from countylines.problems import ProblemLog
from countylines.reader import map_columns
from countylines.schema import AREA_COLUMNS, Table

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
AREAS = Table("areas", AREA_COLUMNS, key="area_id")


def read_areas(path: Path, log: ProblemLog) -> gpd.GeoDataFrame | None:
    """Read, check and project the areas file; None when it has errors that stop its use."""
    file = path.name
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        log.error(
            "bad_geography", file, f"cannot read the geography file ({str(exc).splitlines()[0]})"
        )
        return None
    if len(gdf) == 0:
        log.error("empty_file", file, "the geography file has no features")
        return None
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    mapping = map_columns(AREAS, attrs, file, log, warn_unknown=False)
    if mapping is None or "area_id" not in mapping or "name" not in mapping:
        return None
    gdf = gdf.rename(columns={v: k for k, v in mapping.items()})
    for c in gdf.columns:
        if (
            c not in mapping
            and c != gdf.geometry.name
            and not pd.api.types.is_numeric_dtype(gdf[c])
        ):
            log.warning(
                "unknown_column",
                file,
                f"column {c!r} is not numeric, so not an indicator; ignored",
                row=1,
                column=c,
            )
    ok = _check_rows(gdf, file, log)
    gdf = _to_bng(gdf, file, log)
    if gdf is None or not ok:
        return None
    return gdf


def _check_rows(gdf: gpd.GeoDataFrame, file: str, log: ProblemLog) -> bool:
    start = log.n_errors
    ids = gdf["area_id"].astype("string").str.strip()
    for i in ids.index[ids.isna() | (ids == "")]:
        log.error(
            "missing_value", file, "required value is empty", row=int(i) + 1, column="area_id"
        )
    dup = ids[ids.duplicated(keep="first") & ids.notna()]
    for i, v in dup.items():
        first = int(ids.index[ids == v][0]) + 1
        log.error(
            "duplicate_key",
            file,
            f"area_id {v!r} also on feature {first}",
            row=int(i) + 1,
            column="area_id",
            value=str(v),
        )
    if "population" in gdf:
        pop = pd.to_numeric(gdf["population"], errors="coerce")
        bad = gdf.index[(pop.isna() & gdf["population"].notna()) | (pop < 0)]
        for i in bad:
            log.error(
                "bad_int",
                file,
                "population must be a whole number >= 0",
                row=int(i) + 1,
                column="population",
                value=str(gdf.at[i, "population"]),
            )
    geom = gdf.geometry
    for i in geom.index[geom.isna() | geom.is_empty]:
        log.error(
            "missing_geometry", file, "feature has no geometry", row=int(i) + 1, column="geometry"
        )
    present = geom[geom.notna() & ~geom.is_empty]
    wrong = present[~present.geom_type.isin(["Polygon", "MultiPolygon"])]
    for i, g in wrong.items():
        log.error(
            "bad_geometry",
            file,
            f"expected a Polygon or MultiPolygon, found {g.geom_type}",
            row=int(i) + 1,
            column="geometry",
        )
    invalid = present[~shapely.is_valid(present.values)]
    for i, g in invalid.items():
        log.error(
            "bad_geometry",
            file,
            f"invalid polygon: {shapely.is_valid_reason(g)}",
            row=int(i) + 1,
            column="geometry",
        )
    return log.n_errors == start


def _to_bng(gdf: gpd.GeoDataFrame, file: str, log: ProblemLog) -> gpd.GeoDataFrame | None:
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            log.warning(
                "no_crs", file, "no coordinate reference system given; read as WGS84 degrees"
            )
            gdf = gdf.set_crs(WGS84)
        else:
            log.error(
                "no_crs",
                file,
                "no coordinate reference system given and coordinates are not "
                "WGS84 degrees; save the file with its CRS (e.g. EPSG:27700)",
            )
            return None
    try:
        return gdf.to_crs(BNG)
    except Exception as exc:  # pyproj raises several types
        log.error("bad_crs", file, f"cannot project to British National Grid ({exc})")
        return None


def store_areas(con: duckdb.DuckDBPyConnection, gdf: gpd.GeoDataFrame) -> int:
    """Write areas (EPSG:27700) into table `areas`; returns the number of rows."""
    named = [c.name for c in AREA_COLUMNS]
    indicators = [
        c
        for c in gdf.columns
        if c not in named and c != gdf.geometry.name and pd.api.types.is_numeric_dtype(gdf[c])
    ]
    centroids = gdf.geometry.centroid
    wgs = gpd.GeoSeries(centroids, crs=BNG).to_crs(WGS84)
    frame = pd.DataFrame(
        {
            "area_id": gdf["area_id"].astype("string").str.strip(),
            "name": gdf["name"].astype("string"),
            "population": pd.to_numeric(gdf.get("population"), errors="coerce").astype("Int64")
            if "population" in gdf
            else pd.array([pd.NA] * len(gdf), dtype="Int64"),
            **{c: gdf[c].astype("float64") for c in indicators},
            "x": centroids.x,
            "y": centroids.y,
            "lat": wgs.y,
            "lon": wgs.x,
            "area_m2": gdf.geometry.area,
            "geometry_wkb": shapely.to_wkb(gdf.geometry.values),
        }
    )
    con.register("_cl_areas", frame)
    con.execute("CREATE OR REPLACE TABLE areas AS SELECT * FROM _cl_areas ORDER BY area_id")
    con.unregister("_cl_areas")
    return len(frame)

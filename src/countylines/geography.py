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
import pyogrio
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
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        layer = "areas" if "areas" in layers else layers[0] if len(layers) == 1 else None
        if layer is None:
            log.error(
                "bad_geography",
                file,
                f"has {len(layers)} layers ({', '.join(layers)}); name the area layer 'areas'",
            )
            return None
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.error("bad_geography", file, f"cannot read the geography file ({first})")
        return None
    if len(gdf) == 0:
        log.error("empty_file", file, "the geography file has no features")
        return None
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    mapping = map_columns(AREAS, attrs, file, log, warn_unknown=False, header_row=None)
    if mapping is None or "area_id" not in mapping or "name" not in mapping:
        return None
    gdf = gdf.rename(columns={v: k for k, v in mapping.items()})
    for c in gdf.columns:
        numeric = pd.api.types.is_numeric_dtype(gdf[c])
        if c not in mapping and c != gdf.geometry.name and not numeric:
            log.warning(
                "unknown_column",
                file,
                f"column {c!r} is not numeric, so not an indicator; ignored",
                column=c,
            )
    gdf = gdf.reset_index(drop=True)
    gdf["source_row"] = range(1, len(gdf) + 1)
    ok = _check_features(gdf, file, log)
    gdf = _to_bng(gdf, file, log)
    if gdf is None or not ok:
        return None
    return gdf


def _flag(
    log: ProblemLog,
    file: str,
    gdf: gpd.GeoDataFrame,
    mask: pd.Series,
    code: str,
    message: str | pd.Series,
    column: str,
) -> None:
    """Log an error for every feature where `mask` holds (rows are feature numbers from 1)."""
    for i in gdf.index[mask.fillna(False).astype(bool)]:
        text = message if isinstance(message, str) else str(message[i])
        value = None if column == "geometry" else str(gdf.at[i, column])
        log.error(code, file, text, row=int(gdf.at[i, "source_row"]), column=column, value=value)


def _check_features(gdf: gpd.GeoDataFrame, file: str, log: ProblemLog) -> bool:
    start = log.n_errors
    for col in ("area_id", "name"):
        text = gdf[col].astype("string").str.strip()
        _flag(
            log,
            file,
            gdf,
            text.isna() | (text == ""),
            "missing_value",
            "required value is empty",
            col,
        )
    ids = gdf["area_id"].astype("string").str.strip()
    first = ids.groupby(ids).transform(lambda s: int(gdf.at[s.index[0], "source_row"]))
    _flag(
        log,
        file,
        gdf,
        ids.duplicated(keep="first") & ids.notna(),
        "duplicate_key",
        "area_id is not unique: first on feature " + first.astype("string"),
        "area_id",
    )
    if "population" in gdf:
        pop = pd.to_numeric(gdf["population"], errors="coerce")
        bad = (pop.isna() & gdf["population"].notna()) | (pop < 0) | (pop % 1 != 0)
        _flag(
            log, file, gdf, bad, "bad_int", "population must be a whole number >= 0", "population"
        )
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    _flag(log, file, gdf, empty, "missing_geometry", "feature has no geometry", "geometry")
    polygonal = geom.geom_type.isin(["Polygon", "MultiPolygon"])
    _flag(
        log,
        file,
        gdf,
        ~empty & ~polygonal,
        "bad_geometry",
        "expected a Polygon or MultiPolygon, found " + geom.geom_type.astype("string"),
        "geometry",
    )
    invalid = ~empty & polygonal & ~geom.is_valid
    reasons = pd.Series(shapely.is_valid_reason(geom.values), index=gdf.index)
    _flag(log, file, gdf, invalid, "bad_geometry", "invalid polygon: " + reasons, "geometry")
    return log.n_errors == start


def _to_bng(gdf: gpd.GeoDataFrame, file: str, log: ProblemLog) -> gpd.GeoDataFrame | None:
    minx, miny, maxx, maxy = gdf.total_bounds
    degrees = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    if gdf.crs is None and degrees:
        log.warning("no_crs", file, "no coordinate reference system given; read as WGS84 degrees")
        gdf = gdf.set_crs(WGS84)
    elif (gdf.crs is None or gdf.crs.is_geographic) and not degrees:
        log.error(
            "bad_crs",
            file,
            "coordinates are not WGS84 degrees (British National Grid metres?): GeoJSON "
            "must be in WGS84; or save as GeoPackage with its CRS (e.g. EPSG:27700)",
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
        if c not in (*named, "source_row", gdf.geometry.name)
        and pd.api.types.is_numeric_dtype(gdf[c])
    ]
    centroids = gdf.geometry.centroid
    wgs = gpd.GeoSeries(centroids, crs=BNG).to_crs(WGS84)
    frame = pd.DataFrame(
        {
            "source_row": gdf["source_row"].astype("int64"),
            "area_id": gdf["area_id"].astype("string").str.strip(),
            "name": gdf["name"].astype("string"),
            "population": pd.to_numeric(gdf.get("population"), errors="coerce").astype("Int64")
            if "population" in gdf
            else pd.array([pd.NA] * len(gdf), dtype="Int64"),
            "town": gdf["town"].astype("string")
            if "town" in gdf
            else pd.array([pd.NA] * len(gdf), dtype="string"),
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

"""LSOA (2011) polygons from an ONS boundary file: GeoJSON (also `.geojson.gz`), GeoPackage
or Shapefile, in any CRS the file declares. Only the wanted LSOAs are read (an attribute
filter in GDAL), so the national file (34,753 LSOAs) needs little memory. Returned in British
National Grid (EPSG:27700, metres).

Broken polygons (self-intersections, nested shells) are an error naming the LSOA, unless `fix`
is set, when `shapely.make_valid` repairs them (the national ONS super-generalised file has three
such LSOAs: E01018992, E01019228, E01024572)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from countylines.opendata.sources import OpenDataError, closest, require_file

BNG = "EPSG:27700"
CODE_COLUMNS = ("LSOA11CD", "lsoa11cd", "lsoa11_code", "LSOA11_CD", "lsoa_code")
"""Names the LSOA code attribute may have (the first found is used)."""
# Only the code attribute and the geometry are read: the national super-generalised file takes
# about 4 s and 250 MB; the attribute filter in GDAL (`where`) is slower and fails on long lists.


def _gdal_path(path: Path) -> str:
    return f"/vsigzip/{path}" if path.name.endswith(".gz") else str(path)


def read_lsoa_polygons(path: Path, codes: Collection[str], fix: bool = False) -> gpd.GeoDataFrame:
    """Polygons of the LSOAs in `codes`: columns `area_id` and geometry, EPSG:27700."""
    require_file(path, "LSOA boundary")
    source = _gdal_path(path)
    try:
        info = pyogrio.read_info(source)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise OpenDataError(f"{path}: cannot read the LSOA boundary file ({exc})") from None
    names = [str(f) for f in info["fields"]]
    code = next((c for c in CODE_COLUMNS if c in names), None)
    if code is None:
        raise OpenDataError(
            f"{path}: no LSOA code attribute (one of {', '.join(CODE_COLUMNS)})"
            + closest("LSOA11CD", names)
        )
    if info["crs"] is None:
        raise OpenDataError(f"{path}: the boundary file declares no coordinate reference system")
    wanted = sorted(set(codes))
    try:
        gdf = pyogrio.read_dataframe(source, columns=[code])
    except Exception as exc:  # as above
        raise OpenDataError(f"{path}: cannot read the LSOA boundary file ({exc})") from None
    gdf = gdf.rename(columns={code: "area_id"})
    gdf = gdf[gdf["area_id"].isin(wanted)].reset_index(drop=True)
    if fix:
        gdf.geometry = gdf.geometry.make_valid()
    _check_geometry(gdf, path)
    missing = sorted(set(wanted) - set(gdf["area_id"]))
    if missing:
        raise OpenDataError(
            f"{path}: {len(missing)} of the {len(wanted)} LSOAs are not in the boundary file "
            f"(first: {', '.join(missing[:5])}); is it a 2011 LSOA file?"
        )
    duplicated = gdf["area_id"].duplicated()
    if duplicated.any():
        raise OpenDataError(
            f"{path}: LSOA {gdf['area_id'][duplicated].iloc[0]} has more than one feature"
        )
    return gdf.to_crs(BNG)


def _check_geometry(gdf: gpd.GeoDataFrame, path: Path) -> None:
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    bad = empty | ~geom.geom_type.isin(["Polygon", "MultiPolygon"])
    bad |= ~empty & ~geom.is_valid
    if bad.any():
        i = bad.to_numpy().nonzero()[0]
        g = geom.iloc[i[0]]
        reason = (
            "no geometry"
            if g is None or g.is_empty
            else f"{g.geom_type} {shapely.is_valid_reason(g)}"
        )
        raise OpenDataError(
            f"{path}: LSOA {gdf['area_id'].iloc[i[0]]}, column 'geometry': broken geometry "
            f"({reason}); {len(i)} feature(s) in all. Fix them in QGIS ('Fix geometries') or "
            "with --fix-geometry (shapely.make_valid)"
        )

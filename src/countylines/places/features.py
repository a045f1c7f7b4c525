"""The DuckDB adapter of `countylines places`: the case tables the place model reads.

Every function takes a connection with the loaded case attached read-only as `db`
(`attached_case.attach_case`) and returns plain pandas frames. Coordinates come out as WGS84
degrees (as stored); `areas` comes out as a GeoDataFrame in British National Grid (EPSG:27700,
metres). Times are cut at `before` (a UTC timestamp, exclusive) when given, so a backtest sees
only what was known before its cut-off. Months are calendar months, `YYYY-MM` (UTC).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from countylines.attached_case import has_table
from countylines.problems import CaseError

AREA_FIXED = ("source_row", "area_id", "name", "population", "town", "x", "y", "lat", "lon",
              "area_m2", "geometry_wkb")  # fmt: skip
"""Stored `areas` columns that are not indicators (docs/data-formats.md, `areas` table)."""


def _table(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """`columns` of a case table, or an empty frame with those columns when it is absent."""
    if not has_table(con, table):
        return pd.DataFrame({c: [] for c in columns})
    return con.execute(f"SELECT {', '.join(columns)} FROM db.{table}").df()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'db' AND table_name = ? "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def areas(con: duckdb.DuckDBPyConnection) -> gpd.GeoDataFrame:
    """The case's areas (EPSG:27700): ids, name, town (its own name when not given), population,
    centroid `x`, `y` (metres), `area_m2` and every indicator column; a `CaseError` without them."""
    if not has_table(con, "areas"):
        raise CaseError(
            "the case has no areas table (areas.geojson or areas.gpkg): places needs the areas "
            "to report on"
        )
    columns = _columns(con, "areas")
    town = "coalesce(town, name)" if "town" in columns else "name"
    frame = con.execute(f"SELECT *, {town} AS _town FROM db.areas ORDER BY area_id").df()
    if frame.empty:
        raise CaseError("the case's areas table has no areas")
    frame["town"] = frame.pop("_town").astype(str)
    geometry = shapely.from_wkb(frame.pop("geometry_wkb").map(bytes).to_numpy())
    frame["population"] = pd.to_numeric(frame["population"], errors="coerce").astype("float64")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:27700")


def indicator_columns(frame: pd.DataFrame) -> list[str]:
    """The numeric indicator columns of `areas` (everything that is not a fixed column)."""
    return [c for c in frame.columns if c not in (*AREA_FIXED, "geometry")]


def _until(before: datetime | None, column: str) -> str:
    return f" AND {column} < TIMESTAMPTZ '{before.isoformat()}'" if before else ""


def incidents(con: duckdb.DuckDBPyConnection, before: datetime | None = None) -> pd.DataFrame:
    """Incidents (lat, lon, category, month); empty when the case has none."""
    if not has_table(con, "incidents"):
        return pd.DataFrame({"lat": [], "lon": [], "category": [], "month": []})
    return con.execute(
        "SELECT lat, lon, category, strftime(time, '%Y-%m') AS month FROM db.incidents "
        "WHERE true" + _until(before, "time")
    ).df()


def persons_at_home(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Persons with a home address: lat, lon, `vulnerable` (any risk factor true), `care_child`
    (known to care and under 18 at the latest event or incident); empty without the tables."""
    if not (has_table(con, "persons") and has_table(con, "addresses")):
        return pd.DataFrame({"lat": [], "lon": [], "vulnerable": [], "care_child": []})
    year = "year(current_date)"
    for table, column in (("incidents", "time"), ("missing_episodes", "start_time")):
        if has_table(con, table):
            year = f"(SELECT coalesce(year(max({column})), {year}) FROM db.{table})"
            break
    return con.execute(
        "SELECT a.lat, a.lon, "
        "coalesce(p.mental_health OR p.drug_use OR p.debt_bondage OR p.known_to_care, false) "
        f"AS vulnerable, coalesce(p.known_to_care AND {year} - p.birth_year < 18, false) "
        "AS care_child FROM db.persons p JOIN db.addresses a ON p.home_address_id = a.address_id"
    ).df()


def missing_homes(con: duckdb.DuckDBPyConnection, before: datetime | None = None) -> pd.DataFrame:
    """One row (lat, lon of the person's home) per missing episode; empty without the tables."""
    if not all(has_table(con, t) for t in ("missing_episodes", "persons", "addresses")):
        return pd.DataFrame({"lat": [], "lon": []})
    return con.execute(
        "SELECT a.lat, a.lon FROM db.missing_episodes m JOIN db.persons p USING (person_id) "
        "JOIN db.addresses a ON p.home_address_id = a.address_id WHERE true"
        + _until(before, "m.start_time")
    ).df()


def points(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """`stations` (code, name, lat, lon) or `hubs` (name, lat, lon); empty when absent."""
    columns = ("code", "name", "lat", "lon") if table == "stations" else ("name", "lat", "lon")
    return _table(con, table, columns)


def travel_times(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(area_id, hub, mode, minutes), the smallest minutes where a row is repeated."""
    if not has_table(con, "travel_times"):
        return pd.DataFrame({"area_id": [], "hub": [], "mode": [], "minutes": []})
    return con.execute(
        "SELECT area_id, hub, mode, min(minutes) AS minutes FROM db.travel_times "
        "GROUP BY ALL ORDER BY ALL"
    ).df()


def rail_links(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(from_code, to_code, minutes) direct services; empty when absent."""
    return _table(con, "rail_links", ("from_code", "to_code", "minutes"))


def intel_numbers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(number, brand upper case) of `intel_lines`; empty when absent."""
    if not has_table(con, "intel_lines"):
        return pd.DataFrame({"number": pd.Series(dtype=str), "brand": pd.Series(dtype=str)})
    return con.execute("SELECT DISTINCT number, upper(brand) AS brand FROM db.intel_lines").df()


def _side(deal: str, other: str, before: datetime | None) -> str:
    """Events where the `deal` side is a line's deal number: the `other` side is a customer."""
    return (
        f"SELECT m.line_id, strftime(e.start_time, '%Y-%m') AS month, e.{other}_number AS "
        f"customer, e.{other}_cell_id AS cell_id FROM db.events e JOIN _pl_members m "
        f"ON e.{deal}_number = m.number WHERE true" + _until(before, "e.start_time")
    )


def line_customers(
    con: duckdb.DuckDBPyConnection, members: pd.DataFrame, before: datetime | None = None
) -> pd.DataFrame:
    """For each line's deal numbers (`members`: line_id, number): per line, month and customer
    (a number in contact with a deal number), the customer's most used cell that month, as
    (line_id, month, customer, lat, lon). Empty without events or cells."""
    empty = pd.DataFrame({"line_id": [], "month": [], "customer": [], "lat": [], "lon": []})
    if members.empty or not (has_table(con, "events") and has_table(con, "cells")):
        return empty
    con.register("_pl_members", members[["line_id", "number"]])
    try:
        return con.execute(
            "WITH touch AS ("
            f" {_side('a', 'b', before)} UNION ALL {_side('b', 'a', before)}),"
            " used AS (SELECT line_id, month, customer, cell_id, count(*) AS n FROM touch"
            "  WHERE cell_id IS NOT NULL AND customer IS NOT NULL"
            "  AND customer NOT IN (SELECT number FROM _pl_members) GROUP BY ALL),"
            " main AS (SELECT line_id, month, customer, arg_max(cell_id, n) AS cell_id"
            "  FROM used GROUP BY ALL)"
            " SELECT main.line_id, main.month, main.customer, c.lat, c.lon FROM main"
            " JOIN db.cells c USING (cell_id) ORDER BY ALL"
        ).df()
    finally:
        con.unregister("_pl_members")

"""The DuckDB adapter of `violence` and `movement`: every SQL statement they run, in one place.

Everything reads the loaded case database read-only and returns small pandas frames; all
analysis after that is pandas/numpy. Times come back as seconds since 1970 (UTC, float);
coordinates as WGS84 degrees (`lat`, `lon`), converted to British National Grid by the callers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from countylines.attached_case import attach_case, case_tables
from countylines.problems import CaseError

EPOCH = "epoch(CAST({} AS TIMESTAMPTZ))"


class CaseTables:
    """Read-only access to the case tables of a loaded database (a `.duckdb` file)."""

    def __init__(self, database: Path) -> None:
        self.con = attach_case(database)
        self.tables = case_tables(self.con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> CaseTables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, table: str) -> bool:
        return table in self.tables

    def require(self, table: str, why: str) -> None:
        """Stop with a CaseError naming `table` when the case does not have it."""
        if not self.has(table):
            raise CaseError(f"the case has no {table!r} table, needed for {why}")

    def frame(self, sql: str, params: list[object] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    # -- small tables ----------------------------------------------------------------------

    def incidents(self) -> pd.DataFrame:
        """incident_id, t (s), lat, lon, category, weapon, description, person_ids,
        person_roles (`;`-separated, one entry per person id, "" where not recorded; "" for
        every incident of a case without roles)."""
        self.require("incidents", "violence")
        roles = (
            "array_to_string(list_transform(person_roles, lambda r: coalesce(r, '')), ';')"
            if "person_roles" in self.columns("incidents")
            else "NULL"
        )
        return self.frame(
            f"SELECT incident_id, {EPOCH.format('time')} AS t, lat, lon, category, weapon, "
            "coalesce(description, '') AS description, "
            "array_to_string(coalesce(person_ids, []), ';') AS person_ids, "
            f"coalesce({roles}, '') AS person_roles "
            "FROM db.incidents ORDER BY t, incident_id"
        )

    def columns(self, table: str) -> set[str]:
        """The column names of the case table `table`."""
        rows = self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'db' "
            "AND table_name = ?",
            [table],
        ).fetchall()
        return {str(r[0]) for r in rows}

    def cells(self) -> pd.DataFrame:
        """cell_id, lat, lon (empty when the case has no cells)."""
        if not self.has("cells"):
            return pd.DataFrame({"cell_id": [], "lat": [], "lon": []})
        return self.frame("SELECT cell_id, lat, lon FROM db.cells ORDER BY cell_id")

    def places(self, table: str, name: str) -> pd.DataFrame:
        """name, lat, lon of `hubs` or `stations` (empty when absent)."""
        if not self.has(table):
            return pd.DataFrame({"name": [], "lat": [], "lon": []})
        return self.frame(f"SELECT {name} AS name, lat, lon FROM db.{table} ORDER BY name")

    def rail_links(self) -> pd.DataFrame:
        """lat0, lon0, lat1, lon1 of the two stations of each rail link (empty without the
        `rail_links` or `stations` table; links naming an unknown station are left out)."""
        if not (self.has("rail_links") and self.has("stations")):
            return pd.DataFrame({"lat0": [], "lon0": [], "lat1": [], "lon1": []})
        return self.frame(
            "SELECT a.lat AS lat0, a.lon AS lon0, b.lat AS lat1, b.lon AS lon1 "
            "FROM db.rail_links l JOIN db.stations a ON a.code = l.from_code "
            "JOIN db.stations b ON b.code = l.to_code ORDER BY l.from_code, l.to_code"
        )

    def towns(self) -> pd.DataFrame:
        """Areas as towns: town (the `town` column where present, else `name`), x, y (EPSG:27700
        centroid, metres), geometry_wkb (EPSG:27700)."""
        if not self.has("areas"):
            return pd.DataFrame({"town": [], "x": [], "y": [], "geometry_wkb": []})
        cols = {r[0] for r in self.con.execute("DESCRIBE db.areas").fetchall()}
        town = "coalesce(town, name)" if "town" in cols else "name"
        return self.frame(f"SELECT {town} AS town, x, y, geometry_wkb FROM db.areas ORDER BY 1")

    def number_persons(self, numbers: list[str]) -> pd.DataFrame:
        """number, person_id: subscriber checks that link `numbers` to a person."""
        if not self.has("subscribers") or not numbers:
            return pd.DataFrame({"number": [], "person_id": []})
        self.con.register("_numbers", pd.DataFrame({"number": numbers}))
        try:
            return self.frame(
                "SELECT s.number, s.person_id FROM db.subscribers s JOIN _numbers n "
                "ON s.number = n.number WHERE s.person_id IS NOT NULL"
            )
        finally:
            self.con.unregister("_numbers")

    # -- events of given numbers ---------------------------------------------------------------

    def _with_numbers(self, numbers: list[str], sql: str) -> pd.DataFrame:
        self.require("events", "line activity")
        self.con.register("_numbers", pd.DataFrame({"number": numbers}))
        try:
            return self.frame(sql)
        finally:
            self.con.unregister("_numbers")

    def calls_between(self, numbers: list[str]) -> pd.DataFrame:
        """Voice calls from one of `numbers` to another: t (s), a_number, b_number, a_cell_id."""
        return self._with_numbers(
            numbers,
            f"SELECT {EPOCH.format('e.start_time')} AS t, e.a_number, e.b_number, e.a_cell_id "
            "FROM db.events e WHERE e.event_type = 'voice' "
            "AND e.a_number IN (SELECT number FROM _numbers) "
            "AND e.b_number IN (SELECT number FROM _numbers)",
        )

    def customers(self, deal_numbers: list[str], min_contacts: int = 2) -> pd.DataFrame:
        """deal number, customer: numbers that contacted a deal number at least `min_contacts`
        times (calls or texts to it)."""
        return self._with_numbers(
            deal_numbers,
            "SELECT b_number AS number, a_number AS customer FROM db.events "
            "WHERE b_number IN (SELECT number FROM _numbers) "
            f"GROUP BY 1, 2 HAVING count(*) >= {int(min_contacts)}",
        )

    def sightings(self, numbers: list[str]) -> pd.DataFrame:
        """Where `numbers` were: t (s), number, cell_id, for every event with a known cell of
        either side."""
        return self._with_numbers(
            numbers,
            f"SELECT {EPOCH.format('start_time')} AS t, a_number AS number, a_cell_id AS cell_id "
            "FROM db.events WHERE a_number IN (SELECT number FROM _numbers) "
            "AND a_cell_id IS NOT NULL "
            f"UNION ALL SELECT {EPOCH.format('start_time')}, b_number, b_cell_id "
            "FROM db.events WHERE b_number IN (SELECT number FROM _numbers) "
            "AND b_cell_id IS NOT NULL ORDER BY 2, 1",
        )

    # -- ANPR ----------------------------------------------------------------------------------

    def anpr(self) -> pd.DataFrame:
        """vrm, t (s), camera_id, lat, lon of every read, by vehicle and time."""
        self.require("anpr", "vehicle movements")
        return self.frame(
            f"SELECT vrm, {EPOCH.format('time')} AS t, camera_id, lat, lon FROM db.anpr "
            "ORDER BY vrm, t"
        )

    def vehicles(self) -> pd.DataFrame:
        """vrm, category, operator of the known vehicles (empty when absent)."""
        if not self.has("vehicles"):
            return pd.DataFrame({"vrm": [], "category": [], "operator": []})
        return self.frame(
            "SELECT vrm, category, coalesce(operator, '') AS operator FROM db.vehicles"
        )

    def person_homes(self) -> pd.DataFrame:
        """person_id, lat, lon of each person's home address (empty without `persons` or
        `addresses`)."""
        if not (self.has("persons") and self.has("addresses")):
            return pd.DataFrame({"person_id": [], "lat": [], "lon": []})
        return self.frame(
            "SELECT p.person_id, a.lat, a.lon FROM db.persons p JOIN db.addresses a "
            "ON a.address_id = p.home_address_id WHERE a.lat IS NOT NULL AND a.lon IS NOT NULL"
        )

    def missing_episodes(self) -> pd.DataFrame:
        """person_id, start, end (s), found_lat, found_lon of episodes with a found place."""
        if not self.has("missing_episodes"):
            return pd.DataFrame({"person_id": [], "start": [], "end": [], "found_lat": [],
                                 "found_lon": []})  # fmt: skip
        return self.frame(
            f"SELECT person_id, {EPOCH.format('start_time')} AS start, "
            f'{EPOCH.format("end_time")} AS "end", found_lat, found_lon '
            "FROM db.missing_episodes WHERE found_lat IS NOT NULL"
        )

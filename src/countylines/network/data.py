"""The DuckDB adapter of `network`: every SQL statement it runs, in one place.

`NetworkTables` extends the read-only case access of `movement.data.CaseTables` (incidents,
cells, hubs, towns, subscriber links) with what the graph needs: communications aggregated into
undirected number pairs, the handsets of given numbers, persons and addresses. Times come back
as seconds since 1970 (UTC); coordinates as WGS84 degrees.
"""

from __future__ import annotations

import pandas as pd

from countylines.contact_pairs import TABLE as CONTACT_PAIRS
from countylines.movement.data import EPOCH, CaseTables


class NetworkTables(CaseTables):
    """The loaded case, read-only, with the network's queries."""

    def __enter__(self) -> NetworkTables:
        return self

    def contact_pairs(self, min_events: int) -> pd.DataFrame:
        """Every unordered pair of numbers with at least `min_events` calls and texts between
        them (either direction): a, b (a < b), n_events, n_voice, n_sms, first, last (s).
        Empty when the case has no events. Read from the load's `contact_pairs` (whole
        seconds, as the load stores start times) where the database has it, else aggregated
        from the events."""
        if not self.has("events"):
            return pd.DataFrame(
                {c: [] for c in ("a", "b", "n_events", "n_voice", "n_sms", "first", "last")}
            )
        if self.has(CONTACT_PAIRS) and self.has("numbers"):
            # the load's pairs: ids are in the numbers' text order, so least/greatest agree
            return self.frame(
                "WITH u AS (SELECT least(a_number_id, b_number_id) AS a, "
                "greatest(a_number_id, b_number_id) AS b, sum(n_events) AS n_events, "
                "sum(n_voice) AS n_voice, sum(n_sms) AS n_sms, min(first_s) AS first, "
                f"max(last_s) AS last FROM db.{CONTACT_PAIRS} "
                "WHERE a_number_id <> b_number_id GROUP BY 1, 2 "
                f"HAVING sum(n_events) >= {int(min_events)}) "
                "SELECT na.number AS a, nb.number AS b, CAST(n_events AS BIGINT) AS n_events, "
                "CAST(n_voice AS BIGINT) AS n_voice, CAST(n_sms AS BIGINT) AS n_sms, "
                "CAST(first AS DOUBLE) AS first, CAST(last AS DOUBLE) AS last FROM u "
                "JOIN db.numbers na ON na.number_id = u.a JOIN db.numbers nb ON nb.number_id = u.b "
                "ORDER BY 1, 2"
            )
        return self.frame(
            "SELECT least(a_number, b_number) AS a, greatest(a_number, b_number) AS b, "
            "count(*) AS n_events, count(*) FILTER (WHERE event_type = 'voice') AS n_voice, "
            "count(*) FILTER (WHERE event_type = 'sms') AS n_sms, "
            f"min({EPOCH.format('start_time')}) AS first, "
            f"max({EPOCH.format('start_time')}) AS last "
            "FROM db.events WHERE a_number IS NOT NULL AND b_number IS NOT NULL "
            "AND a_number <> b_number "
            f"GROUP BY 1, 2 HAVING count(*) >= {int(min_events)} ORDER BY 1, 2"
        )

    def handsets(self) -> pd.DataFrame:
        """number, imei, n_events, first, last (s): every number and handset it was used in
        (either side of an event). One row per pair, so a few per number."""
        if not self.has("events"):
            return pd.DataFrame({c: [] for c in ("number", "imei", "n_events", "first", "last")})
        return self.frame(
            "WITH uses AS (SELECT a_number AS number, a_imei AS imei, start_time "
            "FROM db.events WHERE a_imei IS NOT NULL AND a_number IS NOT NULL "
            "UNION ALL SELECT b_number, b_imei, start_time FROM db.events "
            "WHERE b_imei IS NOT NULL AND b_number IS NOT NULL) "
            "SELECT number, imei, count(*) AS n_events, "
            f"min({EPOCH.format('start_time')}) AS first, "
            f"max({EPOCH.format('start_time')}) AS last FROM uses GROUP BY 1, 2 ORDER BY 1, 2"
        )

    def subscriber_persons(self) -> pd.DataFrame:
        """number, person_id of every subscriber record naming a person."""
        if not self.has("subscribers"):
            return pd.DataFrame({"number": [], "person_id": []})
        return self.frame(
            "SELECT number, person_id FROM db.subscribers WHERE person_id IS NOT NULL"
        )

    def persons(self) -> pd.DataFrame:
        """person_id, birth_year, sex, home_address_id (empty when absent)."""
        if not self.has("persons"):
            return pd.DataFrame(
                {"person_id": [], "birth_year": [], "sex": [], "home_address_id": []}
            )
        return self.frame("SELECT person_id, birth_year, sex, home_address_id FROM db.persons")

    def addresses(self) -> pd.DataFrame:
        """address_id, lat, lon, postcode, occupant_person_id (empty when absent)."""
        if not self.has("addresses"):
            return pd.DataFrame(
                {"address_id": [], "lat": [], "lon": [], "postcode": [], "occupant_person_id": []}
            )
        return self.frame(
            "SELECT address_id, lat, lon, postcode, occupant_person_id FROM db.addresses"
        )

    def areas(self) -> pd.DataFrame:
        """area_id, name, town (its `town` column, else its name), geometry_wkb (EPSG:27700);
        empty when the case has no areas."""
        if not self.has("areas"):
            return pd.DataFrame({"area_id": [], "name": [], "town": [], "geometry_wkb": []})
        cols = {r[0] for r in self.con.execute("DESCRIBE db.areas").fetchall()}
        town = "coalesce(town, name)" if "town" in cols else "name"
        return self.frame(
            f"SELECT area_id, name, {town} AS town, geometry_wkb FROM db.areas ORDER BY area_id"
        )

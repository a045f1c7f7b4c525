"""The DuckDB adapter of `countylines people`: every query over the loaded case, as plain frames.

Every function takes a connection from `open_people` (the case database attached read-only as
`db`) and returns pandas DataFrames. Times are seconds since 1970-01-01 UTC; cells and
addresses keep their WGS84 degrees here and are projected to British National Grid
(EPSG:27700, metres) by `geo.py` for every distance. The events table is
scanned once for the events that touch the lines' numbers (`lev`, which the per-number queries
read), then only for the customers' usual cells and for the handsets a runner shares.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from countylines.attached_case import attach_case, has_table

DAY_S = 86_400

NIGHT_FROM_H, NIGHT_TO_H = 22, 7
"""A night is 22:00 to 07:00 UTC; a night is counted on the day it starts."""

PERSON_COLUMNS = (
    "person_id, birth_year, sex, home_address_id, mental_health, drug_use, debt_bondage, "
    "known_to_care, missing_episodes"
)


class NoPersons(LookupError):
    """The case has no `persons` table, so there is nobody to assess."""


def open_people(database: Path, line_numbers: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the case `database` attached read-only as `db`; `pev`, the
    events with a number at each end, times in seconds (empty when the case has no events); and
    `lev`, the events that touch one of `line_numbers` (one scan of the events; every
    per-number query below reads it)."""
    con = attach_case(database)
    if has_table(con, "events"):
        source = (
            "SELECT epoch(start_time)::BIGINT AS t, a_number AS a, b_number AS b, a_imei, "
            "a_cell_id AS a_cell, b_cell_id AS b_cell FROM db.events "
            "WHERE a_number IS NOT NULL AND b_number IS NOT NULL"
        )
    else:
        source = (
            "SELECT NULL::BIGINT AS t, NULL AS a, NULL AS b, NULL AS a_imei, NULL AS a_cell, "
            "NULL AS b_cell LIMIT 0"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW pev AS {source}")
    _select(con, "lsel", line_numbers)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lev AS
        SELECT pev.* FROM pev
        WHERE a IN (SELECT number FROM lsel) OR b IN (SELECT number FROM lsel)
        """
    )
    return con


def table_frame(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> pd.DataFrame:
    """`columns` (`expr AS name`, comma-separated) of a case table, or an empty frame with those
    names when the case does not have it."""
    if not has_table(con, table):
        return pd.DataFrame({c.split(" AS ")[-1].strip(): [] for c in columns.split(",")})
    return con.execute(f"SELECT {columns} FROM db.{table}").df()


def persons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The persons table (risk factors as nullable booleans: NULL is unknown)."""
    if not has_table(con, "persons"):
        raise NoPersons(
            "the case has no persons table: exploitation risk is assessed for the people in "
            "persons (person_id, birth_year and the risk factors; see docs/data-formats.md)"
        )
    return con.execute(f"SELECT {PERSON_COLUMNS} FROM db.persons").df()


def addresses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(address_id, lat, lon, occupant_person_id); empty when the case has none."""
    return table_frame(con, "addresses", "address_id, lat, lon, occupant_person_id")


def cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(cell_id, lat, lon); empty when the case has none."""
    return table_frame(con, "cells", "cell_id, lat, lon")


def subscribers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(number, person_id): numbers a subscriber check links to a person."""
    frame = table_frame(con, "subscribers", "number, person_id")
    return frame.dropna().drop_duplicates(ignore_index=True)


def missing_episodes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(person_id, start_t, end_t, found_lat, found_lon); empty when the case has none."""
    return table_frame(
        con,
        "missing_episodes",
        "person_id, epoch(start_time)::BIGINT AS start_t, epoch(end_time)::BIGINT AS end_t, "
        "found_lat, found_lon",
    )


def incidents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(incident_id, lat, lon, category, description, person_ids): police-recorded incidents,
    the persons named as a `;`-separated text (empty when none); empty when the case has no
    incidents table."""
    if not has_table(con, "incidents"):
        return pd.DataFrame(
            columns=["incident_id", "lat", "lon", "category", "description", "person_ids"]
        )
    return con.execute(
        "SELECT incident_id, lat, lon, category, coalesce(description, '') AS description, "
        "array_to_string(coalesce(person_ids, []), ';') AS person_ids FROM db.incidents "
        "ORDER BY incident_id"
    ).df()


def case_period(con: duckdb.DuckDBPyConnection) -> tuple[float, float] | None:
    """(first, last) event time in seconds, or None when there are no events."""
    row = con.execute("SELECT min(t), max(t) FROM pev").fetchone()
    return None if row is None or row[0] is None else (float(row[0]), float(row[1]))


def _select(con: duckdb.DuckDBPyConnection, name: str, numbers: list[str]) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT unnest(?::VARCHAR[]) AS number",
        [sorted(numbers)],
    )


def _uses(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> None:
    """`uses(number, t, cell)`: every event end of `numbers` (line numbers) with a cell."""
    _select(con, "psel", numbers)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE uses AS
        SELECT a AS number, t, a_cell AS cell FROM lev SEMI JOIN psel ON lev.a = psel.number
        WHERE a_cell IS NOT NULL
        UNION ALL
        SELECT b AS number, t, b_cell AS cell FROM lev SEMI JOIN psel ON lev.b = psel.number
        WHERE b_cell IS NOT NULL
        """
    )


def night_cells(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> pd.DataFrame:
    """(number, cell, nights, n_night, n_all): for each of `numbers` and each cell it used, the
    distinct nights it was there, its night-time events there and all its events there."""
    _uses(con, numbers)
    night = f"(hour(to_timestamp(t)) >= {NIGHT_FROM_H} OR hour(to_timestamp(t)) < {NIGHT_TO_H})"
    return con.execute(
        f"""
        SELECT number, cell,
               count(DISTINCT (t - {NIGHT_TO_H * 3600}) // {DAY_S}) FILTER (WHERE {night})
                   AS nights,
               count(*) FILTER (WHERE {night}) AS n_night, count(*) AS n_all
        FROM uses GROUP BY number, cell ORDER BY number, cell
        """
    ).df()


def order_cells(
    con: duckdb.DuckDBPyConnection, deal_numbers: list[str], line_numbers: list[str]
) -> pd.DataFrame:
    """(x, cell, orders, visits, visitors): contacts to each deal number `x` by numbers that are
    not the line's (its customers), by the cell they were made from: all of them, those made
    away from the customer's most used cell (visits), and how many customers made those."""
    _select(con, "deal", deal_numbers)
    _select(con, "own", line_numbers)
    return con.execute(
        """
        WITH o AS (
            SELECT lev.a AS c, lev.b AS x, lev.a_cell AS cell FROM lev
            SEMI JOIN deal ON lev.b = deal.number ANTI JOIN own ON lev.a = own.number
            WHERE lev.a_cell IS NOT NULL),
        cust AS (SELECT DISTINCT c AS number FROM o),
        home AS (
            SELECT a AS c, mode(a_cell) AS home FROM pev SEMI JOIN cust ON pev.a = cust.number
            WHERE a_cell IS NOT NULL GROUP BY a)
        SELECT x, cell, count(*) AS orders, count(*) FILTER (WHERE cell <> home) AS visits,
               count(DISTINCT c) FILTER (WHERE cell <> home) AS visitors
        FROM o JOIN home USING (c) GROUP BY x, cell ORDER BY x, cell
        """
    ).df()


def contacts(
    con: duckdb.DuckDBPyConnection, numbers: list[str], line_numbers: list[str]
) -> pd.DataFrame:
    """(number, y, n): calls and texts between each of `numbers` and the line numbers `y` (a
    subset of those `open_people` was given)."""
    _select(con, "psel", numbers)
    _select(con, "own", line_numbers)
    return con.execute(
        """
        WITH c AS (
            SELECT a AS number, b AS y FROM lev SEMI JOIN psel ON lev.a = psel.number
            SEMI JOIN own ON lev.b = own.number
            UNION ALL
            SELECT b AS number, a AS y FROM lev SEMI JOIN psel ON lev.b = psel.number
            SEMI JOIN own ON lev.a = own.number)
        SELECT number, y, count(*) AS n FROM c GROUP BY number, y ORDER BY number, y
        """
    ).df()


def shared_handsets(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> pd.DataFrame:
    """(number, other, imei): other numbers used in a handset (IMEI) that one of `numbers` (line
    numbers) used."""
    _select(con, "psel", numbers)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE mine AS
        SELECT DISTINCT a AS number, a_imei AS imei FROM lev
        SEMI JOIN psel ON lev.a = psel.number WHERE a_imei IS NOT NULL
        """
    )
    if not con.execute("SELECT count(*) FROM mine").fetchone()[0]:  # type: ignore[index]
        return pd.DataFrame({"number": [], "other": [], "imei": []}, dtype=object)
    return con.execute(
        """
        WITH everyone AS (
            SELECT DISTINCT a AS other, a_imei AS imei FROM pev
            WHERE a_imei IN (SELECT imei FROM mine))
        SELECT mine.number, everyone.other, mine.imei FROM mine JOIN everyone USING (imei)
        WHERE everyone.other <> mine.number ORDER BY ALL
        """
    ).df()


def episode_positions(
    con: duckdb.DuckDBPyConnection, numbers: list[str], episodes: pd.DataFrame
) -> pd.DataFrame:
    """(episode, number, n, lat, lon): where each of `numbers` (line numbers) was (the mean
    position of the cells of its events) during each missing episode (`episodes` has columns
    episode, start_t, end_t)."""
    _uses(con, numbers)
    con.register("episodes_df", episodes[["episode", "start_t", "end_t"]])
    try:
        return con.execute(
            """
            SELECT e.episode, u.number, count(*) AS n, avg(c.lat) AS lat, avg(c.lon) AS lon
            FROM uses u JOIN episodes_df e ON u.t BETWEEN e.start_t AND e.end_t
            JOIN db.cells c ON c.cell_id = u.cell
            GROUP BY e.episode, u.number ORDER BY ALL
            """
        ).df()
    finally:
        con.unregister("episodes_df")

"""Per-number behaviour features of deal lines, computed with DuckDB over a loaded case.

The DuckDB adapter of the line detector: every function takes a connection on which the case
database is attached as `db` (see `open_case`) and returns plain pandas DataFrames. Times are
seconds since 1970-01-01 UTC; distances are kilometres on the sphere (cells are given in WGS84
degrees and only compared with each other, so no projection is needed).

The work is ordered so that the full events table is scanned only a few times: one grouped scan
per direction finds *candidates* (numbers with many inbound contacts or a bulk-text burst), and
every costlier feature (the order -> relay -> callback triangle, contact distances, handsets) is
computed only on the events that touch a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

DAY_S = 86_400


@dataclass(frozen=True)
class FeatureSettings:
    """Windows and thresholds of the behaviour features (seconds unless said)."""

    burst_window_s: int = 600
    """A bulk-text burst is counted per window of this length."""
    burst_min_recipients: int = 20
    """Texts from one number within one window that make a burst."""
    callback_window_s: int = 1800
    """A customer's contact is 'called back' by another number within this time."""
    candidate_min_contacts: int = 30
    """Distinct inbound contacts over the whole period that make a number a candidate (as does
    any bulk-text burst): ordinary phones have 10 to 30 (full scale: 99% fewer than 31)."""
    min_span_days: float = 0.25
    """Floor on a number's active span when turning counts into rates per day."""


def open_case(database: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with `database` attached read-only as `db`."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("ATTACH ? AS db (READ_ONLY)", [str(database)])
    return con


OPTIONAL_TABLES = {
    "cells": "SELECT NULL::VARCHAR AS cell_id, NULL::DOUBLE AS lat, NULL::DOUBLE AS lon LIMIT 0",
    "subscribers": "SELECT NULL::VARCHAR AS number, NULL::VARCHAR AS account_type, "
    "NULL::BOOLEAN AS registered LIMIT 0",
}
"""Tables the features use when the case has them; an empty stand-in (same columns) when not."""


class NoEvents(LookupError):
    """The database has no `events` table, so there is nothing to find lines in."""


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'db' AND table_name = ?",
        [table],
    ).fetchone()
    return bool(found and found[0])


def _events_view(con: duckdb.DuckDBPyConnection) -> None:
    """`ev`: the events with both numbers known, times as integer seconds; `cells_t` and
    `subscribers_t`: the case's tables or empty stand-ins."""
    if not _has_table(con, "events"):
        raise NoEvents("the case has no events table: lines are found in calls and texts")
    for table, empty in OPTIONAL_TABLES.items():
        source = f"SELECT * FROM db.{table}" if _has_table(con, table) else empty
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table}_t AS {source}")
    con.execute(
        """
        CREATE OR REPLACE TEMP VIEW ev AS
        SELECT epoch(start_time)::BIGINT AS t, event_type = 'sms' AS sms, duration_s AS d,
               a_number AS a, b_number AS b, a_imei, a_cell_id AS a_cell, b_cell_id AS b_cell,
               text
        FROM db.events
        WHERE a_number IS NOT NULL AND b_number IS NOT NULL
        """
    )


def find_candidates(con: duckdb.DuckDBPyConnection, s: FeatureSettings) -> int:
    """Create `cand(number)`; returns how many numbers could be deal lines."""
    _events_view(con)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE burst_windows AS
        SELECT a AS x, t // {s.burst_window_s} AS w, count(*) AS n FROM ev WHERE sms
        GROUP BY a, w HAVING count(*) >= {s.burst_min_recipients}
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE bursts AS SELECT x AS number, count(*) AS n_bursts, "
        "max(n) AS max_burst FROM burst_windows GROUP BY x"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cand AS
        SELECT b AS number FROM ev GROUP BY b
        HAVING approx_count_distinct(a) >= {s.candidate_min_contacts}
        UNION SELECT number FROM bursts
        """
    )
    return int(con.execute("SELECT count(*) FROM cand").fetchone()[0])  # type: ignore[index]


def _contact_tables(con: duckdb.DuckDBPyConnection, s: FeatureSettings) -> None:
    """`orders` (anyone -> candidate), `outs` (candidate -> anyone), `answered` (the candidate's
    next contact after an order, when within the window; of two orders to one number in the same
    second, the smaller customer number is kept so that the result is deterministic) and `tri`,
    the callback triangle: an order from customer c to candidate x at t, then x texting or
    calling another number y (the relay, at t1; matched to the latest order before it), then y
    contacting c (the callback, at t2; the first contact after the relay), all within the
    callback window."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE touch AS
        SELECT ev.*, ca.number IS NOT NULL AS from_cand, cb.number IS NOT NULL AS to_cand
        FROM ev LEFT JOIN cand ca ON ev.a = ca.number LEFT JOIN cand cb ON ev.b = cb.number
        WHERE ca.number IS NOT NULL OR cb.number IS NOT NULL
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE orders AS SELECT a AS c, b AS x, t, a_cell, b_cell "
        "FROM touch WHERE to_cand"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE outs AS SELECT a AS x, b AS y, t, sms, a_imei, text "
        "FROM touch WHERE from_cand"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE answered AS
        SELECT r.x, r.y, o.c, o.t, r.t AS t1
        FROM (SELECT * FROM outs ANTI JOIN burst_windows bw
              ON outs.x = bw.x AND outs.t // {s.burst_window_s} = bw.w) r
        ASOF JOIN (SELECT x, t, min(c) AS c FROM orders GROUP BY x, t) o
            ON r.x = o.x AND r.t >= o.t
        WHERE r.t - o.t <= {s.callback_window_s}
        """
    )
    con.execute("CREATE OR REPLACE TEMP VIEW relay AS SELECT * FROM answered WHERE y <> c")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE tri AS
        WITH backs AS (
            SELECT a AS y, b AS c, t AS t2 FROM ev
            SEMI JOIN (SELECT DISTINCT y, c FROM relay) p ON ev.a = p.y AND ev.b = p.c)
        SELECT r.x, r.y, r.c, r.t, r.t1, b.t2
        FROM relay r ASOF JOIN backs b ON r.y = b.y AND r.c = b.c AND r.t1 <= b.t2
        WHERE b.t2 - r.t <= {s.callback_window_s}
        """
    )


def number_features(con: duckdb.DuckDBPyConnection, s: FeatureSettings) -> pd.DataFrame:
    """One row per candidate number with its raw behaviour counts (see docs/lines.md)."""
    _contact_tables(con, s)
    return con.execute(
        f"""
        WITH
        inb AS (
            SELECT x AS number, count(*) AS n_in, count(DISTINCT c) AS in_distinct,
                   count(DISTINCT (c, t // {DAY_S})) AS in_contact_days,
                   avg((t % {DAY_S} < 6 * 3600)::INT) AS night_in_share,
                   min(t) AS first_in, max(t) AS last_in
            FROM orders GROUP BY x),
        outb AS (
            SELECT x AS number, count(*) AS n_out, count(*) FILTER (sms) AS n_out_sms,
                   count(DISTINCT a_imei) AS n_handsets, min(t) AS first_out, max(t) AS last_out
            FROM outs GROUP BY x),
        relayed AS (
            SELECT x AS number, count(*) AS n_relayed, count(DISTINCT y) AS n_relay_targets,
                   count(DISTINCT c) AS n_served
            FROM tri GROUP BY x),
        cells AS (SELECT cell_id, lat, lon FROM cells_t),
        dist AS (
            SELECT o.x AS number,
                   median(6371 * acos(least(1, sin(radians(ca.lat)) * sin(radians(cb.lat))
                       + cos(radians(ca.lat)) * cos(radians(cb.lat))
                       * cos(radians(ca.lon - cb.lon))))) AS contact_km
            FROM orders o JOIN cells ca ON ca.cell_id = o.a_cell
                          JOIN cells cb ON cb.cell_id = o.b_cell
            GROUP BY o.x),
        subs AS (
            SELECT number, any_value(account_type) AS account_type,
                   bool_or(registered) AS registered
            FROM subscribers_t GROUP BY number)
        SELECT cand.number,
               coalesce(n_in, 0) AS n_in, coalesce(in_distinct, 0) AS in_distinct,
               coalesce(in_contact_days, 0) AS in_contact_days,
               coalesce(night_in_share, 0) AS night_in_share,
               coalesce(n_out, 0) AS n_out, coalesce(n_out_sms, 0) AS n_out_sms,
               coalesce(n_handsets, 0) AS n_handsets,
               coalesce(n_bursts, 0) AS n_bursts, coalesce(max_burst, 0) AS max_burst,
               coalesce(n_relayed, 0) AS n_relayed,
               coalesce(n_relay_targets, 0) AS n_relay_targets,
               coalesce(n_served, 0) AS n_served,
               contact_km,
               subs.account_type, subs.registered,
               least(first_in, first_out) AS first_seen,
               greatest(last_in, last_out) AS last_seen,
               greatest(({s.min_span_days} * {DAY_S})::DOUBLE,
                        greatest(last_in, last_out) - least(first_in, first_out)) / {DAY_S}
                   AS span_days
        FROM cand
        LEFT JOIN inb USING (number) LEFT JOIN outb USING (number)
        LEFT JOIN bursts USING (number) LEFT JOIN relayed USING (number)
        LEFT JOIN dist USING (number)
        LEFT JOIN subs USING (number)
        ORDER BY cand.number
        """
    ).df()


def _select(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> None:
    """`sel(number)`: the numbers the next query is about."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sel AS SELECT unnest(?::VARCHAR[]) AS number", [numbers]
    )


def relay_pairs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(deal candidate x, relay target y): relayed orders and distinct customers served."""
    return con.execute(
        "SELECT x, y, count(*) AS n, count(DISTINCT c) AS n_customers, min(t1) AS first_t, "
        "max(t2) AS last_t FROM tri GROUP BY x, y"
    ).df()


def voice_partners(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> pd.DataFrame:
    """(x, y, n_calls, days, mean_duration, cell): voice contacts of `numbers` in either direction,
    with the partner's most used cell."""
    _select(con, numbers)
    return con.execute(
        f"""
        WITH calls AS (
            SELECT a AS x, b AS y, t, d, b_cell AS cell FROM touch
            SEMI JOIN sel ON touch.a = sel.number WHERE NOT sms
            UNION ALL
            SELECT b AS x, a AS y, t, d, a_cell AS cell FROM touch
            SEMI JOIN sel ON touch.b = sel.number WHERE NOT sms)
        SELECT x, y, count(*) AS n_calls, count(DISTINCT t // {DAY_S}) AS days,
               avg(d) AS mean_duration, mode(cell) AS cell, min(t) AS first_t, max(t) AS last_t
        FROM calls GROUP BY x, y
        """
    ).df()


def cell_uses(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> pd.DataFrame:
    """(number, cell_id, lat, lon, n): how often each of `numbers` used each cell in their calls
    and texts with candidate numbers (a customer's cell when ordering, a runner's when given an
    order, a holder's when calling the line), most used first."""
    _select(con, numbers)
    return con.execute(
        """
        WITH uses AS (
            SELECT a AS number, a_cell AS cell FROM touch SEMI JOIN sel ON touch.a = sel.number
            UNION ALL
            SELECT b AS number, b_cell AS cell FROM touch SEMI JOIN sel ON touch.b = sel.number)
        SELECT u.number, u.cell AS cell_id, c.lat, c.lon, u.n
        FROM (SELECT number, cell, count(*) AS n FROM uses WHERE cell IS NOT NULL
              GROUP BY number, cell) u
        JOIN cells_t c ON c.cell_id = u.cell
        ORDER BY u.number, u.n DESC, u.cell
        """
    ).df()


def _outgoing(
    con: duckdb.DuckDBPyConnection, numbers: list[str], select: str, rest: str
) -> pd.DataFrame:
    """`SELECT select FROM` the outgoing events of `numbers` `rest` (a WHERE and more)."""
    _select(con, numbers)
    return con.execute(
        f"SELECT {select} FROM outs SEMI JOIN sel ON outs.x = sel.number {rest}"
    ).df()


def bulk_texts(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> pd.DataFrame:
    """(x, text, n): message texts `numbers` sent, where the case has them."""
    return _outgoing(
        con, numbers, "x, text, count(*) AS n", "WHERE text IS NOT NULL GROUP BY x, text"
    )


def burst_recipients(
    con: duckdb.DuckDBPyConnection, numbers: list[str], s: FeatureSettings
) -> pd.DataFrame:
    """(x, c): who `numbers` texted inside a bulk-text burst window."""
    return _outgoing(
        con,
        numbers,
        "DISTINCT outs.x, outs.y AS c",
        "JOIN burst_windows bw ON outs.x = bw.x AND outs.t // "
        f"{s.burst_window_s} = bw.w WHERE outs.sms",
    )


def customers(
    con: duckdb.DuckDBPyConnection, numbers: list[str], s: FeatureSettings
) -> pd.DataFrame:
    """(x, c): customers of `numbers`: texted in a burst, or served through a relay."""
    bulk = burst_recipients(con, numbers, s)
    served = con.execute("SELECT DISTINCT x, c FROM tri SEMI JOIN sel ON tri.x = sel.number").df()
    return pd.concat([bulk, served]).drop_duplicates(ignore_index=True)


def handsets(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> pd.DataFrame:
    """(x, imei): handsets `numbers` were used in."""
    return _outgoing(con, numbers, "DISTINCT x, a_imei AS imei", "WHERE a_imei IS NOT NULL")


def deals(con: duckdb.DuckDBPyConnection, members: pd.DataFrame) -> pd.DataFrame:
    """(line_id, day, deals): distinct customers a day whose order to one of the line's deal
    numbers was answered (by the deal number itself or through a relay to a runner who then
    contacted them). `members` has columns line_id, number, role."""
    con.register("members_df", members)
    try:
        return con.execute(
            f"""
            WITH m AS (SELECT line_id, number FROM members_df WHERE role = 'deal_line'),
            done AS (
                SELECT x, c, t FROM answered WHERE y = c
                UNION ALL SELECT x, c, t FROM tri)
            SELECT m.line_id, done.t // {DAY_S} AS day, count(DISTINCT done.c) AS deals
            FROM done JOIN m ON done.x = m.number
            GROUP BY ALL ORDER BY ALL
            """
        ).df()
    finally:
        con.unregister("members_df")


def area_towns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(town, lat, lon, geometry_wkb in EPSG:27700) of the case's areas: the `town` column where
    given, else the area's `name`, and the centroid in WGS84 degrees; empty when the case has no
    areas."""
    if table_frame(con, "areas", "area_id").empty:
        return pd.DataFrame({"town": [], "lat": [], "lon": [], "geometry_wkb": []})
    columns = {r[0] for r in con.execute("DESCRIBE db.areas").fetchall()}
    town = "coalesce(town, name)" if "town" in columns else "name"
    return con.execute(f"SELECT {town} AS town, lat, lon, geometry_wkb FROM db.areas").df()


def table_frame(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> pd.DataFrame:
    """`columns` of a case table, or an empty frame when the case does not have it."""
    if not _has_table(con, table):
        return pd.DataFrame({c.split(" AS ")[-1].strip(): [] for c in columns.split(",")})
    return con.execute(f"SELECT {columns} FROM db.{table}").df()

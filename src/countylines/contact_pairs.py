"""Who contacted whom: the `contact_pairs` table, one row per ordered pair of numbers in
`events`, which a load derives beside the events' integer ids (`countylines.numbering`).

Several analyses start from the same aggregate of every event: the line detector counts each
number's distinct callers (`lines.features`), and `network` links numbers that were in touch.
Over the full scenario's 62M events that aggregate costs 2 to 36 seconds per analysis
(36 on the text columns); stored once by the load (about 5 s), each analysis reads 2.5M rows.

Columns: `a_number_id`, `b_number_id` (`INTEGER`, ids in `numbers`: the caller or sender and
the called or recipient; every event with both numbers, a number contacting itself included),
`n_events`, `n_sms`, `n_voice` (`BIGINT`), `first_s`, `last_s` (`BIGINT`, the first and last
event's `epoch_s`: whole seconds since 1970-01-01 UTC). Rows are ordered by `b_number_id`, then
`a_number_id`. The table always matches `events`: retention that deletes events rebuilds it.
A database loaded before it existed lacks it; readers then aggregate `events` themselves
(`pairs_sql`), and `tools/upgrade_event_keys.py` adds it.

The SQL is plain enough for both DuckDB and Spark SQL.
"""

from __future__ import annotations

import duckdb

from countylines.numbering import EPOCH, SMS

TABLE = "contact_pairs"


def pairs_sql(events: str) -> str:
    """The contact pairs of the keyed events table (or view) `events` (unordered)."""
    return (
        "SELECT a_number_id, b_number_id, count(*) AS n_events, "
        f"sum(CASE WHEN {SMS} THEN 1 ELSE 0 END) AS n_sms, "
        "sum(CASE WHEN event_type = 'voice' THEN 1 ELSE 0 END) AS n_voice, "
        f"min({EPOCH}) AS first_s, max({EPOCH}) AS last_s FROM {events} "
        "WHERE a_number_id IS NOT NULL AND b_number_id IS NOT NULL "
        "GROUP BY a_number_id, b_number_id"
    )


def store_contact_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create `contact_pairs` from the database's keyed `events` (open for writing)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {TABLE} AS {pairs_sql('events')} "
        "ORDER BY b_number_id, a_number_id"
    )


def add_contact_pairs(con: duckdb.DuckDBPyConnection) -> bool:
    """Upgrade a database with keyed `events` (open for writing) loaded before `contact_pairs`
    existed; returns whether it was added."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if TABLE in tables:
        return False
    store_contact_pairs(con)
    return True

"""Integer ids for the phone numbers of the `events` table, so that analyses group and join
small integers instead of text.

A load adds the table `numbers (number_id, number)`, one row for every number that appears in
`events` (as `a_number` or `b_number`), with ids 1, 2, ... in the numbers' text order (so that
ordering by id is ordering by number), and the columns `a_number_id` and `b_number_id` to
`events`. The text columns stay as they were. The SQL here is plain enough for both DuckDB and
Spark SQL: an engine over a database loaded before the ids existed builds them itself with
`NUMBERS_SQL` and `NUMBERED_EVENTS_SQL` (slower: two joins on text over every event).
"""

from __future__ import annotations

import duckdb

NUMBERS = "numbers"
"""The id dictionary's table name."""

ID_COLUMNS = ("a_number_id", "b_number_id")
"""Columns a load adds to `events`."""

NUMBERS_SQL = """
    SELECT CAST(row_number() OVER (ORDER BY number) AS INT) AS number_id, number
    FROM (SELECT a_number AS number FROM {events} WHERE a_number IS NOT NULL
          UNION SELECT b_number AS number FROM {events} WHERE b_number IS NOT NULL) AS n
"""
"""The dictionary of the numbers of the events table `{events}`."""

NUMBERED_EVENTS_SQL = """
    SELECT {select}, na.number_id AS a_number_id, nb.number_id AS b_number_id
    FROM {events} AS e LEFT JOIN {numbers} AS na ON na.number = e.a_number
    LEFT JOIN {numbers} AS nb ON nb.number = e.b_number
"""
"""The events of `{events}` (as `{select}`, expressions over the alias `e`) with both number
ids, looked up in the dictionary `{numbers}`."""


def store_numbered_events(
    con: duckdb.DuckDBPyConnection, source: str, select: str, order: str
) -> None:
    """Create `numbers` from the events in the table `source`, then the table `events` as
    `select` (expressions over `source` aliased `e`) and the two id columns, in the order of
    `order` (the joins do not keep the rows' order)."""
    con.execute(f"CREATE OR REPLACE TABLE {NUMBERS} AS {NUMBERS_SQL.format(events=source)}")
    numbered = NUMBERED_EVENTS_SQL.format(select=select, events=source, numbers=NUMBERS)
    con.execute(f"CREATE OR REPLACE TABLE events AS {numbered} ORDER BY {order}")


def prune_numbers(con: duckdb.DuckDBPyConnection) -> int:
    """Delete the dictionary entries of numbers no longer in `events` (after a deletion, so the
    numbers of deleted events do not linger); returns how many went."""
    return len(
        con.execute(
            f"DELETE FROM {NUMBERS} WHERE number_id NOT IN ("
            "SELECT a_number_id FROM events WHERE a_number_id IS NOT NULL "
            "UNION SELECT b_number_id FROM events WHERE b_number_id IS NOT NULL) RETURNING 1"
        ).fetchall()
    )

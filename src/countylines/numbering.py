"""Integer ids for the phone numbers, handsets and cells of the `events` table, and whole epoch
seconds, so that analyses group and join small integers instead of text or timestamps.

A load adds three *dictionaries*, each with ids 1, 2, ... in the values' text order (so that
ordering by id is ordering by value):

* `numbers (number_id, number)`: every number of `events` (`a_number` or `b_number`), with the
  columns `a_number_id` and `b_number_id`;
* `handsets (handset_id, imei)`: every originating handset (`a_imei`), with `a_handset_id`;
* `cell_keys (cell_key, cell_id)`: every cell the events name (`a_cell_id` or `b_cell_id`), with
  `a_cell_key` and `b_cell_key`;

and the columns `epoch_s` (BIGINT): `start_time` as whole seconds since 1970-01-01 UTC, and
`is_sms` (BOOLEAN): whether the event is a text (`event_type = 'sms'`; a compressed text column
costs the line detector's scans more to test than the event itself costs to count). The text
columns stay as they were. The SQL here is plain enough for both DuckDB and Spark SQL: an
engine over a database loaded before some of these existed builds them itself
(`DICTIONARY_SQL`, `keyed_events_sql`; slower: joins on text over every event), and
`add_event_keys` upgrades such a database in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Dictionary:
    """A dictionary table `table (id, value)` of the values of the text columns `columns` of
    `events`, whose ids go into the events' columns `ids` (one for each of `columns`)."""

    table: str
    id: str
    value: str
    columns: tuple[str, ...]
    ids: tuple[str, ...]

    def sql(self, events: str) -> str:
        """The dictionary of the values in the events table (or view) `events`."""
        values = " UNION ".join(
            f"SELECT DISTINCT {c} AS v FROM {events} WHERE {c} IS NOT NULL" for c in self.columns
        )
        return (
            f"SELECT CAST(row_number() OVER (ORDER BY v) AS INT) AS {self.id}, v AS {self.value} "
            f"FROM ({values}) AS vs"
        )


NUMBERS = Dictionary("numbers", "number_id", "number", ("a_number", "b_number"),
                     ("a_number_id", "b_number_id"))  # fmt: skip
HANDSETS = Dictionary("handsets", "handset_id", "imei", ("a_imei",), ("a_handset_id",))
CELL_KEYS = Dictionary("cell_keys", "cell_key", "cell_id", ("a_cell_id", "b_cell_id"),
                       ("a_cell_key", "b_cell_key"))  # fmt: skip
DICTIONARIES = (NUMBERS, HANDSETS, CELL_KEYS)
"""Every dictionary a load makes."""

EPOCH = "epoch_s"
EPOCH_SQL = f"CAST(floor(epoch(e.start_time)) AS BIGINT) AS {EPOCH}"
"""The events' `start_time` (over the alias `e`) in whole seconds since 1970-01-01 UTC."""

SMS = "is_sms"
SMS_SQL = f"e.event_type = 'sms' AS {SMS}"
"""Whether an event (over the alias `e`) is a text."""

ID_COLUMNS = tuple(c for d in DICTIONARIES for c in d.ids)
"""The id columns a load adds to `events` (`epoch_s` and `is_sms` besides)."""


def keyed_events_sql(
    select: str,
    events: str,
    dictionaries: Iterable[Dictionary],
    epoch: bool = True,
    sms: bool = True,
) -> str:
    """The events of `events` (as `select`, expressions over the alias `e`) with the ids of
    each of `dictionaries` (looked up in the table named as the dictionary's `table`) and,
    when `epoch`, `epoch_s`, when `sms`, `is_sms`."""
    columns, joins = [select], []
    for d in dictionaries:
        for column, id_column in zip(d.columns, d.ids, strict=True):
            alias = f"k_{id_column}"
            columns.append(f"{alias}.{d.id} AS {id_column}")
            joins.append(f"LEFT JOIN {d.table} AS {alias} ON {alias}.{d.value} = e.{column}")
    if epoch:
        columns.append(EPOCH_SQL)
    if sms:
        columns.append(SMS_SQL)
    return f"SELECT {', '.join(columns)} FROM {events} AS e {' '.join(joins)}"


def missing_keys(tables: set[str], event_columns: Iterable[str]) -> list[Dictionary]:
    """The dictionaries a case with `tables` and events with `event_columns` lacks (the
    table or any of its id columns)."""
    have = set(event_columns)
    return [d for d in DICTIONARIES if d.table not in tables or not set(d.ids) <= have]


def store_keyed_events(
    con: duckdb.DuckDBPyConnection, source: str, select: str, order: str
) -> None:
    """Create the dictionaries from the events in the table `source`, then the table `events`
    as `select` (expressions over `source` aliased `e`), the id columns, `epoch_s` and
    `is_sms`, in the order of `order` (the joins do not keep the rows' order)."""
    for d in DICTIONARIES:
        con.execute(f"CREATE OR REPLACE TABLE {d.table} AS {d.sql(source)}")
    keyed = keyed_events_sql(select, source, DICTIONARIES)
    con.execute(f"CREATE OR REPLACE TABLE events AS {keyed} ORDER BY {order}")


def add_event_keys(con: duckdb.DuckDBPyConnection) -> bool:
    """Upgrade a database (open for writing on `con`) loaded before some of the dictionaries,
    `epoch_s` or `is_sms` existed: rebuild its `events` with all of them, in the same row
    order, in one transaction. Returns whether anything was added."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    columns = [r[0] for r in con.execute("DESCRIBE events").fetchall()]
    if not missing_keys(tables, columns) and {EPOCH, SMS} <= set(columns):
        return False
    derived = set(ID_COLUMNS) | {EPOCH, SMS}
    kept = ", ".join(f"e.{c}" for c in columns if c not in derived)
    con.execute("BEGIN")
    try:
        con.execute("ALTER TABLE events RENAME TO events_unkeyed")
        store_keyed_events(con, "events_unkeyed", kept, order="e.source_row")
        con.execute("DROP TABLE events_unkeyed")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return True


def prune_dictionaries(con: duckdb.DuckDBPyConnection, tables: set[str]) -> int:
    """Delete the entries of the dictionaries among `tables` whose values are no longer in
    `events` (after a deletion, so that the numbers and handsets of deleted events do not
    linger); returns how many went."""
    gone = 0
    for d in DICTIONARIES:
        if d.table not in tables:
            continue
        used = " UNION ".join(f"SELECT {c} FROM events WHERE {c} IS NOT NULL" for c in d.ids)
        gone += len(
            con.execute(
                f"DELETE FROM {d.table} WHERE {d.id} NOT IN ({used}) RETURNING 1"
            ).fetchall()
        )
    return gone

"""Where the line features' SQL runs: the engine protocol and its DuckDB adapter.

`countylines.lines.features` is written once, as SQL in DuckDB's dialect restricted to what
Apache Spark SQL also has (no ASOF joins, no DuckDB-only functions). An engine runs it over the
case tables, which every engine exposes under the same names: `events_t`, `numbers_t`,
`cells_t`, `subscribers_t`, `hubs_t`, `intel_lines_t`, `areas_t`, `handsets_t` and
`cell_keys_t` (an optional table the case does not have is an empty stand-in with the columns
the features read), and `contact_pairs_t`. `events_t` always has the integer ids, `epoch_s` and
`is_sms` of `countylines.numbering`, and `numbers_t`, `handsets_t` and `cell_keys_t` their
dictionaries: a database loaded before some of them existed gets them built by the engine
(`key_events`); `contact_pairs_t` is the load's `countylines.contact_pairs`, or the same
aggregate of `events_t` (computed where it is read) for a database loaded before it existed.
The DuckDB engine (the default) runs the SQL as written on the loaded case database; the Spark
engine (`countylines.lines.spark`, the optional extra `countylines[spark]`) translates it with
sqlglot.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from countylines.attached_case import attach_case, case_tables
from countylines.contact_pairs import TABLE as CONTACT_PAIRS
from countylines.contact_pairs import pairs_sql
from countylines.numbering import DICTIONARIES, EPOCH, SMS, keyed_events_sql, missing_keys

CASE_TABLES = (
    "events", "cells", "subscribers", "hubs", "intel_lines", "areas",
    *(d.table for d in DICTIONARIES), CONTACT_PAIRS,
)  # fmt: skip
"""Case tables the line detector reads, exposed by every engine as `NAME_t`."""

EMPTY_TABLES = {
    "cells": "SELECT CAST(NULL AS VARCHAR) AS cell_id, CAST(NULL AS DOUBLE) AS lat, "
    "CAST(NULL AS DOUBLE) AS lon LIMIT 0",
    "subscribers": "SELECT CAST(NULL AS VARCHAR) AS number, "
    "CAST(NULL AS VARCHAR) AS account_type, CAST(NULL AS BOOLEAN) AS registered LIMIT 0",
    "hubs": "SELECT CAST(NULL AS VARCHAR) AS name, CAST(NULL AS DOUBLE) AS lat, "
    "CAST(NULL AS DOUBLE) AS lon LIMIT 0",
    "intel_lines": "SELECT CAST(NULL AS VARCHAR) AS number, CAST(NULL AS VARCHAR) AS brand LIMIT 0",
    "areas": "SELECT CAST(NULL AS VARCHAR) AS name, CAST(NULL AS VARCHAR) AS town, "
    "CAST(NULL AS DOUBLE) AS lat, CAST(NULL AS DOUBLE) AS lon, "
    "CAST(NULL AS BLOB) AS geometry_wkb LIMIT 0",
}
"""Empty stand-ins (same columns as read) for the optional case tables."""


PERFECT_HASH_BITS = 20
"""Up to this many bits of group key range (from the columns' statistics), DuckDB aggregates
into an array instead of a hash table: its default, 12, is too few for the per-number counts of
the full scenario (17 bits of number ids). The array is allocated for the whole key range, so
the bound also bounds its memory (a million groups)."""

DENSE_PERFECT_HASH_BITS = 25
"""The same bound for the tables created with `dense_keys`: the bulk-text count per number and
day (17 bits of number ids and 7-8 of days on the full scenario), which the array counts in three
quarters of the CPU time. Not for every query: over a range this large, a query with wider
aggregate states (the voice partners of a medium case) needs gigabytes outside DuckDB's memory
limit. 25, not 26: the count's state is a DOUBLE sum of packed slot counts (16 bytes a group),
and over 26 bits (case 41's texts grouped by quarter days) that query alone peaked at 3.7 GB
(2.2 GB with a bare count's 8 bytes); over 25 bits it peaked at 2.1 GB. A wider range is
counted in a hash table (on those quarter days: 11.9 CPU seconds against 8.3, 1.9 GB)."""

DYNAMIC_FILTER_MAX = 10_000
"""Up to this many join keys, DuckDB pushes the build side of a join into the probe side's scan
as an IN filter (its default, 50, is too few for the line candidates)."""


class NoEvents(LookupError):
    """The case has no `events` table, so there is nothing to find lines in."""


class Engine(Protocol):
    """Runs the features' SQL. Names created are temporary and private to the engine."""

    name: str
    memo: dict[str, Any]
    """What the features read once and keep for the engine's life (the case never changes)."""

    def has_table(self, table: str) -> bool:
        """Whether the case has the table `table` (one of CASE_TABLES)."""
        ...

    def create(self, name: str, sql: str, dense_keys: bool = False) -> None:
        """Materialise the result of `sql` as the table `name` (replacing it); `dense_keys`: an
        aggregation whose group keys span a small dense range (number id by day), which an engine
        may count in an array."""
        ...

    def view(self, name: str, sql: str) -> None:
        """Name the query `sql` as the view `name` (replacing it)."""
        ...

    def frame(self, sql: str) -> pd.DataFrame:
        """The result of `sql` as a pandas DataFrame."""
        ...

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make `frame` (text columns only) queryable as `name`, replacing any before."""
        ...

    def close(self) -> None:
        """Release the engine's resources."""
        ...


def check_events(engine: Engine) -> None:
    """Raise NoEvents when the case has no events table."""
    if not engine.has_table("events"):
        raise NoEvents("the case has no events table: lines are found in calls and texts")


def key_events(engine: Engine, source: str, tables: set[str], event_columns: list[str]) -> None:
    """Expose the events of the view `source` (of a case with `tables`, its events with
    `event_columns`) as `events_t` with whichever ids, `epoch_s` and `is_sms` they lack, from
    dictionaries built here (a database loaded before they existed: slower)."""
    missing = missing_keys(tables, event_columns)
    for d in missing:
        engine.create(f"{d.table}_built", d.sql(source))
        engine.view(f"{d.table}_t", f"SELECT * FROM {d.table}_built")
    engine.view(
        "events_t",
        keyed_events_sql(
            "e.*",
            source,
            [replace(d, table=f"{d.table}_t") for d in missing],
            epoch=EPOCH not in event_columns,
            sms=SMS not in event_columns,
        ),
    )


def expose_events(engine: Engine, source: str, tables: set[str], event_columns: list[str]) -> None:
    """Expose the events of the view `source` as `events_t`, with every id, `epoch_s` and
    `is_sms` (`key_events` builds those the case lacks), and `contact_pairs_t`: the load's table
    where the case has it with keyed events, else the same aggregate of `events_t`."""
    keyed = is_keyed(tables, event_columns)
    if not keyed:
        key_events(engine, source, tables, event_columns)
    if CONTACT_PAIRS not in tables or not keyed:
        engine.view(f"{CONTACT_PAIRS}_t", pairs_sql("events_t"))


def is_keyed(tables: set[str], event_columns: list[str]) -> bool:
    """Whether a case with `tables` and events with `event_columns` has every id, `epoch_s`
    and `is_sms`."""
    return not missing_keys(tables, event_columns) and {EPOCH, SMS} <= set(event_columns)


class DuckDBEngine:
    """The default engine: DuckDB in memory with the loaded case database attached read-only."""

    name = "duckdb"

    def __init__(self, database: Path) -> None:
        self.memo: dict[str, Any] = {}
        self.con = attach_case(database)
        self.con.execute("SET preserve_insertion_order = false")  # every result is ordered
        # A join with the candidates (a few thousand numbers) filters the events' scan first,
        # so their text columns are read only for the rows kept.
        self.con.execute(f"SET dynamic_or_filter_threshold = {DYNAMIC_FILTER_MAX}")
        self.con.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}")
        self._present = case_tables(self.con) & set(CASE_TABLES)
        for table in CASE_TABLES:
            if table in self._present:
                source = f"SELECT * FROM db.{table}"
                if table == "areas" and not self._has_town():
                    source = "SELECT *, CAST(NULL AS VARCHAR) AS town FROM db.areas"
            else:
                source = EMPTY_TABLES.get(table, "SELECT 1 AS none LIMIT 0")
            self.con.execute(f"CREATE TEMP VIEW {table}_t AS {source}")
        if "events" in self._present:
            expose_events(self, "db.events", self._present, self._columns("events"))

    def _columns(self, table: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE db.{table}").fetchall()]

    def _has_town(self) -> bool:
        return "town" in self._columns("areas")

    def has_table(self, table: str) -> bool:
        return table in self._present

    def create(self, name: str, sql: str, dense_keys: bool = False) -> None:
        if not dense_keys:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            return
        self.con.execute(f"SET perfect_ht_threshold = {DENSE_PERFECT_HASH_BITS}")
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        finally:
            self.con.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}")

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(f"_{name}_df", frame)
        self.create(name, f"SELECT * FROM _{name}_df")
        self.con.unregister(f"_{name}_df")

    def close(self) -> None:
        self.con.close()

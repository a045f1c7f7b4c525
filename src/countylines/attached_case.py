"""The loaded case database attached read-only to an in-memory DuckDB connection.

Every analysis reads the case this way: its own temporary tables and views live in memory,
the case (`OUT/case.duckdb`, written by `load`) is the schema `db` and is never changed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def attach_case(database: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection, times in UTC and no progress bar, with the loaded case
    `database` attached read-only as `db`."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("ATTACH ? AS db (READ_ONLY)", [str(database)])
    return con


def case_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The names of the tables of the attached case `db`."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'db'"
    ).fetchall()
    return {r[0] for r in rows}


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the attached case `db` has `table`."""
    return table in case_tables(con)

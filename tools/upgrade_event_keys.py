"""Upgrade a case database loaded by a version before the handset and cell ids, `epoch_s` and
`is_sms` (`countylines.numbering`) or before `contact_pairs` (`countylines.contact_pairs`) to
have them, in place, so the analyses need not build them at every run. The database must not
be in use.

    .venv/bin/python tools/upgrade_event_keys.py OUT/case.duckdb [--memory-limit 4GB]

On the full scenario (62M events) this rebuilds the events table: minutes of both cores and a
few GB of temporary disk next to the database; adding `contact_pairs` alone takes seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

from countylines.contact_pairs import add_contact_pairs
from countylines.numbering import add_event_keys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("database", type=Path, help="a loaded case.duckdb")
    p.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit (default 4GB)")
    a = p.parse_args(argv)
    if not a.database.is_file():
        print(f"upgrade_event_keys: {a.database}: no such database", file=sys.stderr)
        return 2
    started = time.perf_counter()
    con = duckdb.connect(str(a.database))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = ?", [a.memory_limit])
        if not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events'"
        ).fetchone()[0]:  # type: ignore[index]
            print(f"upgrade_event_keys: {a.database}: no events table", file=sys.stderr)
            return 2
        changed = add_event_keys(con)
        changed = add_contact_pairs(con) or changed
        con.execute("CHECKPOINT")
    finally:
        con.close()
    what = "upgraded" if changed else "already has every id; nothing to do"
    print(f"{a.database}: {what} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Retention periods per table and applying them to a loaded case database.

The periods live in the workspace, in `retention.toml`:

    [days]
    events = 730
    anpr = 365

A table without a period is kept until someone erases from it. `apply_retention` deletes the
rows of each table whose time (`RETENTION_TIME`) is older than its period, rewrites the
database so the deleted values do not linger, and records the counts in the audit log.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from countylines import audit
from countylines.contact_pairs import TABLE as CONTACT_PAIRS
from countylines.contact_pairs import store_contact_pairs
from countylines.database import compact_database
from countylines.duckdb_checks import quote
from countylines.numbering import prune_dictionaries
from countylines.roles import Permission, User, require
from countylines.workspace import Workspace

RETENTION_TIME: dict[str, str] = {
    "events": "start_time",
    "anpr": "time",
    "incidents": "time",
    "missing_episodes": "end_time",
    "intel_lines": "date",
}
"""Tables with a retention period, and the column that dates each row."""


def read_periods(ws: Workspace) -> dict[str, int]:
    """Days to keep, by table; ValueError for a malformed file or unknown table."""
    if not ws.retention_path.exists():
        return {}
    try:
        data = tomllib.loads(ws.retention_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{ws.retention_path}: {exc}") from None
    days = data.get("days", {})
    for table, n in days.items():
        _check(table, n)
    return dict(days)


def _check(table: str, days: object) -> None:
    if table not in RETENTION_TIME:
        raise ValueError(
            f"no retention period for table {table!r}: tables with dated rows are "
            f"{', '.join(RETENTION_TIME)}"
        )
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValueError(f"retention for {table}: days must be a whole number of at least 1")


def set_period(ws: Workspace, user: User, table: str, days: int | None) -> dict[str, int]:
    """Set (or with None, remove) a table's period; needs `manage_retention`; audit-logged."""
    require(user, Permission.MANAGE_RETENTION)
    periods = read_periods(ws)
    if days is None:
        periods.pop(table, None)
    else:
        _check(table, days)
        periods[table] = days
    lines = ["# Days to keep rows, by table (countylines retention set).", "[days]"]
    lines += [f"{t} = {n}" for t, n in sorted(periods.items())]
    tmp = ws.retention_path.with_name(ws.retention_path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(ws.retention_path)
    what = f"{table}:{days} days" if days is not None else f"{table}:kept"
    audit.record(ws, user.name, "retention_set", str(ws.retention_path), [what], "")
    return periods


def apply_retention(
    ws: Workspace,
    user: User,
    case_db: Path,
    now: datetime | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete rows older than their table's period; rows deleted (or due, if `dry_run`) by table.

    Needs `manage_retention`. A real run that deletes anything is audit-logged with the counts.
    """
    require(user, Permission.MANAGE_RETENTION)
    periods = read_periods(ws)
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(case_db), read_only=dry_run)
    try:
        con.execute("SET TimeZone = 'UTC'")
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if not dry_run:
            con.execute("BEGIN")
        for table, days in sorted(periods.items()):
            if table not in present:
                continue
            cutoff = now - timedelta(days=days)
            where = f"{quote(RETENTION_TIME[table])} < ?"
            if dry_run:
                sql = f"SELECT count(*) FROM {quote(table)} WHERE {where}"
                counts[table] = int(con.execute(sql, [cutoff]).fetchone()[0])  # type: ignore[index]
            else:
                sql = f"DELETE FROM {quote(table)} WHERE {where} RETURNING 1"
                counts[table] = len(con.execute(sql, [cutoff]).fetchall())
        if not dry_run:
            if counts.get("events"):
                # the numbers, handsets and cells of deleted events must not linger
                prune_dictionaries(con, present)
                if CONTACT_PAIRS in present:  # derived from the events: rebuilt to match
                    store_contact_pairs(con)
            con.execute("COMMIT")
    finally:
        con.close()
    if not dry_run and any(counts.values()):
        audit.record(
            ws,
            user.name,
            "retention_apply",
            str(Path(case_db).resolve()),
            [f"{t}:{n}" for t, n in counts.items()],
            "retention periods: " + ", ".join(f"{t} {periods[t]} days" for t in counts),
        )
        compact_database(Path(case_db))
    return counts

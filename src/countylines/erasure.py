"""Erasing a person from a loaded case database, logged in the audit trail.

`ERASURE` says, for every column that holds a person id, what erasing a person does to it:
`delete` the row (the person, their subscriber links, their missing episodes), `clear` the value
(an address stays a place but no longer names its occupant) or `remove` the id from a list (an
incident stays, without them). Problems recorded against the deleted rows go too. The database
is then rewritten into a fresh file, so the deleted values do not linger in freed blocks.
Erasure changes the loaded database only: the case folder it came from must be corrected too,
or the next load brings the person back (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from countylines import audit
from countylines.database import compact_database
from countylines.duckdb_checks import quote
from countylines.pseudonym import IdType, pseudonym
from countylines.roles import Permission, User, require
from countylines.workspace import Workspace

ERASURE: dict[tuple[str, str], str] = {
    ("persons", "person_id"): "delete",
    ("subscribers", "person_id"): "delete",
    ("missing_episodes", "person_id"): "delete",
    ("addresses", "occupant_person_id"): "clear",
    ("incidents", "person_ids"): "remove",
}
"""(table, person-id column) -> delete the row, clear the value, or remove it from the list."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure changed: rows per table and action, e.g. {"persons delete": 1}."""

    person: str
    changed: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.changed.values())


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _drop_problems(con: duckdb.DuckDBPyConnection, table: str, rows: list[int]) -> None:
    """Delete the problems recorded against the deleted source rows of `table`."""
    if not rows or "_case_problems" not in _tables(con):
        return
    con.execute(
        "DELETE FROM _case_problems WHERE list_contains(?, row_number) AND file IN "
        "(SELECT file FROM _case_files WHERE table_name = ?)",
        [rows, table],
    )


def erase_person(
    ws: Workspace, user: User, case_db: Path, person: str, reason: str, key: bytes
) -> Erasure:
    """Erase `person` from `case_db`; needs `manage_retention` and a reason; audit-logged.

    The audit entry names the person by pseudonym (made with `key`), so the log does not keep
    the id it erased, yet anyone holding the key can confirm that a given id was erased.
    Nothing is changed (and nothing logged) if the person is not in the database.
    """
    require(user, Permission.MANAGE_RETENTION)
    why = audit.check_reason(reason)
    changed: dict[str, int] = {}
    con = duckdb.connect(str(case_db))
    try:
        present = _tables(con)
        con.execute("BEGIN")
        for (table, column), action in ERASURE.items():
            if table not in present:
                continue
            t, c = quote(table), quote(column)
            if action == "delete":
                rows = con.execute(
                    f"DELETE FROM {t} WHERE {c} = ? RETURNING source_row", [person]
                ).fetchall()
                _drop_problems(con, table, [int(r[0]) for r in rows])
                n = len(rows)
            elif action == "clear":
                n = len(
                    con.execute(
                        f"UPDATE {t} SET {c} = NULL WHERE {c} = ? RETURNING 1", [person]
                    ).fetchall()
                )
            else:
                n = len(
                    con.execute(
                        f"UPDATE {t} SET {c} = list_filter({c}, lambda x: x <> ?) "
                        f"WHERE list_contains({c}, ?) RETURNING 1",
                        [person, person],
                    ).fetchall()
                )
            if n:
                changed[f"{table} {action}"] = n
        if "_case_problems" in present:
            con.execute("DELETE FROM _case_problems WHERE value = ?", [person])
        con.execute("COMMIT" if changed else "ROLLBACK")
    finally:
        con.close()
    result = Erasure(person, changed)
    if changed:
        audit.record(
            ws,
            user.name,
            "erase",
            str(Path(case_db).resolve()),
            [pseudonym(person, IdType.PERSON, key), *(f"{k}:{v}" for k, v in changed.items())],
            why,
        )
        compact_database(Path(case_db))
    return result

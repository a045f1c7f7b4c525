"""Erasing a person from a loaded case database, logged in the audit trail.

`ERASURE` says, for every column that holds a person id, what erasing a person does to it:
`delete` the row (the person, their subscriber links, their missing episodes), `clear` the value
(an address stays a place but no longer names its occupant) or `remove` the id from a list (an
incident stays, without them). Problems recorded against the deleted rows go too. The database
is then rewritten into a fresh file, so the deleted values do not linger in freed blocks.
Given analysis output folders, the person's pseudonym is erased from their tables too (rows of
the person dropped, an occupant cleared, the token in free text replaced). The case folder it
came from must be corrected by its owner, or the next load brings the person back
(docs/security.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd

from countylines import audit
from countylines.database import compact_database
from countylines.duckdb_checks import quote
from countylines.maps.write import replace_atomically
from countylines.private_outputs import erase_from_frame
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

COMPANION_LISTS: dict[tuple[str, str], str] = {("incidents", "person_ids"): "person_roles"}
"""A list column holding one entry per entry of a person-id list (each named person's role):
the erased person's entry goes with their id."""


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


def _remove_from_list(con: duckdb.DuckDBPyConnection, table: str, column: str, person: str) -> int:
    """Remove `person` from the list `column` of `table` (and their entry of its companion
    list, `COMPANION_LISTS`, when the table has it); returns the rows changed."""
    t, c = quote(table), quote(column)
    companion = COMPANION_LISTS.get((table, column))
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    }
    sets = [f"{c} = list_filter({c}, lambda x: x <> $person)"]
    if companion in columns:
        other = quote(str(companion))
        sets.insert(0, f"{other} = list_filter({other}, lambda x, i: {c}[i] <> $person)")
    return len(
        con.execute(
            f"UPDATE {t} SET {', '.join(sets)} WHERE list_contains({c}, $person) RETURNING 1",
            {"person": person},
        ).fetchall()
    )


def erase_from_outputs(folder: Path, token: str) -> dict[str, int]:
    """Erase the person `token` (their pseudonym) from every table (CSV, Parquet) under the
    analysis output folder `folder` (`private_outputs.erase_from_frame`); each changed file is
    replaced atomically. Returns the changes per file, relative to `folder`."""
    changed: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".csv", ".parquet") or path.name.startswith("."):
            continue
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_parquet(path)
        kept, n = erase_from_frame(frame, token)
        if not n:
            continue
        write = kept.to_csv if path.suffix == ".csv" else kept.to_parquet
        replace_atomically(path, partial(write, index=False))
        changed[f"{path.relative_to(folder)} erase"] = n
    return changed


def erase_person(
    ws: Workspace,
    user: User,
    case_db: Path,
    person: str,
    reason: str,
    key: bytes,
    outputs: Sequence[Path] = (),
) -> Erasure:
    """Erase `person` from `case_db`, and from the analysis output folders `outputs` (by
    pseudonym); needs `manage_retention` and a reason; audit-logged.

    The audit entry names the person by pseudonym (made with `key`), so the log does not keep
    the id it erased, yet anyone holding the key can confirm that a given id was erased.
    Nothing is changed (and nothing logged) if the person is in neither.
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
                n = _remove_from_list(con, table, column, person)
            if n:
                changed[f"{table} {action}"] = n
        if "_case_problems" in present:
            con.execute("DELETE FROM _case_problems WHERE value = ?", [person])
        con.execute("COMMIT" if changed else "ROLLBACK")
    finally:
        con.close()
    in_db = bool(changed)
    token = pseudonym(person, IdType.PERSON, key)
    for folder in outputs:
        changed.update(erase_from_outputs(Path(folder), token))
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
    if in_db:
        compact_database(Path(case_db))
    return result

"""Building the case database: stage every file, check it, type it, and check links between tables.

One function, `build_case_database`, does the work for both `validate` (into a throw-away file) and
`load` (into a temporary file that replaces the old database only when the build succeeds, so a
failed or killed load never changes a database a user already has).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from countylines import __version__
from countylines.casefolder import CaseFiles, TableFile, find_case_files
from countylines.contact_pairs import store_contact_pairs
from countylines.duckdb_checks import (
    SQL_TYPES,
    Check,
    column_checks,
    install_macros,
    parse_expr,
    quote,
    table_rules,
)
from countylines.numbering import store_keyed_events
from countylines.problems import CaseError, Problem, ProblemLog, Severity
from countylines.reader import DEFAULT_LIMITS, InputLimits, Progress, StagedTable, stage_table
from countylines.schema import TABLES, Kind, Reference, Table

DB_NAME = "case.duckdb"
MEMORY_LIMIT = "2GB"
STAGE = "stage"

StepCallback = Callable[[str, TableFile | None], Progress | None]
"""Called when a table starts; may return a callback that receives bytes read so far."""


@dataclass
class BuildResult:
    """What a build found: rows per table and every problem."""

    case: Path
    log: ProblemLog
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.log.n_errors == 0

    def to_dict(self) -> dict[str, Any]:
        return {"case": str(self.case), "ok": self.ok, "rows": self.rows, **self.log.to_dict()}


def connect(path: Path | None, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file (in memory if `path` is None) with bounded memory and times in UTC.

    Raw text is staged in the database `stage`, a file in `temp_dir` (which the caller
    removes): stored compressed, it takes about half the disk that an in-memory stage spilling
    to `temp_dir` took (measured with the memory limit a 3.8M-event case at 200 MB: 0.83 GB
    against 1.76 GB of temporary disk at the same CPU time).
    """
    temp_dir.mkdir(parents=True, exist_ok=True)
    stage = (temp_dir / "stage.duckdb").as_posix().replace("'", "''")
    con = duckdb.connect(":memory:" if path is None else str(path))
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET temp_directory = ?", [temp_dir.as_posix()])  # a user's path: bound
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{stage}' AS {STAGE}")  # ATTACH takes no bound parameter
    install_macros(con)
    return con


def _parse_table(con: duckdb.DuckDBPyConnection, staged: StagedTable) -> str:
    """Parse the staged raw text once into `stage.typed_NAME` (raw and typed side by side)."""
    typed_name = f"{STAGE}.typed_{staged.table.name}"
    raw = [f"{quote(c)} AS {quote('raw_' + c)}" for c in staged.columns]
    typed = [
        f"{parse_expr(c, quote(c.name)) if c.name in staged.columns else 'NULL'}"
        f"::{SQL_TYPES[c.kind]} AS {quote(c.name)}"
        for c in staged.table.columns
    ]
    con.execute(
        f"CREATE OR REPLACE TABLE {typed_name} AS SELECT _row, {', '.join(raw + typed)} "
        f"FROM {staged.raw_name}"
    )
    con.execute(f"DROP TABLE {staged.raw_name}")
    return typed_name


def _run_row_checks(
    con: duckdb.DuckDBPyConnection, staged: StagedTable, typed_name: str, log: ProblemLog, k: int
) -> None:
    """Run all row checks of one parsed table in a single scan, logging examples and counts."""
    checks = _row_checks(staged)
    aggs = []
    for i, ch in enumerate(checks):
        shown = (
            quote("raw_" + ch.column)
            if ch.column in staged.columns
            else f"CAST({quote(ch.column)} AS VARCHAR)"
        )
        aggs.append(f"count(*) FILTER (WHERE {ch.condition}) AS n{i}")
        aggs.append(
            f"arg_min(struct_pack(r := _row, v := {shown}), _row, {k})"
            f" FILTER (WHERE {ch.condition}) AS e{i}"
        )
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {typed_name}").fetchone()
    assert row is not None
    for i, ch in enumerate(checks):
        total, examples = int(row[2 * i]), row[2 * i + 1] or []
        if total:
            log.add_examples(
                [
                    Problem(
                        ch.severity,
                        ch.code,
                        staged.file.display,
                        ch.message,
                        row=int(e["r"]),
                        column=ch.column,
                        value=e["v"],
                    )
                    for e in examples
                ],
                total,
            )


def _row_checks(staged: StagedTable) -> list[Check]:
    checks: list[Check] = []
    for col in staged.table.columns:
        if col.name in staged.columns:
            checks.extend(column_checks(col, quote("raw_" + col.name), quote(col.name)))
    checks.extend(table_rules(staged.table))
    return checks


def _store_table(
    con: duckdb.DuckDBPyConnection, staged: StagedTable, typed_name: str, persist: bool
) -> None:
    """Expose the typed table under its own name, keeping each row's source row number.

    A load copies it into the database file; a validation only needs a view of the staged copy.
    A load's `events` also get integer ids for numbers, handsets and cells, and `epoch_s`
    (`countylines.numbering`), and the load derives `contact_pairs` from them
    (`countylines.contact_pairs`).
    """
    names = [quote(c.name) for c in staged.table.columns]
    cols = ", ".join(names)
    kind = "TABLE" if persist else "VIEW"
    if persist and staged.table.name == "events":
        select = ", ".join(["e._row AS source_row"] + [f"e.{c}" for c in names])
        store_keyed_events(con, typed_name, select, order="e._row")
        store_contact_pairs(con)
        con.execute(f"DROP TABLE {typed_name}")
        return
    con.execute(
        f"CREATE OR REPLACE {kind} {quote(staged.table.name)} AS "
        f"SELECT _row AS source_row, {cols} FROM {typed_name}"
    )
    if persist:
        con.execute(f"DROP TABLE {typed_name}")


def _check_key(
    con: duckdb.DuckDBPyConnection, table: Table, file: str, log: ProblemLog, k: int
) -> None:
    if table.key is None:
        return
    key = quote(table.key)
    total = con.execute(
        f"SELECT count(*) FROM (SELECT {key} FROM {quote(table.name)} WHERE {key} IS NOT NULL "
        f"GROUP BY {key} HAVING count(*) > 1)"
    ).fetchone()[0]  # type: ignore[index]
    if not total:
        return
    dups = con.execute(
        f"SELECT {key}, min(source_row, 2) FROM {quote(table.name)} WHERE {key} IS NOT NULL "
        f"GROUP BY {key} HAVING count(*) > 1 ORDER BY min(source_row) LIMIT {k}"
    ).fetchall()
    log.add_examples(
        [
            Problem(
                Severity.ERROR,
                "duplicate_key",
                file,
                f"{table.key} {value!r} is not unique: first on row {rows[0]}",
                row=int(rows[1]),
                column=table.key,
                value=str(value),
            )
            for value, rows in dups
        ],
        int(total),
    )


def _check_reference(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    ref: Reference,
    files: CaseFiles,
    present: set[str],
    log: ProblemLog,
    k: int,
) -> None:
    file = files.tables[table.name].display
    is_list = table.column(ref.column).kind is Kind.ID_LIST
    values = (
        f"(SELECT source_row, unnest({quote(ref.column)}) AS v FROM {quote(table.name)})"
        if is_list
        else f"(SELECT source_row, {quote(ref.column)} AS v FROM {quote(table.name)})"
    )
    if ref.target not in present:
        n = con.execute(f"SELECT count(*) FROM {values} WHERE v IS NOT NULL").fetchone()[0]  # type: ignore[index]
        if n:
            log.warning(
                "no_target_table",
                file,
                f"{ref.column} refers to {ref.target}.{ref.target_column}, "
                f"but the case has no {ref.target} table; links not checked",
                column=ref.column,
            )
        return
    orphans = (
        f"SELECT s.source_row, s.v FROM {values} s ANTI JOIN {quote(ref.target)} t "
        f"ON s.v = t.{quote(ref.target_column)} WHERE s.v IS NOT NULL"
    )
    total = con.execute(f"SELECT count(*) FROM ({orphans})").fetchone()[0]  # type: ignore[index]
    if not total:
        return
    rows = con.execute(f"{orphans} ORDER BY s.source_row LIMIT {k}").fetchall()
    target_file = (
        files.areas.name
        if ref.target == "areas" and files.areas
        else files.tables[ref.target].display
    )
    log.add_examples(
        [
            Problem(
                Severity.ERROR,
                "unknown_reference",
                file,
                f"{ref.column} {v!r} not found in {target_file} ({ref.target_column})",
                row=int(r),
                column=ref.column,
                value=str(v),
            )
            for r, v in rows
        ],
        int(total),
    )


def build_case_database(
    case: Path,
    db_path: Path | None,
    log: ProblemLog | None = None,
    on_step: StepCallback | None = None,
    temp_dir: Path | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> BuildResult:
    """Validate and load every table of `case` into the DuckDB file `db_path` (None: memory).

    `limits` bounds file sizes and gzip decompression (see `reader.InputLimits`).
    """
    log = log or ProblemLog()
    result = BuildResult(Path(case), log)
    files = find_case_files(Path(case), log)
    own_temp = temp_dir is None
    if temp_dir is None:
        if db_path is None:
            raise ValueError("an in-memory build needs a temp_dir to spill to")
        temp_dir = db_path.with_name(db_path.name + ".spill")
    con = connect(db_path, temp_dir)
    try:
        present: set[str] = set()
        for name, table in TABLES.items():
            tf = files.tables.get(name)
            if tf is None:
                continue
            progress = on_step(name, tf) if on_step else None
            staged = stage_table(con, tf, table, f"{STAGE}.raw_{name}", log, progress, limits)
            if staged is None:
                continue
            typed_name = _parse_table(con, staged)
            _run_row_checks(con, staged, typed_name, log, log.max_examples)
            _store_table(con, staged, typed_name, persist=db_path is not None)
            result.rows[name] = staged.rows
            present.add(name)
        if files.areas is not None and _areas_too_large(files.areas, limits, log):
            files = CaseFiles(files.root, files.tables, None)
        if files.areas is not None:
            if on_step:
                on_step("areas", None)
            from countylines.geography import read_areas, store_areas  # geopandas: only if needed

            gdf = read_areas(files.areas, log)
            if gdf is not None:
                result.rows["areas"] = store_areas(con, gdf)
        if on_step:
            on_step("links", None)
        targets = present | ({"areas"} if "areas" in result.rows else set())
        for name in sorted(present):
            table = TABLES[name]
            _check_key(con, table, files.tables[name].display, log, log.max_examples)
            for ref in table.references:
                _check_reference(con, table, ref, files, targets, log, log.max_examples)
        _write_metadata(con, files, result)
        con.execute("CHECKPOINT")
    finally:
        con.close()
        if own_temp:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return result


def _areas_too_large(path: Path, limits: InputLimits, log: ProblemLog) -> bool:
    size = path.stat().st_size
    if size <= limits.max_areas_bytes:
        return False
    log.error(
        "file_too_large",
        path.name,
        f"the geography file has {size:,} bytes, more than the limit of "
        f"{limits.max_areas_bytes:,} (it is read whole into memory); not read",
    )
    return True


def _write_metadata(con: duckdb.DuckDBPyConnection, files: CaseFiles, result: BuildResult) -> None:
    """Record which files were loaded and the warnings found, for provenance."""
    con.execute(
        "CREATE OR REPLACE TABLE _case_files (table_name VARCHAR, file VARCHAR, format VARCHAR, "
        "bytes BIGINT, modified TIMESTAMPTZ, rows BIGINT)"
    )
    entries = [(n, tf.path, tf.format) for n, tf in files.tables.items()]
    if files.areas is not None:
        entries.append(("areas", files.areas, files.areas.suffix.lstrip(".")))
    for name, path, fmt in entries:
        st = path.stat()
        con.execute(
            "INSERT INTO _case_files VALUES (?, ?, ?, ?, ?, ?)",
            [
                name,
                path.name,
                fmt,
                st.st_size,
                datetime.fromtimestamp(st.st_mtime, UTC),
                result.rows.get(name),
            ],
        )
    con.execute(
        "CREATE OR REPLACE TABLE _case_problems (severity VARCHAR, code VARCHAR, file VARCHAR, "
        "row_number BIGINT, column_name VARCHAR, value VARCHAR, message VARCHAR)"
    )
    for p in result.log.problems():
        con.execute(
            "INSERT INTO _case_problems VALUES (?, ?, ?, ?, ?, ?, ?)",
            [p.severity.value, p.code, p.file, p.row, p.column, p.value, p.message],
        )
    con.execute("CREATE OR REPLACE TABLE _case_meta (key VARCHAR, value VARCHAR)")
    con.execute(
        "INSERT INTO _case_meta VALUES ('countylines_version', ?), ('case', ?)",
        [__version__, str(files.root.resolve())],
    )


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def validate_case(
    case: Path,
    on_step: StepCallback | None = None,
    max_examples: int = 5,
    limits: InputLimits = DEFAULT_LIMITS,
) -> BuildResult:
    """Check a case without keeping anything: the database is built in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="countylines-validate-") as tmp:
        log = ProblemLog(max_examples)
        return build_case_database(Path(case), None, log, on_step, Path(tmp), limits)


@contextmanager
def _temporary_sibling(target: Path) -> Iterator[Path]:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(tmp)  # left by an earlier process with the same pid
    try:
        yield tmp
    finally:
        _remove(tmp)


def _remove(tmp: Path) -> None:
    """Delete a temporary database with its write-ahead log and spill folder."""
    for p in (tmp, tmp.with_name(tmp.name + ".wal"), tmp.with_name(tmp.name + ".spill")):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def load_case(
    case: Path,
    out: Path,
    on_step: StepCallback | None = None,
    max_examples: int = 5,
    limits: InputLimits = DEFAULT_LIMITS,
) -> tuple[BuildResult, Path]:
    """Validate and load `case` into `out/case.duckdb`, replacing it only if there are no errors."""
    case, out = Path(case), Path(out)
    if not case.is_dir():
        raise CaseError(f"case folder {case} does not exist or is not a folder")
    if _inside(out, case):
        raise CaseError(
            f"the output folder {out} is inside the case folder {case}; choose a folder outside it "
            "(the input folder is never written to)"
        )
    if out.exists() and not out.is_dir():
        raise CaseError(f"the output folder {out} is a file; choose a folder")
    out.mkdir(parents=True, exist_ok=True)
    target = out / DB_NAME
    if target.exists() and not target.is_file():
        raise CaseError(f"{target} exists and is not a database file; move it away first")
    _remove_stale_temporaries(out)
    with _temporary_sibling(target) as tmp:
        result = build_case_database(case, tmp, ProblemLog(max_examples), on_step, None, limits)
        if result.ok:
            os.replace(tmp, target)
    return result, target


def _remove_stale_temporaries(out: Path) -> None:
    """Delete temporary files left by loads that were killed (their process no longer exists)."""
    for p in out.glob(f".{DB_NAME}.*.tmp*"):
        pid = p.name.split(".")[3] if len(p.name.split(".")) > 3 else ""
        if pid.isdigit() and not _pid_alive(int(pid)):
            _remove(p)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def case_database(case: Path, out: Path, on_step: StepCallback | None = None) -> Path:
    """The loaded database an analysis should read: `case` itself when it is a `.duckdb` file,
    `case/case.duckdb` when `case` is a load's output folder, else the case folder `case` is
    loaded into `out/case.duckdb` first (a CaseError lists the errors when it does not load)."""
    case = Path(case)
    if case.is_file() and case.suffix == ".duckdb":
        return case
    if (case / DB_NAME).is_file():
        return case / DB_NAME
    result, target = load_case(case, out, on_step)
    if not result.ok:
        first = next(p for p in result.log.problems() if p.severity is Severity.ERROR)
        raise CaseError(
            f"{case} did not load ({result.log.n_errors:,} errors; first: {first.location()}: "
            f"{first.message}); run `countylines validate {case}` for the full list"
        )
    return target


def compact_database(db: Path) -> None:
    """Rewrite a case database into a fresh file and replace it atomically.

    DuckDB marks deleted rows and reuses their blocks later; after an erasure the old values may
    still sit in the file. Copying every table into a new file leaves them behind.
    """
    db = Path(db)
    with _temporary_sibling(db) as tmp:
        con = duckdb.connect(":memory:")
        try:
            con.execute("ATTACH ? AS src (READ_ONLY)", [str(db)])
            con.execute("ATTACH ? AS dst", [str(tmp)])
            con.execute("COPY FROM DATABASE src TO dst")
            con.execute("DETACH dst")
            con.execute("DETACH src")
        finally:
            con.close()
        os.replace(tmp, db)

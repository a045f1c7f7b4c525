"""`countylines load` is atomic and idempotent, and never writes into the case folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import (
    CLI_EXE,
    EXAMPLE,
    cli,
    copy_example,
    keep_only,
    read_table,
    set_cell,
    tree_state,
    write_table,
)

from countylines.schema import TABLES


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(out: Path) -> list[str]:
    """Files in `out` other than the database itself (temporaries, WAL, spill folders)."""
    return sorted(p.name for p in out.iterdir() if p.name != "case.duckdb")


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    )


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table of the database, every row, in a fixed order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in table_names(con)
        }
    finally:
        con.close()


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in table_names(con)
        }
    finally:
        con.close()


def data_rows(case: Path, table: str) -> int:
    return len(read_table(case, table)) - 1


# --------------------------------------------------------------------------------------------
# (a) idempotent
# --------------------------------------------------------------------------------------------


def test_load_twice_gives_identical_tables(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("load", EXAMPLE, "--out", out, "--quiet").assert_clean(0)
    first = snapshot(out / "case.duckdb")
    cli("load", EXAMPLE, "--out", out, "--quiet").assert_clean(0)
    second = snapshot(out / "case.duckdb")
    assert leftovers(out) == []
    assert set(first) >= {*TABLES, "areas"}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name
    # No duplicated rows: every table holds exactly the rows of its file, keys are unique.
    con = duckdb.connect(str(out / "case.duckdb"), read_only=True)
    for name, table in TABLES.items():
        n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        assert n == data_rows(EXAMPLE, name), name
        if table.key:
            distinct = con.execute(
                f'SELECT count(DISTINCT "{table.key}") FROM "{name}"'
            ).fetchone()[0]
            assert distinct == n, name


# --------------------------------------------------------------------------------------------
# (b) a failed load changes nothing
# --------------------------------------------------------------------------------------------


def test_failed_load_leaves_the_old_database_untouched(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    db = out / "case.duckdb"
    before_hash, before_stat = sha256(db), db.stat()
    before_counts = counts(db)

    set_cell(case, "events", 3, "duration_s", "three")
    rows = read_table(case, "events")
    write_table(case, "events", [*rows, rows[1]])  # also adds a duplicate event: more rows
    run = cli("load", case, "--out", out)
    run.assert_clean(1)
    assert "events.csv, row 3, column 'duration_s'" in run.flat
    assert "nothing was loaded" in run.flat.lower() or "unchanged" in run.flat.lower()

    assert sha256(db) == before_hash
    assert db.stat().st_mtime_ns == before_stat.st_mtime_ns
    assert leftovers(out) == []
    assert counts(db) == before_counts


def test_failed_first_load_creates_no_database(case: Path, tmp_path: Path) -> None:
    set_cell(case, "persons", 2, "birth_year", "old")
    out = tmp_path / "out"
    cli("load", case, "--out", out, "--json").assert_clean(1)
    assert not (out / "case.duckdb").exists()
    assert not out.exists() or leftovers(out) == []


# --------------------------------------------------------------------------------------------
# (c) a killed load changes nothing, and the next load cleans up after it
# --------------------------------------------------------------------------------------------


def write_big_events(path: Path, n: int) -> None:
    """`n` valid events (only the required columns), generated without a Python loop per row."""
    i = np.arange(n, dtype=np.int64)
    ids = pc.binary_join_element_wise("E", pa.array(i).cast(pa.string()), "")
    sub = pa.array(900_000 + i % 50_000).cast(pa.string())
    a = pc.binary_join_element_wise("+447700", sub, "")
    b = pc.binary_join_element_wise("07700 ", pa.array(950_000 + i % 40_000).cast(pa.string()), "")
    dur = pa.array(i % 3_600).cast(pa.string())
    line = pc.binary_join_element_wise(ids, "2019-03-01T12:00:00Z", "voice", a, b, dur, ",")
    line = pc.binary_join_element_wise(line, "\n", "")
    with open(path, "wb") as fh:
        fh.write(b"event_id,start_time,event_type,a_number,b_number,duration_s\n")
        step = 250_000
        for s in range(0, n, step):
            fh.write("".join(line[s : s + step].to_pylist()).encode())


@pytest.mark.slow
def test_killed_load_keeps_the_old_database(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    db = out / "case.duckdb"
    old_hash, old_counts = sha256(db), counts(db)
    assert old_counts["events"] == data_rows(case, "events")

    write_big_events(case / "events.csv", 1_200_000)
    proc = subprocess.Popen(
        [str(CLI_EXE), "load", str(case), "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    tmp_name = f".case.duckdb.{proc.pid}.tmp"
    try:
        deadline = time.monotonic() + 60
        while not (out / tmp_name).exists():
            assert proc.poll() is None, f"load ended before it was killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "the temporary database never appeared"
            time.sleep(0.01)
        time.sleep(0.3)  # well into reading events.csv
        assert proc.poll() is None, "load finished too quickly to be killed midway"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The old database is byte-for-byte intact and still opens with its old contents.
    assert sha256(db) == old_hash
    assert counts(db) == old_counts
    stale = leftovers(out)
    assert tmp_name in stale  # the kill really interrupted a load

    # The next load succeeds, replaces the database and removes the dead load's temporaries.
    shutil.copy(EXAMPLE / "events.csv", case / "events.csv")
    rows = read_table(case, "events")
    write_table(case, "events", rows[:-1])
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    assert leftovers(out) == []
    assert counts(db)["events"] == len(rows) - 2


def test_temporaries_of_a_live_load_are_not_removed(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    live = out / f".case.duckdb.{os.getppid()}.tmp"  # our parent process: alive, not us
    live.write_bytes(b"in use")
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    assert live.read_bytes() == b"in use"


# Regression (was a bug): a stale temporary whose pid is the current process's (pid reuse, e.g. a
# new container) is neither removed nor overwritten: DuckDB refuses it -> internal error, exit 3
def test_stale_temporary_with_a_reused_pid_is_replaced(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # The in-process CLI runs with this test's pid, as a load in a restarted container would.
    (out / f".case.duckdb.{os.getpid()}.tmp").write_bytes(b"half-written by a killed load")
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    assert leftovers(out) == []
    assert counts(out / "case.duckdb")["events"] == data_rows(case, "events")


# Regression (was a bug): a stale temporary database with the current pid is reused, so tables
# left in it by a killed load end up in the new database
def test_stale_tables_never_reach_the_loaded_database(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = duckdb.connect(str(out / f".case.duckdb.{os.getpid()}.tmp"))
    stale.execute("CREATE TABLE stale_leftover AS SELECT 42 AS x")
    stale.close()
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    assert "stale_leftover" not in counts(out / "case.duckdb")


# --------------------------------------------------------------------------------------------
# (d) the case folder is read-only to countylines
# --------------------------------------------------------------------------------------------


# Regression (was a bug): an unusable output location (--out is a file, or OUT/case.duckdb is a
# folder) is an internal error (exit 3, FileExistsError / IsADirectoryError) instead of exit 2
@pytest.mark.parametrize("what", ["out_is_a_file", "database_is_a_folder"])
def test_unusable_output_location_exits_2(case: Path, tmp_path: Path, what: str) -> None:
    keep_only(case, "events", "cells")
    out = tmp_path / "out"
    if what == "out_is_a_file":
        out.write_text("not a folder")
    else:
        (out / "case.duckdb").mkdir(parents=True)
    run = cli("load", case, "--out", out)
    run.assert_clean(2)
    assert str(out) in run.squashed


@pytest.mark.parametrize("where", ["inside", "same", "symlink"])
def test_output_folder_inside_the_case_is_refused(case: Path, tmp_path: Path, where: str) -> None:
    if where == "inside":
        out = case / "out"
    elif where == "same":
        out = case
    else:
        link = tmp_path / "link"
        link.symlink_to(case, target_is_directory=True)
        out = link / "derived"
    before = tree_state(case)
    run = cli("load", case, "--out", out)
    run.assert_clean(2)
    assert "inside the case folder" in run.flat or "inside" in run.flat
    assert tree_state(case) == before
    assert not (case / "out").exists() and not (case / "derived").exists()


def test_validate_and_load_never_write_to_the_case(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    set_cell(case, "events", 4, "duration_s", "bad")
    broken = tree_state(case)
    cli("validate", case).assert_clean(1)
    cli("load", case, "--out", tmp_path / "out").assert_clean(1)
    assert tree_state(case) == broken

    shutil.copy(EXAMPLE / "events.csv", case / "events.csv")
    good = tree_state(case)
    cli("validate", case, "--json").assert_clean(0)
    cli("load", case, "--out", tmp_path / "out").assert_clean(0)
    assert tree_state(case) == good
    assert (tmp_path / "out" / "case.duckdb").is_file()

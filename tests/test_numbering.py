"""Integer ids for numbers, handsets and cells, `epoch_s`, `is_sms` and the contact pairs: a
load adds them (ids in the values' text order), retention drops the ids of values no longer in
the events, an older database is upgraded in place, and the line detector gives the same
results on a database loaded before they existed (its engine builds them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import ROOT, shared_case, shared_database

from countylines.contact_pairs import TABLE as CONTACT_PAIRS
from countylines.contact_pairs import add_contact_pairs
from countylines.lines.detect import find_lines
from countylines.numbering import DICTIONARIES, EPOCH, ID_COLUMNS, SMS, Dictionary, add_event_keys
from countylines.retention import apply_retention, set_period
from countylines.roles import Role, User
from countylines.workspace import Workspace

ADMIN = User("root", Role.ADMIN)


def _dictionary_and_events(db: Path, d: Dictionary) -> tuple[list[tuple], list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        entries = con.execute(f"SELECT {d.id}, {d.value} FROM {d.table} ORDER BY {d.id}").fetchall()
        pairs = ", ".join(f"{c}, {i}" for c, i in zip(d.columns, d.ids, strict=True))
        return entries, con.execute(f"SELECT {pairs} FROM events").fetchall()
    finally:
        con.close()


def _check_ids(entries: list[tuple], events: list[tuple]) -> None:
    ids = dict((v, i) for i, v in entries)
    assert len(ids) == len(entries), "one id per value"
    in_events = {row[j] for row in events for j in range(0, len(row), 2)} - {None}
    assert set(ids) == in_events
    assert [v for _, v in entries] == sorted(ids), "id order is the values' text order"
    for row in events:
        for j in range(0, len(row), 2):
            assert row[j + 1] == ids.get(row[j])


@pytest.mark.parametrize("d", DICTIONARIES, ids=lambda d: d.table)
def test_load_gives_every_value_an_id_in_text_order(case_db: Path, d: Dictionary) -> None:
    entries, events = _dictionary_and_events(case_db, d)
    assert len(entries) >= 3
    _check_ids(entries, events)


def test_load_stores_start_times_as_whole_epoch_seconds(case_db: Path) -> None:
    con = duckdb.connect(str(case_db), read_only=True)
    rows = con.execute(f"SELECT start_time, {EPOCH} FROM events").fetchall()
    con.close()
    assert rows
    assert all(int(start.timestamp()) == seconds for start, seconds in rows)


def test_load_marks_the_texts(case_db: Path) -> None:
    con = duckdb.connect(str(case_db), read_only=True)
    kinds = con.execute(f"SELECT event_type, {SMS}, count(*) FROM events GROUP BY ALL").fetchall()
    con.close()
    assert {(kind, flag) for kind, flag, _ in kinds} == {("sms", True), ("voice", False)}


def test_retention_drops_the_ids_of_values_whose_events_went(
    workspace: Workspace, case_db: Path
) -> None:
    before = {d.table: _dictionary_and_events(case_db, d)[0] for d in DICTIONARIES}
    set_period(workspace, ADMIN, "events", 30)
    assert apply_retention(workspace, ADMIN, case_db, datetime(2019, 7, 20, tzinfo=UTC))["events"]
    for d in DICTIONARIES:
        entries, events = _dictionary_and_events(case_db, d)
        assert len(entries) < len(before[d.table]), d.table
        _check_ids(entries, events)


OLDER = ["no-ids", "no-is_sms", "no-contact_pairs"]
"""Databases as earlier loads left them: before the ids and `epoch_s`, before `is_sms`, and
before `contact_pairs` (each older one lacks what came later)."""


def _older(database: Path, copy: Path, before: str) -> Path:
    """A copy of `database` as a load before `before` (one of OLDER) existed left it."""
    shutil.copy(database, copy)
    con = duckdb.connect(str(copy))
    con.execute(f"DROP TABLE {CONTACT_PAIRS}")
    for d in DICTIONARIES if before == "no-ids" else []:
        con.execute(f"DROP TABLE {d.table}")
    dropped = {"no-ids": (*ID_COLUMNS, EPOCH, SMS), "no-is_sms": (SMS,)}.get(before, ())
    for column in dropped:
        con.execute(f"ALTER TABLE events DROP COLUMN {column}")
    con.close()
    return copy


def _table(db: Path, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
    finally:
        con.close()


def _events(db: Path) -> pd.DataFrame:
    return _table(db, "events").sort_values("source_row", ignore_index=True)


@pytest.mark.parametrize("before", OLDER)
def test_an_older_database_is_upgraded_in_place(case_db: Path, tmp_path: Path, before: str) -> None:
    old = _older(case_db, tmp_path / "old.duckdb", before)
    tool = [sys.executable, str(ROOT / "tools" / "upgrade_event_keys.py"), str(old)]
    assert "upgraded" in subprocess.run(tool, check=True, capture_output=True, text=True).stdout
    con = duckdb.connect(str(old))
    assert not add_event_keys(con), "a second upgrade has nothing to add"
    assert not add_contact_pairs(con), "a second upgrade has nothing to add"
    con.close()
    for d in DICTIONARIES:
        assert _dictionary_and_events(old, d) == _dictionary_and_events(case_db, d)
    upgraded, loaded = _events(old), _events(case_db)
    pd.testing.assert_frame_equal(upgraded[list(loaded.columns)], loaded)
    assert _table(old, CONTACT_PAIRS).equals(_table(case_db, CONTACT_PAIRS))


@pytest.mark.parametrize("before", OLDER)
def test_lines_are_the_same_on_an_older_database(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, before: str
) -> None:
    database = shared_database(shared_case(tmp_path_factory, "tiny", 11))
    old = _older(database, tmp_path / "old.duckdb", before)
    new, rebuilt = find_lines(database), find_lines(old)
    assert len(new.lines) >= 2
    pd.testing.assert_frame_equal(rebuilt.lines, new.lines)
    pd.testing.assert_frame_equal(rebuilt.numbers, new.numbers)
    pd.testing.assert_frame_equal(rebuilt.candidates, new.candidates)

"""Integer number ids: a load numbers the events' phone numbers in text order, retention drops
the ids of numbers no longer in the events, and the line detector gives the same results on a
database loaded before the ids existed (its engine builds them)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import shared_case, shared_database

from countylines.lines.detect import find_lines
from countylines.retention import apply_retention, set_period
from countylines.roles import Role, User
from countylines.workspace import Workspace

ADMIN = User("root", Role.ADMIN)


def _numbers_and_events(db: Path) -> tuple[list[tuple], list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        numbers = con.execute("SELECT number_id, number FROM numbers ORDER BY number_id").fetchall()
        events = con.execute(
            "SELECT a_number, a_number_id, b_number, b_number_id FROM events"
        ).fetchall()
        return numbers, events
    finally:
        con.close()


def _check_ids(numbers: list[tuple], events: list[tuple]) -> None:
    ids = dict((n, i) for i, n in numbers)
    assert len(ids) == len(numbers), "one id per number"
    in_events = {n for a, _, b, _ in events for n in (a, b) if n is not None}
    assert set(ids) == in_events
    assert [n for _, n in numbers] == sorted(ids), "id order is the numbers' text order"
    for a, a_id, b, b_id in events:
        assert a_id == ids.get(a) and b_id == ids.get(b)


def test_load_numbers_every_event_number_in_text_order(case_db: Path) -> None:
    numbers, events = _numbers_and_events(case_db)
    assert len(numbers) >= 5
    _check_ids(numbers, events)


def test_retention_drops_the_ids_of_numbers_whose_events_went(
    workspace: Workspace, case_db: Path
) -> None:
    before, _ = _numbers_and_events(case_db)
    set_period(workspace, ADMIN, "events", 30)
    assert apply_retention(workspace, ADMIN, case_db, datetime(2019, 7, 20, tzinfo=UTC))["events"]
    numbers, events = _numbers_and_events(case_db)
    assert len(numbers) < len(before)
    _check_ids(numbers, events)


def test_lines_are_the_same_on_a_database_without_number_ids(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    database = shared_database(shared_case(tmp_path_factory, "tiny", 11))
    old = tmp_path / "old.duckdb"
    shutil.copy(database, old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE numbers")
    con.execute("ALTER TABLE events DROP COLUMN a_number_id")
    con.execute("ALTER TABLE events DROP COLUMN b_number_id")
    con.close()
    new, rebuilt = find_lines(database), find_lines(old)
    assert len(new.lines) >= 2
    pd.testing.assert_frame_equal(rebuilt.lines, new.lines)
    pd.testing.assert_frame_equal(rebuilt.numbers, new.numbers)
    pd.testing.assert_frame_equal(rebuilt.candidates, new.candidates)

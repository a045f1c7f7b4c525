"""The load's `contact_pairs`: one row per ordered pair of numbers with their events' counts and
times, always matching `events` (after retention deletes events too), and what `network` reads
from it is what it read from the events before the table existed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import shared_case, shared_database

from countylines.contact_pairs import TABLE
from countylines.network.data import NetworkTables
from countylines.retention import apply_retention, set_period
from countylines.roles import Role, User
from countylines.workspace import Workspace

ADMIN = User("root", Role.ADMIN)


def _stored_and_expected(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored pairs, and the same aggregated here in pandas from the events' text columns."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute(
            f"SELECT na.number AS a, nb.number AS b, n_events, n_sms, n_voice, first_s, last_s "
            f"FROM {TABLE} p JOIN numbers na ON na.number_id = p.a_number_id "
            "JOIN numbers nb ON nb.number_id = p.b_number_id"
        ).df()
        events = con.execute(
            "SELECT a_number AS a, b_number AS b, event_type, start_time FROM events "
            "WHERE a_number IS NOT NULL AND b_number IS NOT NULL"
        ).df()
    finally:
        con.close()
    seconds = events["start_time"].map(lambda t: int(t.timestamp()))
    expected = (
        events.assign(
            sms=events["event_type"].eq("sms").astype(int),
            voice=events["event_type"].eq("voice").astype(int),
            s=seconds,
        )
        .groupby(["a", "b"])
        .agg(
            n_events=("s", "size"),
            n_sms=("sms", "sum"),
            n_voice=("voice", "sum"),
            first_s=("s", "min"),
            last_s=("s", "max"),
        )
        .reset_index()
    )
    order = ["a", "b"]
    return (
        stored.sort_values(order, ignore_index=True).astype(expected.dtypes.to_dict()),
        expected.sort_values(order, ignore_index=True),
    )


def test_load_stores_every_pair_of_numbers_in_contact(case_db: Path) -> None:
    stored, expected = _stored_and_expected(case_db)
    assert len(expected) >= 5 and expected["n_events"].max() >= 2
    pd.testing.assert_frame_equal(stored, expected)


def test_retention_rebuilds_the_pairs_of_the_events_left(
    workspace: Workspace, case_db: Path
) -> None:
    before, _ = _stored_and_expected(case_db)
    set_period(workspace, ADMIN, "events", 30)
    assert apply_retention(workspace, ADMIN, case_db, datetime(2019, 7, 20, tzinfo=UTC))["events"]
    stored, expected = _stored_and_expected(case_db)
    assert stored["n_events"].sum() < before["n_events"].sum()
    pd.testing.assert_frame_equal(stored, expected)


@pytest.mark.parametrize("min_events", [1, 3])
def test_network_reads_the_same_pairs_with_or_without_the_table(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, min_events: int
) -> None:
    database = shared_database(shared_case(tmp_path_factory, "tiny", 11))
    older = tmp_path / "older.duckdb"
    shutil.copy(database, older)
    con = duckdb.connect(str(older))
    con.execute(f"DROP TABLE {TABLE}")
    con.close()
    with NetworkTables(database) as new, NetworkTables(older) as old:
        stored, aggregated = new.contact_pairs(min_events), old.contact_pairs(min_events)
    assert len(stored) >= 10
    pd.testing.assert_frame_equal(stored, aggregated)

"""Erasing a person and applying retention periods change the database and are logged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REASON, cli, login_as

from countylines import audit
from countylines.erasure import ERASURE, erase_person
from countylines.pseudonym import IdType, identifier_columns, pseudonym
from countylines.retention import RETENTION_TIME, apply_retention, read_periods, set_period
from countylines.roles import PermissionDenied, Role, User
from countylines.schema import TABLES
from countylines.workspace import Workspace, load_key

ADMIN = User("root", Role.ADMIN)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_person_id_column_has_an_erasure_rule() -> None:
    person_columns = {
        (t.name, col)
        for t in TABLES.values()
        for col, kind in identifier_columns(t).items()
        if kind is IdType.PERSON
    }
    assert set(ERASURE) == person_columns


def test_erase_removes_the_person_everywhere(workspace: Workspace, case_db: Path) -> None:
    key = load_key(workspace.key_path)
    before = _rows(case_db, "SELECT count(*) FROM events")[0][0]
    done = erase_person(workspace, ADMIN, case_db, "P002", REASON, key)
    assert done.changed == {
        "persons delete": 1,
        "subscribers delete": 1,
        "missing_episodes delete": 2,
        "addresses clear": 1,
        "incidents remove": 2,
    }
    assert _rows(case_db, "SELECT count(*) FROM persons WHERE person_id = 'P002'") == [(0,)]
    assert _rows(case_db, "SELECT count(*) FROM subscribers WHERE person_id = 'P002'") == [(0,)]
    assert _rows(case_db, "SELECT count(*) FROM missing_episodes") == [(0,)]
    assert _rows(case_db, "SELECT occupant_person_id FROM addresses WHERE address_id = 'A002'") == [
        (None,)
    ]
    assert _rows(case_db, "SELECT person_ids FROM incidents ORDER BY incident_id LIMIT 2") == [
        (["P001"],),
        ([],),
    ]
    assert _rows(case_db, "SELECT count(*) FROM persons") == [(3,)]  # others untouched
    assert _rows(case_db, "SELECT count(*) FROM events")[0][0] == before
    assert b"P002" not in case_db.read_bytes(), "the database was rewritten without the old rows"
    (entry,) = audit.entries(workspace)
    assert (entry.user, entry.action, entry.reason) == ("root", "erase", REASON)
    records = json.loads(entry.records)
    assert records[0] == pseudonym("P002", IdType.PERSON, key) and "P002" not in entry.records
    assert "persons delete:1" in records


def test_erase_removes_the_persons_role_with_their_id(workspace: Workspace, case_db: Path) -> None:
    con = duckdb.connect(str(case_db))
    con.execute(
        "UPDATE incidents SET person_roles = CASE incident_id "
        "WHEN 'I001' THEN ['suspect', 'victim'] WHEN 'I002' THEN ['witness'] END"
    )
    con.close()
    erase_person(workspace, ADMIN, case_db, "P001", REASON, load_key(workspace.key_path))
    rows = _rows(case_db, "SELECT person_ids, person_roles FROM incidents ORDER BY incident_id")
    assert rows[:2] == [(["P002"], ["victim"]), (["P002"], ["witness"])]
    erase_person(workspace, ADMIN, case_db, "P002", REASON, load_key(workspace.key_path))
    rows = _rows(case_db, "SELECT person_ids, person_roles FROM incidents ORDER BY incident_id")
    assert rows[:2] == [([], []), ([], [])]


def test_erase_from_outputs_drops_clears_and_blanks_the_pseudonym(
    workspace: Workspace, case_db: Path, tmp_path: Path
) -> None:
    key = load_key(workspace.key_path)
    gone, kept = pseudonym("P002", IdType.PERSON, key), pseudonym("P001", IdType.PERSON, key)
    out = tmp_path / "out"
    (out / "people").mkdir(parents=True)
    listed = pd.DataFrame(
        {"person_id": [gone, kept], "score": [7, 5], "evidence": [f"{gone} seen", f"near {gone}"]}
    )
    listed.to_csv(out / "people" / "safeguarding.csv", index=False)
    listed.to_parquet(out / "people" / "safeguarding.parquet", index=False)
    homes = pd.DataFrame({"address_id": ["A002", "A003"], "occupant_person_id": [gone, kept]})
    homes.to_parquet(out / "people" / "cuckooed_addresses.parquet", index=False)
    untouched = out / "people" / "other.csv"
    untouched.write_text("line_id,number\nL001,PH-000000000000\n")
    stamp = untouched.stat().st_mtime_ns
    done = erase_person(workspace, ADMIN, case_db, "P002", REASON, key, [out])
    assert done.changed["people/safeguarding.csv erase"] == 2  # a row dropped, a text blanked
    assert done.changed["people/cuckooed_addresses.parquet erase"] == 1
    for name in ("safeguarding.csv", "safeguarding.parquet"):
        path = out / "people" / name
        frame = pd.read_csv(path) if name.endswith("csv") else pd.read_parquet(path)
        assert list(frame["person_id"]) == [kept]
        assert list(frame["evidence"]) == ["near [erased]"]
    homes = pd.read_parquet(out / "people" / "cuckooed_addresses.parquet")
    assert homes["occupant_person_id"].isna().tolist() == [True, False]
    assert untouched.stat().st_mtime_ns == stamp
    (entry,) = audit.entries(workspace)
    assert "people/safeguarding.csv erase:2" in json.loads(entry.records)
    # Again: the database no longer has them, the outputs neither: nothing changes or is logged.
    assert erase_person(workspace, ADMIN, case_db, "P002", REASON, key, [out]).changed == {}
    assert len(list(audit.entries(workspace))) == 1


def test_erase_needs_admin_and_a_reason_and_skips_unknown_people(
    workspace: Workspace, case_db: Path
) -> None:
    key = load_key(workspace.key_path)
    with pytest.raises(PermissionDenied):
        erase_person(workspace, User("sam", Role.SAFEGUARDING), case_db, "P002", REASON, key)
    with pytest.raises(ValueError, match="reason"):
        erase_person(workspace, ADMIN, case_db, "P002", "", key)
    assert erase_person(workspace, ADMIN, case_db, "P999", REASON, key).changed == {}
    assert list(audit.entries(workspace)) == []
    assert _rows(case_db, "SELECT count(*) FROM persons") == [(4,)]


def test_retention_deletes_old_rows_and_logs_counts(workspace: Workspace, case_db: Path) -> None:
    set_period(workspace, ADMIN, "events", 30)
    set_period(workspace, ADMIN, "missing_episodes", 30)
    assert read_periods(workspace) == {"events": 30, "missing_episodes": 30}
    # Events run 2019-01-01 to 2019-07-01: 30 days after 2019-06-20 leaves only July's.
    now = datetime(2019, 7, 20, tzinfo=UTC)
    due = apply_retention(workspace, ADMIN, case_db, now, dry_run=True)
    total = _rows(case_db, "SELECT count(*) FROM events")[0][0]
    keep = _rows(case_db, "SELECT count(*) FROM events WHERE start_time >= '2019-06-20'")[0][0]
    assert due == {"events": total - keep, "missing_episodes": 2}
    assert _rows(case_db, "SELECT count(*) FROM events")[0][0] == total  # dry run: unchanged
    done = apply_retention(workspace, ADMIN, case_db, now)
    assert done == due
    assert _rows(case_db, "SELECT count(*) FROM events")[0][0] == keep
    entries = list(audit.entries(workspace))
    assert [e.action for e in entries] == ["retention_set", "retention_set", "retention_apply"]
    assert json.loads(entries[-1].records) == [f"events:{total - keep}", "missing_episodes:2"]
    assert "events 30 days" in entries[-1].reason


def test_retention_rejects_unknown_tables_and_bad_days(workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="tables with dated rows"):
        set_period(workspace, ADMIN, "persons", 30)
    with pytest.raises(ValueError, match="at least 1"):
        set_period(workspace, ADMIN, "events", 0)
    with pytest.raises(PermissionDenied):
        set_period(workspace, User("ann", Role.ANALYST), "events", 30)
    workspace.retention_path.write_text("[days]\nevents = 'forever'\n")
    with pytest.raises(ValueError, match="whole number"):
        read_periods(workspace)
    assert set(RETENTION_TIME) <= set(TABLES)
    for table, column in RETENTION_TIME.items():
        assert column in TABLES[table].column_names


def test_cli_erase_and_retention(
    workspace: Workspace, case_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(workspace, "root", "admin", monkeypatch)
    run = cli("erase", case_db, "--person", "P003", "--reason", REASON).assert_clean(0)
    assert "persons delete: 1 rows" in run.flat and "case folder too" in run.flat
    cli("erase", case_db, "--person", "P003", "--reason", REASON).assert_clean(1)
    cli("erase", case_db, "--person", "P001", "--reason", "x").assert_clean(2)
    cli("retention", "set", "anpr", "1").assert_clean(0)
    assert "anpr: 1 days" in cli("retention", "show").assert_clean(0).flat
    run = cli("retention", "apply", case_db, "--json").assert_clean(0)
    assert run.json() == {"dry_run": False, "rows": {"anpr": 4}}
    assert [e.action for e in audit.entries(workspace)] == [
        "erase",
        "retention_set",
        "retention_apply",
    ]
    assert cli("audit", "verify").assert_clean(0)

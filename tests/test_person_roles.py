"""`incidents.person_roles`: each named person's role, checked against `person_ids`, loaded as a
list beside it; cases without it load as before."""

from __future__ import annotations

from pathlib import Path

import duckdb
from conftest import (
    assert_error_at,
    assert_only_errors_in,
    keep_only,
    read_table,
    validate_json,
    write_table,
)

from countylines.database import load_case


def _broken(report: dict, row: int, code: str) -> dict:
    """The report's error `code` at (incidents.csv, `row`, person_roles), and no other file's."""
    g = assert_error_at(report, "incidents.csv", row, "person_roles", code)
    assert_only_errors_in(report, "incidents.csv")
    return g


def _with_roles(case: Path, roles: dict[str, str]) -> dict[str, int]:
    """Add a `person_roles` column to the case's incidents (`roles`: incident_id -> cell);
    returns each incident's spreadsheet row."""
    rows = read_table(case, "incidents")
    rows[0].append("person_roles")
    for r in rows[1:]:
        r.append(roles.get(r[0], ""))
    write_table(case, "incidents", rows)
    return {r[0]: i for i, r in enumerate(rows[1:], start=2)}


def test_roles_load_beside_the_person_ids(case: Path, tmp_path: Path) -> None:
    keep_only(case, "incidents", "persons")
    _with_roles(case, {"I001": " Suspect ;victim", "I002": ""})
    result, db = load_case(case, tmp_path / "work")
    assert result.ok
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT incident_id, person_ids, person_roles FROM incidents ORDER BY incident_id"
        ).fetchall()
    assert rows[0] == ("I001", ["P001", "P002"], ["suspect", "victim"])
    assert rows[1] == ("I002", ["P002"], None)


def test_an_empty_entry_is_a_role_not_recorded(case: Path, tmp_path: Path) -> None:
    keep_only(case, "incidents", "persons")
    _with_roles(case, {"I001": ";witness"})
    result, db = load_case(case, tmp_path / "work")
    assert result.ok
    with duckdb.connect(str(db), read_only=True) as con:
        roles = con.execute("SELECT person_roles FROM incidents WHERE incident_id = 'I001'")
        assert roles.fetchone() == ([None, "witness"],)


def test_fewer_roles_than_person_ids_is_an_error_naming_the_row(case: Path) -> None:
    keep_only(case, "incidents", "persons")
    row = _with_roles(case, {"I001": "suspect"})["I001"]
    report = validate_json(case)
    g = _broken(report, row, "roles_not_matching_persons")
    assert g["count"] == 1
    assert g["examples"][0]["value"] == "suspect"
    assert "one role per person id" in g["examples"][0]["message"]


def test_roles_without_person_ids_is_an_error(case: Path) -> None:
    keep_only(case, "incidents", "persons")
    row = _with_roles(case, {"I003": "victim"})["I003"]
    report = validate_json(case)
    _broken(report, row, "roles_not_matching_persons")


def test_a_role_not_allowed_is_an_error_listing_the_roles(case: Path) -> None:
    keep_only(case, "incidents", "persons")
    row = _with_roles(case, {"I001": "suspect;offender"})["I001"]
    report = validate_json(case)
    g = _broken(report, row, "bad_enum")
    assert g["count"] == 1
    message = g["examples"][0]["message"]
    assert all(role in message for role in ("suspect", "victim", "witness", "other"))


def test_a_case_without_roles_loads_them_as_not_recorded(case: Path, tmp_path: Path) -> None:
    keep_only(case, "incidents", "persons")
    result, db = load_case(case, tmp_path / "work")
    assert result.ok
    with duckdb.connect(str(db), read_only=True) as con:
        count = con.execute("SELECT count(*) FROM incidents WHERE person_roles IS NOT NULL")
        assert count.fetchone() == (0,)

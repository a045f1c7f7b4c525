"""Pseudonyms: stable per key, unrelated across keys and types; frames; revealing with a reason."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REASON, cli, login_as
from hypothesis import given
from hypothesis import strategies as st

from countylines import audit
from countylines.pseudonym import (
    TOKEN_RE,
    IdType,
    as_token,
    identifier_columns,
    parse_token,
    pseudonym,
    pseudonymise_frame,
    reveal,
)
from countylines.roles import PermissionDenied, Role, User
from countylines.schema import TABLES, Kind
from countylines.workspace import Workspace, load_key

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def test_token_shape() -> None:
    token = pseudonym("+447700900123", IdType.PHONE, KEY_A)
    assert re.fullmatch(r"PH-[0-9a-hjkmnp-tv-z]{12}", token)
    assert parse_token(token) is IdType.PHONE
    assert TOKEN_RE.fullmatch(pseudonym("P001", IdType.PERSON, KEY_A))
    with pytest.raises(ValueError, match="not a pseudonym"):
        parse_token("PH-not-a-token")


@given(value=st.text(min_size=1, max_size=40), id_type=st.sampled_from(list(IdType)))
def test_pseudonyms_are_deterministic_per_key_and_differ_across_keys(
    value: str, id_type: IdType
) -> None:
    a = pseudonym(value, id_type, KEY_A)
    assert a == pseudonym(value, id_type, KEY_A)
    assert a.startswith(id_type.value + "-")
    assert a != pseudonym(value, id_type, KEY_B)


@given(a=st.text(min_size=1, max_size=20), b=st.text(min_size=1, max_size=20))
def test_different_values_get_different_pseudonyms(a: str, b: str) -> None:
    if a.strip() != b.strip():
        assert pseudonym(a, IdType.PERSON, KEY_A) != pseudonym(b, IdType.PERSON, KEY_A)


def test_the_type_separates_equal_text() -> None:
    tokens = {pseudonym("123456789012345", t, KEY_A).split("-")[1] for t in IdType}
    assert len(tokens) == len(IdType)


def test_names_ignore_case_and_spacing_marks_ignore_spaces() -> None:
    assert pseudonym("Jane  Smith", IdType.NAME, KEY_A) == pseudonym(
        "jane smith", IdType.NAME, KEY_A
    )
    assert pseudonym("ab12 cde", IdType.VRM, KEY_A) == pseudonym("AB12CDE", IdType.VRM, KEY_A)


def test_identifier_columns_follow_the_schema() -> None:
    assert identifier_columns(TABLES["events"]) == {
        "a_number": IdType.PHONE,
        "b_number": IdType.PHONE,
        "a_imei": IdType.IMEI,
        "a_imsi": IdType.IMSI,
        "b_imei": IdType.IMEI,
        "b_imsi": IdType.IMSI,
    }
    assert identifier_columns(TABLES["persons"]) == {"person_id": IdType.PERSON}
    assert identifier_columns(TABLES["addresses"]) == {"occupant_person_id": IdType.PERSON}
    assert identifier_columns(TABLES["incidents"]) == {"person_ids": IdType.PERSON}
    assert identifier_columns(TABLES["anpr"]) == {"vrm": IdType.VRM}
    assert identifier_columns(TABLES["cells"]) == {}
    # Every phone, IMEI, IMSI and VRM column of the schema is covered.
    for table in TABLES.values():
        for col in table.columns:
            if col.kind in (Kind.PHONE, Kind.IMEI, Kind.IMSI, Kind.VRM):
                assert col.name in identifier_columns(table), f"{table.name}.{col.name}"


def test_frame_is_pseudonymised_consistently_and_nulls_kept(case_db: Path) -> None:
    con = duckdb.connect(str(case_db), read_only=True)
    events = con.execute("SELECT * FROM events ORDER BY source_row").df()
    incidents = con.execute("SELECT * FROM incidents ORDER BY source_row").df()
    con.close()
    out = pseudonymise_frame(events, TABLES["events"], KEY_A)
    assert out is not events and events["a_number"].iloc[0].startswith("+44")
    for col in ("a_number", "b_number"):
        assert out[col].str.fullmatch(r"PH-\w{12}").all()
    # The same number gets the same token wherever it appears (joins still work).
    pairs = set(zip(events["a_number"], out["a_number"], strict=True)) | set(
        zip(events["b_number"], out["b_number"], strict=True)
    )
    assert len({p for p, _ in pairs}) == len({t for _, t in pairs})
    assert out["a_imei"].isna().sum() == events["a_imei"].isna().sum()
    assert (out["event_id"] == events["event_id"]).all()  # not an identifier of a person
    inc = pseudonymise_frame(incidents, TABLES["incidents"], KEY_A)
    assert list(inc["person_ids"].iloc[0]) == [
        pseudonym(p, IdType.PERSON, KEY_A) for p in incidents["person_ids"].iloc[0]
    ]
    assert incidents["person_ids"].iloc[2] is pd.NA and inc["person_ids"].iloc[2] is pd.NA


def test_reveal_needs_the_role_and_a_reason_and_is_logged(
    workspace: Workspace, case_db: Path
) -> None:
    key = load_key(workspace.key_path)
    token = pseudonym("+447700900202", IdType.PHONE, key)
    analyst = User("ann", Role.ANALYST)
    with pytest.raises(PermissionDenied, match="safeguarding"):
        reveal(workspace, analyst, case_db, token, REASON, key)
    carer = User("sam", Role.SAFEGUARDING)
    with pytest.raises(ValueError, match="reason"):
        reveal(workspace, carer, case_db, token, "", key)
    assert list(audit.entries(workspace)) == []
    assert reveal(workspace, carer, case_db, token, REASON, key) == ["+447700900202"]
    person = pseudonym("P002", IdType.PERSON, key)
    assert reveal(workspace, carer, case_db, person, REASON, key) == ["P002"]
    assert (
        reveal(workspace, carer, case_db, pseudonym("nobody", IdType.PHONE, key), REASON, key) == []
    )
    entries = list(audit.entries(workspace))
    assert [(e.user, e.action, e.reason) for e in entries] == [("sam", "reveal", REASON)] * 3
    assert token in entries[0].records and "+447700900202" not in entries[0].records


def test_reveal_with_another_key_finds_nothing(workspace: Workspace, case_db: Path) -> None:
    token = pseudonym("+447700900202", IdType.PHONE, KEY_B)
    key = load_key(workspace.key_path)
    assert reveal(workspace, User("sam", Role.SAFEGUARDING), case_db, token, REASON, key) == []


def test_cli_export_is_pseudonymised_and_reveal_round_trips(
    workspace: Workspace, case_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(workspace, "sam", "safeguarding", monkeypatch)
    cli("export", case_db, "subscribers", "--out", tmp_path / "s.csv").assert_clean(0)
    text = (tmp_path / "s.csv").read_text()
    assert "+4477" not in text and "P002" not in text and "PH-" in text
    first = pd.read_csv(tmp_path / "s.csv")["number"].iloc[0]
    run = cli("reveal", case_db, first, "--reason", REASON).assert_clean(0)
    assert run.stdout.strip() == "+447700900101"
    cli("reveal", case_db, first).assert_clean(2)  # --reason is required
    cli("export", case_db, "subscribers", "--out", tmp_path / "r.csv", "--identified").assert_clean(
        2
    )
    cli(
        "export", case_db, "subscribers", "--out", tmp_path / "r.csv", "--identified",
        "--reason", REASON,
    ).assert_clean(0)  # fmt: skip
    assert "+447700900101" in (tmp_path / "r.csv").read_text()
    actions = [(e.action, e.reason) for e in audit.entries(workspace)]
    assert actions == [("disclose", ""), ("reveal", REASON), ("disclose", REASON)]


def test_cli_refuses_a_workspace_inside_the_output_folder(
    case_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from countylines.workspace import open_workspace

    inside = open_workspace(case_db.parent / "ws", create=True)
    login_as(inside, "root", "admin", monkeypatch)
    monkeypatch.setenv("COUNTYLINES_HOME", str(inside.home))
    run = cli("export", case_db, "persons", "--out", tmp_path / "p.csv").assert_clean(2)
    assert "outside every case and output folder" in run.flat
    assert not (tmp_path / "p.csv").exists()
    assert os.path.exists(inside.key_path)


def test_as_token_keeps_tokens_of_its_type_and_pseudonymises_the_rest() -> None:
    key = b"k" * 32
    token = pseudonym("+447700900123", IdType.PHONE, key)
    assert as_token(token, IdType.PHONE, key) == token
    assert as_token("+447700900123", IdType.PHONE, key) == token
    # a token of another type is a value like any other
    assert as_token(token, IdType.PERSON, key) == pseudonym(token, IdType.PERSON, key)

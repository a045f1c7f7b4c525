"""The audit log: appends chain correctly, and every kind of tampering is detected and located."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import cli, login_as
from hypothesis import given
from hypothesis import strategies as st

from countylines import audit
from countylines.workspace import Workspace


def _fill(ws: Workspace, n: int = 5) -> list[audit.Entry]:
    return [
        audit.record(ws, f"user{i}", "consult", "case.duckdb", [f"person:P{i:03}"], "a reason here")
        for i in range(1, n + 1)
    ]


def _tamper(ws: Workspace, *sql: tuple[str, tuple[Any, ...]]) -> None:
    """Change the log as an attacker with the file would: drop the guards, then edit."""
    con = sqlite3.connect(ws.db_path)
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("DROP TRIGGER audit_no_delete")
    for statement, args in sql:
        con.execute(statement, args)
    con.commit()
    con.close()


def test_entries_chain_from_genesis(workspace: Workspace) -> None:
    entries = _fill(workspace, 3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert json.loads(entries[0].records) == ["person:P001"]
    assert entries[0].time.endswith("Z")
    result = audit.verify(workspace)
    assert result.ok and result.checked == 3 and result.last == (3, entries[2].hash)
    assert audit.read_anchor(workspace.anchor_path) == (3, entries[2].hash)


def test_the_log_refuses_updates_and_deletes(workspace: Workspace) -> None:
    _fill(workspace, 1)
    con = sqlite3.connect(workspace.db_path)
    for sql in ("UPDATE audit SET user = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()


def test_unknown_action_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(workspace, "u", "peek", "x")


def test_edited_entry_is_found(workspace: Workspace) -> None:
    _fill(workspace)
    _tamper(workspace, ("UPDATE audit SET user = 'someone else' WHERE seq = 3", ()))
    result = audit.verify(workspace)
    assert not result.ok and result.first_bad == 3 and "edited" in result.problem


def test_edit_with_recomputed_hash_breaks_the_next_link(workspace: Workspace) -> None:
    entries = _fill(workspace)
    e = entries[2]
    forged = audit.entry_hash(
        e.seq, e.time, e.user, "consult", e.target, "[]", e.reason, e.prev_hash
    )
    _tamper(workspace, ("UPDATE audit SET records = '[]', hash = ? WHERE seq = 3", (forged,)))
    result = audit.verify(workspace)
    assert not result.ok and result.first_bad == 4 and "prev_hash" in result.problem


def test_reordered_entries_are_found(workspace: Workspace) -> None:
    _fill(workspace)
    _tamper(
        workspace,
        ("UPDATE audit SET seq = 100 WHERE seq = 2", ()),
        ("UPDATE audit SET seq = 2 WHERE seq = 4", ()),
        ("UPDATE audit SET seq = 4 WHERE seq = 100", ()),
    )
    result = audit.verify(workspace)
    assert not result.ok and result.first_bad == 2


def test_deleted_entry_in_the_middle_is_found(workspace: Workspace) -> None:
    _fill(workspace)
    _tamper(workspace, ("DELETE FROM audit WHERE seq = 3", ()))
    result = audit.verify(workspace)
    assert not result.ok and result.first_bad == 4 and "expected entry 3" in result.problem


def test_inserted_entry_is_found(workspace: Workspace) -> None:
    entries = _fill(workspace)
    _tamper(
        workspace,
        *((f"UPDATE audit SET seq = seq + 10 WHERE seq = {s}", ()) for s in (5, 4, 3)),
        ("UPDATE audit SET seq = seq - 9 WHERE seq > 10", ()),
        (
            "INSERT INTO audit VALUES (3, ?, 'intruder', 'consult', 'x', '[]', '', ?, ?)",
            (entries[1].time, entries[1].hash, "0" * 64),
        ),
    )
    result = audit.verify(workspace)
    assert not result.ok and result.first_bad == 3


def test_cut_off_tail_is_found_by_the_anchor(workspace: Workspace) -> None:
    _fill(workspace)
    _tamper(workspace, ("DELETE FROM audit WHERE seq >= 4", ()))
    chain_only = audit.verify_entries(audit.entries(workspace))
    assert chain_only.ok, "without the anchor, a shorter chain is still a valid chain"
    result = audit.verify(workspace)
    assert not result.ok and result.first_bad == 4 and "deleted" in result.problem


def test_rewritten_chain_is_found_by_an_anchor_kept_elsewhere(
    workspace: Workspace, tmp_path: Path
) -> None:
    _fill(workspace, 3)
    kept = tmp_path / "anchor-on-other-storage"
    kept.write_text(workspace.anchor_path.read_text())
    # Rewrite the whole log consistently (and the workspace's own anchor with it).
    rows = list(audit.entries(workspace))
    statements = [("DELETE FROM audit", ())]
    prev = audit.GENESIS
    for e in rows:
        user = "nobody" if e.seq == 2 else e.user
        digest = audit.entry_hash(
            e.seq, e.time, user, e.action, e.target, e.records, e.reason, prev
        )
        statements.append(
            (
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (e.seq, e.time, user, e.action, e.target, e.records, e.reason, prev, digest),
            )
        )
        prev = digest
    _tamper(workspace, *statements)
    audit.write_anchor(workspace.anchor_path, 3, prev)
    assert audit.verify(workspace).ok, "a full rewrite passes against the rewritten anchor"
    result = audit.verify(workspace, kept)
    assert not result.ok and result.first_bad == 3 and "anchor" in result.problem


def test_concurrent_appends_keep_one_chain(workspace: Workspace) -> None:
    def worker(k: int) -> None:
        for i in range(10):
            audit.record(workspace, f"t{k}", "consult", "db", [str(i)], "concurrency test")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(workspace)
    assert result.ok and result.checked == 40


def test_export_round_trips_and_verifies(workspace: Workspace, tmp_path: Path) -> None:
    _fill(workspace, 4)
    for name in ("log.csv", "log.jsonl"):
        assert audit.export(workspace, tmp_path / name) == 4
        copy = audit.read_export(tmp_path / name)
        assert copy == list(audit.entries(workspace))
        assert audit.verify_entries(copy).ok


def test_reason_is_required_and_bounded() -> None:
    with pytest.raises(ValueError, match="reason"):
        audit.check_reason("   ")
    with pytest.raises(ValueError, match="reason"):
        audit.check_reason("because")
    assert audit.check_reason("  referral\n  SR-1  ") == "referral SR-1"


def test_cli_verify_export_and_anchor(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(workspace, "root", "admin", monkeypatch)
    _fill(workspace, 3)
    run = cli("audit", "verify", "--json").assert_clean(0)
    assert run.json() == {"ok": True, "checked": 3, "first_bad": None, "problem": ""}
    anchor = cli("audit", "anchor").assert_clean(0).stdout.split()
    assert anchor[0] == "3"
    cli("audit", "export", "--out", tmp_path / "a.csv").assert_clean(0)
    assert len((tmp_path / "a.csv").read_text().splitlines()) == 4  # header + 3
    cli("audit", "verify", "--file", tmp_path / "a.csv").assert_clean(0)
    # The export itself was logged (disclosure of the log).
    assert list(audit.entries(workspace))[-1].action == "audit_export"
    _tamper(workspace, ("UPDATE audit SET reason = 'x' WHERE seq = 2", ()))
    run = cli("audit", "verify").assert_clean(1)
    assert "entry 2" in run.flat and "FAILED" in run.flat


@given(
    st.text(max_size=40)
    | st.text(alphabet=st.sampled_from(" \t\n\x1c\x1f\x85\xa0\u3000ab"), max_size=30)
)
def test_the_api_reason_pattern_and_check_reason_agree(reason: str) -> None:
    """A reason the API's schema accepts is never refused by the audit, and the other way."""
    from pydantic import ValidationError

    from countylines.web.results import RevealRequest

    try:
        RevealRequest(pseudonym="PH-x", reason=reason)
        schema_accepts = True
    except ValidationError:
        schema_accepts = False
    try:
        audit.check_reason(reason)
        accepted = True
    except ValueError:
        accepted = False
    assert schema_accepts == accepted

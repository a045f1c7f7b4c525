"""Group commit of audit entries (`countylines.audit_writer`): concurrent appends from many
threads, and from `audit.record` at the same time, keep one valid chain; an entry is on disk
(and in the anchor) when `record` returns; a failed commit reaches the caller."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from countylines import audit
from countylines.audit_writer import GroupWriter
from countylines.workspace import ThreadWorkspace, Workspace


def test_concurrent_appends_keep_the_chain_valid(workspace: Workspace) -> None:
    writer = GroupWriter(ThreadWorkspace(workspace.home))
    seen: list[audit.Entry] = []

    def client(i: int) -> None:
        for j in range(15):
            seen.append(writer.record(f"user{i}", "consult", "results", [f"line:L{j:03d}"]))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for _ in range(10):  # another writer (the command line) appending meanwhile
        audit.record(workspace, "cli", "disclose", "results", ["file:x"])
    for t in threads:
        t.join()
    stored = list(audit.entries(workspace))
    assert len(stored) == 12 * 15 + 10
    assert sorted(e.seq for e in seen) == sorted({e.seq for e in seen})  # no seq given twice
    assert {e.seq: e for e in stored}.items() >= {e.seq: e for e in seen}.items()
    assert audit.verify(workspace).ok
    assert audit.read_anchor(workspace.anchor_path) == (stored[-1].seq, stored[-1].hash)


def test_an_entry_is_on_disk_when_record_returns(workspace: Workspace) -> None:
    writer = GroupWriter(workspace)
    for i in range(3):
        entry = writer.record("ana", "consult", "results", [f"person:{i}"], "why")
        with sqlite3.connect(workspace.db_path) as con:  # another connection sees it
            row = con.execute("SELECT hash FROM audit WHERE seq = ?", (entry.seq,)).fetchone()
        assert row == (entry.hash,)
        assert audit.read_anchor(workspace.anchor_path) == (entry.seq, entry.hash)
    assert audit.verify(workspace).ok


def test_a_failed_commit_reaches_the_caller(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        GroupWriter(workspace).record("ana", "peek", "results")
    broken = GroupWriter(Workspace(tmp_path / "no" / "such" / "folder"))
    with pytest.raises(sqlite3.OperationalError):
        broken.record("ana", "consult", "results")
    assert len(list(audit.entries(workspace))) == 0

"""The audit log: append-only, hash-chained entries of who did what, to which records, and why.

Each entry holds `seq` (1, 2, 3 ...), `time` (UTC, ISO 8601), `user`, `action`, `target` (a case
database, a user name ...), `records` (the records touched, as a JSON list of strings), `reason`,
`prev_hash` (the previous entry's hash; 64 zeros for the first) and `hash`, the SHA-256 of all the
other fields in canonical JSON. Changing, reordering, inserting or deleting an entry therefore
breaks the chain at that entry, unless every later hash is recomputed too: that is what the
anchor is for. After every append the latest `seq` and `hash` are written to the anchor file
(`audit.anchor` in the workspace, or a path on other storage); `verify` checks the log still
holds that entry, so cutting off the tail or rewriting the whole chain is detected as long as
the anchor is out of the attacker's reach. docs/security.md describes the limits.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from countylines.workspace import Workspace

GENESIS = "0" * 64
FIELDS = ("seq", "time", "user", "action", "target", "records", "reason", "prev_hash", "hash")

ACTIONS: dict[str, str] = {
    "collect": "a case was loaded into a database (collection, combination)",
    "consult": "person-level data was viewed (consultation)",
    "reveal": "a pseudonym was turned back into the real identifier (consultation)",
    "disclose": "data left the system in an export or report (disclosure)",
    "erase": "a person's records were erased from a case database (erasure)",
    "retention_apply": "rows older than their retention period were deleted (erasure)",
    "retention_set": "a retention period was set (alteration of policy)",
    "user_add": "a user was added",
    "user_remove": "a user was removed",
    "user_role": "a user's role was changed",
    "token_create": "an API token was issued",
    "token_revoke": "an API token was revoked",
    "audit_export": "the audit log was exported (disclosure)",
}
"""Every action the log records; docs/security.md maps them to DPA 2018 s.62."""


@dataclass(frozen=True)
class Entry:
    """One audit entry, as stored."""

    seq: int
    time: str
    user: str
    action: str
    target: str
    records: str
    reason: str
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def entry_hash(
    seq: int,
    time: str,
    user: str,
    action: str,
    target: str,
    records: str,
    reason: str,
    prev_hash: str,
) -> str:
    """SHA-256 of an entry's fields in canonical JSON (the chain's link)."""
    body = json.dumps(
        [seq, time, user, action, target, records, reason, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(
    ws: Workspace,
    user: str,
    action: str,
    target: str,
    records: Iterable[str] = (),
    reason: str = "",
    anchor: Path | None = None,
) -> Entry:
    """Append one entry and update the anchor; every person-level access calls this.

    Concurrent writers (web requests, CLI commands) are serialised by SQLite's write lock (see
    `append`); the web app batches its entries with `countylines.audit_writer`.
    """
    with ws.connect() as con:
        return append(con, [Pending(user, action, target, tuple(records), reason)],
                      anchor or ws.anchor_path)[0]  # fmt: skip


@dataclass(frozen=True)
class Pending:
    """An entry to append: who, what, to which target and records, and why."""

    user: str
    action: str
    target: str
    records: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")


def append(con: sqlite3.Connection, pending: list[Pending], anchor: Path) -> list[Entry]:
    """Append `pending` in order in one transaction (one fsync) on `con`, chained, and update
    the anchor before committing. `BEGIN IMMEDIATE` is taken before the last hash is read, so
    two writers never share a `prev_hash`."""
    con.execute("BEGIN IMMEDIATE")
    try:
        last = con.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0], last[1]) if last else (0, GENESIS)
        done: list[Entry] = []
        for p in pending:
            seq, time = seq + 1, _now()
            recs = json.dumps(list(p.records), ensure_ascii=False, separators=(",", ":"))
            digest = entry_hash(seq, time, p.user, p.action, p.target, recs, p.reason, prev)
            done.append(Entry(seq, time, p.user, p.action, p.target, recs, p.reason, prev, digest))
            prev = digest
        con.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [tuple(asdict(e).values()) for e in done])  # fmt: skip
        if done:
            write_anchor(anchor, done[-1].seq, done[-1].hash)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return done


def write_anchor(path: Path, seq: int, digest: str) -> None:
    """Write `seq hash` to the anchor file (replaced atomically)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{seq} {digest}\n", encoding="ascii")
    tmp.replace(path)


def read_anchor(path: Path) -> tuple[int, str] | None:
    """The (seq, hash) in an anchor file, or None when there is none yet."""
    if not path.exists():
        return None
    parts = path.read_text(encoding="ascii", errors="replace").split()
    if len(parts) != 2 or not parts[0].isdigit():
        raise ValueError(f"{path} is not an audit anchor (expected 'SEQ HASH')")
    return int(parts[0]), parts[1]


def entries(ws: Workspace) -> Iterator[Entry]:
    """Every entry in storage order (by seq)."""
    with ws.connect() as con:
        cursor: sqlite3.Cursor = con.execute(f"SELECT {', '.join(FIELDS)} FROM audit ORDER BY seq")
        for row in cursor:
            yield Entry(*row)


@dataclass(frozen=True)
class Verification:
    """The result of `verify`: entries checked, the first failing seq (if any) and why."""

    checked: int
    first_bad: int | None = None
    problem: str = ""
    last: tuple[int, str] | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify_entries(items: Iterable[Entry], anchor: tuple[int, str] | None = None) -> Verification:
    """Check the chain: numbering from 1 without gaps, each link, each hash, and the anchor."""
    prev, expected, n = GENESIS, 1, 0
    last: tuple[int, str] | None = None
    for e in items:
        n += 1
        if e.seq != expected:
            return Verification(n, e.seq, f"expected entry {expected} here, found {e.seq}")
        if e.prev_hash != prev:
            return Verification(n, e.seq, "does not follow the entry before it (prev_hash)")
        digest = entry_hash(
            e.seq, e.time, e.user, e.action, e.target, e.records, e.reason, e.prev_hash
        )
        if digest != e.hash:
            return Verification(n, e.seq, "its content does not match its hash (edited)")
        if anchor is not None and e.seq == anchor[0] and e.hash != anchor[1]:
            return Verification(n, e.seq, "its hash differs from the anchor's (rewritten)")
        prev, expected, last = e.hash, expected + 1, (e.seq, e.hash)
    have = last[0] if last else 0
    if anchor is not None and have < anchor[0]:
        return Verification(
            n, have + 1, f"the anchor names entry {anchor[0]}, but the log ends at {have} (deleted)"
        )
    return Verification(n, None, "", last)


def verify(ws: Workspace, anchor: Path | None = None) -> Verification:
    """Verify the workspace's log against the anchor file (default: the workspace's)."""
    return verify_entries(entries(ws), read_anchor(anchor or ws.anchor_path))


def export(ws: Workspace, out: Path, fmt: str | None = None) -> int:
    """Write every entry to `out` as CSV or JSON lines (by `fmt` or the file suffix)."""
    fmt = fmt or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}: use csv or jsonl")
    n = 0
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(FIELDS)
        for e in entries(ws):
            if writer is not None:
                writer.writerow([getattr(e, f) for f in FIELDS])
            else:
                fh.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_export(path: Path) -> list[Entry]:
    """Entries from a CSV or JSON-lines export, for verifying a copy kept elsewhere."""
    with open(path, encoding="utf-8", newline="") as fh:
        if path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(fh))
            return [Entry(**{**r, "seq": int(r["seq"])}) for r in rows]  # type: ignore[arg-type]
        return [Entry(**json.loads(line)) for line in fh if line.strip()]


MIN_REASON = 10
MAX_REASON = 1000


_WHITE_SPACE = re.compile(
    "[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)
"""Unicode White_Space: what `\\s` means in the API's reason pattern (pydantic's regex), so that a
reason the schema accepts is never refused here (Python's `str.split` also splits on the
separators U+001C to U+001F)."""


def check_reason(reason: str | None) -> str:
    """A stated reason, trimmed; ValueError if it is missing, too short (fewer than MIN_REASON
    characters that are not white space) or too long."""
    text = _WHITE_SPACE.sub(" ", reason or "").strip(" ")
    if len(text) - text.count(" ") < MIN_REASON:
        raise ValueError(
            f"state the reason (at least {MIN_REASON} characters), for example the safeguarding "
            "referral or request number; it is kept in the audit log"
        )
    if len(text) > MAX_REASON:
        raise ValueError(f"the reason is longer than {MAX_REASON} characters")
    return text

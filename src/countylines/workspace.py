"""The workspace: the folder holding users, tokens, the audit log and the pseudonymisation key.

It lives outside every case and output folder, so copying a case or handing over an output never
hands over the key or the log. Its location is the `--home` option, else `COUNTYLINES_HOME`,
else `$XDG_DATA_HOME/countylines`, else `~/.local/share/countylines`. The folder is created
with mode 0700 and holds:

* `security.sqlite`: users, API tokens, web sessions, login failures and the audit log (SQLite,
  WAL mode);
* `pseudonym.key`: 32 random bytes (hex), mode 0600, the HMAC key of pseudonymisation;
* `audit.anchor`: the sequence number and hash of the latest audit entry (see `audit`);
* `retention.toml`: retention periods per table, in days (see `retention`).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from countylines.problems import CaseError

HOME_ENV = "COUNTYLINES_HOME"
DB_NAME = "security.sqlite"
KEY_NAME = "pseudonym.key"
ANCHOR_NAME = "audit.anchor"
RETENTION_NAME = "retention.toml"
KEY_BYTES = 32
BUSY_TIMEOUT_MS = 10_000

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
        created TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        secret_hash TEXT NOT NULL, label TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT)""",
    "CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, time REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key)",
    """CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY, time TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, records TEXT NOT NULL, reason TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
    # Append-only: a change must first drop these triggers, which is itself what verify detects
    # by the broken chain. They stop accidents and careless tools, not a determined owner.
    """CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        csrf TEXT NOT NULL, created REAL NOT NULL, seen REAL NOT NULL)""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)


def default_home() -> Path:
    """Where the workspace lives when neither `--home` nor COUNTYLINES_HOME is given."""
    data = os.environ.get("XDG_DATA_HOME")
    base = Path(data) if data else Path.home() / ".local" / "share"
    return base / "countylines"


def resolve_home(home: Path | None) -> Path:
    """The workspace folder: `home`, else COUNTYLINES_HOME, else `default_home()`."""
    if home is not None:
        return Path(home).expanduser()
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else default_home()


@dataclass(frozen=True)
class Workspace:
    """An existing workspace folder and the paths of what it holds."""

    home: Path

    @property
    def db_path(self) -> Path:
        return self.home / DB_NAME

    @property
    def key_path(self) -> Path:
        return self.home / KEY_NAME

    @property
    def anchor_path(self) -> Path:
        return self.home / ANCHOR_NAME

    @property
    def retention_path(self) -> Path:
        return self.home / RETENTION_NAME

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection (one per request or command), closed afterwards.

        Autocommit mode: callers that write more than one row open `BEGIN IMMEDIATE` themselves.
        """
        con = _open_db(self.db_path)
        try:
            yield con
        finally:
            con.close()

    def check_outside(self, *folders: Path) -> None:
        """Refuse to work if the workspace lies inside any of `folders` (a case or an output)."""
        for folder in folders:
            if _inside(self.home, folder):
                raise CaseError(
                    f"the workspace {self.home} is inside {folder}: the key and the audit log "
                    "must live outside every case and output folder (use --home or "
                    f"{HOME_ENV} to move it)"
                )

    def key(self, *folders: Path) -> bytes:
        """The pseudonymisation key, after checking that neither the workspace nor the key
        lies inside any of `folders` (the case and output folders it will key)."""
        self.check_outside(*folders)
        return load_key(self.key_path, folders)


@dataclass(frozen=True)
class ThreadWorkspace(Workspace):
    """A workspace whose `connect` reuses one connection per thread instead of opening one per
    call (for a server's worker threads). Every call still reads the database afresh, so a
    revoked token, a removed user or an ended session counts at once; a transaction a caller
    left open is rolled back."""

    _local: threading.local = field(default_factory=threading.local, compare=False, repr=False)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = _open_db(self.db_path)
        try:
            yield con
        finally:
            if con.in_transaction:
                con.rollback()


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def _open_db(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA synchronous = FULL")  # an audit entry survives a power cut once written
    return con


def open_workspace(home: Path | None = None, create: bool = False) -> Workspace:
    """The workspace at `resolve_home(home)`; created (folder, database, key) when `create`.

    Without `create`, a missing workspace is a CaseError telling the user how to make one.
    """
    folder = resolve_home(home)
    ws = Workspace(folder)
    if not ws.db_path.exists():
        if not create:
            raise CaseError(
                f"no countylines workspace at {folder}: create it by adding the first user, "
                "`countylines users add NAME --role admin` (or give --home / "
                f"{HOME_ENV})"
            )
        _create(ws)
    else:
        with ws.connect() as con:  # tables added by later versions (all IF NOT EXISTS)
            for sql in SCHEMA:
                con.execute(sql)
    return ws


def existing_workspace(home: Path | None, *folders: Path) -> Workspace | None:
    """The workspace if one has been created (checked to be outside `folders`), else None."""
    try:
        ws = open_workspace(home)
    except CaseError:
        return None
    ws.check_outside(*folders)
    return ws


def _create(ws: Workspace) -> None:
    ws.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if ws.home.stat().st_mode & 0o077:
        os.chmod(ws.home, 0o700)
    fd = os.open(ws.db_path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    con = _open_db(ws.db_path)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        for sql in SCHEMA:
            con.execute(sql)
    finally:
        con.close()
    if not ws.key_path.exists():
        create_key(ws.key_path)


def create_key(path: Path) -> None:
    """Write a new random key to `path` (mode 0600); refuses to overwrite an existing file."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")


def load_key(path: Path, forbidden: tuple[Path, ...] = ()) -> bytes:
    """Read the pseudonymisation key, refusing an unsafe one.

    Refused: a missing or malformed file, one that other users may read or write (group or
    world permissions beyond group-read), and one that lies inside any of `forbidden` (the case
    folder and the output folder).
    """
    path = Path(path)
    if not path.is_file():
        raise CaseError(f"the pseudonymisation key {path} does not exist")
    for folder in forbidden:
        if _inside(path, folder):
            raise CaseError(
                f"the pseudonymisation key {path} is inside {folder}: keep it outside every case "
                "and output folder, or anyone given the folder can undo the pseudonyms"
            )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o027:
        raise CaseError(
            f"the pseudonymisation key {path} can be read or written by other users "
            f"(mode {mode:04o}); run `chmod 600 {path}`"
        )
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise CaseError(f"the pseudonymisation key {path} is not {KEY_BYTES} bytes of hex")
    return key

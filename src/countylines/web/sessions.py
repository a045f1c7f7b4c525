"""Web login sessions, kept in the workspace database (server side).

The browser holds only a random session id in a cookie (`HttpOnly`, `SameSite=Strict`, and
`Secure` when served over HTTPS); the database keeps its SHA-256, the user and the session's
CSRF token, so a copy of the database cannot be replayed as a cookie. A session ends at logout,
after `IDLE_S` without a request, after `MAX_AGE_S` in all, or when its user is removed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from countylines.roles import Role, User
from countylines.workspace import Workspace

COOKIE = "countylines_session"
IDLE_S = 30 * 60
"""A session unused for this long (seconds) has ended."""
MAX_AGE_S = 8 * 3600
"""No session lasts longer than a working day (seconds)."""
TOUCH_S = 60
"""A session's last use is written at most once in this many seconds (a request is then a read,
not a write); idle expiry is exact to within this."""


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who it is and the token its forms must send back."""

    user: User
    csrf: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def start(ws: Workspace, user: User, now: float | None = None) -> tuple[str, Session]:
    """A new session for `user`: (the cookie value, the session)."""
    now = time.time() if now is None else now
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with ws.connect() as con:
        con.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (_hash(session_id), user.name, csrf,
                                                           now, now)
        )  # fmt: skip
    return session_id, Session(user, csrf)


def find(ws: Workspace, session_id: str, now: float | None = None) -> Session | None:
    """The live session of this cookie value, touched; None if unknown or expired."""
    now = time.time() if now is None else now
    key = _hash(session_id)
    with ws.connect() as con:
        row = con.execute(
            "SELECT s.csrf, s.created, s.seen, u.name, u.role FROM sessions s "
            "JOIN users u ON u.name = s.user WHERE s.id_hash = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        if now - row[2] > IDLE_S or now - row[1] > MAX_AGE_S:
            con.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
            return None
        if now - row[2] >= TOUCH_S:
            con.execute("UPDATE sessions SET seen = ? WHERE id_hash = ?", (now, key))
    return Session(User(row[3], Role(row[4])), row[0])


def end(ws: Workspace, session_id: str) -> None:
    """Forget the session (logout)."""
    with ws.connect() as con:
        con.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session_id),))

"""Workspace users: argon2id password hashes, roles, API tokens and authentication.

Functions take the `Workspace` explicitly and return plain values, so the CLI and the web app
call the same code. Passwords are hashed with argon2id (argon2-cffi, RFC 9106 parameters);
unknown users cost the same verification time as known ones. An API token is
`clt_<id>_<secret>`: the id finds the row, and only the SHA-256 of the 256-bit random secret is
stored (a fast hash is enough for a random secret; a slow one is for guessable passwords). A
token is shown once, when it is made, and can be revoked. Changes to users and tokens are
recorded in the audit log by the caller that knows who made them (see `cli`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from countylines.roles import Role, User
from countylines.throttle import LoginThrottle
from countylines.workspace import Workspace

MIN_PASSWORD = 12
TOKEN_PREFIX = "clt"
HASHER = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106 low-memory: t=3, m=64 MiB, p=4)."""


class AuthError(Exception):
    """A login or token was refused (the message never says which part was wrong)."""


class UserError(ValueError):
    """A request about users that cannot be done (unknown user, weak password, last admin)."""


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    created: str
    tokens: int


@dataclass(frozen=True)
class TokenInfo:
    id: str
    user: str
    label: str
    created: str
    revoked: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_password(name: str, password: str) -> None:
    """Refuse passwords that are short or contain the user name."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if name.lower() in password.lower():
        raise UserError("the password must not contain the user name")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise UserError(f"user name {name!r}: use 1 to 64 letters, digits and . _ - @ (no spaces)")
    return name


def count_users(ws: Workspace) -> int:
    with ws.connect() as con:
        return int(con.execute("SELECT count(*) FROM users").fetchone()[0])


def add_user(
    ws: Workspace, name: str, role: Role, password: str, hasher: PasswordHasher = HASHER
) -> User:
    """Add a user; UserError if the name is taken or the password is weak."""
    name = _check_name(name)
    check_password(name, password)
    digest = hasher.hash(password)
    with ws.connect() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise UserError(f"user {name!r} already exists")
        con.execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
            (name, role.value, digest, _now()),
        )
    return User(name, role)


def get_user(ws: Workspace, name: str) -> User:
    with ws.connect() as con:
        row = con.execute("SELECT name, role FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise UserError(f"no user {name!r}")
    return User(row[0], Role(row[1]))


def list_users(ws: Workspace) -> list[UserInfo]:
    with ws.connect() as con:
        rows = con.execute(
            "SELECT u.name, u.role, u.created, count(t.id) FILTER (WHERE t.revoked IS NULL) "
            "FROM users u LEFT JOIN tokens t ON t.user = u.name GROUP BY u.name ORDER BY u.name"
        ).fetchall()
    return [UserInfo(n, Role(r), c, int(k)) for n, r, c, k in rows]


def _admins_other_than(con: sqlite3.Connection, name: str) -> int:
    cur = con.execute(
        "SELECT count(*) FROM users WHERE role = ? AND name <> ?", (Role.ADMIN.value, name)
    )
    return int(cur.fetchone()[0])


def remove_user(ws: Workspace, name: str) -> None:
    """Remove a user and their tokens; the last admin cannot be removed."""
    user = get_user(ws, name)
    with ws.connect() as con:
        if user.role is Role.ADMIN and not _admins_other_than(con, name):
            raise UserError(f"{name!r} is the last admin; add another admin first")
        con.execute("DELETE FROM users WHERE name = ?", (name,))


def set_role(ws: Workspace, name: str, role: Role) -> User:
    """Change a user's role; the last admin cannot be demoted."""
    user = get_user(ws, name)
    with ws.connect() as con:
        if user.role is Role.ADMIN and role is not Role.ADMIN and not _admins_other_than(con, name):
            raise UserError(f"{name!r} is the last admin; add another admin first")
        con.execute("UPDATE users SET role = ? WHERE name = ?", (role.value, name))
    return User(name, role)


def authenticate(
    ws: Workspace,
    username: str,
    password: str,
    throttle: LoginThrottle,
    client: str = "cli",
    hasher: PasswordHasher = HASHER,
) -> User:
    """The user whose password this is; AuthError otherwise, `Throttled` if locked out.

    Failures count against both the username and the client (see `throttle`).
    """
    throttle.check(username, client)
    with ws.connect() as con:
        row = con.execute(
            "SELECT name, role, password_hash FROM users WHERE name = ?", (username,)
        ).fetchone()
    stored = row[2] if row else _dummy_hash(hasher)
    try:
        hasher.verify(stored, password)
        ok = row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        throttle.failure(username, client)
        raise AuthError("unknown user or wrong password")
    throttle.success(username, client)
    if hasher.check_needs_rehash(stored):
        with ws.connect() as con:
            con.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?",
                (hasher.hash(password), row[0]),
            )
    return User(row[0], Role(row[1]))


_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to verify against for unknown users, so they take as long as known ones."""
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(secrets.token_hex(16))
    return _DUMMY[key]


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_token(ws: Workspace, name: str, label: str = "") -> tuple[str, TokenInfo]:
    """Issue an API token for user `name`: (the token, shown once; its stored description)."""
    get_user(ws, name)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    info = TokenInfo(token_id, name, label, _now(), None)
    with ws.connect() as con:
        con.execute(
            "INSERT INTO tokens (id, user, secret_hash, label, created) VALUES (?, ?, ?, ?, ?)",
            (token_id, name, _secret_hash(secret), label, info.created),
        )
    return f"{TOKEN_PREFIX}_{token_id}_{secret}", info


def verify_token(ws: Workspace, token: str) -> User:
    """The user a valid, unrevoked token belongs to; AuthError otherwise."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise AuthError("not a countylines API token")
    _, token_id, secret = parts
    with ws.connect() as con:
        row = con.execute(
            "SELECT t.secret_hash, t.revoked, u.name, u.role FROM tokens t "
            "JOIN users u ON u.name = t.user WHERE t.id = ?",
            (token_id,),
        ).fetchone()
    expected = row[0] if row else _secret_hash("")
    good = hmac.compare_digest(expected, _secret_hash(secret))
    if row is None or not good or row[1] is not None:
        raise AuthError("the API token is unknown, wrong or revoked")
    return User(row[2], Role(row[3]))


def list_tokens(ws: Workspace, name: str | None = None) -> list[TokenInfo]:
    sql = "SELECT id, user, label, created, revoked FROM tokens"
    args: tuple[str, ...] = ()
    if name is not None:
        sql, args = sql + " WHERE user = ?", (name,)
    with ws.connect() as con:
        return [TokenInfo(*r) for r in con.execute(sql + " ORDER BY created, id", args)]


def revoke_token(ws: Workspace, token_id: str) -> TokenInfo:
    """Revoke a token by its id (the part after `clt_`); it stops working at once."""
    with ws.connect() as con:
        cur = con.execute(
            "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (_now(), token_id)
        )
        if cur.rowcount == 0:
            raise UserError(f"no active token {token_id!r}")
    return next(t for t in list_tokens(ws) if t.id == token_id)


@dataclass
class StoredFailures:
    """Login failure times kept in the workspace database, for the CLI (one process a login)."""

    ws: Workspace

    def failures(self, key: str) -> list[float]:
        with self.ws.connect() as con:
            rows = con.execute("SELECT time FROM login_failures WHERE key = ?", (key,))
            return [r[0] for r in rows]

    def add(self, key: str, when: float) -> None:
        with self.ws.connect() as con:
            con.execute("INSERT INTO login_failures VALUES (?, ?)", (key, when))
            con.execute("DELETE FROM login_failures WHERE time < ?", (when - 86_400,))

    def clear(self, key: str) -> None:
        with self.ws.connect() as con:
            con.execute("DELETE FROM login_failures WHERE key = ?", (key,))

"""Users, passwords, API tokens, login throttling and the workspace's own protections."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import CHEAP_HASHER, PASSWORD, add_user, cli

from countylines import audit
from countylines.problems import CaseError
from countylines.roles import Role, User
from countylines.throttle import (
    LoginThrottle,
    MemoryFailures,
    Throttled,
    ThrottlePolicy,
    wait_seconds,
)
from countylines.users import (
    AuthError,
    StoredFailures,
    UserError,
    authenticate,
    create_token,
    list_tokens,
    list_users,
    remove_user,
    revoke_token,
    set_role,
    verify_token,
)
from countylines.workspace import Workspace, load_key, open_workspace, resolve_home


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _login(ws: Workspace, name: str, password: str, throttle: LoginThrottle, client: str = "c1"):
    return authenticate(ws, name, password, throttle, client, hasher=CHEAP_HASHER)


# --- passwords and users --------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(workspace: Workspace) -> None:
    add_user(workspace, "alice", "analyst")
    with sqlite3.connect(workspace.db_path) as con:
        (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    user = _login(workspace, "alice", PASSWORD, LoginThrottle())
    assert user == User("alice", Role.ANALYST)


def test_wrong_password_and_unknown_user_give_the_same_error(workspace: Workspace) -> None:
    add_user(workspace, "alice", "analyst")
    with pytest.raises(AuthError) as wrong:
        _login(workspace, "alice", "not the password at all", LoginThrottle())
    with pytest.raises(AuthError) as unknown:
        _login(workspace, "mallory", PASSWORD, LoginThrottle())
    assert str(wrong.value) == str(unknown.value)


def test_weak_passwords_and_bad_names_are_refused(workspace: Workspace) -> None:
    with pytest.raises(UserError, match="at least 12"):
        add_user_pw(workspace, "bob", "short")
    with pytest.raises(UserError, match="user name"):
        add_user_pw(workspace, "bob-the-builder", "xx bob-the-builder xx")
    with pytest.raises(UserError, match="letters"):
        add_user_pw(workspace, "../etc", PASSWORD)


def add_user_pw(ws: Workspace, name: str, password: str) -> None:
    from countylines.users import add_user as add

    add(ws, name, Role.VIEWER, password, hasher=CHEAP_HASHER)


def test_roles_change_and_the_last_admin_is_kept(workspace: Workspace) -> None:
    add_user(workspace, "root", "admin")
    add_user(workspace, "bob", "viewer")
    assert set_role(workspace, "bob", Role.SAFEGUARDING).role is Role.SAFEGUARDING
    with pytest.raises(UserError, match="last admin"):
        set_role(workspace, "root", Role.ANALYST)
    with pytest.raises(UserError, match="last admin"):
        remove_user(workspace, "root")
    remove_user(workspace, "bob")
    assert [u.name for u in list_users(workspace)] == ["root"]


# --- tokens ---------------------------------------------------------------------------------


def test_tokens_are_shown_once_stored_hashed_and_revocable(workspace: Workspace) -> None:
    add_user(workspace, "bot", "analyst")
    token, info = create_token(workspace, "bot", "nightly export")
    assert token.startswith(f"clt_{info.id}_")
    with sqlite3.connect(workspace.db_path) as con:
        dump = "\n".join(con.iterdump())
    assert token.split("_", 2)[2] not in dump, "the secret must not be stored"
    assert verify_token(workspace, token) == User("bot", Role.ANALYST)
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "clt_x_y", "nonsense", ""):
        with pytest.raises(AuthError):
            verify_token(workspace, forged)
    revoke_token(workspace, info.id)
    with pytest.raises(AuthError, match="revoked"):
        verify_token(workspace, token)
    assert list_tokens(workspace, "bot")[0].revoked is not None


def test_removing_a_user_ends_their_tokens(workspace: Workspace) -> None:
    add_user(workspace, "root", "admin")
    add_user(workspace, "bot", "analyst")
    token, _ = create_token(workspace, "bot")
    remove_user(workspace, "bot")
    with pytest.raises(AuthError):
        verify_token(workspace, token)


def test_role_changes_apply_to_existing_tokens(workspace: Workspace) -> None:
    add_user(workspace, "root", "admin")
    add_user(workspace, "bot", "safeguarding")
    token, _ = create_token(workspace, "bot")
    set_role(workspace, "bot", Role.VIEWER)
    assert verify_token(workspace, token).role is Role.VIEWER


# --- throttling -----------------------------------------------------------------------------


def test_wait_grows_exponentially_to_a_lockout_and_is_forgotten() -> None:
    policy = ThrottlePolicy(free_failures=3, base_delay_s=2, max_delay_s=60, window_s=3600)
    now = 10_000.0
    assert wait_seconds([now - 1] * 2, now, policy) == 0
    assert wait_seconds([now] * 3, now, policy) == 2
    assert wait_seconds([now] * 4, now, policy) == 4
    assert wait_seconds([now] * 5, now, policy) == 8
    assert wait_seconds([now] * 40, now, policy) == 60  # capped: the lockout
    assert wait_seconds([now - 50] * 40, now, policy) == 10  # the lockout runs out
    assert wait_seconds([now - 3601] * 40, now, policy) == 0  # old failures are forgotten


def test_throttle_per_user_and_per_client() -> None:
    clock = Clock()
    throttle = LoginThrottle(MemoryFailures(), clock)
    for _ in range(5):
        throttle.check("alice", "10.0.0.1")
        throttle.failure("alice", "10.0.0.1")
    with pytest.raises(Throttled) as exc:
        throttle.check("alice", "10.0.0.9")  # the user is throttled from any client
    assert exc.value.retry_after == 2
    throttle.check("bob", "10.0.0.1")  # the client may still try other users (20 free)
    clock.now += 2
    throttle.check("alice", "10.0.0.1")
    throttle.success("alice", "10.0.0.1")
    throttle.check("alice", "10.0.0.1")
    # One client guessing many user names is stopped by the per-client count.
    for i in range(20):
        throttle.failure(f"user{i}", "10.6.6.6")
    with pytest.raises(Throttled):
        throttle.check("someone-new", "10.6.6.6")


def test_authenticate_is_throttled_even_with_the_right_password(workspace: Workspace) -> None:
    add_user(workspace, "alice", "analyst")
    clock = Clock()
    throttle = LoginThrottle(StoredFailures(workspace), clock)
    for _ in range(5):
        with pytest.raises(AuthError):
            _login(workspace, "alice", "wrong password guess", throttle)
    with pytest.raises(Throttled):
        _login(workspace, "alice", PASSWORD, throttle)
    clock.now += 3
    assert _login(workspace, "alice", PASSWORD, throttle).name == "alice"
    assert StoredFailures(workspace).failures("user:alice") == []


def test_cli_login_failures_persist_between_commands(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(workspace, "root", "admin")
    monkeypatch.setenv("COUNTYLINES_PASSWORD", "a wrong password!")
    for _ in range(5):
        assert "wrong password" in cli("users", "list", "--user", "root").assert_clean(4).flat
    run = cli("users", "list", "--user", "root").assert_clean(4)
    assert "too many failed logins" in run.flat
    assert len(StoredFailures(workspace).failures("user:root")) == 5


# --- the workspace --------------------------------------------------------------------------


def test_home_from_option_then_environment_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTYLINES_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "opt") == tmp_path / "opt"
    assert resolve_home(None) == tmp_path / "env"
    monkeypatch.delenv("COUNTYLINES_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_home(None) == tmp_path / "xdg" / "countylines"


def test_workspace_files_are_private(workspace: Workspace) -> None:
    assert os.stat(workspace.home).st_mode & 0o777 == 0o700
    assert os.stat(workspace.key_path).st_mode & 0o777 == 0o600
    assert os.stat(workspace.db_path).st_mode & 0o777 == 0o600
    with sqlite3.connect(workspace.db_path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(load_key(workspace.key_path)) == 32


def test_missing_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="users add"):
        open_workspace(tmp_path / "nowhere")
    run = cli("users", "list", "--home", tmp_path / "nowhere").assert_clean(2)
    assert "users add" in run.flat


def test_key_readable_by_others_is_refused(workspace: Workspace) -> None:
    os.chmod(workspace.key_path, 0o644)
    with pytest.raises(CaseError, match="chmod 600"):
        load_key(workspace.key_path)


def test_key_inside_a_case_or_output_folder_is_refused(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "out" / "ws", create=True)
    with pytest.raises(CaseError, match="outside every case"):
        load_key(ws.key_path, (tmp_path / "out",))
    with pytest.raises(CaseError, match="outside every case"):
        ws.check_outside(tmp_path / "out")


def test_malformed_key_is_refused(workspace: Workspace) -> None:
    workspace.key_path.write_text("too short\n")
    with pytest.raises(CaseError, match="32 bytes"):
        load_key(workspace.key_path)


def test_first_user_must_be_an_admin_and_later_users_need_a_login(
    _private_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTYLINES_NEW_PASSWORD", PASSWORD)
    cli("users", "add", "alice", "--role", "analyst").assert_clean(2)
    cli("users", "add", "alice", "--role", "admin").assert_clean(0)
    cli("users", "add", "bob", "--role", "analyst").assert_clean(4)  # no login
    monkeypatch.setenv("COUNTYLINES_PASSWORD", PASSWORD)
    cli("users", "add", "bob", "--role", "analyst", "--user", "alice").assert_clean(0)
    ws = open_workspace(_private_workspace)
    assert [(u.name, u.role) for u in list_users(ws)] == [
        ("alice", Role.ADMIN),
        ("bob", Role.ANALYST),
    ]
    actions = [(e.user, e.action, e.target) for e in audit.entries(ws)]
    assert actions == [("alice", "user_add", "alice"), ("alice", "user_add", "bob")]


def test_token_is_printed_once_on_stdout(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(workspace, "root", "admin")
    add_user(workspace, "bot", "analyst")
    admin, _ = create_token(workspace, "root")
    monkeypatch.setenv("COUNTYLINES_TOKEN", admin)
    run = cli("users", "token", "bot", "--label", "cron").assert_clean(0)
    token = run.stdout.strip()
    assert verify_token(workspace, token).name == "bot"
    listed = cli("users", "tokens", "bot", "--json").assert_clean(0)
    assert token not in listed.stdout and listed.json()[0]["label"] == "cron"
    cli("users", "revoke-token", token.split("_")[1]).assert_clean(0)
    with pytest.raises(AuthError):
        verify_token(workspace, token)

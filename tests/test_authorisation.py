"""The authorisation matrix: every command against every role, and the permission table itself.

A command a role may not run exits 4 and changes nothing (no audit entry, no file written); a
command it may run succeeds. New commands must be added to `COMMAND_PERMISSIONS` (checked here).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import typer
from conftest import PASSWORD, REASON, add_user, cli, login_as

from countylines import audit
from countylines.cli import app
from countylines.cli_security import COMMAND_PERMISSIONS
from countylines.pseudonym import IdType, pseudonym
from countylines.roles import (
    PERMISSIONS,
    ROLE_ORDER,
    Permission,
    PermissionDenied,
    Role,
    User,
    allows,
    require,
)
from countylines.users import create_token, list_users
from countylines.workspace import Workspace, load_key

EXPECTED: dict[Role, set[Permission]] = {
    Role.VIEWER: {Permission.VIEW_AGGREGATES},
    Role.ANALYST: {
        Permission.VIEW_AGGREGATES,
        Permission.VIEW_LINES,
        Permission.VIEW_PSEUDONYMISED_PEOPLE,
        Permission.UPLOAD_CASE_FILES,
    },
    Role.SAFEGUARDING: {
        Permission.VIEW_AGGREGATES,
        Permission.VIEW_LINES,
        Permission.VIEW_PSEUDONYMISED_PEOPLE,
        Permission.VIEW_PERSON_DETAILS,
        Permission.REVEAL_IDENTIFIERS,
        Permission.UPLOAD_CASE_FILES,
    },
    Role.ADMIN: set(Permission),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_permission_table(role: Role, permission: Permission) -> None:
    user = User("u", role)
    if permission in EXPECTED[role]:
        require(user, permission)
    else:
        with pytest.raises(PermissionDenied, match=permission.value.replace("_", " ")):
            require(user, permission)


def test_roles_are_ordered_by_what_they_may_do() -> None:
    for lower, higher in itertools.pairwise(ROLE_ORDER):
        assert PERMISSIONS[lower] < PERMISSIONS[higher], f"{higher} should include {lower}"
    assert not allows(Role.ANALYST, Permission.VIEW_PERSON_DETAILS)


def _command_names(group: typer.Typer, prefix: str = "") -> set[str]:
    names = set()
    for command in group.registered_commands:
        assert command.callback is not None
        names.add(prefix + (command.name or command.callback.__name__.replace("_", "-")))
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name
        names |= _command_names(sub.typer_instance, f"{prefix}{sub.name} ")
    return names


def test_every_command_declares_its_permission() -> None:
    declared = {c for c in COMMAND_PERMISSIONS if "--" not in c}
    assert _command_names(app) == declared


def _args(command: str, ws: Workspace, case_db: Path, tmp_path: Path) -> list[str | Path]:
    """Arguments that make `command` succeed for a role that may run it."""
    key = load_key(ws.key_path)
    spare_token = create_token(ws, "spare")[1].id
    phone = pseudonym("+447700900202", IdType.PHONE, key)
    return {
        "users add": ["users", "add", "newbie", "--role", "viewer"],
        "users remove": ["users", "remove", "spare"],
        "users list": ["users", "list"],
        "users set-role": ["users", "set-role", "spare", "analyst"],
        "users token": ["users", "token", "spare"],
        "users tokens": ["users", "tokens"],
        "users revoke-token": ["users", "revoke-token", spare_token],
        "audit verify": ["audit", "verify"],
        "audit export": ["audit", "export", "--out", tmp_path / "audit.jsonl"],
        "audit anchor": ["audit", "anchor"],
        "retention show": ["retention", "show"],
        "retention set": ["retention", "set", "events", "30"],
        "retention apply": ["retention", "apply", case_db],
        "erase": ["erase", case_db, "--person", "P002", "--reason", REASON],
        "reveal": ["reveal", case_db, phone, "--reason", REASON],
        "export": ["export", case_db, "persons", "--out", tmp_path / "export.csv"],
        "export --identified": [
            *("export", case_db, "persons", "--out", tmp_path / "export.csv"),
            *("--identified", "--reason", REASON),
        ],
    }[command]


SECURED = [c for c, p in COMMAND_PERMISSIONS.items() if p is not None]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", SECURED)
def test_command_matrix(
    command: str,
    role: Role,
    workspace: Workspace,
    case_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_user(workspace, "root", "admin")  # so the workspace always keeps an admin
    add_user(workspace, "spare", "viewer")
    login_as(workspace, "actor", role.value, monkeypatch)
    monkeypatch.setenv("COUNTYLINES_NEW_PASSWORD", PASSWORD)
    args = _args(command, workspace, case_db, tmp_path)
    before = list(audit.entries(workspace))
    db_bytes = case_db.read_bytes()
    users_before = list_users(workspace)
    run = cli(*args)
    permission = COMMAND_PERMISSIONS[command]
    assert permission is not None
    if allows(role, permission):
        run.assert_clean(0)
        return
    run.assert_clean(4)
    assert "not authorised" in run.flat and role.value in run.flat
    assert list(audit.entries(workspace)) == before
    assert case_db.read_bytes() == db_bytes
    assert list_users(workspace) == users_before
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob("*.jsonl"))


@pytest.mark.parametrize("command", SECURED)
def test_every_secured_command_needs_a_login(
    command: str, workspace: Workspace, case_db: Path, tmp_path: Path
) -> None:
    add_user(workspace, "root", "admin")
    add_user(workspace, "spare", "viewer")
    run = cli(*_args(command, workspace, case_db, tmp_path)).assert_clean(4)
    assert "log in" in run.flat
    run = cli(*_args(command, workspace, case_db, tmp_path), "--token", "clt_bad_token")
    run.assert_clean(4)

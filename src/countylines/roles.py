"""Roles and what each may do: the permission table every command and web page checks.

Plain data with no I/O, so the CLI, the web app and the tests read the same table. The four
roles are ordered (`viewer` < `analyst` < `safeguarding` < `admin`) and each holds the
permissions of the roles below it, but the table below lists every permission of every role
explicitly, so a reviewer never has to work out what a role can do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    SAFEGUARDING = "safeguarding"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW_AGGREGATES = "view_aggregates"  # aggregate maps and the public report
    VIEW_LINES = "view_lines"  # the line register, places and their evidence
    VIEW_PSEUDONYMISED_PEOPLE = "view_pseudonymised_people"  # people under pseudonyms
    VIEW_PERSON_DETAILS = "view_person_details"  # a person's details, for safeguarding
    REVEAL_IDENTIFIERS = "reveal_identifiers"  # turn a pseudonym back into the real value
    READ_AUDIT = "read_audit"  # verify and export the audit log
    MANAGE_USERS = "manage_users"  # add, remove and change users and their tokens
    MANAGE_RETENTION = "manage_retention"  # retention periods, applying them, erasure
    UPLOAD_CASE_FILES = "upload_case_files"  # send case files to the dashboard's uploads folder


_P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({_P.VIEW_AGGREGATES}),
    Role.ANALYST: frozenset(
        {_P.VIEW_AGGREGATES, _P.VIEW_LINES, _P.VIEW_PSEUDONYMISED_PEOPLE, _P.UPLOAD_CASE_FILES}
    ),
    Role.SAFEGUARDING: frozenset(
        {
            _P.VIEW_AGGREGATES,
            _P.VIEW_LINES,
            _P.VIEW_PSEUDONYMISED_PEOPLE,
            _P.VIEW_PERSON_DETAILS,
            _P.REVEAL_IDENTIFIERS,
            _P.UPLOAD_CASE_FILES,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}
"""Role -> every permission it holds. docs/security.md shows the same table."""

ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.ANALYST, Role.SAFEGUARDING, Role.ADMIN)


@dataclass(frozen=True)
class User:
    """Someone acting: a workspace user with a role, or the local operating-system account."""

    name: str
    role: Role


class PermissionDenied(Exception):
    """The user's role does not hold the permission an action needs."""

    def __init__(self, user: User, permission: Permission) -> None:
        self.user = user
        self.permission = permission
        roles = ", ".join(r.value for r in roles_with(permission))
        super().__init__(
            f"user {user.name!r} ({user.role.value}) may not {describe(permission)}: "
            f"that needs the role {roles}"
        )


def allows(role: Role, permission: Permission) -> bool:
    """Whether `role` holds `permission`."""
    return permission in PERMISSIONS[role]


def roles_with(permission: Permission) -> list[Role]:
    """The roles holding `permission`, lowest first."""
    return [r for r in ROLE_ORDER if allows(r, permission)]


def require(user: User, permission: Permission) -> None:
    """Raise `PermissionDenied` unless `user`'s role holds `permission`."""
    if not allows(user.role, permission):
        raise PermissionDenied(user, permission)


def describe(permission: Permission) -> str:
    """A permission in words, for messages."""
    return permission.value.replace("_", " ")


def parse_role(text: str) -> Role:
    """A role from its name; ValueError names the valid roles."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(
            f"no role {text!r}; roles: {', '.join(r.value for r in ROLE_ORDER)}"
        ) from None

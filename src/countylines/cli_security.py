"""The security commands: `users`, `audit`, `retention`, `erase`, `reveal` and `export`.

Every command here logs in first (an API token from `--token` / COUNTYLINES_TOKEN, or a user
name from `--user` / COUNTYLINES_USER with the password from COUNTYLINES_PASSWORD or a hidden
prompt) and checks the permission `COMMAND_PERMISSIONS` gives it. The only exception is the
first user of a new workspace, who is created without a login and must be an admin. The
pipeline commands (`validate`, `load`, `schema`, `simulate`, `lines`, `evaluate`, `places`,
`people`, and `opendata …`, which reads only open data) need no login: they work on files the
operating-system account can already read; `load` records a `collect` and `people` a `consult`
audit entry when a workspace exists. Nor does `serve`, whose pages ask for one.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from countylines import audit, retention, users
from countylines.cliutil import err, out, print_json, run
from countylines.duckdb_checks import quote
from countylines.erasure import erase_person
from countylines.problems import CaseError
from countylines.pseudonym import pseudonymise_frame, reveal
from countylines.roles import Permission, Role, User, parse_role, require
from countylines.schema import TABLES, Kind
from countylines.throttle import LoginThrottle
from countylines.workspace import HOME_ENV, Workspace, open_workspace

COMMAND_PERMISSIONS: dict[str, Permission | None] = {
    "validate": None,
    "load": None,
    "schema": None,
    "simulate": None,
    "lines": None,
    "violence": None,
    "movement": None,
    "evaluate": None,
    "places run": None,
    "places backtest": None,
    "serve": None,
    "assess": None,
    "demo": None,
    "opendata backtest": None,
    "opendata case": None,
    "opendata counts": None,
    "opendata forces": None,
    "people": None,
    "network": None,
    "users add": Permission.MANAGE_USERS,
    "users remove": Permission.MANAGE_USERS,
    "users list": Permission.MANAGE_USERS,
    "users set-role": Permission.MANAGE_USERS,
    "users token": Permission.MANAGE_USERS,
    "users tokens": Permission.MANAGE_USERS,
    "users revoke-token": Permission.MANAGE_USERS,
    "audit verify": Permission.READ_AUDIT,
    "audit export": Permission.READ_AUDIT,
    "audit anchor": Permission.READ_AUDIT,
    "retention show": Permission.MANAGE_RETENTION,
    "retention set": Permission.MANAGE_RETENTION,
    "retention apply": Permission.MANAGE_RETENTION,
    "erase": Permission.MANAGE_RETENTION,
    "reveal": Permission.REVEAL_IDENTIFIERS,
    "export": Permission.VIEW_PSEUDONYMISED_PEOPLE,
    "export --identified": Permission.REVEAL_IDENTIFIERS,
}
"""Every command and the permission it needs (None: no login). docs/security.md lists these."""

users_app = typer.Typer(help="Workspace users, roles and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: verify, export, anchor.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention periods per table.", no_args_is_help=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=HOME_ENV,
        help="Workspace folder (users, audit log, key); default ~/.local/share/countylines.",
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option("--user", "-u", envvar="COUNTYLINES_USER", help="Log in as this user."),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="COUNTYLINES_TOKEN", help="Log in with an API token.", show_default=False
    ),
]
ReasonOpt = Annotated[
    str, typer.Option("--reason", help="Why (kept in the audit log; at least 10 characters).")
]
CaseDbArg = Annotated[Path, typer.Argument(help="A loaded case database (OUT/case.duckdb).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def login(ws: Workspace, user: str | None, token: str | None, command: str) -> User:
    """Log in and check the permission `command` needs; raises AuthError / PermissionDenied."""
    if token:
        who = users.verify_token(ws, token)
    elif user:
        password = os.environ.get("COUNTYLINES_PASSWORD")
        if password is None:
            password = getpass.getpass(f"password for {user}: ")
        throttle = LoginThrottle(users.StoredFailures(ws))
        who = users.authenticate(ws, user, password, throttle, client="cli")
    else:
        raise users.AuthError(
            "log in with --user NAME (the password is asked for) or --token / COUNTYLINES_TOKEN"
        )
    needed = COMMAND_PERMISSIONS[command]
    if needed is not None:
        require(who, needed)
    return who


def _start(
    home: Path | None,
    user: str | None,
    token: str | None,
    command: str,
    case_db: Path | None = None,
) -> tuple[Workspace, User]:
    """Open the workspace, log in for `command`, and check the case database if there is one."""
    ws = open_workspace(home)
    actor = login(ws, user, token, command)
    if case_db is not None:
        _case_db(ws, case_db)
    return ws, actor


@contextmanager
def _refusals() -> Iterator[None]:
    """A refused request (bad value, unknown user, weak password, no reason) exits 2."""
    try:
        yield
    except ValueError as exc:
        raise CaseError(str(exc)) from None


def _case_db(ws: Workspace, case_db: Path) -> Path:
    """Check the case database exists and that the workspace is outside its folders."""
    if not case_db.is_file():
        raise CaseError(f"{case_db} is not a case database (expected OUT/case.duckdb)")
    folders = [case_db.parent]
    try:
        con = duckdb.connect(str(case_db), read_only=True)
        try:
            row = con.execute("SELECT value FROM _case_meta WHERE key = 'case'").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise CaseError(f"{case_db} is not a readable case database ({exc})") from None
    if row:
        folders.append(Path(row[0]))
    ws.check_outside(*folders)
    return case_db


def analysis_workspace(home: Path | None, *folders: Path) -> tuple[Workspace, bytes]:
    """The workspace of an analysis command (created when there is none yet) and its
    pseudonymisation key, both checked to lie outside the case and output `folders`."""
    ws = open_workspace(home, create=True)
    return ws, ws.key(*folders)


def record_pipeline(
    ws: Workspace, action: str, case: Path, target: Path, counts: dict[str, int]
) -> None:
    """Record a pipeline command's access to a case (`action`, e.g. `collect` for a load,
    `consult` for person-level outputs) as the OS account, with the counts it handled."""
    audit.record(
        ws,
        f"os:{getpass.getuser()}",
        action,
        str(target.resolve()),
        [f"case:{case.resolve()}", *(f"{t}:{n}" for t, n in counts.items())],
    )


def record_load(ws: Workspace, case: Path, target: Path, rows: dict[str, int]) -> None:
    """Record a load (collection and combination of the case's sources) as the OS account."""
    record_pipeline(ws, "collect", case, target, rows)


def _new_password(name: str) -> str:
    password = os.environ.get("COUNTYLINES_NEW_PASSWORD")
    if password is None:
        password = typer.prompt(f"new password for {name}", hide_input=True)
        again = typer.prompt("repeat it", hide_input=True)
        if again != password:
            raise CaseError("the passwords differ; nothing was changed")
    return password


# --- users ------------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="viewer, analyst, safeguarding or admin.")],
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Add a user (the first user of a new workspace must be an admin and needs no login)."""

    def body() -> int:
        new_role = _parse_role(role)
        ws = open_workspace(home, create=True)
        if users.count_users(ws) == 0:
            if new_role is not Role.ADMIN:
                raise CaseError("the first user of a workspace must be an admin (--role admin)")
            actor = name
        else:
            actor = login(ws, user, token, "users add").name
        with _refusals():
            users.add_user(ws, name, new_role, _new_password(name))
        audit.record(ws, actor, "user_add", name, [f"role:{new_role.value}"])
        where = escape(str(ws.home))
        err.print(f"added {escape(name)} ({new_role.value}) to the workspace {where}")
        return 0

    run(body)


def _parse_role(text: str) -> Role:
    with _refusals():
        return parse_role(text)


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="User name.")],
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Remove a user and their API tokens."""

    def body() -> int:
        ws, actor = _start(home, user, token, "users remove")
        with _refusals():
            users.remove_user(ws, name)
        audit.record(ws, actor.name, "user_remove", name)
        err.print(f"removed {escape(name)}")
        return 0

    run(body)


@users_app.command("set-role")
def users_set_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help="viewer, analyst, safeguarding or admin.")],
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Change a user's role."""

    def body() -> int:
        new_role = _parse_role(role)
        ws, actor = _start(home, user, token, "users set-role")
        with _refusals():
            users.set_role(ws, name, new_role)
        audit.record(ws, actor.name, "user_role", name, [f"role:{new_role.value}"])
        err.print(f"{escape(name)} is now {new_role.value}")
        return 0

    run(body)


@users_app.command("list")
def users_list(
    home: HomeOpt = None, user: UserOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """List the users, their roles and how many active API tokens each has."""

    def body() -> int:
        ws, _ = _start(home, user, token, "users list")
        found = users.list_users(ws)
        if as_json:
            print_json([{**u.__dict__, "role": u.role.value} for u in found])
            return 0
        t = RichTable(header_style="bold")
        for h in ("user", "role", "created", "tokens"):
            t.add_column(h)
        for u in found:
            t.add_row(escape(u.name), u.role.value, u.created, str(u.tokens))
        out.print(t)
        return 0

    run(body)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Issue an API token for a user; it is printed once and only its hash is kept."""

    def body() -> int:
        ws, actor = _start(home, user, token, "users token")
        with _refusals():
            secret, info = users.create_token(ws, name, label)
        audit.record(ws, actor.name, "token_create", name, [f"token:{info.id}"])
        out.print(secret, soft_wrap=True)
        err.print(
            f"token {info.id} for {escape(name)}: copy it now, it is not shown again; "
            f"revoke it with `countylines users revoke-token {info.id}`"
        )
        return 0

    run(body)


@users_app.command("tokens")
def users_tokens(
    name: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List API tokens (ids, never the secrets)."""

    def body() -> int:
        ws, _ = _start(home, user, token, "users tokens")
        found = users.list_tokens(ws, name)
        if as_json:
            print_json([t.__dict__ for t in found])
            return 0
        t = RichTable(header_style="bold")
        for h in ("id", "user", "label", "created", "revoked"):
            t.add_column(h)
        for k in found:
            t.add_row(k.id, escape(k.user), escape(k.label), k.created, k.revoked or "")
        out.print(t)
        return 0

    run(body)


@users_app.command("revoke-token")
def users_revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `users tokens`).")],
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Revoke an API token; it stops working at once."""

    def body() -> int:
        ws, actor = _start(home, user, token, "users revoke-token")
        with _refusals():
            info = users.revoke_token(ws, token_id)
        audit.record(ws, actor.name, "token_revoke", info.user, [f"token:{info.id}"])
        err.print(f"revoked token {escape(token_id)} of {escape(info.user)}")
        return 0

    run(body)


# --- audit ------------------------------------------------------------------------------------

AnchorOpt = Annotated[
    Path | None,
    typer.Option(help="The anchor file to check against (default: HOME/audit.anchor)."),
]


@audit_app.command("verify")
def audit_verify(
    anchor: AnchorOpt = None,
    export_file: Annotated[
        Path | None, typer.Option("--file", help="Verify an exported copy instead of the log.")
    ] = None,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the hash chain and the anchor; exit 1 naming the first entry that fails."""

    def body() -> int:
        ws, _ = _start(home, user, token, "audit verify")
        if export_file is not None:
            result = audit.verify_entries(
                audit.read_export(export_file), audit.read_anchor(anchor) if anchor else None
            )
        else:
            result = audit.verify(ws, anchor)
        if as_json:
            print_json(
                {
                    "ok": result.ok,
                    "checked": result.checked,
                    "first_bad": result.first_bad,
                    "problem": result.problem,
                }
            )
        elif result.ok:
            last = f"; last entry {result.last[0]} {result.last[1]}" if result.last else ""
            err.print(f"[green]OK[/]: {result.checked} entries, chain intact{last}")
        else:
            err.print(
                f"[red]FAILED[/]: entry {result.first_bad}: {escape(result.problem)} "
                f"(checked {result.checked} entries)"
            )
        return 0 if result.ok else 1

    run(body)


@audit_app.command("export")
def audit_export(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="File to write (.csv or .jsonl).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the suffix).")
    ] = None,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Export every audit entry, with its hashes, as CSV or JSON lines."""

    def body() -> int:
        ws, actor = _start(home, user, token, "audit export")
        with _refusals():
            n = audit.export(ws, out_file, fmt)
        audit.record(ws, actor.name, "audit_export", str(out_file.resolve()), [f"entries:{n}"])
        err.print(f"wrote {n} entries to {escape(str(out_file))}")
        return 0

    run(body)


@audit_app.command("anchor")
def audit_anchor(home: HomeOpt = None, user: UserOpt = None, token: TokenOpt = None) -> None:
    """Print the latest entry's number and hash, to keep somewhere the workspace cannot reach."""

    def body() -> int:
        ws, _ = _start(home, user, token, "audit anchor")
        result = audit.verify(ws)
        if result.last is None:
            err.print("the audit log is empty")
            return 0 if result.ok else 1
        out.print(f"{result.last[0]} {result.last[1]}")
        if not result.ok:
            err.print(f"[red]warning:[/] the log fails verification at entry {result.first_bad}")
        return 0 if result.ok else 1

    run(body)


# --- retention and erasure ---------------------------------------------------------------------


@retention_app.command("show")
def retention_show(home: HomeOpt = None, user: UserOpt = None, token: TokenOpt = None) -> None:
    """Show the retention period of each table with dated rows."""

    def body() -> int:
        ws, _ = _start(home, user, token, "retention show")
        periods = _periods(ws)
        for table, column in retention.RETENTION_TIME.items():
            days = periods.get(table)
            keep = f"{days} days (by {column})" if days else "kept until erased"
            out.print(f"{table}: {keep}")
        return 0

    run(body)


def _periods(ws: Workspace) -> dict[str, int]:
    with _refusals():
        return retention.read_periods(ws)


@retention_app.command("set")
def retention_set(
    table: Annotated[str, typer.Argument(help="A table with dated rows, e.g. events.")],
    days: Annotated[int | None, typer.Argument(help="Days to keep; omit with --keep.")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Remove the period (keep rows).")] = False,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Set how many days a table's rows are kept (HOME/retention.toml)."""

    def body() -> int:
        if (days is None) == (not keep):
            raise CaseError("give either DAYS or --keep")
        ws, actor = _start(home, user, token, "retention set")
        with _refusals():
            retention.set_period(ws, actor, table, None if keep else days)
        err.print(f"{escape(table)}: " + ("kept until erased" if keep else f"{days} days"))
        return 0

    run(body)


@retention_app.command("apply")
def retention_apply(
    case_db: CaseDbArg,
    dry_run: Annotated[bool, typer.Option(help="Count what would go; delete nothing.")] = False,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete rows older than their table's retention period; logged with the counts."""

    def body() -> int:
        ws, actor = _start(home, user, token, "retention apply", case_db)
        if not _periods(ws):
            err.print(f"no retention periods are set ({escape(str(ws.retention_path))})")
        counts = retention.apply_retention(ws, actor, case_db, dry_run=dry_run)
        if as_json:
            print_json({"dry_run": dry_run, "rows": counts})
        for table, n in counts.items():
            verb = "would delete" if dry_run else "deleted"
            err.print(f"{table}: {verb} {n:,} rows")
        return 0

    run(body)


def erase(
    case_db: CaseDbArg,
    person: Annotated[str, typer.Option("--person", help="The person_id to erase.")],
    reason: ReasonOpt,
    outputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--outputs",
            help="An analysis output folder to erase them from too "
            "(repeatable; e.g. the OUT of `assess`).",
        ),
    ] = None,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Erase a person and their person-level rows from a loaded case database, and from
    analysis outputs (logged)."""

    def body() -> int:
        ws, actor = _start(home, user, token, "erase", case_db)
        folders = list(outputs or [])
        for folder in folders:
            if not folder.is_dir():
                raise CaseError(f"--outputs {folder} is not a folder")
        ws.check_outside(*folders)
        with _refusals():
            done = erase_person(ws, actor, case_db, person, reason, ws.key(case_db.parent), folders)
        if not done.changed:
            err.print(f"no records of person {escape(person)!r} in {escape(str(case_db))}")
            return 1
        for what, n in done.changed.items():
            err.print(f"{what}: {n} rows")
        err.print(
            "erased from the database; correct the case folder too, or the next load brings "
            "the records back"
        )
        return 0

    run(body)


def reveal_command(
    case_db: CaseDbArg,
    pseudonym: Annotated[str, typer.Argument(help="A pseudonym such as PH-0a1b2c3d4e5f.")],
    reason: ReasonOpt,
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Show the real identifier behind a pseudonym (safeguarding role; logged with the reason)."""

    def body() -> int:
        ws, actor = _start(home, user, token, "reveal", case_db)
        with _refusals():
            values = reveal(ws, actor, case_db, pseudonym, reason, ws.key(case_db.parent))
        if not values:
            err.print(f"{escape(pseudonym)} matches no value in {escape(str(case_db))}")
            return 1
        for v in values:
            out.print(escape(v), soft_wrap=True)
        return 0

    run(body)


def export_command(
    case_db: CaseDbArg,
    table: Annotated[str, typer.Argument(help="The table to export.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    identified: Annotated[
        bool, typer.Option("--identified", help="Real identifiers (needs a reason).")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (needed with --identified).")] = "",
    home: HomeOpt = None,
    user: UserOpt = None,
    token: TokenOpt = None,
) -> None:
    """Export a table as CSV with identifiers pseudonymised (the default); logged."""

    def body() -> int:
        if table not in TABLES:
            raise CaseError(f"no table {table!r}; tables: {', '.join(TABLES)}")
        command = "export --identified" if identified else "export"
        ws, actor = _start(home, user, token, command, case_db)
        with _refusals():
            why = audit.check_reason(reason) if identified else reason.strip()
        con = duckdb.connect(str(case_db), read_only=True)
        try:
            frame = con.execute(f"SELECT * FROM {quote(table)} ORDER BY source_row").df()
        except duckdb.CatalogException:
            raise CaseError(f"{case_db} has no {table} table") from None
        finally:
            con.close()
        if not identified:
            frame = pseudonymise_frame(frame, TABLES[table], ws.key(case_db.parent))
        for c in TABLES[table].columns:
            if c.kind in (Kind.ID_LIST, Kind.ENUM_LIST):
                frame[c.name] = frame[c.name].map(_joined)
        frame.to_csv(out_file, index=False)
        audit.record(
            ws,
            actor.name,
            "disclose",
            str(Path(case_db).resolve()),
            [f"{table}:{len(frame)}", "identified" if identified else "pseudonymised"],
            why,
        )
        err.print(f"wrote {len(frame):,} rows to {escape(str(out_file))}")
        return 0

    run(body)


def _joined(value: object) -> object:
    """A list value as the case format writes it: ';'-separated."""
    if value is None or value is pd.NA or isinstance(value, str | float):
        return value
    return ";".join("" if v is None else str(v) for v in value)  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    """Add the security commands to the `countylines` app."""
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.add_typer(retention_app, name="retention")
    app.command("erase")(erase)
    app.command("reveal")(reveal_command)
    app.command("export")(export_command)

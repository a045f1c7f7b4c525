"""Pseudonymisation: keyed HMAC-SHA256 of identifiers, shown as short stable tokens.

`pseudonym("+447700900123", IdType.PHONE, key)` is `PH-` followed by 12 characters of
Crockford base32 (60 bits of the HMAC): the same value and key always give the same token, so
joins and counts still work on pseudonymised tables, while nobody without the key can tell
which number it was or test a guess. The type is part of the HMAC input, so the same text as a
phone number and as a person id gives unrelated tokens. With 60 bits, two different values
share a token with probability about n²/2⁶¹ (about 1 in 20,000 for ten million distinct values);
`reveal` returns every value that matches, so a collision is visible rather than silent.

`reveal` goes the other way for one token: it needs a role holding `reveal_identifiers` and a
stated reason, looks the token up among the case's own values of that type, and records the
request in the audit log (the token, not the real value, so the log holds no identifiers).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import duckdb
import pandas as pd

from countylines import audit
from countylines.duckdb_checks import quote
from countylines.roles import Permission, User, require
from countylines.schema import TABLES, Column, Kind, Table
from countylines.workspace import Workspace

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: no i, l, o, u
TOKEN_CHARS = 12


class IdType(StrEnum):
    """The kinds of identifier that are pseudonymised, by token prefix."""

    PHONE = "PH"
    IMEI = "IM"
    IMSI = "IS"
    VRM = "VR"
    PERSON = "PE"
    NAME = "NM"


TOKEN_RE = re.compile(rf"({'|'.join(t.value for t in IdType)})-([{ALPHABET}]{{{TOKEN_CHARS}}})")

_BY_KIND = {Kind.PHONE: IdType.PHONE, Kind.IMEI: IdType.IMEI, Kind.IMSI: IdType.IMSI}
_BY_KIND[Kind.VRM] = IdType.VRM


def normalise(value: str, id_type: IdType) -> str:
    """The form that is hashed: names case- and space-insensitive, marks without spaces."""
    if id_type is IdType.NAME:
        return " ".join(value.split()).casefold()
    if id_type is IdType.VRM:
        return "".join(value.split()).upper()
    return value.strip()


def pseudonym(value: str, id_type: IdType, key: bytes) -> str:
    """The token for `value`: `PREFIX-` and 12 base32 characters of HMAC-SHA256."""
    message = id_type.value.encode("ascii") + b"\x00" + normalise(value, id_type).encode("utf-8")
    bits = int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "big") >> 4
    chars = [ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(TOKEN_CHARS))]
    return f"{id_type.value}-{''.join(chars)}"


def as_token(value: str, id_type: IdType, key: bytes) -> str:
    """`value` as a token: kept if it already is a token of `id_type`, else pseudonymised.

    For joining tables of which some are already pseudonymised (analysis outputs) and some are
    not (the case's own tables).
    """
    m = TOKEN_RE.fullmatch(value)
    if m and m.group(1) == id_type.value:
        return value
    return pseudonym(value, id_type, key)


def parse_token(token: str) -> IdType:
    """The identifier type of a token; ValueError if it is not a pseudonym."""
    m = TOKEN_RE.fullmatch(token.strip())
    if not m:
        raise ValueError(
            f"{token!r} is not a pseudonym (expected e.g. PH-{'0' * TOKEN_CHARS}: a type "
            f"prefix {', '.join(t.value for t in IdType)} and {TOKEN_CHARS} characters)"
        )
    return IdType(m.group(1))


def identifier_type(column: Column) -> IdType | None:
    """Which identifier a schema column holds: by kind, and person ids by name."""
    if column.kind in _BY_KIND:
        return _BY_KIND[column.kind]
    if column.kind in (Kind.ID, Kind.ID_LIST) and (
        column.name in ("person_id", "person_ids") or column.name.endswith("_person_id")
    ):
        return IdType.PERSON
    return None


def identifier_columns(table: Table) -> dict[str, IdType]:
    """The table's identifier columns and their types."""
    found = {c.name: identifier_type(c) for c in table.columns}
    return {name: t for name, t in found.items() if t is not None}


def pseudonymise_frame(
    frame: pd.DataFrame, table: Table, key: bytes, extra: dict[str, IdType] | None = None
) -> pd.DataFrame:
    """A copy of `frame` with every identifier column of `table` (and `extra`) pseudonymised.

    Missing values stay missing; list columns (`person_ids`) have each element replaced.
    """
    out = frame.copy()
    columns = {**identifier_columns(table), **(extra or {})}
    for name, id_type in columns.items():
        if name not in out.columns:
            continue
        cache: dict[str, str] = {}

        def one(v: str, t: IdType = id_type, c: dict[str, str] = cache) -> str:
            if v not in c:
                c[v] = pseudonym(v, t, key)
            return c[v]

        def convert(v: object, one: Callable[[str], str] = one) -> object:
            if v is None or v is pd.NA or isinstance(v, float):
                return v  # missing (NaN)
            if isinstance(v, str):
                return one(v)
            return [one(str(x)) for x in v]  # type: ignore[attr-defined]

        out[name] = out[name].map(convert).astype(object)
    return out


def case_values(con: duckdb.DuckDBPyConnection, id_type: IdType) -> set[str]:
    """Every distinct value of `id_type` in the loaded case."""
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    values: set[str] = set()
    for name, table in TABLES.items():
        if name not in present:
            continue
        for col, t in identifier_columns(table).items():
            if t is not id_type:
                continue
            expr = quote(col)
            if table.column(col).kind is Kind.ID_LIST:
                expr = f"unnest({expr})"
            rows = con.execute(f"SELECT DISTINCT {expr} FROM {quote(name)}").fetchall()
            values.update(str(r[0]) for r in rows if r[0] is not None)
    return values


def reveal(
    ws: Workspace, user: User, case_db: Path, token: str, reason: str, key: bytes
) -> list[str]:
    """The case's real values behind `token` (usually one), audit-logged with the reason.

    Raises PermissionDenied without the `reveal_identifiers` permission and ValueError for a
    missing reason or a malformed token; both before anything is read.
    """
    require(user, Permission.REVEAL_IDENTIFIERS)
    why = audit.check_reason(reason)
    id_type = parse_token(token)
    con = duckdb.connect(str(case_db), read_only=True)
    try:
        candidates = case_values(con, id_type)
    finally:
        con.close()
    found = sorted(v for v in candidates if pseudonym(v, id_type, key) == token.strip())
    audit.record(
        ws,
        user.name,
        "reveal",
        str(Path(case_db).resolve()),
        [token.strip(), f"matches:{len(found)}"],
        why,
    )
    return found

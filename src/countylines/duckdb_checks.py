"""DuckDB SQL for parsing and checking each column kind of the case schema.

Raw values arrive as text. For each column this module gives the SQL that turns the text into a
typed, normalised value (phone numbers to E.164, times to UTC, vehicle marks to upper case) and
the condition that marks the value as bad, with a message a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from countylines.problems import Severity
from countylines.schema import Column, Kind, Table


def _luhn_sum_sql(s: str) -> str:
    """SQL summing the Luhn terms of the 15-digit string `s` (every second digit doubled)."""
    terms = []
    for i in range(1, 16):
        d = f"(ord({s}[{i}]) - 48)"
        terms.append(d if (15 - i) % 2 == 0 else f"(2 * {d} - 9 * ({d} >= 5)::INTEGER)")
    return " + ".join(terms)


MACROS = (
    # Luhn check of a 15-digit string (IMEI check digit).
    f"""CREATE OR REPLACE MACRO cl_luhn_ok(s) AS CASE WHEN regexp_full_match(s, '[0-9]{{15}}')
        THEN ({_luhn_sum_sql("s")}) % 10 = 0 ELSE false END""",
    # E.164 from a number without separators: 00 -> +; UK 0... and 44... -> +44...
    """CREATE OR REPLACE MACRO cl_e164(s) AS CASE
        WHEN s[1] = '+' THEN s
        WHEN starts_with(s, '00') THEN '+' || s[3:]
        WHEN starts_with(s, '44') AND length(s) BETWEEN 11 AND 12 THEN '+' || s
        WHEN s[1] = '0' THEN '+44' || s[2:]
        ELSE s END""",
    # Phone number to E.164: drop '(0)' after 44, then separators. The one-element list binds
    # the cleaned text to `s` once (a macro argument is otherwise re-evaluated at each use).
    r"""CREATE OR REPLACE MACRO cl_phone(v) AS list_transform([regexp_replace(
        regexp_replace(v, '^(\+?44)\s*\(0\)', '\1'), '[\s\-().]', '', 'g')],
        lambda s: cl_e164(s))[1]""",
    r"""CREATE OR REPLACE MACRO cl_phone_ok(p) AS
        regexp_full_match(p, '\+[1-9][0-9]{6,14}')
        AND (NOT starts_with(p, '+44') OR regexp_full_match(p, '\+44[1-9][0-9]{8,9}'))""",
)

WITHHELD = ("withheld", "private", "anonymous", "unknown", "unavailable", "restricted")
"""Values that network operators write for a number that was not presented; loaded as NULL."""

ISO_8601 = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
"""Date, optional time, optional Z or numeric offset; zone names such as BST are refused."""

BOOL_TRUE = ("true", "t", "yes", "y", "1")
BOOL_FALSE = ("false", "f", "no", "n", "0")

SQL_TYPES = {
    Kind.ID: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.PHONE: "VARCHAR",
    Kind.IMEI: "VARCHAR",
    Kind.IMSI: "VARCHAR",
    Kind.VRM: "VARCHAR",
    Kind.INT: "BIGINT",
    Kind.FLOAT: "DOUBLE",
    Kind.BOOL: "BOOLEAN",
    Kind.ENUM: "VARCHAR",
    Kind.ID_LIST: "VARCHAR[]",
    Kind.ENUM_LIST: "VARCHAR[]",
}


@dataclass(frozen=True)
class Check:
    """A condition on one row that marks a problem in `column`."""

    code: str
    column: str
    condition: str
    message: str
    severity: Severity = Severity.ERROR


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the helper macros on a connection (idempotent)."""
    for sql in MACROS:
        con.execute(sql)


def quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _text(raw: str) -> str:
    return f"nullif(trim(CAST({raw} AS VARCHAR)), '')"


def _int_text_ok(v: str) -> str:
    return rf"regexp_full_match({v}, '[+-]?[0-9]+(\.0*)?')"


def _bind(value: str, body: str) -> str:
    """Evaluate `value` once and use it as `x` in `body` (a macro argument repeats otherwise)."""
    return f"list_transform([{value}], lambda x: {body})[1]"


def _entries(v: str) -> str:
    """SQL list of the `;`-separated entries of the text `v`, trimmed and normalised like an
    enum value (empty entries kept, as '')."""
    return f"[replace(replace(lower(trim(x)), ' ', '_'), '-', '_') FOR x IN string_split({v}, ';')]"


def parse_expr(col: Column, raw: str) -> str:
    """SQL turning the raw text `raw` into the column's typed, normalised value.

    The result is NULL when the text is empty or not a valid value of the column's kind.
    """
    v = _text(raw)
    k = col.kind
    if k is Kind.TEXT:
        return f"nullif(CAST({raw} AS VARCHAR), '')"
    if k is Kind.ID:
        return v
    if k is Kind.TIMESTAMP:
        ts = f"CASE WHEN regexp_full_match({v}, '{ISO_8601}') THEN TRY_CAST({v} AS TIMESTAMPTZ) END"
        return _bind(ts, "CASE WHEN year(x) BETWEEN 1970 AND 2100 THEN x END")
    if k is Kind.DATE:
        date_ok = f"regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
        return f"CASE WHEN {date_ok} THEN TRY_CAST({v} AS DATE) END"
    if k is Kind.PHONE:
        # Fast paths for the common clean forms; anything else is cleaned by cl_phone.
        slow = _bind(f"cl_phone({v})", "CASE WHEN cl_phone_ok(x) THEN x END")
        return (
            f"CASE WHEN regexp_full_match({v}, '\\+[0-9]{{7,15}}') "
            f"THEN (CASE WHEN cl_phone_ok({v}) THEN {v} END) "
            f"WHEN regexp_full_match({v}, '0[1-9][0-9]{{8,9}}') THEN '+44' || {v}[2:] "
            f"ELSE {slow} END"
        )
    if k is Kind.IMEI:
        ok = "cl_luhn_ok(x) OR regexp_full_match(x, '[0-9]{16}')"
        slow = _bind(rf"regexp_replace({v}, '[\s\-]', '', 'g')", f"CASE WHEN {ok} THEN x END")
        return (
            f"CASE WHEN regexp_full_match({v}, '[0-9]{{15}}') "
            f"THEN (CASE WHEN cl_luhn_ok({v}) THEN {v} END) ELSE {slow} END"
        )
    if k is Kind.IMSI:
        ok = "regexp_full_match(x, '[0-9]{14,15}')"
        return _bind(rf"regexp_replace({v}, '[\s\-]', '', 'g')", f"CASE WHEN {ok} THEN x END")
    if k is Kind.VRM:
        ok = "regexp_full_match(x, '[A-Z0-9]{1,8}')"
        clean = rf"upper(regexp_replace({v}, '[\s\-]', '', 'g'))"
        return _bind(clean, f"CASE WHEN {ok} THEN x END")
    if k is Kind.INT:
        whole = rf"regexp_replace({v}, '\.0*$', '')"
        return f"CASE WHEN {_int_text_ok(v)} THEN TRY_CAST({whole} AS BIGINT) END"
    if k is Kind.FLOAT:
        return _bind(f"TRY_CAST({v} AS DOUBLE)", "CASE WHEN isfinite(x) THEN x END")
    if k is Kind.BOOL:
        return (
            f"CASE WHEN lower({v}) IN ({_literal_list(BOOL_TRUE)}) THEN true "
            f"WHEN lower({v}) IN ({_literal_list(BOOL_FALSE)}) THEN false END"
        )
    if k is Kind.ENUM:
        value = f"replace(replace(lower({v}), ' ', '_'), '-', '_')"
        return _bind(value, f"CASE WHEN x IN ({_literal_list(col.values)}) THEN x END")
    if k is Kind.ID_LIST:
        return f"[trim(x) FOR x IN string_split({v}, ';') IF trim(x) <> '']"
    if k is Kind.ENUM_LIST:  # every entry kept in place; empty or not allowed: NULL
        return f"[CASE WHEN x IN ({_literal_list(col.values)}) THEN x END FOR x IN {_entries(v)}]"
    raise ValueError(f"unknown column kind {k}")


PARSE_FAILURES: dict[Kind, tuple[str, str]] = {
    Kind.TIMESTAMP: (
        "bad_timestamp",
        "not an ISO 8601 date-time between 1970 and 2100 "
        "(expected e.g. 2019-01-31T14:05:00Z or 2019-01-31 14:05:00+00:00)",
    ),
    Kind.DATE: ("bad_date", "not an ISO 8601 date (expected e.g. 2019-01-31)"),
    Kind.PHONE: (
        "bad_phone",
        "not a phone number: expected E.164 (+447700900123) or UK national form (07700 900123)",
    ),
    Kind.IMEI: (
        "bad_imei",
        "not an IMEI: expected 15 digits with a valid Luhn check digit (or a 16-digit IMEISV)",
    ),
    Kind.IMSI: ("bad_imsi", "not an IMSI: expected 14 or 15 digits"),
    Kind.VRM: ("bad_vrm", "not a vehicle registration mark: expected up to 8 letters and digits"),
    Kind.INT: ("bad_int", "not a whole number"),
    Kind.FLOAT: ("bad_number", "not a finite number"),
    Kind.BOOL: (
        "bad_bool",
        "not true/false (also accepted: yes/no, y/n, 1/0; empty means unknown)",
    ),
}
"""For kinds whose parse can fail: the problem code and message when text gives NULL."""


def _range_condition(col: Column, typed: str) -> str | None:
    parts = []
    if col.min is not None:
        parts.append(f"{typed} < {col.min}")
    if col.max is not None:
        parts.append(f"{typed} > {col.max}")
    return " OR ".join(parts) if parts else None


def column_checks(col: Column, raw: str, typed: str) -> list[Check]:
    """Checks for one column; `raw` is the text expression, `typed` the parsed column."""
    v = _text(raw)
    checks: list[Check] = []
    if col.required:
        checks.append(Check("missing_value", col.name, f"{v} IS NULL", "required value is empty"))
    k = col.kind
    failed = f"{v} IS NOT NULL AND {typed} IS NULL"
    if k is Kind.PHONE:
        withheld = f"lower({v}) IN ({_literal_list(WITHHELD)})"
        failed = f"{failed} AND NOT {withheld}"
        checks.append(
            Check(
                "withheld_number",
                col.name,
                withheld,
                "number withheld or unknown; loaded as empty",
                Severity.WARNING,
            )
        )
    if k in PARSE_FAILURES:
        code, message = PARSE_FAILURES[k]
        checks.append(Check(code, col.name, failed, message))
    elif k is Kind.ENUM:
        checks.append(
            Check("bad_enum", col.name, failed, "must be one of: " + ", ".join(col.values))
        )
    elif k is Kind.ENUM_LIST:
        allowed = _literal_list((*col.values, ""))
        checks.append(
            Check(
                "bad_enum",
                col.name,
                f"{v} IS NOT NULL AND "
                f"len(list_filter({_entries(v)}, lambda x: x NOT IN ({allowed}))) > 0",
                "';'-separated entries, each one of: "
                + ", ".join(col.values)
                + " (an empty entry: not recorded)",
            )
        )
    rng = _range_condition(col, typed)
    if rng is not None and k in (Kind.INT, Kind.FLOAT):
        bounds = (
            f"between {col.min:g} and {col.max:g}"
            if col.min is not None and col.max is not None
            else (f"at least {col.min:g}" if col.min is not None else f"at most {col.max:g}")
        )
        checks.append(
            Check(
                "out_of_range",
                col.name,
                f"{typed} IS NOT NULL AND ({rng})",
                f"out of range: must be {bounds}",
            )
        )
    return checks


UK_BOUNDS = (49.5, 61.0, -10.5, 2.0)
"""lat_min, lat_max, lon_min, lon_max (WGS84 degrees) of the United Kingdom and its seas."""


def _outside_uk(lat: str, lon: str) -> Check:
    la0, la1, lo0, lo1 = UK_BOUNDS
    return Check(
        "outside_uk",
        lat,
        f"{lat} IS NOT NULL AND {lon} IS NOT NULL AND NOT "
        f"({lat} BETWEEN {la0} AND {la1} AND {lon} BETWEEN {lo0} AND {lo1})",
        "point is outside the United Kingdom: are lat and lon swapped?",
        Severity.WARNING,
    )


_TABLE_RULES: dict[str, tuple[Check, ...]] = {
    "events": (
        Check(
            "sms_duration",
            "duration_s",
            "event_type = 'sms' AND duration_s IS NOT NULL AND duration_s <> 0",
            "an sms should have duration_s 0",
            Severity.WARNING,
        ),
        Check(
            "same_number",
            "b_number",
            "a_number = b_number",
            "a_number and b_number are the same",
            Severity.WARNING,
        ),
    ),
    "incidents": (
        Check(
            "roles_not_matching_persons",
            "person_roles",
            "person_roles IS NOT NULL AND len(person_roles) <> len(coalesce(person_ids, []))",
            "needs one role per person id in person_ids, in the same order (';'-separated; an "
            "empty entry is a role not recorded)",
        ),
    ),
    "missing_episodes": (
        Check(
            "end_before_start", "end_time", "end_time < start_time", "end_time is before start_time"
        ),
        Check(
            "half_location",
            "found_lat",
            "(found_lat IS NULL) <> (found_lon IS NULL)",
            "found_lat and found_lon must be given together",
        ),
    ),
}


def table_rules(table: Table) -> tuple[Check, ...]:
    """Checks across columns of one row, written against the typed columns."""
    names = set(table.column_names)
    points = [(p + "lat", p + "lon") for p in ("", "found_") if {p + "lat", p + "lon"} <= names]
    return _TABLE_RULES.get(table.name, ()) + tuple(_outside_uk(la, lo) for la, lo in points)

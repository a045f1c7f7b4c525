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

MACROS = (
    # Luhn check of a 15-digit string (IMEI check digit).
    """CREATE OR REPLACE MACRO cl_luhn_ok(s) AS CASE WHEN regexp_full_match(s, '[0-9]{15}')
        THEN list_sum([
        CASE WHEN (15 - i) % 2 = 1
             THEN (CASE WHEN 2 * CAST(s[i] AS INTEGER) > 9 THEN 2 * CAST(s[i] AS INTEGER) - 9
                        ELSE 2 * CAST(s[i] AS INTEGER) END)
             ELSE CAST(s[i] AS INTEGER) END
        FOR i IN range(1, 16)]) % 10 = 0 ELSE false END""",
    # Phone number to E.164: drop '(0)' and separators; 00 -> +; UK 0... and 44... -> +44...
    r"""CREATE OR REPLACE MACRO cl_phone(v) AS (
        WITH s AS (SELECT regexp_replace(replace(v, '(0)', ''), '[\s\-().]', '', 'g') AS s)
        SELECT CASE
            WHEN s LIKE '+%' THEN s
            WHEN s LIKE '00%' THEN '+' || s[3:]
            WHEN s LIKE '44%' AND length(s) BETWEEN 11 AND 12 THEN '+' || s
            WHEN s LIKE '0%' THEN '+44' || s[2:]
            ELSE s END FROM s)""",
    r"""CREATE OR REPLACE MACRO cl_phone_ok(p) AS
        regexp_full_match(p, '\+[1-9][0-9]{6,14}')
        AND (p NOT LIKE '+44%' OR regexp_full_match(p, '\+44[1-9][0-9]{8,9}'))""",
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


def parse_expr(col: Column, raw: str) -> str:
    """SQL turning the raw text expression `raw` into the column's typed, normalised value."""
    v = _text(raw)
    k = col.kind
    if k is Kind.TEXT:
        return f"nullif(CAST({raw} AS VARCHAR), '')"
    if k is Kind.ID:
        return v
    if k is Kind.TIMESTAMP:
        return (
            f"CASE WHEN regexp_full_match({v}, '{ISO_8601}') THEN TRY_CAST({v} AS TIMESTAMPTZ) END"
        )
    if k is Kind.DATE:
        date_ok = f"regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
        return f"CASE WHEN {date_ok} THEN TRY_CAST({v} AS DATE) END"
    if k is Kind.PHONE:
        return f"CASE WHEN lower({v}) NOT IN ({_literal_list(WITHHELD)}) THEN cl_phone({v}) END"
    if k in (Kind.IMEI, Kind.IMSI):
        return rf"regexp_replace({v}, '[\s\-]', '', 'g')"
    if k is Kind.VRM:
        return rf"upper(regexp_replace({v}, '[\s\-]', '', 'g'))"
    if k is Kind.INT:
        whole = rf"regexp_replace({v}, '\.0*$', '')"
        return f"CASE WHEN {_int_text_ok(v)} THEN TRY_CAST({whole} AS BIGINT) END"
    if k is Kind.FLOAT:
        return f"CASE WHEN isfinite(TRY_CAST({v} AS DOUBLE)) THEN TRY_CAST({v} AS DOUBLE) END"
    if k is Kind.BOOL:
        return (
            f"CASE WHEN lower({v}) IN ({_literal_list(BOOL_TRUE)}) THEN true "
            f"WHEN lower({v}) IN ({_literal_list(BOOL_FALSE)}) THEN false END"
        )
    if k is Kind.ENUM:
        return f"replace(replace(lower({v}), ' ', '_'), '-', '_')"
    if k is Kind.ID_LIST:
        return f"[trim(x) FOR x IN string_split({v}, ';') IF trim(x) <> '']"
    raise ValueError(f"unknown column kind {k}")


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
    present = f"{v} IS NOT NULL"
    if k is Kind.TIMESTAMP:
        checks.append(
            Check(
                "bad_timestamp",
                col.name,
                f"{present} AND ({typed} IS NULL OR year({typed}) NOT BETWEEN 1970 AND 2100)",
                "not an ISO 8601 date-time between 1970 and 2100 "
                "(expected e.g. 2019-01-31T14:05:00Z or 2019-01-31 14:05:00+00:00)",
            )
        )
    elif k is Kind.DATE:
        checks.append(
            Check(
                "bad_date",
                col.name,
                f"{present} AND {typed} IS NULL",
                "not an ISO 8601 date (expected e.g. 2019-01-31)",
            )
        )
    elif k is Kind.PHONE:
        checks.append(
            Check(
                "bad_phone",
                col.name,
                f"{present} AND lower({v}) NOT IN ({_literal_list(WITHHELD)}) "
                f"AND NOT cl_phone_ok({typed})",
                "not a phone number: expected E.164 (+447700900123) or UK national form "
                "(07700 900123)",
            )
        )
        checks.append(
            Check(
                "withheld_number",
                col.name,
                f"lower({v}) IN ({_literal_list(WITHHELD)})",
                "number withheld or unknown; loaded as empty",
                Severity.WARNING,
            )
        )
    elif k is Kind.IMEI:
        ok = (
            f"(regexp_full_match({typed}, '[0-9]{{15}}') AND cl_luhn_ok({typed})) "
            f"OR regexp_full_match({typed}, '[0-9]{{16}}')"
        )
        checks.append(
            Check(
                "bad_imei",
                col.name,
                f"{present} AND NOT ({ok})",
                "not an IMEI: expected 15 digits with a valid Luhn check digit "
                "(or a 16-digit IMEISV)",
            )
        )
    elif k is Kind.IMSI:
        checks.append(
            Check(
                "bad_imsi",
                col.name,
                f"{present} AND NOT regexp_full_match({typed}, '[0-9]{{14,15}}')",
                "not an IMSI: expected 14 or 15 digits",
            )
        )
    elif k is Kind.VRM:
        checks.append(
            Check(
                "bad_vrm",
                col.name,
                f"{present} AND NOT regexp_full_match({typed}, '[A-Z0-9]{{1,8}}')",
                "not a vehicle registration mark: expected up to 8 letters and digits",
            )
        )
    elif k is Kind.INT:
        checks.append(
            Check("bad_int", col.name, f"{present} AND {typed} IS NULL", "not a whole number")
        )
    elif k is Kind.FLOAT:
        checks.append(
            Check("bad_number", col.name, f"{present} AND {typed} IS NULL", "not a finite number")
        )
    elif k is Kind.BOOL:
        checks.append(
            Check(
                "bad_bool",
                col.name,
                f"{present} AND {typed} IS NULL",
                "not true/false (also accepted: yes/no, y/n, 1/0; empty means unknown)",
            )
        )
    elif k is Kind.ENUM:
        checks.append(
            Check(
                "bad_enum",
                col.name,
                f"{present} AND {typed} NOT IN ({_literal_list(col.values)})",
                "must be one of: " + ", ".join(col.values),
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

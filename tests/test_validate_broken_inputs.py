"""One broken input per test: the real CLI must exit 1 (or 0 with a warning where the input is
acceptable), name the file, the row and the column, and never show a traceback.

Each test starts from a copy of the valid example case (trimmed with `keep_only` to the tables
the test needs, which keeps the suite fast) and breaks exactly one file, so every error in the
report must be in that file. Rows are addressed the way the validator reports them (CSV header =
row 1), so a test that breaks row 5 asserts that row 5 is named.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from conftest import (
    EXAMPLE,
    assert_error_at,
    assert_only_errors_in,
    cell,
    cli,
    cli_subprocess,
    csv_text,
    errors,
    example_rows,
    groups,
    keep_only,
    luhn_ok,
    one_group,
    read_table,
    row_of,
    set_cell,
    validate_json,
    warnings,
    write_table,
)

from countylines.schema import TABLES

EVENT_HEADER = list(TABLES["events"].column_names)


def broken(
    report: dict,
    file: str,
    row: int | None,
    column: str | None,
    code: str | None = None,
    value: str | None = None,
) -> dict:
    """Common assertions: failure, an error at (file,row,column), and no error in other files."""
    g = assert_error_at(report, file, row, column, code, value)
    assert_only_errors_in(report, file)
    return g


def load_db(case: Path, out: Path) -> duckdb.DuckDBPyConnection:
    cli("load", case, "--out", out, "--quiet").assert_clean(0)
    return duckdb.connect(str(out / "case.duckdb"), read_only=True)


# --------------------------------------------------------------------------------------------
# Header problems
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [("events", "duration_s"), ("persons", "birth_year"), ("cells", "lat")],
)
def test_missing_required_column(case: Path, table: str, column: str) -> None:
    keep_only(case, table)
    rows = read_table(case, table)
    j = rows[0].index(column)
    write_table(case, table, [r[:j] + r[j + 1 :] for r in rows])
    report = validate_json(case)
    g = broken(report, f"{table}.csv", 1, column, "missing_column")
    assert g["count"] == 1
    if column == "duration_s":  # the human report says the same thing
        run = cli("validate", case).assert_clean(1)
        assert f"{table}.csv, row 1, column '{column}'" in run.flat


def test_renamed_header_is_accepted_with_a_warning(case: Path, tmp_path: Path) -> None:
    keep_only(case, "events", "cells")
    rows = read_table(case, "events")
    rows[0][rows[0].index("start_time")] = "Start Time"
    write_table(case, "events", rows)
    report = validate_json(case)
    assert report["ok"] is True
    assert report["errors"] == 0
    g = one_group(report, file="events.csv", code="renamed_column")
    assert g["severity"] == "warning"
    assert g["column"] == "start_time"
    assert "Start Time" in g["examples"][0]["message"]
    assert report["rows"]["events"] == len(rows) - 1
    # The renamed column really is read as start_time.
    con = load_db(case, tmp_path / "out")
    assert con.execute("SELECT count(*) FROM events WHERE start_time IS NULL").fetchone() == (0,)


def test_unrecognised_header_is_an_error_naming_the_schema_column(case: Path) -> None:
    keep_only(case, "events", "cells")
    rows = read_table(case, "events")
    rows[0][rows[0].index("start_time")] = "begin"
    write_table(case, "events", rows)
    report = validate_json(case)
    broken(report, "events.csv", 1, "start_time", "missing_column")
    # 'begin' is not silently dropped: the user is told it was not used.
    assert any(
        "begin" in json.dumps(g) for g in groups(report, file="events.csv", severity="warning")
    )
    run = cli("validate", case).assert_clean(1)
    assert "events.csv, row 1, column 'start_time'" in run.flat


# --------------------------------------------------------------------------------------------
# Values of the wrong type
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "code"),
    [
        ("events", 5, "duration_s", "ten", "bad_int"),
        ("events", 6, "duration_s", "12.5", "bad_int"),
        ("events", 3, "duration_s", "", "missing_value"),
        ("cells", 3, "lat", "north", "bad_number"),
        ("cells", 2, "lon", "NaN", "bad_number"),
        ("persons", 2, "drug_use", "maybe", "bad_bool"),
        ("events", 4, "event_type", "fax", "bad_enum"),
    ],
)
def test_wrong_type(case: Path, table: str, row: int, column: str, value: str, code: str) -> None:
    keep_only(case, table)
    set_cell(case, table, row, column, value)
    report = validate_json(case)
    g = broken(report, f"{table}.csv", row, column, code)
    assert g["count"] == 1
    if value:
        assert g["examples"][0]["value"] == value


@pytest.mark.parametrize(
    "value",
    ["31/01/2019 10:00", "2019-02-30T10:00:00Z", "yesterday", "1969-12-31T23:00:00Z"],
)
def test_unparseable_timestamp(case: Path, value: str) -> None:
    keep_only(case, "events")
    set_cell(case, "events", 4, "start_time", value)
    report = validate_json(case)
    g = broken(report, "events.csv", 4, "start_time", "bad_timestamp", value)
    assert g["count"] == 1


# Regression (was a bug): DuckDB's special words passed the timestamp and date checks.
@pytest.mark.parametrize("value", ["infinity", "epoch"])
def test_special_timestamp_words_are_rejected(case: Path, value: str) -> None:
    keep_only(case, "events")
    set_cell(case, "events", 4, "start_time", value)
    report = validate_json(case)
    broken(report, "events.csv", 4, "start_time", "bad_timestamp", value)


@pytest.mark.parametrize("value", ["infinity", "epoch"])
def test_special_date_words_are_rejected(case: Path, value: str) -> None:
    keep_only(case, "subscribers")
    set_cell(case, "subscribers", 3, "activation_date", value)
    report = validate_json(case)
    broken(report, "subscribers.csv", 3, "activation_date", "bad_date", value)


def test_unparseable_date(case: Path) -> None:
    keep_only(case, "subscribers")
    set_cell(case, "subscribers", 3, "activation_date", "28/12/2018")
    report = validate_json(case)
    broken(report, "subscribers.csv", 3, "activation_date", "bad_date", "28/12/2018")


# --------------------------------------------------------------------------------------------
# Identifiers: IMEI, phone numbers, coordinates, keys and links
# --------------------------------------------------------------------------------------------


def _break_luhn(imei: str) -> str:
    assert luhn_ok(imei), f"example IMEI {imei} should be valid"
    bad = imei[:-1] + str((int(imei[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def test_imei_failing_luhn(case: Path) -> None:
    keep_only(case, "events", "cells")
    good = cell(case, "events", 2, "a_imei")
    bad = _break_luhn(good)
    set_cell(case, "events", 2, "a_imei", bad)
    report = validate_json(case)
    g = broken(report, "events.csv", 2, "a_imei", "bad_imei", bad)
    assert g["count"] == 1
    run = cli("validate", case).assert_clean(1)
    assert "events.csv, row 2, column 'a_imei'" in run.flat
    assert bad in run.flat


def test_imei_with_separators_is_checked_on_its_digits(case: Path) -> None:
    keep_only(case, "events")
    good = cell(case, "events", 2, "a_imei")
    set_cell(case, "events", 2, "a_imei", f"{good[:2]}-{good[2:8]}-{good[8:14]}-{good[14]}")
    set_cell(case, "events", 3, "a_imei", _break_luhn(good)[:8] + " " + _break_luhn(good)[8:])
    report = validate_json(case)
    g = broken(report, "events.csv", 3, "a_imei", "bad_imei")
    assert example_rows(g) == [3]


# Regression (was a bug): an IMEI that is not 15/16 digits crashed the Luhn macro (exit 3).
@pytest.mark.parametrize("value", ["12345", "35434439589175X"])
def test_malformed_imei_is_an_error_not_a_crash(case: Path, value: str) -> None:
    keep_only(case, "events")
    set_cell(case, "events", 3, "a_imei", value)
    report = validate_json(case)
    broken(report, "events.csv", 3, "a_imei", "bad_imei", value)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("a_number", "12345"),
        ("b_number", "not a number"),
        ("a_number", "+44 7700 9001"),  # too short for a UK number
        ("b_number", "0770090012345678"),  # too long
        ("a_number", "+0447700900123"),  # country code cannot start with 0
    ],
)
def test_invalid_phone_number(case: Path, column: str, value: str) -> None:
    keep_only(case, "events")
    set_cell(case, "events", 5, column, value)
    report = validate_json(case)
    g = broken(report, "events.csv", 5, column, "bad_phone", value)
    assert g["count"] == 1


def test_invalid_phone_number_in_subscribers_human_output(case: Path) -> None:
    keep_only(case, "subscribers", "persons", "addresses")
    set_cell(case, "subscribers", 4, "number", "call me")
    run = cli("validate", case).assert_clean(1)
    assert "subscribers.csv, row 4, column 'number'" in run.flat
    assert "call me" in run.flat
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("table", "row", "column", "value"),
    [
        ("cells", 2, "lat", "90.5"),
        ("cells", 3, "lon", "-180.01"),
        ("addresses", 4, "lat", "-91"),
        ("stations", 2, "lon", "200"),
    ],
)
def test_coordinates_out_of_range(
    case: Path, table: str, row: int, column: str, value: str
) -> None:
    keep_only(case, table)
    set_cell(case, table, row, column, value)
    report = validate_json(case)
    broken(report, f"{table}.csv", row, column, "out_of_range", value)


def test_coordinates_at_the_limits_are_valid(case: Path) -> None:
    keep_only(case, "stations")
    set_cell(case, "stations", 2, "lat", "90")
    set_cell(case, "stations", 2, "lon", "-180")
    report = validate_json(case)
    assert report["ok"] is True


def test_duplicate_event_id(case: Path) -> None:
    first = cell(case, "events", 3, "event_id")
    set_cell(case, "events", 7, "event_id", first)
    report = validate_json(case)
    g = broken(report, "events.csv", 7, "event_id", "duplicate_key", first)
    assert g["count"] == 1
    assert "3" in g["examples"][0]["message"]  # points at the first occurrence
    run = cli("validate", case).assert_clean(1)
    assert "events.csv, row 7, column 'event_id'" in run.flat


def test_duplicate_person_id(case: Path) -> None:
    keep_only(case, "persons", "addresses")
    set_cell(case, "persons", 5, "person_id", "P001")
    report = validate_json(case)
    broken(report, "persons.csv", 5, "person_id", "duplicate_key", "P001")


def test_duplicate_key_ignores_surrounding_spaces(case: Path) -> None:
    keep_only(case, "persons")
    set_cell(case, "persons", 5, "person_id", " P002 ")
    report = validate_json(case)
    broken(report, "persons.csv", 5, "person_id", "duplicate_key")


def test_event_cell_not_in_cells(case: Path) -> None:
    keep_only(case, "events", "cells")
    set_cell(case, "events", 4, "a_cell_id", "NOPE01")
    report = validate_json(case)
    g = broken(report, "events.csv", 4, "a_cell_id", "unknown_reference", "NOPE01")
    assert g["count"] == 1
    assert "cells.csv" in g["examples"][0]["message"]


def test_home_address_not_in_addresses(case: Path) -> None:
    keep_only(case, "persons", "addresses")
    set_cell(case, "persons", 3, "home_address_id", "A999")
    report = validate_json(case)
    broken(report, "persons.csv", 3, "home_address_id", "unknown_reference", "A999")


def test_incident_person_list_with_unknown_id(case: Path) -> None:
    keep_only(case, "incidents", "persons")
    row = row_of(case, "incidents", "incident_id", "I001")
    set_cell(case, "incidents", row, "person_ids", "P001; P777 ;P002")
    report = validate_json(case)
    g = broken(report, "incidents.csv", row, "person_ids", "unknown_reference", "P777")
    assert g["count"] == 1  # P001 and P002 are known


# --------------------------------------------------------------------------------------------
# Empty files
# --------------------------------------------------------------------------------------------


def test_empty_file_is_an_error(case: Path) -> None:
    keep_only(case, "stations", "hubs")
    # docs/data-formats.md: "An empty file is an error (`empty_file`)".
    (case / "stations.csv").write_bytes(b"")
    report = validate_json(case)
    g = one_group(report, file="stations.csv", severity="error")
    assert g["code"] == "empty_file"
    assert_only_errors_in(report, "stations.csv")
    run = cli("validate", case).assert_clean(1)
    assert "stations.csv" in run.flat


def test_file_of_only_a_bom_and_blank_lines_is_an_error(case: Path) -> None:
    keep_only(case, "stations")
    (case / "stations.csv").write_bytes(b"\xef\xbb\xbf\r\n\r\n")
    report = validate_json(case)
    assert report["ok"] is False
    assert_only_errors_in(report, "stations.csv")


def test_header_only_file_is_a_warning(case: Path) -> None:
    keep_only(case, "stations", "hubs")
    header = read_table(case, "stations")[0]
    write_table(case, "stations", [header])
    report = validate_json(case)
    assert report["ok"] is True
    assert report["rows"]["stations"] == 0
    g = one_group(report, file="stations.csv", severity="warning")
    assert g["code"] == "no_rows"
    run = cli("validate", case).assert_clean(0)
    assert "stations.csv" in run.flat


# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------


def test_utf8_with_bom(case: Path, tmp_path: Path) -> None:
    keep_only(case, "events", "cells")
    original = (case / "events.csv").read_bytes()
    (case / "events.csv").write_bytes(b"\xef\xbb\xbf" + original)
    report = validate_json(case)
    assert report["ok"] is True
    assert report["warnings"] == 0, report["groups"]
    con = load_db(case, tmp_path / "out")
    ids = [r[0] for r in con.execute("SELECT event_id FROM events ORDER BY source_row").fetchall()]
    expected = [r[0] for r in read_table(EXAMPLE, "events")[1:]]
    assert ids == expected  # the first id is 'E0001', not '\ufeffE0001'


@pytest.mark.parametrize(
    ("encoding", "name"), [("cp1252", "Hereford é £ €"), ("latin-1", "Café £5 ¾")]
)
def test_legacy_encoding_is_read_with_a_warning(
    case: Path, tmp_path: Path, encoding: str, name: str
) -> None:
    keep_only(case, "stations")
    rows = read_table(case, "stations")
    row = row_of(case, "stations", "code", "HFD")
    rows[row - 1][rows[0].index("name")] = name
    data = csv_text(rows).encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really writes a non-UTF-8 file
    (case / "stations.csv").write_bytes(data)
    report = validate_json(case)
    assert report["ok"] is True
    g = one_group(report, file="stations.csv", severity="warning")
    assert g["code"] == "encoding"
    con = load_db(case, tmp_path / "out")
    assert con.execute("SELECT name FROM stations WHERE code = 'HFD'").fetchone() == (name,)


def test_invalid_utf8_after_the_first_64_kib(case: Path) -> None:
    keep_only(case, "events")
    header = "event_id,start_time,event_type,a_number,b_number,duration_s,text\n"
    filler = [
        f"E{i:06d},2019-01-01T09:00:00Z,sms,+447700900101,+447700900303,0,hello there\n"
        for i in range(1500)
    ]
    head = (header + "".join(filler)).encode()
    assert len(head) > 64 * 1024
    bad_row = 1 + len(filler) + 1
    data = (
        head
        + b"X000001,2019-01-01T09:00:00Z,sms,+447700900101,+447700900303,0,caf\xe9 au lait\n"
        + "X000002,2019-01-01T09:00:00Z,sms,+447700900101,+447700900303,0,café ok\n".encode()
    )
    (case / "events.csv").write_bytes(data)
    report = validate_json(case)
    g = broken(report, "events.csv", bad_row, "text", "bad_encoding")
    assert g["count"] == 1
    run = cli("validate", case).assert_clean(1)
    assert f"events.csv, row {bad_row}, column 'text'" in run.flat


# --------------------------------------------------------------------------------------------
# CSV structure
# --------------------------------------------------------------------------------------------


def test_ragged_rows_are_numbered_after_a_multiline_field(case: Path) -> None:
    rows = read_table(case, "events")
    text = rows[0].index("text")
    rows[1][text] = 'line one\nline "two"\nline three'  # row 2 spans three physical lines
    assert len(rows[3]) == 13 and len(rows[6]) == 13
    rows[3] = rows[3][:5]  # row 4: too few fields
    rows[6] = [*rows[6], "extra", "more"]  # row 7: too many fields
    rows[9][rows[0].index("duration_s")] = "x9"  # row 10: a bad value after the skipped rows
    write_table(case, "events", rows)
    raw = (case / "events.csv").read_text()
    assert raw.count("\n") > len(rows)  # physical lines and rows really differ
    report = validate_json(case)
    g = broken(report, "events.csv", 4, None, "ragged_row")
    assert sorted(example_rows(g)) == [4, 7]
    assert g["count"] == 2
    assert_error_at(report, "events.csv", 10, "duration_s", "bad_int", "x9")
    assert report["rows"]["events"] == len(rows) - 1 - 2
    run = cli("validate", case).assert_clean(1)
    assert "events.csv, row 4" in run.flat and "events.csv, row 7" in run.flat
    assert "events.csv, row 10, column 'duration_s'" in run.flat


# Regression (was a bug): Arrow skipped blank lines, shifting every later row number by one.
def test_row_numbers_after_blank_rows(case: Path) -> None:
    keep_only(case, "events")
    lines = (case / "events.csv").read_text().splitlines()
    lines.insert(4, "")  # physical line 5 is blank: a spreadsheet shows an empty row 5
    lines.insert(6, "," * (len(EVENT_HEADER) - 1))  # row 7: every field empty
    fields = lines[9].split(",")  # physical line 10 = spreadsheet row 10
    fields[EVENT_HEADER.index("duration_s")] = "x9"
    lines[9] = ",".join(fields)
    (case / "events.csv").write_text("\n".join(lines) + "\n")
    report = validate_json(case)
    broken(report, "events.csv", 10, "duration_s", "bad_int", "x9")
    g = one_group(report, file="events.csv", code="blank_rows")
    assert g["severity"] == "warning"
    assert "2" in g["examples"][0]["message"]  # how many blank rows were skipped
    assert report["rows"]["events"] == len(read_table(EXAMPLE, "events")) - 1


def test_unclosed_quote_is_reported(case: Path) -> None:
    keep_only(case, "events")
    lines = (case / "events.csv").read_text().splitlines()
    lines[5] = lines[5].replace(",", ',"', 1)  # row 6 opens a quote that never closes
    (case / "events.csv").write_text("\n".join(lines) + "\n")
    report = validate_json(case)
    assert report["ok"] is False
    assert errors(report)
    assert_only_errors_in(report, "events.csv")
    rows = [e["row"] for g in errors(report) for e in g["examples"]]
    assert all(r is None or r >= 6 for r in rows), rows
    assert 6 in rows  # the row that opens the quote is named


# --------------------------------------------------------------------------------------------
# Compressed files
# --------------------------------------------------------------------------------------------


def test_csv_gz_that_is_not_gzip(case: Path) -> None:
    keep_only(case, "events", "cells")
    (case / "events.csv").rename(case / "events.csv.gz")
    report = validate_json(case)
    g = one_group(report, file="events.csv.gz", severity="error")
    assert g["code"] == "not_gzip"
    assert_only_errors_in(report, "events.csv.gz")
    run = cli("validate", case).assert_clean(1)
    assert "events.csv.gz" in run.flat


def test_valid_csv_gz_is_read(case: Path) -> None:
    keep_only(case, "events")
    data = (case / "events.csv").read_bytes()
    (case / "events.csv").unlink()
    (case / "events.csv.gz").write_bytes(gzip.compress(data))
    report = validate_json(case)
    assert report["ok"] is True
    assert report["rows"]["events"] == len(read_table(EXAMPLE, "events")) - 1


def _big_events_csv(n: int) -> bytes:
    header = ",".join(EVENT_HEADER[:6]) + "\n"
    body = "".join(
        f"E{i:07d},2019-01-01T09:00:00Z,voice,+447700900101,+447700900202,{i % 600}\n"
        for i in range(n)
    )
    return (header + body).encode()


@pytest.mark.parametrize("size", ["small", "large"])
def test_truncated_gz(case: Path, size: str) -> None:
    keep_only(case, "events")
    data = (case / "events.csv").read_bytes() if size == "small" else _big_events_csv(60_000)
    if size == "large":
        assert len(data) > 1 << 20
    packed = gzip.compress(data)
    (case / "events.csv").unlink()
    (case / "events.csv.gz").write_bytes(packed[: len(packed) * 2 // 3])
    report = validate_json(case)
    assert report["ok"] is False
    assert_only_errors_in(report, "events.csv.gz")
    assert {g["code"] for g in errors(report)} <= {"corrupt_file", "unreadable"}
    run = cli("validate", case).assert_clean(1)
    assert "events.csv.gz" in run.flat


# Regression (was a bug): corrupt deflate data escaped as zlib.error (exit 3).
def test_corrupt_gz(case: Path) -> None:
    keep_only(case, "events")
    packed = bytearray(gzip.compress(_big_events_csv(5_000)))
    for i in range(40, 80):
        packed[i] ^= 0xFF
    (case / "events.csv").unlink()
    (case / "events.csv.gz").write_bytes(bytes(packed))
    report = validate_json(case)
    assert report["ok"] is False
    assert_only_errors_in(report, "events.csv.gz")
    assert {g["code"] for g in errors(report)} <= {"corrupt_file", "unreadable"}
    run = cli("validate", case).assert_clean(1)
    assert "events.csv.gz" in run.flat


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


def _events_as_parquet(case: Path) -> pa.Table:
    table = pa_csv.read_csv(
        case / "events.csv",
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(EVENT_HEADER, pa.string())
        ),
    )
    (case / "events.csv").unlink()
    return table


def test_parquet_with_bad_values_numbers_records_from_1(case: Path) -> None:
    table = _events_as_parquet(case)
    duration = table["duration_s"].to_pylist()
    duration[2] = "abc"  # third record
    start = table["start_time"].to_pylist()
    start[0] = "31/01/2019 10:00"  # first record
    table = table.set_column(EVENT_HEADER.index("duration_s"), "duration_s", pa.array(duration))
    table = table.set_column(EVENT_HEADER.index("start_time"), "start_time", pa.array(start))
    pq.write_table(table, case / "events.parquet")
    report = validate_json(case)
    broken(report, "events.parquet", 3, "duration_s", "bad_int", "abc")
    broken(report, "events.parquet", 1, "start_time", "bad_timestamp")
    run = cli("validate", case).assert_clean(1)
    assert "events.parquet, row 3, column 'duration_s'" in run.flat


def test_parquet_with_typed_columns_is_valid(case: Path) -> None:
    keep_only(case, "events", "cells")
    table = _events_as_parquet(case)
    duration = pa.array([int(v) for v in table["duration_s"].to_pylist()], pa.int64())
    table = table.set_column(EVENT_HEADER.index("duration_s"), "duration_s", duration)
    pq.write_table(table, case / "events.parquet")
    report = validate_json(case)
    assert report["ok"] is True, report["groups"]
    assert report["rows"]["events"] == table.num_rows


def test_parquet_missing_required_column(case: Path) -> None:
    keep_only(case, "events")
    table = _events_as_parquet(case).drop_columns(["b_number"])
    pq.write_table(table, case / "events.parquet")
    report = validate_json(case)
    broken(report, "events.parquet", 1, "b_number", "missing_column")


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


def _areas(case: Path) -> dict:
    return json.loads((case / "areas.geojson").read_text())


def test_bow_tie_polygon(case: Path) -> None:
    keep_only(case, "areas", "stations")
    gj = _areas(case)
    gj["features"][1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[-2.71, 52.06], [-2.70, 52.07], [-2.70, 52.06], [-2.71, 52.07], [-2.71, 52.06]]
        ],
    }
    (case / "areas.geojson").write_text(json.dumps(gj))
    report = validate_json(case)
    g = broken(report, "areas.geojson", 2, "geometry", "bad_geometry")
    assert "self-intersection" in g["examples"][0]["message"].lower()
    run = cli("validate", case).assert_clean(1)
    assert "areas.geojson, row 2, column 'geometry'" in run.flat


def test_point_instead_of_polygon(case: Path) -> None:
    keep_only(case, "areas")
    gj = _areas(case)
    gj["features"][2]["geometry"] = {"type": "Point", "coordinates": [-2.7, 52.05]}
    (case / "areas.geojson").write_text(json.dumps(gj))
    report = validate_json(case)
    g = broken(report, "areas.geojson", 3, "geometry", "bad_geometry")
    assert "Point" in g["examples"][0]["message"]


@pytest.mark.parametrize("content", ['{"type": "FeatureCollection", "features": [ {', ""])
def test_unreadable_geojson(case: Path, content: str) -> None:
    keep_only(case, "areas", "stations")
    (case / "areas.geojson").write_text(content)
    report = validate_json(case)
    assert report["ok"] is False
    assert errors(report)
    assert_only_errors_in(report, "areas.geojson")
    run = cli("validate", case).assert_clean(1)
    assert "areas.geojson" in run.flat


# --------------------------------------------------------------------------------------------
# Normalisation of valid values (checked in the loaded database)
# --------------------------------------------------------------------------------------------


def test_uk_phone_numbers_load_as_e164(case: Path, tmp_path: Path) -> None:
    keep_only(case, "events", "cells")
    forms = {2: "07700 900123", 3: "447700900123", 4: "0044 7700 900123", 5: "+44 (7700) 900-123"}
    ids = {}
    for row, form in forms.items():
        set_cell(case, "events", row, "a_number", form)
        ids[row] = cell(case, "events", row, "event_id")
    con = load_db(case, tmp_path / "out")
    for row, form in forms.items():
        got = con.execute("SELECT a_number FROM events WHERE event_id = ?", [ids[row]]).fetchone()
        assert got == ("+447700900123",), (form, got)


def test_timestamps_load_as_utc(case: Path, tmp_path: Path) -> None:
    keep_only(case, "events")
    set_cell(case, "events", 2, "start_time", "2019-01-01T09:00:00")  # naive: UTC
    set_cell(case, "events", 3, "start_time", "2019-07-01 09:00:00")  # naive in British summer time
    set_cell(case, "events", 4, "start_time", "2019-01-03T09:02:00+01:00")
    set_cell(case, "events", 5, "start_time", "2019-06-03T23:30:00-05:00")
    expected = {
        cell(case, "events", 2, "event_id"): datetime(2019, 1, 1, 9, 0, tzinfo=UTC),
        cell(case, "events", 3, "event_id"): datetime(2019, 7, 1, 9, 0, tzinfo=UTC),
        cell(case, "events", 4, "event_id"): datetime(2019, 1, 3, 8, 2, tzinfo=UTC),
        cell(case, "events", 5, "event_id"): datetime(2019, 6, 4, 4, 30, tzinfo=UTC),
    }
    out = tmp_path / "out"
    # A machine whose local zone is not UTC must still read naive times as UTC.
    cli_subprocess(
        "load", case, "--out", out, "--quiet", env={"TZ": "America/New_York"}
    ).assert_clean(0)
    con = duckdb.connect(str(out / "case.duckdb"), read_only=True)
    for event_id, when in expected.items():
        got = con.execute(
            "SELECT epoch(start_time) FROM events WHERE event_id = ?", [event_id]
        ).fetchone()
        assert got is not None and got[0] == when.timestamp(), (event_id, got, when)


# --------------------------------------------------------------------------------------------
# Many bad rows: a short report with the right total
# --------------------------------------------------------------------------------------------


def test_many_bad_rows_give_a_few_examples_and_the_total(case: Path) -> None:
    keep_only(case, "events")
    n = 2_000
    header = EVENT_HEADER[:6]
    rows = [header]
    bad_rows = []
    for i in range(n + 500):
        duration = str(i % 60)
        if i % 5 != 4 and len(bad_rows) < n:
            duration = f"{i}s"
            bad_rows.append(len(rows) + 1)
        rows.append(
            [
                f"E{i:05d}",
                "2019-01-01T09:00:00Z",
                "voice",
                "+447700900101",
                "+447700900202",
                duration,
            ]
        )
    assert len(bad_rows) == n
    write_table(case, "events", rows)
    report = validate_json(case)
    g = broken(report, "events.csv", bad_rows[0], "duration_s", "bad_int", "0s")
    assert g["count"] == n
    assert len(g["examples"]) == 5
    assert example_rows(g) == bad_rows[:5]
    assert report["errors"] == n
    few = validate_json(case, "--examples", "2")
    assert len(one_group(few, code="bad_int")["examples"]) == 2
    assert one_group(few, code="bad_int")["count"] == n
    run = cli("validate", case).assert_clean(1)
    assert f"{n - 5:,} more" in run.flat
    assert len(run.stderr.splitlines()) < 40


def test_json_report_structure(case: Path) -> None:
    keep_only(case, "events", "persons", "subscribers")
    set_cell(case, "events", 3, "duration_s", "ten")
    report = validate_json(case)
    assert {"ok", "rows", "errors", "warnings", "groups"} <= set(report)
    assert isinstance(report["rows"], dict)
    assert report["rows"]["events"] == len(read_table(EXAMPLE, "events")) - 1
    for g in report["groups"]:
        assert {"file", "column", "code", "severity", "count", "examples"} <= set(g)
        assert g["severity"] in ("error", "warning")
        assert g["count"] >= len(g["examples"]) >= 1
        for e in g["examples"]:
            assert {"row", "column", "value", "message"} <= set(e)
            assert e["file"] == g["file"] and e["column"] == g["column"] and e["code"] == g["code"]
    assert report["errors"] == sum(g["count"] for g in errors(report))
    assert report["warnings"] == sum(g["count"] for g in warnings(report))

"""Property tests: whatever is in a table file, `validate` ends cleanly and says where problems are.

(a) random rows under the right header: exit 0 or 1 matching `ok`, every problem names the file,
    and every row-level problem names a data row that exists in the file;
(b) random bytes as a whole table file (CSV, gzip, Parquet): exit 0 or 1, never a traceback or
    an internal error (exit 3).
"""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from pathlib import Path

from conftest import ROW_CODES, cli
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from countylines.schema import TABLES

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Values that are valid for some column, plus CSV-hostile text.
SPECIAL = [
    "",
    " ",
    '"',
    '""',
    ",",
    "\n",
    "\r\n",
    "\r",
    ";",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "é£€",
    "😀",
    "\x00",
    "NULL",
    "NaN",
    "inf",
    "-1",
    "0",
    "1.0",
    "1e400",
    "99999999999999999999",
    "2019-01-01T09:00:00Z",
    "2019-01-01 09:00:00+01:00",
    "31/01/2019",
    "sms",
    "voice",
    "07700 900123",
    "+447700900123",
    "354344395891751",
    "234150000000001",
    "P001",
    "P001;P002",
    "true",
    "no",
    "male",
    "1990",
]
CELL = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=12),
    st.text(alphabet='0123456789 +-.:;,"\nTZ', max_size=16),
)


def _rows(table: str) -> st.SearchStrategy[list[list[str]]]:
    width = len(TABLES[table].column_names)
    exact = st.lists(CELL, min_size=width, max_size=width)
    ragged = st.lists(CELL, min_size=width - 1, max_size=width + 1)
    return st.lists(st.one_of(exact, exact, exact, ragged), max_size=8)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> int:
    buf = io.StringIO()
    writer = csv.writer(buf)  # Excel dialect: \r\n, quotes fields with , " \r \n
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    # How many records a CSV reader sees (header included): the range of valid row numbers.
    return len(list(csv.reader(io.StringIO(buf.getvalue(), newline=""))))


def _check_random_rows(table: str, rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case"
        case.mkdir()
        file = f"{table}.csv"
        n_records = _write(case / file, list(TABLES[table].column_names), rows)
        assert n_records == len(rows) + 1
        run = cli("validate", case, "--json").assert_clean(0, 1)
        report = run.json()
        assert run.exit_code == (0 if report["ok"] else 1)
        assert report["ok"] == (report["errors"] == 0)
        assert report["rows"].get(table, 0) <= len(rows)
        for g in report["groups"]:
            assert g["file"] == file, g
            assert g["count"] >= len(g["examples"]) >= 1
            for e in g["examples"]:
                assert e["file"] == file
                if e["row"] is not None:
                    assert 1 <= e["row"] <= n_records, (e, n_records)
                if g["code"] in ROW_CODES:
                    assert e["row"] is not None and 2 <= e["row"] <= n_records, (e, n_records)
                    if g["code"] != "ragged_row":
                        assert e["column"] in TABLES[table].column_names, e


@SETTINGS
@example(
    table="events",
    rows=[  # a malformed IMEI once crashed the Luhn check (exit 3)
        [
            "E1",
            "2019-01-01T09:00:00Z",
            "sms",
            "+447700900101",
            "+447700900202",
            "0",
            "12345",
            "",
            "",
            "ABC",
            "",
            "",
            "",
        ],
    ],
)
@given(table=st.sampled_from(["events", "persons"]), rows=st.data())
def test_random_rows_validate_cleanly(table: str, rows: st.DataObject | list[list[str]]) -> None:
    if isinstance(rows, st.DataObject):
        rows = rows.draw(_rows(table), label="rows")
    _check_random_rows(table, rows)


# --------------------------------------------------------------------------------------------
# (b) random bytes as a whole file
# --------------------------------------------------------------------------------------------

EVENT_HEADER = ",".join(TABLES["events"].column_names).encode()

RANDOM_CSV = st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=600).map(lambda b: EVENT_HEADER + b"\n" + b),
    st.binary(max_size=200).map(lambda b: b"\xef\xbb\xbf" + b),
    st.binary(max_size=200).map(lambda b: b"\xff\xfe" + b),
)
RANDOM_GZ = st.one_of(
    st.binary(max_size=400),
    RANDOM_CSV.map(gzip.compress),
    st.tuples(RANDOM_CSV, st.integers(0, 200)).map(
        lambda t: gzip.compress(t[0])[: t[1]]
    ),  # truncated
    st.binary(min_size=1, max_size=400).map(lambda b: b"\x1f\x8b\x08\x00" + b),  # gzip header, junk
)
RANDOM_PARQUET = st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda b: b"PAR1" + b + b"PAR1"),
    st.binary(max_size=400).map(lambda b: b"PAR1" + b + len(b).to_bytes(4, "little") + b"PAR1"),
)


def _check_random_file(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case"
        case.mkdir()
        (case / name).write_bytes(content)
        run = cli("validate", case, "--json").assert_clean(0, 1)
        report = run.json()
        assert run.exit_code == (0 if report["ok"] else 1)
        for g in report["groups"]:
            assert g["file"] == name, g


def _corrupt_deflate(data: bytes) -> bytes:
    packed = bytearray(gzip.compress(data))
    for i in range(12, min(len(packed) - 8, 40)):
        packed[i] ^= 0x5A
    return bytes(packed)


@SETTINGS
@example(
    pair=(  # corrupt deflate data once escaped as zlib.error (exit 3)
        "events.csv.gz",
        _corrupt_deflate(EVENT_HEADER + b"\nE1,2019-01-01T09:00:00Z,sms,1,2,0\n" * 50),
    )
)
@given(
    pair=st.one_of(
        st.tuples(st.just("events.csv"), RANDOM_CSV),
        st.tuples(st.just("events.csv.gz"), RANDOM_GZ),
        st.tuples(st.just("events.parquet"), RANDOM_PARQUET),
    )
)
def test_random_bytes_validate_cleanly(pair: tuple[str, bytes]) -> None:
    _check_random_file(*pair)

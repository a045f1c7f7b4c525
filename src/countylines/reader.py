"""Streaming a table file, in bounded memory, into a DuckDB staging table of raw text.

CSV (plain or gzip) is parsed by Arrow's streaming reader one block at a time; every row keeps its
spreadsheet row number (header = row 1) in the `_row` column, so later checks can say exactly where
a problem is. Parquet is read by DuckDB directly, numbering records from 1. Encodings: UTF-8 (with
or without BOM), UTF-16 with BOM, and anything else is read as Windows-1252/Latin-1 with a warning.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from countylines.casefolder import TableFile
from countylines.duckdb_checks import quote
from countylines.problems import ProblemLog
from countylines.schema import Table

BLOCK_SIZE = 8 << 20  # bytes per parsed block; also the longest row accepted
SNIFF_BYTES = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int], None]
"""Called with the number of bytes of the file (as stored) read so far."""


@dataclass(frozen=True)
class InputLimits:
    """Bounds on hostile or broken input: stored file sizes and gzip decompression.

    A `.csv.gz` file may decompress to `max_gzip_ratio` times its stored size (at least
    `min_gzip_budget`, so small files are never refused), and never more than
    `max_decompressed_bytes`; reading stops there with a `gzip_too_large` error, so a
    decompression bomb costs a bounded amount of time and disk.
    """

    max_file_bytes: int = 64 << 30
    max_areas_bytes: int = 512 << 20  # the geography file is read whole into memory
    max_gzip_ratio: int = 200
    max_decompressed_bytes: int = 256 << 30
    min_gzip_budget: int = 64 << 20

    def gzip_budget(self, stored_bytes: int) -> int:
        """How many decompressed bytes a gzip file of `stored_bytes` may produce."""
        by_ratio = max(self.max_gzip_ratio * stored_bytes, self.min_gzip_budget)
        return min(self.max_decompressed_bytes, by_ratio)


DEFAULT_LIMITS = InputLimits()


class DecompressionLimit(Exception):
    """A compressed file decompressed to more bytes than its budget."""


class _BoundedStream(io.RawIOBase):
    """A read-only view of a decompressing stream that stops at `limit` decompressed bytes."""

    CHUNK = 1 << 20

    def __init__(self, inner: gzip.GzipFile, limit: int) -> None:
        super().__init__()
        self._inner = inner
        self.limit = limit

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._inner.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self.read(self.CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        data = self._inner.read(min(size, self.limit + 1 - self._inner.tell()) or 1)
        if self._inner.tell() > self.limit:
            raise DecompressionLimit(
                f"the gzip data decompresses to more than {self.limit:,} bytes, its limit"
            )
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


@dataclass
class StagedTable:
    """What was read from one table file into the staging table `raw_name`."""

    table: Table
    file: TableFile
    raw_name: str
    columns: dict[str, str]  # schema column name -> name in the file
    rows: int = 0
    complete: bool = True  # False when reading stopped early at an unreadable point


def normalise_header(name: str) -> str:
    """Lower case, trimmed, with spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def map_columns(
    table: Table,
    header: list[str],
    file: str,
    log: ProblemLog,
    warn_unknown: bool = True,
    header_row: int | None = 1,
) -> dict[str, str] | None:
    """Match a file's header to the schema; report missing, renamed, unknown and repeated names.

    `header_row` is the row number problems with names are reported at (None where the file has
    no header row, as in a geography file).
    """
    seen: dict[str, int] = {}
    for name in header:
        seen[name] = seen.get(name, 0) + 1
    repeated = [n for n, c in seen.items() if c > 1]
    if repeated:
        log.error(
            "repeated_column",
            file,
            f"column name repeated in the header: {repeated[0]!r}",
            row=header_row,
            column=repeated[0],
        )
        return None
    by_norm = {normalise_header(h): h for h in header}
    mapping: dict[str, str] = {}
    for col in table.columns:
        if col.name in seen:
            mapping[col.name] = col.name
        elif col.name in by_norm:
            mapping[col.name] = by_norm[col.name]
            log.warning(
                "renamed_column",
                file,
                f"header {by_norm[col.name]!r} read as {col.name!r}",
                row=header_row,
                column=col.name,
            )
    used = set(mapping.values())
    unknown = [h for h in header if h not in used]
    for col in table.columns:
        if col.required and col.name not in mapping:
            hint = _closest(col.name, unknown)
            log.error(
                "missing_column",
                file,
                f"required column {col.name!r} is missing"
                + (f" (is {hint!r} it?)" if hint else ""),
                row=header_row,
                column=col.name,
            )
    for h in unknown if warn_unknown else ():
        log.warning(
            "unknown_column",
            file,
            f"column {h!r} is not part of the {table.name} table; ignored",
            row=header_row,
            column=h,
        )
    return mapping


def _closest(name: str, candidates: list[str]) -> str | None:
    import difflib

    norm = {normalise_header(c).replace("_", ""): c for c in candidates}
    hit = difflib.get_close_matches(name.replace("_", ""), list(norm), n=1, cutoff=0.6)
    return norm[hit[0]] if hit else None


def _open_bytes(
    tf: TableFile, log: ProblemLog, limits: InputLimits
) -> tuple[BinaryIO, BinaryIO] | None:
    """Open the file (decompressing gzip, within its budget); (stored-bytes handle, content)."""
    raw = open(tf.path, "rb")  # noqa: SIM115 - closed by the caller
    if tf.format == "csv.gz":
        magic = raw.read(2)
        raw.seek(0)
        if magic != GZIP_MAGIC:
            raw.close()
            what = (
                "is empty" if not magic else f"starts with bytes {magic.hex(' ')}, not gzip's 1f 8b"
            )
            log.error("not_gzip", tf.display, f"file ends in .gz but {what}")
            return None
        budget = limits.gzip_budget(tf.path.stat().st_size)
        unzipped = gzip.GzipFile(fileobj=raw, mode="rb")
        return raw, _BoundedStream(unzipped, budget)  # type: ignore[return-value]
    return raw, raw


def _sniff_encoding(head: bytes, complete: bool) -> str:
    """Pick the text encoding from the first bytes of a file."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _header(head: bytes, encoding: str, complete: bool) -> list[str] | str:
    """The header row's names, or a message saying why there is none."""
    text = head.decode(encoding, errors="replace").removeprefix("\ufeff")
    if not complete and "\n" not in text:
        return f"the header row is longer than {SNIFF_BYTES >> 10} KiB; is this a CSV file?"
    try:
        for record in csv.reader(io.StringIO(text)):
            return list(record) if any(h.strip() for h in record) else "the header row is blank"
    except csv.Error as exc:
        return f"cannot read the header row ({exc})"
    return "no header row found"


class _RowNumbers:
    """Maps the n-th good data row to its spreadsheet row number, given the skipped rows."""

    def __init__(self) -> None:
        self.skipped: list[int] = []
        self.good = 0

    def next_batch(self, n: int) -> np.ndarray:
        k = np.arange(self.good + 1, self.good + n + 1, dtype=np.int64)
        self.good += n
        if not self.skipped:
            return k + 1
        skipped = np.asarray(self.skipped, dtype=np.int64)
        rows = k + 1
        while True:
            shifted = k + 1 + np.searchsorted(skipped, rows, side="right")
            if np.array_equal(shifted, rows):
                return rows
            rows = shifted


def _utf8_clean(
    arr: pa.Array, rows: np.ndarray, file: str, column: str, log: ProblemLog
) -> pa.Array:
    """Return `arr` with invalid UTF-8 values replaced by null, reporting each."""
    try:
        arr.validate(full=True)
        return arr
    except pa.ArrowInvalid:
        pass
    values = pc.cast(arr, pa.binary()).to_pylist()
    clean: list[str | None] = []
    for i, v in enumerate(values):
        if v is None:
            clean.append(None)
            continue
        try:
            clean.append(v.decode("utf-8"))
        except UnicodeDecodeError:
            clean.append(None)
            log.error(
                "bad_encoding",
                file,
                "invalid UTF-8 bytes; save the file as UTF-8",
                row=int(rows[i]),
                column=column,
                value=repr(v[:40]),
            )
    return pa.array(clean, type=pa.string())


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    tf: TableFile,
    table: Table,
    raw_name: str,
    log: ProblemLog,
    progress: Progress | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> StagedTable | None:
    """Stream a CSV or CSV.gz file into `raw_name`; None when it cannot be read at all."""
    opened = _open_bytes(tf, log, limits)
    if opened is None:
        return None
    raw, stream = opened
    try:
        return _stage_csv_stream(con, tf, table, raw_name, raw, stream, log, progress)
    finally:
        stream.close()
        raw.close()


def _stage_csv_stream(
    con: duckdb.DuckDBPyConnection,
    tf: TableFile,
    table: Table,
    raw_name: str,
    raw: BinaryIO,
    stream: BinaryIO,
    log: ProblemLog,
    progress: Progress | None,
) -> StagedTable | None:
    file = tf.display
    try:
        head = stream.read(SNIFF_BYTES)
    except DecompressionLimit as exc:
        log.error("gzip_too_large", file, _bomb_message(exc))
        return None
    except (OSError, EOFError, zlib.error) as exc:
        log.error("corrupt_file", file, f"cannot read the file: {exc}")
        return None
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        log.error(
            "empty_file", file, "the file is empty: expected a header row and data rows", row=1
        )
        return None
    encoding = _sniff_encoding(head, complete=len(head) < SNIFF_BYTES)
    if encoding not in ("utf-8",):
        log.warning("encoding", file, f"file is not UTF-8; read as {encoding}")
    header = _header(head, encoding, complete=len(head) < SNIFF_BYTES)
    if isinstance(header, str):
        log.error("bad_header", file, header, row=1)
        return None
    mapping = map_columns(table, header, file, log)
    if mapping is None:
        return None
    staged = StagedTable(table, tf, raw_name, mapping)
    cols = list(mapping)
    numbers = _RowNumbers()
    blank_rows = 0

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        number = row.number if row.number is not None else numbers.good + len(numbers.skipped) + 2
        numbers.skipped.append(number)
        log.error(
            "ragged_row",
            file,
            f"row has {row.actual_columns} fields, the header has {row.expected_columns}"
            + ("; a quote is never closed" if row.text.count('"') % 2 else ""),
            row=number,
            value=row.text[:80],
        )
        return "skip"

    def batches() -> Iterator[pa.RecordBatch]:
        """Row-numbered, cleaned batches; stops (logging why) where the file becomes unreadable."""
        nonlocal blank_rows
        try:
            for batch in _open_reader(stream, header, encoding, on_invalid):
                rows = numbers.next_batch(batch.num_rows)
                keep = _not_blank(batch)
                if keep is not None:
                    blank_rows += batch.num_rows - pc.sum(keep).as_py()
                    batch, rows = batch.filter(keep), rows[keep.to_numpy(zero_copy_only=False)]
                arrays = [pa.array(rows)]
                for c in cols:
                    arr = batch.column(mapping[c])
                    if arr.type != pa.string():
                        arr = arr.cast(pa.string())
                    arrays.append(_utf8_clean(arr, rows, file, c, log))
                staged.rows += batch.num_rows
                if progress is not None:
                    progress(raw.tell())
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        except DecompressionLimit as exc:
            staged.complete = False
            log.error("gzip_too_large", file, _bomb_message(exc))
        except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
            staged.complete = False
            after = numbers.good + len(numbers.skipped) + 1
            log.error("unreadable", file, _read_failure(exc), row=after + 1)

    schema = pa.schema([("_row", pa.int64()), *((c, pa.string()) for c in cols)])
    stream.seek(0)  # Arrow reads the header again itself
    source = pa.RecordBatchReader.from_batches(schema, batches())  # noqa: F841 - used by SQL
    con.execute(f"CREATE OR REPLACE TABLE {raw_name} AS SELECT * FROM source")
    if blank_rows:
        log.warning("blank_rows", file, f"{blank_rows:,} blank rows ignored")
    if staged.rows == 0 and staged.complete:
        log.warning("no_rows", file, "the file has a header but no data rows")
    return staged


def _open_reader(
    stream: BinaryIO, header: list[str], encoding: str, on_invalid: Callable[[Any], str]
) -> pa_csv.CSVStreamingReader:
    """Arrow's streaming CSV reader: every column as text, one block at a time."""
    return pa_csv.open_csv(
        pa.PythonFile(stream, mode="r"),
        read_options=pa_csv.ReadOptions(
            use_threads=False,
            block_size=BLOCK_SIZE,
            encoding="utf8" if encoding == "utf-8" else encoding,
        ),
        parse_options=pa_csv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={h: pa.string() for h in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=False,
        ),
    )


def _not_blank(batch: pa.RecordBatch) -> pa.BooleanArray | None:
    """Mask of rows with at least one non-empty field; None when no row is blank."""
    filled = None
    for arr in batch.columns:
        has = pc.greater(pc.binary_length(arr.cast(pa.binary())), 0)
        has = pc.fill_null(has, False)
        filled = has if filled is None else pc.or_(filled, has)
    if filled is None or pc.all(filled).as_py():
        return None
    return filled


def _bomb_message(exc: DecompressionLimit) -> str:
    return f"{exc}: a decompression bomb, or a file to store uncompressed; reading stopped here"


def _read_failure(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "straddling" in text or "block" in text:
        return (
            f"a row is longer than {BLOCK_SIZE >> 20} MB or a quote is never closed; "
            "reading stopped here"
        )
    if isinstance(exc, (OSError, EOFError, zlib.error)):
        return f"compressed data is corrupt or truncated ({text}); reading stopped here"
    return f"cannot parse the CSV from here on ({text})"


def stage_parquet(
    con: duckdb.DuckDBPyConnection, tf: TableFile, table: Table, raw_name: str, log: ProblemLog
) -> StagedTable | None:
    """Read a Parquet file into `raw_name` (all columns as text); rows are record numbers from 1."""
    file = tf.display
    path = str(tf.path)
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()
    except duckdb.Error as exc:
        log.error("bad_parquet", file, f"not a readable Parquet file ({str(exc).splitlines()[0]})")
        return None
    header = [str(r[0]) for r in described]
    mapping = map_columns(table, header, file, log)
    if mapping is None:
        return None
    staged = StagedTable(table, tf, raw_name, mapping)
    select = ", ".join(f"CAST({quote(mapping[c])} AS VARCHAR) AS {quote(c)}" for c in mapping)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {raw_name} AS SELECT file_row_number + 1 AS _row"
            + (f", {select}" if select else "")
            + " FROM read_parquet(?, file_row_number = true)",
            [path],
        )
    except duckdb.Error as exc:
        log.error("bad_parquet", file, f"cannot read the Parquet data ({str(exc).splitlines()[0]})")
        return None
    staged.rows = int(con.execute(f"SELECT count(*) FROM {raw_name}").fetchone()[0])  # type: ignore[index]
    if staged.rows == 0:
        log.warning("no_rows", file, "the file has no rows")
    return staged


def stage_table(
    con: duckdb.DuckDBPyConnection,
    tf: TableFile,
    table: Table,
    raw_name: str,
    log: ProblemLog,
    progress: Progress | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> StagedTable | None:
    """Stage any supported table file; see `stage_csv` and `stage_parquet`.

    A file larger than `limits.max_file_bytes` is refused unread (`file_too_large`).
    """
    size = tf.path.stat().st_size
    if size > limits.max_file_bytes:
        log.error(
            "file_too_large",
            tf.display,
            f"the file has {size:,} bytes, more than the limit of {limits.max_file_bytes:,}; "
            "not read (raise the limit with --max-file-gb if the file is genuine)",
        )
        return None
    if tf.format == "parquet":
        return stage_parquet(con, tf, table, raw_name, log)
    return stage_csv(con, tf, table, raw_name, log, progress, limits)

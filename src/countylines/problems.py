"""Problems found in a user's files, with exactly where they are.

Rows are numbered as a spreadsheet shows them: in a CSV the header is row 1 and the first data
row is row 2; in Parquet the first record is row 1. Each kind of problem keeps its first few
examples and a total count, so a file with a million bad rows gives a short, useful report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

PROBLEM_CODES: dict[str, str] = {
    # The case folder and its files
    "unknown_file": "a file or folder that is not a case table or geography file; ignored",
    "not_a_file": "a table name used by a folder or special file",
    "duplicate_table": "the same table given twice",
    "empty_file": "the file is empty, or the geography file has no features",
    "bad_header": "the header row is blank, unreadable or implausibly long",
    "encoding": "the file is not UTF-8; read in the encoding named",
    "bad_encoding": "invalid UTF-8 bytes in a value",
    "not_gzip": "a .csv.gz file that is not gzip data",
    "file_too_large": "a file larger than the size limit; not read",
    "gzip_too_large": "gzip data that decompresses beyond its limit (a decompression bomb?)",
    "outside_case": "a link that leads outside the case folder; not read",
    "corrupt_file": "the file cannot be read at all",
    "unreadable": "reading stopped part-way (row too long, quote never closed, corrupt data)",
    "bad_parquet": "not a readable Parquet file",
    "no_rows": "a header but no data rows",
    "blank_rows": "blank rows were skipped",
    "ragged_row": "a row with more or fewer fields than the header; skipped",
    # Columns
    "repeated_column": "the same column name twice in the header",
    "missing_column": "a required column is missing",
    "renamed_column": "a header matched a column only after ignoring case, spaces or hyphens",
    "unknown_column": "a column that is not part of the table; ignored",
    # Values
    "missing_value": "a required value is empty",
    "bad_timestamp": "not an ISO 8601 date-time between 1970 and 2100",
    "bad_date": "not an ISO 8601 date",
    "bad_phone": "not a phone number after normalisation",
    "withheld_number": "a withheld or unknown number; loaded as empty",
    "bad_imei": "not an IMEI (15 digits, Luhn) or IMEISV (16 digits)",
    "bad_imsi": "not 14 or 15 digits",
    "bad_vrm": "not a vehicle registration mark",
    "bad_int": "not a whole number",
    "bad_number": "not a finite number",
    "bad_bool": "not a true/false value",
    "bad_enum": "not one of the column's allowed values",
    "out_of_range": "a number outside the column's range",
    "outside_uk": "a point outside the United Kingdom (lat and lon swapped?)",
    # Rows and tables
    "sms_duration": "an sms with a non-zero duration",
    "same_number": "an event from a number to itself",
    "end_before_start": "an episode that ends before it starts",
    "half_location": "only one of found_lat and found_lon",
    "roles_not_matching_persons": "person_roles without one role per person id",
    "duplicate_key": "a key value on more than one row",
    "unknown_reference": "a value not found in the table it refers to",
    "no_target_table": "a column refers to a table the case does not have; not checked",
    # Geography
    "bad_geography": "the geography file cannot be read",
    "missing_geometry": "an area feature without geometry",
    "bad_geometry": "an area geometry that is not a valid Polygon or MultiPolygon",
    "no_crs": "no coordinate reference system given; read as WGS84 degrees",
    "bad_crs": "coordinates cannot be placed on British National Grid",
}
"""Every problem code with its meaning; `docs/data-formats.md` documents the same list."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: severity, a stable code, where it is, the offending value and a message."""

    severity: Severity
    code: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if self.code not in PROBLEM_CODES:
            raise ValueError(f"unregistered problem code {self.code!r}")

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out


@dataclass
class ProblemGroup:
    """The first examples of one kind of problem and how many there were in all."""

    examples: list[Problem] = field(default_factory=list)
    count: int = 0


class ProblemLog:
    """Collects problems grouped by (file, column, code), keeping `max_examples` of each."""

    def __init__(self, max_examples: int = 5) -> None:
        self.max_examples = max_examples
        self._groups: dict[tuple[str, str | None, str], ProblemGroup] = {}

    def add(self, problem: Problem, count: int = 1) -> None:
        """Record `problem`; `count` says how many occurrences it stands for (>= 1)."""
        key = (problem.file, problem.column, problem.code)
        group = self._groups.setdefault(key, ProblemGroup())
        group.count += count
        if len(group.examples) < self.max_examples:
            group.examples.append(problem)

    def add_examples(self, examples: Iterable[Problem], total: int) -> None:
        """Record a group found by a set-based query: a few examples and the total count."""
        examples = list(examples)
        for p in examples:
            self.add(p)
        if examples and total > len(examples):
            key = (examples[0].file, examples[0].column, examples[0].code)
            self._groups[key].count += total - len(examples)

    def error(self, code: str, file: str, message: str, **where: Any) -> None:
        self.add(Problem(Severity.ERROR, code, file, message, **where))

    def warning(self, code: str, file: str, message: str, **where: Any) -> None:
        self.add(Problem(Severity.WARNING, code, file, message, **where))

    def groups(self) -> Iterator[tuple[tuple[str, str | None, str], ProblemGroup]]:
        yield from self._groups.items()

    def count(self, severity: Severity) -> int:
        return sum(g.count for g in self._groups.values() if g.examples[0].severity is severity)

    @property
    def n_errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def n_warnings(self) -> int:
        return self.count(Severity.WARNING)

    def problems(self) -> list[Problem]:
        """All kept examples, errors first, in file and row order."""
        items = [p for g in self._groups.values() for p in g.examples]
        return sorted(
            items,
            key=lambda p: (p.severity is not Severity.ERROR, p.file, p.row or 0, p.column or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "errors": self.n_errors,
            "warnings": self.n_warnings,
            "groups": [
                {
                    "file": file,
                    "column": column,
                    "code": code,
                    "severity": g.examples[0].severity.value,
                    "count": g.count,
                    "examples": [p.to_dict() for p in g.examples],
                }
                for (file, column, code), g in self._groups.items()
            ],
        }


class CaseError(Exception):
    """A problem that stops the whole command (for example, the case folder does not exist)."""

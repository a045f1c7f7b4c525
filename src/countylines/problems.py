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

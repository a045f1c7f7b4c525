"""The results the dashboard shows: the output folder of the analyses, read once and kept.

Plain pandas frames in, plain dicts out (JSON-ready). Phone numbers are replaced by their
pseudonyms (`PH-…`, keyed HMAC, see `countylines.pseudonym`) before anything leaves this
module, so no page or API response of the dashboard carries a real number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from countylines.lines.detect import LINE_COLUMNS, NUMBER_COLUMNS
from countylines.pseudonym import IdType, pseudonym


class Summary(BaseModel):
    """Headline figures of the overview."""

    lines: int
    hubs: list[str]
    market_towns: list[str]
    deal_numbers: int
    runners: int
    deals_per_day: float


class Line(BaseModel):
    """One row of the line register (docs/lines.md describes each field)."""

    line_id: str
    brand: str
    hub: str | None
    market_towns: str | None
    first_seen: str
    last_seen: str
    n_numbers: int
    n_customers: int
    deals_per_day: float
    revenue_per_day: float
    score: float
    evidence: str | None


class LineNumber(BaseModel):
    """A number of a line, pseudonymised (`PH-…`)."""

    number: str
    role: str
    first_seen: str
    last_seen: str
    score: float
    evidence: str | None


class LineDetail(Line):
    """A line with its numbers."""

    numbers: list[LineNumber]


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame({c: [] for c in columns})
    frame = pd.read_parquet(path)
    return frame[list(columns)]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN as None)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [dict(zip(clean.columns, row, strict=True)) for row in clean.itertuples(index=False)]


@dataclass
class Results:
    """An output folder of `countylines assess` (its `lines/` folder) or of `countylines lines`."""

    folder: Path
    key: bytes
    lines: pd.DataFrame = field(init=False)
    numbers: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        lines_dir = self.folder / "lines" if (self.folder / "lines").is_dir() else self.folder
        self.lines = _read(lines_dir / "lines.parquet", LINE_COLUMNS)
        numbers = _read(lines_dir / "line_numbers.parquet", NUMBER_COLUMNS)
        numbers["number"] = [pseudonym(str(n), IdType.PHONE, self.key) for n in numbers["number"]]
        self.numbers = numbers

    def summary(self) -> dict[str, Any]:
        """Headline counts: lines, hubs, market towns, deal numbers, runners, deals a day."""
        towns = {t for ts in self.lines["market_towns"].dropna() for t in str(ts).split(";") if t}
        roles = self.numbers["role"].value_counts()
        return {
            "lines": len(self.lines),
            "hubs": sorted({str(h) for h in self.lines["hub"].dropna() if h}),
            "market_towns": sorted(towns),
            "deal_numbers": int(roles.get("deal_line", 0)),
            "runners": int(roles.get("runner", 0)),
            "deals_per_day": round(float(self.lines["deals_per_day"].sum()), 1),
        }

    def line_register(self) -> list[dict[str, Any]]:
        return _records(self.lines)

    def line(self, line_id: str) -> dict[str, Any] | None:
        """One line and its (pseudonymised) numbers; None if there is no such line."""
        row = self.lines[self.lines["line_id"] == line_id]
        if row.empty:
            return None
        numbers = self.numbers[self.numbers["line_id"] == line_id]
        return {**_records(row)[0], "numbers": _records(numbers.drop(columns=["line_id"]))}

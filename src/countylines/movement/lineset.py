"""The lines that violence and travel are attributed to: read from a `countylines lines` output
folder, or found by running the line detector on the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from countylines.private_outputs import read_identifiers
from countylines.problems import CaseError

LINE_NEEDS = ("line_id", "market_towns", "first_seen", "last_seen")
NUMBER_NEEDS = ("line_id", "number", "role")


@dataclass
class Lines:
    """`lines` (line_id, market_towns as a list, start/end in seconds since 1970 UTC, hub) and
    `numbers` (line_id, number, role: deal_line, runner or holder)."""

    lines: pd.DataFrame
    numbers: pd.DataFrame

    def role(self, *roles: str) -> pd.DataFrame:
        return self.numbers[self.numbers["role"].isin(roles)]


def _seconds(values: pd.Series) -> pd.Series:
    """Seconds since 1970 (UTC), whatever resolution pandas parses the times to."""
    return (pd.to_datetime(values, utc=True) - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)


def _check(frame: pd.DataFrame, path: Path, needs: tuple[str, ...]) -> None:
    missing = [c for c in needs if c not in frame.columns]
    if missing:
        raise CaseError(
            f"{path} has no column {missing[0]!r}: is it an output of `countylines lines`?"
        )


def _read(folder: Path, name: str, needs: tuple[str, ...]) -> pd.DataFrame:
    path = folder / f"{name}.parquet"
    if not path.is_file():
        raise CaseError(
            f"{path} not found: --lines must be an output folder of `countylines lines`"
        )
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise CaseError(f"{path} is not a readable Parquet file ({exc})") from None
    _check(frame, path, needs)
    return frame


def as_lines(lines: pd.DataFrame, numbers: pd.DataFrame) -> Lines:
    """Normalise a line register and its numbers (the documented columns of docs/lines.md)."""
    out = pd.DataFrame(
        {
            "line_id": lines["line_id"].astype(str),
            "hub": lines.get("hub", pd.Series("", index=lines.index)).fillna("").astype(str),
            "market_towns": lines["market_towns"]
            .fillna("")
            .astype(str)
            .map(lambda s: [t for t in s.split(";") if t]),
            "start": _seconds(lines["first_seen"]),
            "end": _seconds(lines["last_seen"]),
        }
    ).reset_index(drop=True)
    nums = numbers[list(NUMBER_NEEDS)].astype(str).reset_index(drop=True)
    return Lines(out, nums)


def load_lines(database: Path, folder: Path | None, key: bytes | None = None) -> Lines:
    """The lines of `folder` (written by `countylines lines`; pseudonymised numbers are turned
    back into the case's with `key`), else found in `database` now."""
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            raise CaseError(f"--lines {folder} is not a folder")
        lines = _read(folder, "lines", LINE_NEEDS)
        numbers = _read(folder, "line_numbers", NUMBER_NEEDS)
        return as_lines(lines, read_identifiers(database, numbers, key))
    from countylines.lines.detect import find_lines

    result = find_lines(database)
    return as_lines(result.lines, result.numbers)

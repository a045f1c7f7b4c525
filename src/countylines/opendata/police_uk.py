"""data.police.uk street-level crime files (monthly archive layout) → case `incidents` and
monthly counts per LSOA.

Files are `CRIME/YYYY-MM/YYYY-MM-<force>-street.csv` or `.csv.gz`, as in the data.police.uk
archive. Each file is read on its own (only the needed columns), so memory stays bounded by the
largest single file. Crime types map to the case's incident categories (`CATEGORIES`); every
other type, anti-social behaviour included, is `other`, and its police.uk type is kept in
`description`. Anti-social behaviour rows have no Crime ID: they get a stable id made from the
row's content (see `_stable_ids`). Rows without coordinates cannot be an incident (the case
needs a point): they are counted and reported, never silently dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from countylines.opendata.sources import OpenDataError, force_slug, read_table

CATEGORIES: dict[str, str] = {
    "Drugs": "drugs",
    "Possession of weapons": "weapons_possession",
    "Violence and sexual offences": "violence",
    "Robbery": "robbery",
}
"""police.uk crime type → case incident category; every other type is `other`."""
DRUGS_AND_WEAPONS = ("Drugs", "Possession of weapons")
STREET_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "LSOA code", "Crime type")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class StreetSummary:
    """What reading the street files found (for the report and the case README)."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    no_coordinates: int = 0
    out_of_area: int = 0
    duplicate_ids: int = 0
    by_category: dict[str, int] = field(default_factory=dict)


def parse_months(text: str) -> list[str]:
    """'2018-10..2019-01' (inclusive range) or '2018-10,2018-12' → sorted 'YYYY-MM' list."""
    months: set[str] = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        ends = [e.strip() for e in part.split("..")]
        if len(ends) > 2 or not all(MONTH.match(e) for e in ends):
            raise OpenDataError(
                f"bad month {part!r}: write YYYY-MM, a range YYYY-MM..YYYY-MM, or a comma list"
            )
        start, end = pd.Period(ends[0], "M"), pd.Period(ends[-1], "M")
        if end < start:
            raise OpenDataError(f"bad month range {part!r}: the end is before the start")
        months.update(str(p) for p in pd.period_range(start, end, freq="M"))
    if not months:
        raise OpenDataError("no months given")
    return sorted(months)


def available_months(crime: Path) -> list[str]:
    """The YYYY-MM folders in the archive folder."""
    if not crime.is_dir():
        raise OpenDataError(f"police.uk archive folder not found: {crime}")
    return sorted(p.name for p in crime.iterdir() if p.is_dir() and MONTH.match(p.name))


def street_months(crime: Path, force: str) -> list[str]:
    """The months for which the archive has the force's street file."""
    slug = force_slug(force)
    return [
        m
        for m in available_months(crime)
        if any((crime / m / f"{m}-{slug}-street.csv{gz}").is_file() for gz in ("", ".gz"))
    ]


def street_file(crime: Path, month: str, force: str) -> Path:
    """`CRIME/YYYY-MM/YYYY-MM-<force>-street.csv[.gz]`; missing → error naming what is there."""
    folder = crime / month
    stem = f"{month}-{force_slug(force)}-street.csv"
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    present = (
        sorted(p.name for p in folder.glob(f"{month}-*-street.csv*")) if folder.is_dir() else []
    )
    hint = f" (files for {month}: {', '.join(present)})" if present else f" (none for {month})"
    raise OpenDataError(f"police.uk street file not found: {folder / stem}[.gz]{hint}")


def read_street(path: Path, month: str) -> pd.DataFrame:
    """One street file, checked: columns present, `Month` = the file's month, numeric points."""
    frame = read_table(path, "street", STREET_COLUMNS)
    months = frame["Month"].str.strip()
    bad = ~months.str.match(MONTH.pattern) | (months != month)
    if bad.any():
        i = int(bad.to_numpy().argmax())  # data row i is spreadsheet row i + 2
        raise OpenDataError(
            f"{path}: row {i + 2}, column 'Month': {frame['Month'].iloc[i]!r} is not the "
            f"file's month {month} (YYYY-MM)"
        )
    for col in ("Longitude", "Latitude"):
        text = frame[col].str.strip()
        value = pd.to_numeric(text, errors="coerce")
        bad = (text != "") & value.isna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise OpenDataError(
                f"{path}: row {i + 2}, column {col!r}: {frame[col].iloc[i]!r} is not a number"
            )
        frame[col] = value
    return frame


def _stable_ids(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """Crime ID where given; otherwise `<prefix>-<hash>-<n>`: a hash of month, point, LSOA and
    type, and n counting identical rows in file order, so rereading the file gives the same ids."""
    ids = frame["Crime ID"].str.strip()
    blank = ids == ""
    if blank.any():
        part = frame.loc[blank]
        content = (
            part["Month"]
            + "|"
            + part["Longitude"].astype("string").fillna("")
            + "|"
            + part["Latitude"].astype("string").fillna("")
            + "|"
            + part["LSOA code"]
            + "|"
            + part["Crime type"]
        )
        digest = content.map(lambda t: hashlib.sha1(t.encode()).hexdigest()[:16])
        n = digest.groupby(digest).cumcount() + 1
        ids.loc[blank] = prefix + "-" + digest + "-" + n.astype("string")
    return ids


def iter_street(
    crime: Path, forces: Sequence[str], months: Sequence[str]
) -> Iterator[tuple[str, str, Path, pd.DataFrame]]:
    """(month, force, path, rows) for every month and force, one file at a time."""
    for month in months:
        for force in forces:
            path = street_file(crime, month, force)
            yield month, force, path, read_street(path, month)


def read_incidents(
    crime: Path,
    forces: Sequence[str],
    months: Sequence[str],
    area_ids: set[str] | None = None,
) -> tuple[pd.DataFrame, StreetSummary]:
    """The case `incidents` rows of the forces' street files for the months.

    `area_ids`: keep only crimes in these LSOAs (a force's file holds a few crimes it recorded
    elsewhere); None keeps every row. Time is the month's first day (00:00 UTC).
    """
    summary = StreetSummary()
    parts = []
    for month, force, path, frame in iter_street(crime, forces, months):
        summary.files.append(str(path))
        summary.rows += len(frame)
        located = frame["Longitude"].notna() & frame["Latitude"].notna()
        summary.no_coordinates += int((~located).sum())
        frame = frame[located]
        if area_ids is not None:
            inside = frame["LSOA code"].str.strip().isin(area_ids)
            summary.out_of_area += int((~inside).sum())
            frame = frame[inside]
        ids = _stable_ids(frame, f"asb-{force_slug(force)}")
        parts.append(
            pd.DataFrame(
                {
                    "incident_id": ids.to_numpy(),
                    "time": f"{month}-01T00:00:00Z",
                    "lat": frame["Latitude"].round(6).to_numpy(),
                    "lon": frame["Longitude"].round(6).to_numpy(),
                    "category": frame["Crime type"].map(CATEGORIES).fillna("other").to_numpy(),
                    "weapon": "unknown",
                    "description": frame["Crime type"].to_numpy(),
                }
            )
        )
    incidents = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(incidents):
        duplicated = incidents["incident_id"].duplicated()
        summary.duplicate_ids = int(duplicated.sum())
        incidents = incidents[~duplicated].reset_index(drop=True)
        summary.by_category = {
            str(k): int(v) for k, v in incidents["category"].value_counts().sort_index().items()
        }
    return incidents, summary


def monthly_counts(
    crime: Path,
    forces: Sequence[str],
    months: Sequence[str],
    area_ids: Sequence[str],
    crime_types: Sequence[str] = DRUGS_AND_WEAPONS,
) -> pd.DataFrame:
    """Crimes of `crime_types` per LSOA and month, from the forces' street files.

    Returns columns `area_id`, `month` (YYYY-MM), `count`: one row for every area in `area_ids`
    and every month (0 where there was none). Crimes are counted by the LSOA code police.uk gives
    them, so rows without a location are not counted, and crimes in LSOAs outside `area_ids` are
    left out. A Crime ID repeated within a month is counted once (police.uk republishes a few
    crimes in later months; each month counts its own rows, so counting one month alone gives
    the same numbers as counting it among others).
    """
    wanted = list(dict.fromkeys(area_ids))
    keep = set(wanted)
    parts = []
    for month, _force, _path, frame in iter_street(crime, forces, months):
        rows = frame[frame["Crime type"].isin(crime_types) & frame["LSOA code"].isin(keep)]
        parts.append(
            pd.DataFrame(
                {
                    "area_id": rows["LSOA code"].to_numpy(),
                    "month": month,
                    "id": rows["Crime ID"].str.strip().to_numpy(),
                }
            )
        )
    found = pd.concat(parts, ignore_index=True)
    found = found[(found["id"] == "") | ~found[["id", "month"]].duplicated()]
    counts = found.groupby(["area_id", "month"]).size()
    grid = pd.MultiIndex.from_product([wanted, list(months)], names=["area_id", "month"])
    return counts.reindex(grid, fill_value=0).rename("count").reset_index()

"""The open-data input files: where they are, and reading each with clear errors.

The layout is the one of the staged open data (`DataFiles` gives every path relative to the
data folder; each can be replaced). Every reader checks that the file exists and has the
columns it needs, and raises `OpenDataError` naming the file, and the row and column where a
value is wrong. Rows are numbered as a spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from countylines.problems import CaseError


class OpenDataError(CaseError):
    """An open-data input is missing or not in the expected format."""


@dataclass(frozen=True)
class DataFiles:
    """Paths of the inputs; relative paths are taken from the data folder."""

    boundaries: Path = Path("boundaries/lsoa11_bsc_ew.geojson.gz")
    lookup: Path = Path("lookups/lsoa11_police_force_england.csv")
    population: Path = Path("deprivation/iod2019_file6_population_denominators_lsoa11.csv.gz")
    imd: Path = Path("deprivation/imd2019_england_lsoa11_ranks_deciles.csv")
    places: Path = Path("places/geonames_gb_places_pop1000.csv")
    stations: Path = Path("rail/uk_railway_stations.csv")
    travel: Path = Path("travel/lsoa11_road_travel_time_to_hospital_postcodes_study_area.csv")
    hospitals: Path = Path("travel/hospital_postcodes_coords.csv")
    crime: Path = Path("crime/police_uk")

    def under(self, data: Path) -> DataFiles:
        """The same paths with the relative ones resolved under `data`."""
        return DataFiles(**{f.name: data / getattr(self, f.name) for f in fields(self)})


def closest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or '' if nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""


def require_file(path: Path, what: str) -> Path:
    """`path` if it is a readable file; otherwise OpenDataError naming it."""
    if not path.is_file():
        raise OpenDataError(f"{what} file not found: {path}")
    return path


def read_table(
    path: Path,
    what: str,
    columns: Sequence[str],
    dtype: dict[str, str] | None = None,
    encoding: str = "utf-8-sig",
) -> pd.DataFrame:
    """Read the named columns of a CSV (plain or .gz); a missing column is an error."""
    require_file(path, what)
    try:
        header = pd.read_csv(path, nrows=0, encoding=encoding).columns
    except (ValueError, OSError, UnicodeDecodeError, EOFError) as exc:
        raise OpenDataError(f"{path}: cannot read the {what} file ({exc})") from None
    for col in columns:
        if col not in header:
            raise OpenDataError(
                f"{path}: row 1: column {col!r} is missing from the {what} file"
                + closest(col, header)
            )
    try:
        return pd.read_csv(
            path,
            usecols=list(columns),
            dtype=dtype or str,
            encoding=encoding,
            keep_default_na=False,
        )
    except (ValueError, OSError, UnicodeDecodeError, EOFError) as exc:
        raise OpenDataError(f"{path}: cannot read the {what} file ({exc})") from None


def numbers(frame: pd.DataFrame, column: str, path: Path, allow_empty: bool = False) -> pd.Series:
    """Column as floats; a value that is not a number is an error naming its row."""
    text = frame[column].astype("string").str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & ~(allow_empty & (text.fillna("") == ""))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise OpenDataError(
            f"{path}: row {i + 2}, column {column!r}: {frame[column].iloc[i]!r} is not a number"
        )
    return values.astype("float64")


LOOKUP_COLUMNS = ("lsoa11_code", "lsoa11_name", "lad_code", "lad_name", "police_force")


def read_lookup(path: Path) -> pd.DataFrame:
    """LSOA (2011) → local authority → police force, one row per LSOA."""
    return read_table(path, "LSOA to police force lookup", LOOKUP_COLUMNS)


def force_names(lookup: pd.DataFrame) -> list[str]:
    return sorted(set(lookup["police_force"]) - {""})


def choose_forces(lookup: pd.DataFrame, forces: Sequence[str]) -> list[str]:
    """The force names as the lookup spells them (case-insensitive); unknown → error."""
    known = {f.lower(): f for f in force_names(lookup)}
    chosen = []
    for force in forces:
        key = force.strip().lower()
        key = key if key in known else key.removesuffix(" police")
        if key not in known:
            raise OpenDataError(
                f"unknown police force {force!r}"
                + closest(force, known.values())
                + "; `countylines opendata forces DATA` lists them"
            )
        chosen.append(known[key])
    if not chosen:
        raise OpenDataError("no police force given (use --force, repeatable)")
    return sorted(set(chosen))


def force_slug(force: str) -> str:
    """The data.police.uk file name part of a force: 'West Mercia' → 'west-mercia'."""
    name = force.lower().replace("&", "and").removesuffix(" police").strip()
    return "-".join(name.split())

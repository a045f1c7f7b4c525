"""The analysis outputs the network is built from, read as a consumer: the line register
(`lines`), `people` (runners, cuckooed homes, safeguarding list), `violence` (incidents,
rivalries), `movement` (vehicles of interest, journeys) and `places` (area classes).

Every folder but the line register is optional: a missing folder or file leaves its part of the
graph empty (and is listed in `Outputs.missing`). A file that is there but unreadable, or lacks
a column the network needs, stops with a `CaseError` naming the file and the column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from countylines.movement.lineset import Lines, load_lines
from countylines.problems import CaseError

# file -> (folder option, columns the network needs)
NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "runners": ("people", ("line_id", "number", "person_id")),
    "cuckooed_addresses": ("people", ("address_id", "line_ids", "occupant_person_id", "score")),
    "safeguarding": ("people", ("person_id", "priority")),
    "violence": (
        "violence",
        (
            "incident_id",
            "time",
            "lat",
            "lon",
            "town",
            "weapon",
            "motive",
            "line_id",
            "rival_line_id",
        ),
    ),
    "rivalries": (
        "violence",
        ("line_a", "line_b", "n_incidents", "first_incident", "last_incident"),
    ),
    "vehicles_of_interest": ("movement", ("vrm", "line_id", "n_co_travel_trips", "runners")),
    "journeys": (
        "movement",
        ("line_id", "number", "mode", "vrm", "from_place", "to_place", "depart", "arrive"),
    ),
    "places": ("places", ("area_id", "class", "score")),
}


@dataclass
class Outputs:
    """The line register and the other analyses' tables (all columns as text; an absent table
    is an empty frame with the needed columns). `missing` names the files not found."""

    lines: Lines
    register: pd.DataFrame  # line_id, brand (from lines.parquet when there is one)
    tables: dict[str, pd.DataFrame]
    missing: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def read_csv(path: Path, needs: tuple[str, ...]) -> pd.DataFrame:
    """`path` as text columns, checked to have `needs`; CaseError naming file and column."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise CaseError(f"{path} is not a readable CSV file ({exc})") from None
    missing = [c for c in needs if c not in frame.columns]
    if missing:
        raise CaseError(f"{path} has no column {missing[0]!r}")
    return frame


def _register(folder: Path | None) -> pd.DataFrame:
    path = folder / "lines.parquet" if folder is not None else None
    if path is None or not path.is_file():
        return pd.DataFrame({"line_id": [], "brand": []})
    frame = pd.read_parquet(path)
    brand = frame["brand"] if "brand" in frame.columns else ""
    return pd.DataFrame({"line_id": frame["line_id"].astype(str), "brand": brand}).astype(str)


def read_outputs(database: Path, folders: dict[str, Path | None], key: bytes) -> Outputs:
    """Read every analysis output from `folders` (keys `lines`, `people`, `violence`,
    `movement`, `places`; None: not given; the line register's pseudonymised numbers are turned
    back into the case's with `key`). Without a `lines` folder the line detector runs."""
    for option, folder in folders.items():
        if folder is not None and not Path(folder).is_dir():
            raise CaseError(f"--{option} {folder} is not a folder")
    lines = load_lines(database, folders.get("lines"), key)
    tables: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    for name, (option, needs) in NEEDS.items():
        folder = folders.get(option)
        path = Path(folder) / f"{name}.csv" if folder is not None else None
        if path is not None and path.is_file():
            tables[name] = read_csv(path, needs)
        else:
            tables[name] = pd.DataFrame({c: pd.Series(dtype=str) for c in needs})
            missing.append(f"{option}/{name}.csv")
    return Outputs(lines, _register(folders.get("lines")), tables, missing)


def beside(out: Path, given: dict[str, Path | None]) -> dict[str, Path | None]:
    """The folders as `assess` lays them out beside `out` (OUT/../lines, ../people, ...) for
    every option not given; a folder that is not there stays None. `violence` falls back to
    the `movement` folder (both commands may write into one folder)."""
    parent = Path(out).resolve().parent
    found: dict[str, Path | None] = {}
    for option in ("lines", "people", "violence", "movement", "places"):
        folder = given.get(option)
        if folder is None and (parent / option).is_dir():
            folder = parent / option
        found[option] = folder
    if found["violence"] is None:
        found["violence"] = found["movement"]
    return found

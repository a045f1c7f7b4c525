"""Writing the outputs of `countylines violence` (`violence`, `rivalries`, `violence_lines`) and
`countylines movement` (`journeys`, `vehicles_of_interest`, `line_travel`, `movement_lines`), each
as CSV and Parquet. `*_lines` are the numbers of the lines the outputs refer to, so they can be
read, and scored, without the line register. Each file is written to a temporary name and
renamed (`lines.report.write_table`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from countylines.lines.report import write_table
from countylines.movement.lineset import Lines
from countylines.movement.movement import MovementResult
from countylines.movement.violence import ViolenceResult


def violence_summary(result: ViolenceResult) -> str:
    """A few readable lines: incidents, attributed, weapons, motives, rivalries."""
    inc = result.incidents
    attributed = inc[inc["line_id"] != ""]
    motives = attributed["motive"].value_counts()
    weapons = inc[inc["weapon"].isin(["knife", "blunt", "bladed", "firearm", "corrosive"])]
    lines = [
        f"{len(inc):,} incidents; {len(attributed):,} attributed to a line "
        f"({', '.join(f'{m} {n}' for m, n in motives.items()) or 'none'}).",
        "Weapons: "
        + (", ".join(f"{w} {n}" for w, n in weapons["weapon"].value_counts().items()) or "none")
        + f" ({(inc['weapon_source'] == 'text').sum():,} filled from the description).",
        f"{len(result.rivalries)} rivalries"
        + (
            ": "
            + ", ".join(
                f"{r.line_a}-{r.line_b} ({r.n_incidents} incidents"
                f"{', escalating' if r.escalating else ''})"
                for r in result.rivalries.itertuples()
            )
            if len(result.rivalries)
            else ""
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def _write(out: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [path for name, frame in tables.items() for path in write_table(frame, out, name)]


def write_violence(result: ViolenceResult, lines: Lines, out: Path) -> list[Path]:
    """Write every output file of `countylines violence` into `out`."""
    return _write(
        out,
        {
            "violence": result.incidents,
            "rivalries": result.rivalries,
            "violence_lines": lines.numbers,
        },
    )


def movement_summary(result: MovementResult) -> str:
    """A few readable lines: trips, vehicles of interest, journeys by mode."""
    modes = result.journeys["mode"].value_counts()
    lines = [
        f"{result.n_trips:,} vehicle trips read by ANPR; {len(result.vehicles)} vehicles of "
        "interest"
        + (
            ": "
            + ", ".join(f"{r.vrm} ({r.line_id})" for r in result.vehicles.head(12).itertuples())
            if len(result.vehicles)
            else ""
        )
        + ".",
        f"Runner journeys: {modes.get('road', 0)} by road, {modes.get('rail', 0)} by rail.",
    ]
    return "\n".join(lines) + "\n"


def write_movement(result: MovementResult, lines: Lines, out: Path) -> list[Path]:
    """Write every output file of `countylines movement` into `out`."""
    return _write(
        out,
        {
            "journeys": result.journeys,
            "vehicles_of_interest": result.vehicles,
            "line_travel": result.line_travel,
            "movement_lines": lines.numbers,
        },
    )

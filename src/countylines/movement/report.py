"""Writing the outputs of `countylines violence` (`violence`, `rivalries`, `violence_lines`) and
`countylines movement` (`journeys`, `vehicles_of_interest`, `line_travel`, `movement_lines`), each
as CSV and Parquet. `*_lines` are the numbers of the lines the outputs refer to, so they can be
read, and scored, without the line register. Each file is written to a temporary name and
renamed (`lines.report.write_table`)."""

from __future__ import annotations

from pathlib import Path

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


def write_violence(result: ViolenceResult, lines: Lines, out: Path) -> list[Path]:
    """Write every output file of `countylines violence` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = write_table(result.incidents, out, "violence")
    paths += write_table(result.rivalries, out, "rivalries")
    paths += write_table(lines.numbers, out, "violence_lines")
    return paths


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
    out.mkdir(parents=True, exist_ok=True)
    paths = write_table(result.journeys, out, "journeys")
    paths += write_table(result.vehicles, out, "vehicles_of_interest")
    paths += write_table(result.line_travel, out, "line_travel")
    paths += write_table(lines.numbers, out, "movement_lines")
    return paths

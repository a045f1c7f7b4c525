"""Writing the line register: CSV and Parquet tables and a short readable summary.

Files (columns in docs/lines.md): `lines.csv|parquet`, `line_numbers.csv|parquet`,
`line_candidates.parquet` (every candidate number's features, score and evidence) and
`lines_summary.txt`. Each file is written to a temporary name and renamed, so a reader never sees
half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from countylines.lines.detect import LineResult


def _replace(path: Path, write: object) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(frame: pd.DataFrame, out: Path, name: str, csv: bool = True) -> list[Path]:
    """`out/name.parquet` (and `.csv`), atomically; returns the paths written."""
    paths = [out / f"{name}.parquet"]
    _replace(paths[0], lambda p: frame.to_parquet(p, index=False))
    if csv:
        paths.append(out / f"{name}.csv")
        _replace(paths[1], lambda p: frame.to_csv(p, index=False))
    return paths


def summary(result: LineResult) -> str:
    """A few lines an analyst can read: how many lines, from where, into where, how big."""
    lines, numbers = result.lines, result.numbers
    if lines.empty:
        return (
            f"No deal lines found among {result.n_candidates:,} candidate numbers.\n"
            "Check that the case has calls and texts for the period of interest.\n"
        )
    roles = numbers["role"].value_counts()
    hubs = lines["hub"].replace("", "unknown hub").value_counts()
    towns = lines["market_towns"].str.split(";").explode()
    towns = towns[towns.fillna("") != ""]
    out = [
        f"{len(lines)} deal lines found among {result.n_candidates:,} candidate numbers: "
        f"{roles.get('deal_line', 0)} deal numbers, {roles.get('runner', 0)} runners, "
        f"{roles.get('holder', 0)} holders.",
        "Hubs: " + ", ".join(f"{h} {n}" for h, n in hubs.items()) + ".",
        "Market towns: "
        + ", ".join(f"{t} {n}" for t, n in towns.value_counts().head(12).items())
        + ".",
        f"Estimated deals a day across all lines: {lines['deals_per_day'].sum():,.0f} "
        f"(about GBP {lines['revenue_per_day'].sum():,.0f} a day).",
        "",
        "Largest lines by deals a day:",
    ]
    for row in lines.sort_values("deals_per_day", ascending=False).head(10).itertuples():
        out.append(
            f"  {row.line_id!s} {row.brand!s:<18} {row.hub or '?'!s:<14} "
            f"{row.market_towns or '?'!s:<28} {row.deals_per_day:>6.1f} deals/day, "
            f"{row.n_numbers} number{'' if row.n_numbers == 1 else 's'}, "
            f"{row.n_customers} customers"
        )
    return "\n".join(out) + "\n"


def write_outputs(result: LineResult, out: Path) -> list[Path]:
    """Write every output file of `countylines lines` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = write_table(result.lines, out, "lines")
    paths += write_table(result.numbers, out, "line_numbers")
    paths += write_table(result.candidates, out, "line_candidates", csv=False)
    text = summary(result)
    paths.append(out / "lines_summary.txt")
    _replace(paths[-1], lambda p: p.write_text(text))
    return paths

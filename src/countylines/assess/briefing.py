"""The figures of the threat-assessment briefing, from the outputs of the analyses in OUT.

Two editions: `restricted` (for police and partners: the line register with brands, hubs and
towns; identifiers never appear in the briefing, only counts and line ids) and `public`
(aggregates only: no line ids or brands, and every count from 1 to 4 shown as "fewer than 5"
so that small groups cannot be singled out). Plain data in and out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

EDITIONS = ("restricted", "public")
SUPPRESS_BELOW = 5
"""Counts from 1 to this minus 1 are suppressed in the public edition."""


def shown(count: int | float, edition: str) -> str:
    """A count as the edition may show it."""
    n = round(count)
    if edition == "public" and 0 < n < SUPPRESS_BELOW:
        return f"fewer than {SUPPRESS_BELOW}"
    return f"{n:,}"


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def _towns(lines: pd.DataFrame) -> pd.Series:
    towns = lines["market_towns"].fillna("").str.split(";").explode()
    return towns[towns != ""]


def lines_section(out: Path, edition: str) -> dict[str, Any] | None:
    """Line figures: counts, hubs, towns, deals and revenue, and (restricted) the register."""
    lines = _read(out / "lines" / "lines.parquet")
    numbers = _read(out / "lines" / "line_numbers.parquet")
    if lines is None or numbers is None:
        return None
    roles = numbers["role"].value_counts()
    hubs = lines["hub"].replace("", "unknown").fillna("unknown").value_counts()
    towns = _towns(lines).value_counts()
    section: dict[str, Any] = {
        "n_lines": shown(len(lines), edition),
        "n_deal_numbers": shown(roles.get("deal_line", 0), edition),
        "n_runners": shown(roles.get("runner", 0), edition),
        "hubs": [(h, shown(n, edition)) for h, n in hubs.items()],
        "towns": [(t, shown(n, edition)) for t, n in towns.items()],
        "n_towns": shown(len(towns), edition),
        "deals_per_day": f"{lines['deals_per_day'].sum():,.0f}",
        "revenue_per_day": f"{lines['revenue_per_day'].sum():,.0f}",
        "hub_counts": hubs.to_dict(),
        "deals_by_line": lines.set_index("line_id")["deals_per_day"].to_dict(),
    }
    if edition == "restricted":
        section["register"] = lines.drop(columns=["evidence"]).to_dict("records")
    return section


def build(out: Path, edition: str, title: str, period: str) -> dict[str, Any]:
    """Every figure of the briefing for `edition`, from the analyses' folders in `out`."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}; editions: {', '.join(EDITIONS)}")
    return {
        "title": title,
        "period": period,
        "edition": edition,
        "lines": lines_section(out, edition),
    }

"""The runners of each line, with their travel and the person each is linked to.

Plain pandas: runner numbers come from the line register (`countylines lines`: numbers that
receive orders relayed by a deal line and then contact the customers), the nights each spent
away from home at a dwell cell (`dwell.py`) and the person links (`link.py`).
"""

from __future__ import annotations

import pandas as pd

RUNNER_COLUMNS = [
    "line_id", "number", "person_id", "link", "link_evidence", "first_seen", "last_seen",
    "nights_away", "dwell_cells", "line_score", "evidence",
]  # fmt: skip


def runner_table(numbers: pd.DataFrame, dwell: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """RUNNER_COLUMNS, one row per (line, runner number). `numbers` is the line register's
    numbers (line_id, number, role, first_seen, last_seen, score, evidence)."""
    run = numbers[numbers["role"] == "runner"]
    away = dwell.groupby("number").agg(
        nights_away=("nights", "sum"), dwell_cells=("cell", lambda c: ";".join(sorted(c)))
    )
    out = run.merge(away, left_on="number", right_index=True, how="left").merge(
        links, on="number", how="left"
    )
    out["nights_away"] = out["nights_away"].fillna(0).astype(int)
    out["dwell_cells"] = out["dwell_cells"].fillna("")
    out["link"] = out["link"].fillna("none")
    out["link_evidence"] = out["link_evidence"].fillna("")
    out["evidence"] = [
        str(e) + (f"; overnight away from its usual cell on {n} nights" if n else "")
        for e, n in zip(out["evidence"], out["nights_away"], strict=True)
    ]
    out = out.rename(columns={"score": "line_score"})
    return out.sort_values(["line_id", "number"], ignore_index=True)[RUNNER_COLUMNS]

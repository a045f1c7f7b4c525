"""Rivalries between lines: pairs of lines with violence between them, and how it escalates.

A pair of lines is a rivalry when at least one incident other than taxing (a robbery, or a
description stating a drug debt) is attributed to both (one as the line,
one as the other side) and they share a market town, or the incident happened in a market town
of either; or when violence between them repeats: at least `min_repeated` incidents in a market
town of either are attributed to one line with weaker evidence (`min_rival_stated`) for the
other as the runner-up (`second_line_id`, `second_score`), none conclusive on its own. An
incident flagged `lone_victim` (one named victim is all that puts one of the lines there: a
line taxing another line's runner looks the same) counts only towards the repeated violence.
Escalation is counted in 30-day months from the start of the case's incidents (the
first midnight, UTC, at or before the first incident), as the simulator's truth counts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from countylines.movement.attribute import AttributionSettings

DAY_S = 86_400
MONTH_S = 30 * DAY_S
RIVALRY_COLUMNS = (
    "line_a",
    "line_b",
    "towns",
    "shared_towns",
    "first_incident",
    "last_incident",
    "n_incidents",
    "incidents_by_month",
    "serious_by_month",
    "serious_weapons",
    "trend_per_month",
    "escalating",
    "incident_ids",
)


def _iso(seconds: float) -> str:
    return pd.Timestamp(int(seconds), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _trend(counts: np.ndarray) -> float:
    """Least-squares slope of incidents a month (0 with fewer than two months)."""
    if len(counts) < 2:
        return 0.0
    return float(np.polyfit(np.arange(len(counts)), counts.astype(float), 1)[0])


def _pairs(frame: pd.DataFrame, other: str) -> pd.DataFrame:
    """`frame` with line_a, line_b: its line and `other` column, in line_id order."""
    pair = np.sort(frame[["line_id", other]].to_numpy(dtype=str).reshape(-1, 2), axis=1)
    return frame.assign(line_a=pair[:, 0], line_b=pair[:, 1])


def _repeated(violence: pd.DataFrame, towns: dict[str, set[str]],
              s: AttributionSettings) -> pd.DataFrame:  # fmt: skip
    """Incidents of line pairs with weaker evidence for both, in a market town of either, where
    the pair has at least `s.min_repeated` of them."""
    if "second_line_id" not in violence.columns:
        return violence.iloc[:0].assign(line_a=[], line_b=[])
    weak = violence[(violence["line_id"] != "") & (violence["second_line_id"] != "")
                    & (violence["second_score"] >= s.min_rival_stated)]  # fmt: skip
    weak = _pairs(weak, "second_line_id")
    theirs = [
        town in towns.get(a, set()) | towns.get(b, set())
        for town, a, b in zip(weak["town"], weak["line_a"], weak["line_b"], strict=True)
    ]
    weak = weak[np.asarray(theirs, dtype=bool)]
    size = weak.groupby(["line_a", "line_b"])["incident_id"].transform("size")
    return weak[size >= s.min_repeated]


def taxing(violence: pd.DataFrame) -> pd.Series:
    """Whether each incident is taxing rather than a feud: a robbery (of drugs, cash or a
    phone: robbing another line's runner is taxing) or a description stating a drug debt.
    `violence`: optional columns category and motive_text (without them, no incident is)."""
    robbery = violence.get("category", pd.Series("", index=violence.index)) == "robbery"
    debt = violence.get("motive_text", pd.Series("", index=violence.index)) == "taxing"
    return robbery | debt


def find_rivalries(
    violence: pd.DataFrame,
    lines: pd.DataFrame,
    period_start: float,
    months: int,
    settings: AttributionSettings | None = None,
) -> pd.DataFrame:
    """One row per rivalry (columns RIVALRY_COLUMNS). `violence`: incident_id, t, town, weapon,
    line_id, rival_line_id and (optional) second_line_id, second_score, category, motive_text
    (`taxing` incidents make no rivalry), lone_victim; `lines`: line_id, market_towns (lists)."""
    s = settings or AttributionSettings()
    violence = violence[~taxing(violence)]
    towns: dict[str, set[str]] = {
        str(line): set(market)
        for line, market in zip(
            lines["line_id"].tolist(), lines["market_towns"].tolist(), strict=True
        )
    }
    lone = violence.get("lone_victim", pd.Series(False, index=violence.index)).astype(bool)
    strong = _pairs(violence[(violence["line_id"] != "") & (violence["rival_line_id"] != "")
                             & ~lone], "rival_line_id")  # fmt: skip
    both = pd.concat([strong, _repeated(violence, towns, s)]).drop_duplicates("incident_id")
    if both.empty:
        return pd.DataFrame(columns=list(RIVALRY_COLUMNS))
    rows = []
    for key, group in both.groupby(["line_a", "line_b"]):
        a, b = str(key[0]), str(key[1])
        shared = towns.get(a, set()) & towns.get(b, set())
        theirs = towns.get(a, set()) | towns.get(b, set())
        if not shared and not group["town"].isin(theirs).any():
            continue
        month = ((group["t"] - period_start) // MONTH_S).clip(0, months - 1).astype(int)
        counts = np.bincount(month, minlength=months)
        serious = group["weapon"].isin(["bladed", "firearm", "corrosive"]).to_numpy()
        serious_counts = np.bincount(month[serious], minlength=months)
        trend = _trend(counts)
        rows.append(
            {
                "line_a": a,
                "line_b": b,
                "towns": ";".join(group["town"].replace("", np.nan).dropna().value_counts().index),
                "shared_towns": ";".join(sorted(shared)),
                "first_incident": _iso(group["t"].min()),
                "last_incident": _iso(group["t"].max()),
                "n_incidents": len(group),
                "incidents_by_month": ";".join(str(int(c)) for c in counts),
                "serious_by_month": ";".join(str(int(c)) for c in serious_counts),
                "serious_weapons": int(serious.sum()),
                "trend_per_month": round(trend, 3),
                "escalating": bool(trend > 0 or serious_counts[-1] > serious_counts[0]),
                "incident_ids": ";".join(group.sort_values("t")["incident_id"]),
            }
        )
    return pd.DataFrame(rows, columns=list(RIVALRY_COLUMNS))

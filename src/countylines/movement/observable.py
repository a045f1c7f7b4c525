"""Which true rivalries a simulated case could show at all, and why the missed ones were missed
(evaluation only: reads a simulated case's `truth/`, its `incidents.csv` and `events.parquet`).

A side (line) of a true rivalry is **traced** in one of the rivalry's incidents when the case
holds, for that incident, something that belongs to the line in the truth:

* `named`: the incident's `person_ids` name a person the truth holds as one of the line's
  runners (`truth/exploited_persons.csv`, role `runner`); or
* `call`: one of the line's runner numbers (`truth/line_numbers.csv`) made a voice call to one
  of the line's deal numbers from `CALL_BEFORE_S` before to `CALL_AFTER_S` after the incident
  (the detector's window, `movement.attribute`).

A rivalry is **observable** when at least one of its incidents traces both sides; otherwise it
is `split` (both sides traced, never in the same incident), `one_side` or `no_trace`. A missed
rivalry's cause is `line_not_found` when the line detector missed one of its two lines (no
detected line stands for it), else its observability class (`observable` for a rivalry that
the data showed and the rules still missed). The headline `rivalry_recall` is unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from countylines.movement.attribute import CALL_AFTER_S, CALL_BEFORE_S

CLASSES = ("observable", "split", "one_side", "no_trace")
CAUSES = ("line_not_found", *CLASSES)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _seconds(times: pd.Series) -> np.ndarray:
    return pd.to_datetime(times, utc=True).dt.as_unit("s").astype("int64").to_numpy()


def _runner_calls(events: Path, numbers: pd.DataFrame) -> pd.DataFrame:
    """line_id, t (s) of voice calls from a line's runner numbers to its deal numbers."""
    runners = numbers[numbers["role"] == "runner"][["line_id", "number"]]
    deal = numbers[numbers["role"] == "deal_line"][["line_id", "number"]]
    if not events.exists() or runners.empty:
        return pd.DataFrame({"line_id": [], "t": []})
    con = duckdb.connect()
    con.register("runner_numbers", runners)
    con.register("deal_numbers", deal)
    calls = con.execute(
        """SELECT r.line_id, epoch(e.start_time)::BIGINT AS t
            FROM read_parquet(?) e
            JOIN runner_numbers r ON e.a_number = r.number
            JOIN deal_numbers d ON e.b_number = d.number AND d.line_id = r.line_id
            WHERE e.event_type = 'voice'""",
        [events.as_posix()],
    ).df()
    con.close()
    return calls


def rivalry_traces(case: Path) -> pd.DataFrame:
    """One row per true rivalry with incidents: line_a, line_b, town, n_incidents, traced_a,
    traced_b (some incident traces the side), both (some incident traces both), observability
    (one of CLASSES). Definitions in the module docstring."""
    truth = Path(case) / "truth"
    rivalries = _read(truth / "rivalries.csv")
    rivalries = rivalries[rivalries["n_incidents"].astype(int) > 0].reset_index(drop=True)
    t_inc = _read(truth / "incidents.csv")
    t_inc = t_inc[t_inc["motive"] == "rivalry"]
    named = _read(Path(case) / "incidents.csv")[["incident_id", "time", "person_ids"]]
    inc = t_inc.merge(named, on="incident_id")
    inc["t"] = _seconds(inc["time"])
    persons = _read(truth / "exploited_persons.csv")
    runner_of = persons[persons["role"] == "runner"].groupby("person_id")["line_id"].agg(set)
    calls = _runner_calls(Path(case) / "events.parquet", _read(truth / "line_numbers.csv"))
    call_times = {
        str(line): np.sort(group["t"].to_numpy()) for line, group in calls.groupby("line_id")
    }

    def traced(row: Any, line: str) -> bool:
        people = [p for p in str(row.person_ids).split(";") if p]
        if any(line in runner_of.get(p, set()) for p in people):
            return True
        times = call_times.get(line, np.empty(0))
        lo = np.searchsorted(times, row.t - CALL_BEFORE_S)
        return bool(lo < len(times) and times[lo] <= row.t + CALL_AFTER_S)

    rows = []
    for line_a, line_b, town, n in rivalries[["line_a", "line_b", "town", "n_incidents"]].to_numpy(
        dtype=str
    ):
        pair = {line_a, line_b}
        mine = inc[inc["line_id"].isin(pair) & inc["rival_line_id"].isin(pair)]
        sides = [(traced(row, line_a), traced(row, line_b)) for row in mine.itertuples()]
        a, b = any(s[0] for s in sides), any(s[1] for s in sides)
        both = any(s[0] and s[1] for s in sides)
        observability = ("observable" if both else "split" if a and b
                         else "one_side" if a or b else "no_trace")  # fmt: skip
        rows.append((line_a, line_b, town, int(n), a, b, both, observability))
    return pd.DataFrame(rows, columns=["line_a", "line_b", "town", "n_incidents", "traced_a",
                                       "traced_b", "both", "observability"])  # fmt: skip


def rivalry_breakdown(
    case: Path, found_pairs: set[frozenset[str]], found_lines: set[str]
) -> dict[str, Any]:
    """The rivalry recall broken down: true rivalries with incidents by observability, recall
    among the observable ones, and the missed rivalries by cause (CAUSES). `found_pairs`: the
    detected rivalries as pairs of true line ids; `found_lines`: true lines the line detector
    found."""
    traces = rivalry_traces(case)
    pairs = [frozenset((a, b)) for a, b in zip(traces["line_a"], traces["line_b"], strict=True)]
    traces["found"] = np.array([p in found_pairs for p in pairs], dtype=bool)
    lost = ~(traces["line_a"].isin(found_lines) & traces["line_b"].isin(found_lines))
    traces["cause"] = np.where(lost, "line_not_found", traces["observability"])
    missed = traces[~traces["found"]]

    def recall(rows: pd.Series) -> float | None:
        return round(float(traces.loc[rows, "found"].mean()), 4) if rows.any() else None

    return {
        "true_rivalries": len(traces),
        "by_observability": {c: int((traces["observability"] == c).sum()) for c in CLASSES},
        "recall_observable": recall(traces["both"]),
        "recall_observable_found_lines": recall(traces["both"] & ~lost),
        "missed_by_cause": {c: int((missed["cause"] == c).sum()) for c in CAUSES},
        "missed": missed[["line_a", "line_b", "town", "n_incidents", "cause"]].to_dict("records"),
    }

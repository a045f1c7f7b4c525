"""Measure `countylines people` on held-out simulated cases and record the metrics.

Simulates and loads each case (scale, behaviour, seed) below unless it is already in --work,
finds its lines unless `NAME-lines/` is already there, runs `assess_people`, scores it with
`countylines.evaluate` and writes every metric, with a check of score disparities by sex and
age band, to bench/results/people_accuracy.json. The development seeds are named under
HELD_OUT; the seeds in it were used only to measure. Loading a full case takes about 10
minutes and 30 GB of temporary disk: pass an already loaded one with --full-case, --full-db and
--full-lines (its events must be those of the case: same seed and version). Run from the
project root:

    .venv/bin/python tools/evaluate_people.py --work /tmp/people-eval
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from simulated_cases import loaded_case, write_accuracy

from countylines.evaluate import evaluate
from countylines.lines.detect import find_lines
from countylines.lines.report import write_outputs as write_lines
from countylines.people.assess import assess_people, line_numbers
from countylines.people.report import write_outputs

HELD_OUT = (
    ("small", "default", 761),
    ("small", "default", 762),
    ("small", "default", 763),
    ("full", "default", 41),
)
"""Never used to develop or tune anything. Development (every one of them looked at while the
rules were changed; see docs/people.md): small default 701-703, 721-723 and 731-733, a denser
small case (seed 704 with n_background=15000) and full default 31. Full 41 (simulated and
loaded by the lead: pass it with --full-case, --full-db, --full-lines) was not measured yet."""


def disparity(scores: pd.DataFrame, exploited: set[str]) -> dict:
    """Mean score and share on the list (score >= 3) by sex and by age band, for everyone and
    for the persons the truth does not mark as exploited (where a gap is unwarranted)."""
    out = {}
    for who, frame in (
        ("all", scores),
        ("not_exploited", scores[~scores["person_id"].isin(exploited)]),
    ):
        for by in ("sex", "age_band"):
            g = frame.groupby(frame[by].fillna("unknown"))
            out[f"{who}_by_{by}"] = {
                str(k): {"n": len(v), "mean_score": round(float(v["score"].mean()), 3),
                         "share_listed": round(float((v["score"] >= 3).mean()), 4)}
                for k, v in g
            }  # fmt: skip
    return out


def run_case(case: Path, database: Path, lines_out: Path, out: Path, name: str) -> dict:
    if not (lines_out / "line_numbers.csv").exists():
        write_lines(find_lines(database), lines_out)
    start = time.perf_counter()
    result = assess_people(database, line_numbers(database, lines_out))
    seconds = time.perf_counter() - start
    write_outputs(result, out)
    metrics = evaluate(case, out)["people"]
    print(name, json.dumps(metrics))
    exploited = set(pd.read_csv(case / "truth" / "exploited_persons.csv", dtype=str)["person_id"])
    return {"case": name, "people_s": round(seconds, 1), **metrics,
            "disparity": disparity(result.scores, exploited)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("/tmp/people-eval"))
    parser.add_argument("--only", default="", help="comma-separated scales to run")
    parser.add_argument("--full-case", type=Path, help="the full case folder (with truth/)")
    parser.add_argument("--full-db", type=Path, help="its loaded case.duckdb")
    parser.add_argument("--full-lines", type=Path, help="its `countylines lines` outputs")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for scale, behaviour, seed in HELD_OUT:
        if args.only and scale not in args.only.split(","):
            continue
        name = f"{scale}-{behaviour}-{seed}"
        if scale == "full" and args.full_case and args.full_db:
            case, database = args.full_case, args.full_db
        else:
            case, database = loaded_case(args.work, scale, behaviour, seed)
        lines_out = args.full_lines if scale == "full" and args.full_lines else None
        lines_out = lines_out or args.work / f"{name}-lines"
        rows.append(run_case(case, database, lines_out, args.work / f"{name}-people", name))
    write_accuracy("people_accuracy", rows)


if __name__ == "__main__":
    main()

"""Measure `countylines people` on held-out simulated cases and record the metrics.

Simulates and loads each case (scale, behaviour, seed) below unless it is already in --work,
finds its lines unless `NAME-lines/` is already there, runs `assess_people`, scores it with
`countylines.evaluate` and writes every metric, with a check of score disparities by sex and
age band, to bench/results/people_accuracy.json. The development seeds are named under
HELD_OUT; the seeds in it were used only to measure. Run from the project root:

    .venv/bin/python tools/evaluate_people.py --work /tmp/people-eval
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from simulated_cases import case_name, loaded_case, write_accuracy

from countylines.evaluate import evaluate
from countylines.lines.detect import find_lines
from countylines.lines.report import write_outputs as write_lines
from countylines.people.assess import assess_people, line_numbers
from countylines.people.report import write_outputs

DENSE = {"n_background": 15_000, "n_lines": 24}
"""A denser, busier small case (ten times the background population, twice the lines): there
is no medium scale, and a full case needs 30 GB of temporary disk to load."""
RECORDED = {
    "bg_mental_health_share": 0.1,
    "customer_mental_health_share": 0.4,
    "customer_drug_debt_share": 0.15,
}
"""With --recorded: background adults and customers with recorded vulnerabilities (see
docs/simulator.md, "Recorded vulnerabilities"); the results go to people_accuracy_recorded.json."""
HELD_OUT: tuple[tuple[str, str, int, dict], ...] = (
    ("small", "default", 901, {}),
    ("small", "default", 902, {}),
    ("small", "default", 903, {}),
    ("small", "default", 908, DENSE),
)
"""Never used to develop or tune anything: the lead's final held-out seeds of session 5,
simulated with every simulator change of that session and measured once. The development seeds
(every one of them looked at while the rules were changed; see docs/people.md): small default
1001-1008 for this version; small default 701-704, 721-723, 731-733 and full default 31 for the
previous ones. Earlier held-out seeds, each measured once with the version of its time: small
761-763, small 1101-1104 with dense 1105 (the version without `baseline_skip`), and small
1111-1114 with dense 1115 (this version, before the other simulator changes of session 5)."""


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
    parser.add_argument("--recorded", action="store_true", help="simulate with RECORDED")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for scale, behaviour, seed, dense in HELD_OUT:
        if args.only and scale not in args.only.split(","):
            continue
        overrides = {**dense, **(RECORDED if args.recorded else {})}
        name = case_name(scale, behaviour, seed, **overrides)
        case, database = loaded_case(args.work, scale, behaviour, seed, **overrides)
        lines_out = args.work / f"{name}-lines"
        rows.append(run_case(case, database, lines_out, args.work / f"{name}-people", name))
    write_accuracy("people_accuracy_recorded" if args.recorded else "people_accuracy", rows)


if __name__ == "__main__":
    main()

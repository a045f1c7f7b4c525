"""Measure the line detector on held-out simulated cases and record the metrics.

Simulates and loads each case (scale, behaviour, seed) below unless it is already in --work,
runs `find_lines`, scores it with `countylines.evaluate` and writes every metric to
bench/results/lines_accuracy.json. None of these seeds is used for training
(tools/train_line_model.py) or by the tests. Run from the project root:

    .venv/bin/python tools/evaluate_lines.py --work /tmp/line-eval
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from simulated_cases import loaded_case, write_accuracy

from countylines.evaluate import evaluate
from countylines.lines.detect import find_lines
from countylines.lines.report import write_outputs
from countylines.simulate.params import parse_override

HELD_OUT = (
    ("small", "default", 980),
    ("small", "default", 981),
    ("small", "default", 982),
    ("small", "evasive", 983),
    ("small", "evasive", 984),
)
"""Never used to fit or tune anything: the lead's final held-out seeds of session 7, simulated
with every simulator change up to that session (neighbourhoods, realistic recording, address
reports, phones on their home's cell, named rivalry victims) and measured once. Earlier held-out
seeds, each measured once with the version of its time: the lead's small default 950-952 and
evasive 974-975 and recall7's 6100-6107 (session 6 and 7); small default 901-903, small evasive
904-905 and full default 41 (session 5); small
default 521-523, small evasive 631-632 and full default 31. (Seeds 501-503, 511-512, 601 and
621-622 showed faults: hub voting, customer linking, cells that spilled into a neighbouring hub,
large hubs beyond a fixed radius; they were retired from measurement. The faults were diagnosed
on the training seeds and the model was refitted after the simulator fix.)"""


def run_case(work: Path, scale: str, behaviour: str, seed: int, **overrides: Any) -> dict:
    case, database = loaded_case(work, scale, behaviour, seed, **overrides)
    out = work / f"{case.name}-lines"
    start = time.perf_counter()
    result = find_lines(database)
    seconds = time.perf_counter() - start
    write_outputs(result, out)
    metrics = evaluate(case, out)["lines"]
    print(case.name, json.dumps(metrics))
    return {"scale": scale, "behaviour": behaviour, "seed": seed, **overrides,
            "lines_s": round(seconds, 1), **metrics}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("/tmp/line-eval"))
    parser.add_argument("--only", default="", help="comma-separated scales to run")
    parser.add_argument(
        "--cases",
        default="",
        help="instead of HELD_OUT: comma-separated scale:behaviour:seed, e.g. small:evasive:6106",
    )
    parser.add_argument("--result", default="lines_accuracy", help="bench/results/NAME.json")
    parser.add_argument(
        "--set", action="append", default=[], help="simulator parameter NAME=VALUE (repeatable)"
    )
    args = parser.parse_args()
    overrides = dict(parse_override(text) for text in args.set)
    args.work.mkdir(parents=True, exist_ok=True)
    chosen = [tuple(c.split(":")) for c in args.cases.split(",") if c]
    cases = [(c[0], c[1], int(c[2])) for c in chosen] or HELD_OUT
    cases = [c for c in cases if not args.only or c[0] in args.only.split(",")]
    rows = [run_case(args.work, *c, **overrides) for c in cases]
    write_accuracy(args.result, rows)


if __name__ == "__main__":
    main()

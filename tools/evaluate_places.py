"""Measure `countylines places` on held-out simulated cases: the simulator backtest.

Simulates and loads each case below unless it is already in --work, then fits the place model on
the first month of each (lines found by `find_lines`, data before the cut-off only) and scores
the towns newly infiltrated in the second month, pooled over the cases and per case, beside the
baselines (last period's drug and weapon offences, IMD alone, population alone). Writes
bench/results/places_accuracy.json. Run from the project root:

    .venv/bin/python tools/evaluate_places.py --work /tmp/places-eval

Development seeds (looked at while building the model): small 12, 13, 14, and 701-712 (the
held-out seeds of the first, forward-selection model, which then served to compare it with the
ridge model). Measurement seeds: HELD_OUT below, used only here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from simulated_cases import loaded_case

from countylines.cli_places import backtest_cases

DEVELOPMENT = (12, 13, 14, *range(701, 713))
HELD_OUT = tuple(range(801, 813))
ROOT = Path(__file__).resolve().parents[1]


def spread(per_case: list[dict[str, dict[str, float]]], name: str, metric: str) -> dict[str, float]:
    """Median, min and max of one metric over the cases where it is defined."""
    values = [c[name][metric] for c in per_case if c[name][metric] == c[name][metric]]
    if not values:
        return {}
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "cases": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seeds", type=int, nargs="*", default=list(HELD_OUT))
    parser.add_argument("--fit-months", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/places_accuracy.json")
    args = parser.parse_args()
    start = time.time()
    cases = [loaded_case(args.work, args.scale, "default", s) for s in args.seeds]
    result = backtest_cases(cases, args.fit_months)
    names = list(result["pooled"])
    result["spread"] = {
        n: {m: spread(result["per_case"], n, m) for m in ("pai_10", "auc")} for n in names
    }
    report = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "seeds": args.seeds,
        "development_seeds": list(DEVELOPMENT),
        "seconds": round(time.time() - start, 1),
        "target": {"pai_10": 3.0, "auc": 0.8},
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"pooled": result["pooled"], "spread": result["spread"]}, indent=2))


if __name__ == "__main__":
    main()

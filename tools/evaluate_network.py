"""Measure how well the communities of `countylines network` recover simulated lines.

For each case of the `tools/evaluate_lines.py` layout in --root (CASE, CASE-db/case.duckdb,
CASE-lines), builds the network from the case and its line register alone (the other analyses
are not needed for the communities) with a fresh random key, and scores it with
`network.scoring.community_recovery` against CASE/truth (pseudonymised with the same key).
Appends the rows to bench/results/network_accuracy.json. Run from the project root:

    .venv/bin/python tools/evaluate_network.py --root /tmp/line-eval \\
        --cases small-default-521,small-default-522
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from pathlib import Path

import pandas as pd
from simulated_cases import RESULTS, write_accuracy

from countylines.network.inputs import read_outputs
from countylines.network.network import find_network
from countylines.network.scoring import community_recovery
from countylines.private_outputs import OutputPseudonymiser
from countylines.pseudonym import IdType

DEVELOPMENT = ("small-default-12 (tests)", "full-default-31")
"""Cases looked at while developing; never used for the recorded numbers."""


def run_case(root: Path, name: str) -> dict[str, object]:
    case, database, lines = root / name, root / f"{name}-db" / "case.duckdb", root / f"{name}-lines"
    key = secrets.token_bytes(32)
    start = time.perf_counter()
    result = find_network(database, read_outputs(database, {"lines": lines}, key), key)
    seconds = time.perf_counter() - start
    truth = pd.read_csv(case / "truth" / "line_numbers.csv", dtype=str, keep_default_na=False)
    truth["number"] = OutputPseudonymiser(key).series(truth["number"], IdType.PHONE)
    metrics = community_recovery(truth[["line_id", "number"]], result.graph.nodes)
    row = {
        "case": name,
        "network_s": round(seconds, 1),
        "nodes": len(result.graph.nodes),
        "edges": len(result.graph.edges),
        "pairs": result.n_pairs,
        "modularity": round(result.modularity, 4),
        **metrics,
    }
    print(json.dumps(row))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--cases", required=True, help="comma-separated case names")
    args = parser.parse_args()
    previous = RESULTS / "network_accuracy.json"
    rows = json.loads(previous.read_text())["cases"] if previous.is_file() else []
    for name in args.cases.split(","):
        rows = [r for r in rows if r["case"] != name] + [run_case(args.root, name)]
    write_accuracy("network_accuracy", rows, development_cases=list(DEVELOPMENT))


if __name__ == "__main__":
    main()

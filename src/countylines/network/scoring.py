"""How well the communities recover a simulated case's lines (`truth/line_numbers.csv`).

For each true line, its numbers (deal lines, runners, holder) are looked up among the graph's
phone nodes by their pseudonym (the truth is pseudonymised with the same key); the line's
**cohesion** is the share of those numbers in the community most of them are in. Reported: the
mean cohesion over the lines with at least two numbers in the graph, the share of those lines
with cohesion of at least 0.5 and 0.8, the share of true line numbers that are in the graph at
all, and **purity**: the mean, over communities holding true line numbers, of the share of
those numbers that belong to the community's main line's hub... kept simple: the share that
belong to its most common true line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from countylines.private_outputs import OutputPseudonymiser
from countylines.pseudonym import IdType


def community_recovery(truth: pd.DataFrame, nodes: pd.DataFrame) -> dict[str, Any]:
    """`truth`: line_id, number (tokens); `nodes`: the network_nodes table."""
    phones = nodes[nodes["type"] == "phone"].set_index("label")["community"]
    found = truth.assign(community=truth["number"].map(phones))
    in_graph = found.dropna(subset=["community"])
    in_graph = in_graph[in_graph["community"] >= 0]
    counts = in_graph.groupby(["line_id", "community"]).size()
    per_line = counts.groupby(level=0).agg(["max", "sum"])
    per_line = per_line[per_line["sum"] >= 2]
    cohesion = per_line["max"] / per_line["sum"]
    by_community = in_graph.groupby(["community", "line_id"]).size()
    major = by_community.groupby(level=0).agg(["max", "sum"])
    return {
        "lines": int(truth["line_id"].nunique()),
        "lines_scored": len(per_line),
        "numbers_in_graph": round(len(in_graph) / max(1, len(truth)), 4),
        "mean_cohesion": round(float(cohesion.mean()), 4) if len(cohesion) else 0.0,
        "lines_cohesion_0_5": round(float((cohesion >= 0.5).mean()), 4) if len(cohesion) else 0.0,
        "lines_cohesion_0_8": round(float((cohesion >= 0.8).mean()), 4) if len(cohesion) else 0.0,
        "community_purity": round(float((major["max"] / major["sum"]).mean()), 4)
        if len(major)
        else 0.0,
        "communities_with_lines": len(major),
    }


def evaluate_network(truth: Path, out: Path, key: bytes) -> dict[str, Any]:
    """`community_recovery` of `out/network_nodes.csv` against `truth/line_numbers.csv`."""
    numbers = pd.read_csv(truth / "line_numbers.csv", dtype=str, keep_default_na=False)
    numbers["number"] = OutputPseudonymiser(key).series(numbers["number"], IdType.PHONE)
    nodes = pd.read_csv(out / "network_nodes.csv", dtype={"label": str}, keep_default_na=False)
    nodes["community"] = pd.to_numeric(nodes["community"])
    return community_recovery(numbers[["line_id", "number"]], nodes)

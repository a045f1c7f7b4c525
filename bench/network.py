"""Benchmark the communities of `countylines network` (the issue's target: communities of a
graph with at least 1M edges in under 10 s).

    .venv/bin/python bench/network.py

The graph (seeded, generated inside each child, not timed): a planted partition, LFR-like in
its mixing: `n` nodes in communities of 500, each edge drawn from a uniform random node to a
node of its own community with probability 0.7, else to any node (mixing μ = 0.3), duplicates
merged into weights. Four fresh child processes, measured like bench/run.py (wall time, peak
RSS), each printing the seconds of the community step alone (`fit_s`) and the recovery (the
mean share of a planted community in its most common found community):

* `Communities` (networkit PLM, one thread) on 1M edges: the target;
* the same on 100k edges;
* the baseline, networkx's Louvain, on the same 100k-edge graph, and its time extrapolated
  linearly to 1M edges (Louvain's cost grows about linearly with the edges; running it on 1M
  edges takes minutes and gigabytes, so it is not run).

Results go to bench/results/network.json and a timestamped copy.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from run import bench_arguments, log, measure, new_report  # noqa: E402

TARGET_S = 10.0
EDGES = 1_000_000
SMALL_EDGES = 100_000
COMMUNITY = 500
MIXING = 0.3
SEED = 7


def planted_graph(n_edges: int, seed: int) -> tuple[object, object, object, object]:
    """src, dst, weight (unique undirected pairs) and the planted community of each node."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = n_edges // 10  # mean degree about 20
    truth = np.arange(n) // COMMUNITY
    src = rng.integers(0, n, n_edges)
    inside = rng.random(n_edges) >= MIXING
    dst = np.where(
        inside,
        truth[src] * COMMUNITY + rng.integers(0, COMMUNITY, n_edges),
        rng.integers(0, n, n_edges),
    )
    dst = np.minimum(dst, n - 1)
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    keep = a != b
    pairs, weight = np.unique(np.stack([a[keep], b[keep]], axis=1), axis=0, return_counts=True)
    return pairs[:, 0], pairs[:, 1], weight.astype(float), truth


def child(method: str, n_edges: int, seed: int) -> int:
    """Build the graph, time the community step, print JSON."""
    import pandas as pd

    from countylines.network.communities import Communities, louvain_baseline

    src, dst, weight, truth = planted_graph(n_edges, seed)
    n = len(truth)  # type: ignore[arg-type]
    started = time.perf_counter()
    if method == "networkit":
        labels = Communities(seed=seed).fit_predict(src, dst, weight, n)  # type: ignore[arg-type]
    else:
        labels = louvain_baseline(src, dst, weight, n, seed=seed)  # type: ignore[arg-type]
    fit_s = time.perf_counter() - started
    frame = pd.DataFrame({"truth": truth, "found": labels})
    share = frame.groupby("truth")["found"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    print(
        json.dumps(
            {
                "method": method,
                "edges": len(src),
                "nodes": n,  # type: ignore[arg-type]
                "fit_s": round(fit_s, 3),
                "communities": int(frame["found"].nunique()),
                "planted": int(frame["truth"].nunique()),
                "recovery": round(float(share.mean()), 4),
            }
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        return child(argv[1], int(argv[2]), int(argv[3]))
    p = bench_arguments("Benchmark the communities of countylines network.", SEED)
    a = p.parse_args(argv)
    run.QUIET_WAIT_S = a.quiet_wait
    settings = {
        "seed": a.seed,
        "edges": EDGES,
        "small_edges": SMALL_EDGES,
        "community_size": COMMUNITY,
        "mixing": MIXING,
    }
    started, report = new_report("network", settings, a.work, a.results)

    def one(method: str, n_edges: int) -> dict[str, object]:
        log(f"{method} on {n_edges:,} edges ...")
        return measure(
            [sys.executable, str(HERE / "network.py"), "_child", method, str(n_edges), str(a.seed)],
            f"{method} communities, {n_edges:,} edges",
        )

    big = one("networkit", EDGES)
    small = one("networkit", SMALL_EDGES)
    base = one("networkx", SMALL_EDGES)
    fit = big.get("output", {}).get("fit_s")  # type: ignore[union-attr]
    base_fit = base.get("output", {}).get("fit_s")  # type: ignore[union-attr]
    small_fit = small.get("output", {}).get("fit_s")  # type: ignore[union-attr]
    report["results"] = {"networkit_1m": big, "networkit_100k": small, "networkx_100k": base}
    report["baseline_extrapolated_1m_s"] = (
        round(base_fit * EDGES / SMALL_EDGES, 1) if base_fit is not None else None
    )
    report["speedup_100k"] = round(base_fit / small_fit, 1) if base_fit and small_fit else None
    report["target_s"] = TARGET_S
    report["meets_target"] = big["exit_code"] == 0 and fit is not None and fit < TARGET_S
    text = json.dumps(report, indent=2, default=str) + "\n"
    (a.results / "network.json").write_text(text)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (a.results / f"network-{stamp}.json").write_text(text)
    log(
        f"communities on {EDGES:,} edges: {fit} s (target {TARGET_S:.0f} s); networkx on "
        f"{SMALL_EDGES:,}: {base_fit} s (x10: {report['baseline_extrapolated_1m_s']} s)"
    )
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())

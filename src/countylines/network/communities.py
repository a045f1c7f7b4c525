"""Communities of a weighted undirected graph: `Communities` (networkit's parallel Louvain
with refinement, PLM; MIT licence) and `louvain_baseline` (networkx, BSD; slow, for comparison).

Both take plain arrays: `src`, `dst` (integer node indices in 0..n-1) and `weight` (floats),
and give one community label per node (0..k-1, largest community first). Isolated nodes are
communities of their own.
"""

from __future__ import annotations

import networkit as nk
import numpy as np


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 by decreasing community size (ties by smallest old label)."""
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    order = np.lexsort((values, -counts))
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank[inverse]


class Communities:
    """Louvain modularity communities with refinement (networkit PLM), scikit-learn style.

    `resolution` is the modularity resolution gamma (higher: smaller communities); `seed` fixes
    networkit's random order; `threads` (default 1) makes the result reproducible, more threads
    are faster but may differ slightly between runs. `fit(src, dst, weight, n)` sets `labels_`
    and `modularity_`.
    """

    def __init__(self, resolution: float = 1.0, seed: int = 0, threads: int = 1) -> None:
        self.resolution = resolution
        self.seed = seed
        self.threads = threads

    def fit(self, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int) -> Communities:
        nk.engineering.setNumberOfThreads(self.threads)
        nk.engineering.setSeed(self.seed, False)
        graph = nk.GraphFromCoo(
            (
                np.asarray(weight, dtype=np.float64),
                (np.asarray(src, dtype=np.uint64), np.asarray(dst, dtype=np.uint64)),
            ),
            n,
            weighted=True,
            directed=False,
        )
        graph.removeSelfLoops()
        algo = nk.community.PLM(graph, refine=True, gamma=self.resolution)
        algo.run()
        partition = algo.getPartition()
        self.labels_ = _relabel(np.asarray(partition.getVector(), dtype=np.int64))
        self.modularity_ = float(nk.community.Modularity().getQuality(partition, graph))
        return self

    def fit_predict(
        self, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int
    ) -> np.ndarray:
        return self.fit(src, dst, weight, n).labels_


def louvain_baseline(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int, seed: int = 0
) -> np.ndarray:
    """networkx's Louvain on the same input: the slow reference of `bench/network.py`."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True))
    labels = np.empty(n, dtype=np.int64)
    for i, members in enumerate(nx.community.louvain_communities(graph, seed=seed)):
        labels[list(members)] = i
    return _relabel(labels)

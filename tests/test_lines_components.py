"""`link.components`, the union-find that groups deal numbers into lines, gives networkx's
connected components (each sorted, ordered by their first number)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from countylines.lines.link import components


@pytest.mark.parametrize("seed", range(4))
def test_components_are_networkx_components(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nodes = [f"07{i:09d}" for i in rng.permutation(60)]
    # some edges end at numbers that are not among the nodes: they join the graph
    edges = [
        (nodes[a], f"07{b:09d}")
        for a, b in zip(rng.integers(0, 60, 45), rng.integers(0, 80, 45), strict=True)
    ]
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    expected = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda g: g[0])
    found = components(nodes, edges)
    assert found == expected
    assert any(len(g) > 2 for g in found) and any(len(g) == 1 for g in found)

"""The part of the graph that goes on an analyst's chart (i2 ANX and i2 import CSV), and where
each node is drawn.

A chart of tens of thousands of customers cannot be read, so the chart leaves out the lines'
contacts (phones whose only role is `contact`) unless they are key players, then every node
left with no link to the rest (their subscribers, homes, handsets). Layout: communities on a
grid in order of size, the nodes of a community on a circle (chart units).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from countylines.network.graph import Graph


def chart_graph(graph: Graph, key_players: pd.DataFrame) -> Graph:
    """The nodes and edges of the chart (see the module)."""
    nodes, edges = graph.nodes, graph.edges
    keep = ~((nodes["type"] == "phone") & (nodes["description"] == "contact"))
    keep |= nodes["node_id"].isin(set(key_players["node_id"]))
    kept = set(nodes.loc[keep, "node_id"])
    anchored = {n for n in kept if not n.startswith(("person:", "address:", "handset:"))}
    for _ in range(2):  # persons of kept phones, then their homes
        inner = edges[edges["source"].isin(kept) & edges["target"].isin(kept)]
        touching = inner[inner["source"].isin(anchored) | inner["target"].isin(anchored)]
        anchored |= set(touching["source"]) | set(touching["target"])
    chart_nodes = nodes[nodes["node_id"].isin(anchored)].reset_index(drop=True)
    chart_edges = edges[edges["source"].isin(anchored) & edges["target"].isin(anchored)]
    return Graph(chart_nodes, chart_edges.reset_index(drop=True))


def layout(nodes: pd.DataFrame, spacing: float = 1200.0) -> tuple[np.ndarray, np.ndarray]:
    """Chart positions (x, y) of `nodes` (with `community`): one grid cell per community
    (nodes without one share the last cell), the members on a circle."""
    community = nodes["community"].to_numpy()
    order = pd.Series(community).value_counts(sort=True).index.tolist()
    cell = {c: i for i, c in enumerate(order)}
    side = max(1, int(np.ceil(np.sqrt(len(order)))))
    x = np.zeros(len(nodes))
    y = np.zeros(len(nodes))
    for c, members in pd.Series(range(len(nodes))).groupby(community):
        i = cell[c]
        cx, cy = (i % side) * spacing, (i // side) * spacing
        k = len(members)
        radius = 0.0 if k == 1 else min(spacing * 0.45, 40.0 * k / (2 * np.pi) + 40.0)
        angle = 2 * np.pi * np.arange(k) / k
        x[members.to_numpy()] = cx + radius * np.cos(angle)
        y[members.to_numpy()] = cy + radius * np.sin(angle)
    return np.round(x).astype(int), np.round(y).astype(int)

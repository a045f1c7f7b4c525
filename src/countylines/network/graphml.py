"""GraphML for Gephi: the whole graph, node and edge attributes as GraphML keys (networkx's
writer, which escapes every value). Empty values are left out (GraphML has no missing value).
Nodes carry `x`, `y` in British National Grid metres where they have a place."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from countylines.maps.write import replace_atomically
from countylines.network.graph import Graph
from countylines.network.xmltext import xml_text


def _clean(row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            continue
        out[name] = xml_text(value) if isinstance(value, str) else value
    return out


def to_networkx(graph: Graph) -> nx.MultiGraph:
    """The graph as a networkx MultiGraph (one edge per edge row, keyed by its type)."""
    g = nx.MultiGraph()
    for row in graph.nodes.to_dict("records"):
        attrs = _clean(row)
        node = attrs.pop("node_id")
        g.add_node(node, **attrs)
    for row in graph.edges.to_dict("records"):
        attrs = _clean(row)
        g.add_edge(attrs.pop("source"), attrs.pop("target"), key=attrs["type"], **attrs)
    return g


def write_graphml(graph: Graph, path: Path) -> Path:
    """Write `graph` as GraphML to `path`, atomically."""
    nodes = graph.nodes.copy()
    nodes["community"] = pd.to_numeric(nodes["community"]).astype(int)
    g = to_networkx(Graph(nodes, graph.edges))
    replace_atomically(path, lambda p: nx.write_graphml(g, p, named_key_ids=True))
    return path

"""The i2 import CSV: `i2_entities.csv` (one row per entity) and `i2_links.csv` (one row per
link, with both ends' id, type and label, so one i2 import specification can read it alone)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from countylines.maps.write import replace_atomically
from countylines.network.anx import ICONS
from countylines.network.graph import Graph


def i2_tables(graph: Graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The entity and link tables (columns named as an analyst sees them in i2)."""
    nodes, edges = graph.nodes, graph.edges
    entities = pd.DataFrame(
        {
            "Entity ID": nodes["node_id"],
            "Entity Type": nodes["type"],
            "Icon": nodes["type"].map(ICONS),
            "Label": nodes["label"],
            "Description": nodes["description"],
            "Community": nodes["community"],
            "Lines": nodes["line_ids"],
            "First Seen": nodes["first_seen"],
            "Last Seen": nodes["last_seen"],
            "Betweenness": nodes["betweenness"],
        }
    )
    ends = nodes.set_index("node_id")
    links = pd.DataFrame(
        {
            "Link ID": [f"K{i + 1:06d}" for i in range(len(edges))],
            "From ID": edges["source"].to_numpy(),
            "From Type": edges["source"].map(ends["type"]).to_numpy(),
            "From Label": edges["source"].map(ends["label"]).to_numpy(),
            "To ID": edges["target"].to_numpy(),
            "To Type": edges["target"].map(ends["type"]).to_numpy(),
            "To Label": edges["target"].map(ends["label"]).to_numpy(),
            "Link Type": edges["type"].to_numpy(),
            "Weight": edges["weight"].to_numpy(),
            "First Seen": edges["first_seen"].to_numpy(),
            "Last Seen": edges["last_seen"].to_numpy(),
            "Line": edges["line_id"].to_numpy(),
            "Description": edges["description"].to_numpy(),
        }
    )
    return entities, links


def write_i2_csv(graph: Graph, out: Path) -> list[Path]:
    """Write `i2_entities.csv` and `i2_links.csv` into `out`, atomically."""
    paths = []
    for name, frame in zip(("i2_entities", "i2_links"), i2_tables(graph), strict=True):
        path = out / f"{name}.csv"

        def write(tmp: Path, table: pd.DataFrame = frame) -> None:
            table.to_csv(tmp, index=False)

        replace_atomically(path, write)
        paths.append(path)
    return paths

"""Writing the outputs of `countylines network`: the tables (`network_nodes`, `network_edges`,
`communities`, `key_players`, each CSV and Parquet), the exports (`network.anx`,
`i2_entities.csv`, `i2_links.csv`, `network.graphml`, `network.gpkg`) and
`network_summary.txt`. Every file is written to a temporary name and renamed."""

from __future__ import annotations

from pathlib import Path

from countylines.lines.report import write_table
from countylines.maps.write import replace_atomically
from countylines.network.anx import write_anx
from countylines.network.chart import chart_graph
from countylines.network.gpkg import write_gpkg
from countylines.network.graphml import write_graphml
from countylines.network.i2csv import write_i2_csv
from countylines.network.network import NetworkResult


def summary(result: NetworkResult) -> str:
    """A few readable lines: graph size by type, communities, key players, rival groups."""
    nodes, edges = result.graph.nodes, result.graph.edges
    by_type = nodes["type"].value_counts()
    groups = result.communities.loc[result.communities["rival_group"] != "", "rival_group"]
    roles = result.key_players["role"].value_counts()
    lines = [
        f"{len(nodes):,} nodes ({', '.join(f'{n:,} {t}' for t, n in by_type.items())}); "
        f"{len(edges):,} edges.",
        f"Communities of the case's communications: {result.n_pairs:,} number pairs, "
        f"modularity {result.modularity:.3f}; {len(result.communities):,} communities in the "
        f"graph, {int((result.communities['n_line_numbers'] > 0).sum())} holding line numbers.",
        f"Key players: {roles.get('broker', 0)} brokers, {roles.get('line_holder', 0)} line "
        f"holders (phones and persons); {groups.nunique()} rival groups.",
    ]
    if result.notes:
        lines.append("Not found (that part of the graph is empty): " + ", ".join(result.notes))
    return "\n".join(lines) + "\n"


def write_outputs(result: NetworkResult, out: Path) -> list[Path]:
    """Write every output file of `countylines network` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    tables = {
        "network_nodes": result.graph.nodes,
        "network_edges": result.graph.edges,
        "communities": result.communities,
        "key_players": result.key_players,
    }
    for name, frame in tables.items():
        paths += write_table(frame, out, name)
    chart = chart_graph(result.graph, result.key_players)
    paths.append(write_anx(chart, out / "network.anx"))
    paths += write_i2_csv(chart, out)
    paths.append(write_graphml(result.graph, out / "network.graphml"))
    gpkg = write_gpkg(result, out / "network.gpkg")
    if gpkg is not None:
        paths.append(gpkg)
    text = out / "network_summary.txt"
    replace_atomically(text, lambda p: p.write_text(summary(result), encoding="utf-8"))
    return [*paths, text]

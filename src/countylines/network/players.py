"""Key players of the POLE graph and rival groups of communities.

* **Brokers**: phones and persons whose neighbours lie in at least two communities, ranked by
  betweenness centrality on the whole graph (unweighted, undirected; networkit). Exact when the
  graph has at most `exact_limit` nodes, else estimated from `samples` random source nodes
  (networkit's `EstimateBetweenness`, seeded), normalised to 0-1 either way.
* **Line holders**: the holder numbers of the line register and the persons linked to them.
* **Rival groups**: communities joined by rivalries (a line belongs to the community most of
  its numbers are in); each connected set of such communities is one group, `R1`, `R2`, ...
  (two rival lines in one community make that community a group of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkit as nk
import networkx as nx
import numpy as np
import pandas as pd

KEY_PLAYER_COLUMNS = (
    "node_id",
    "type",
    "label",
    "role",
    "line_ids",
    "community",
    "betweenness",
    "degree",
    "n_communities",
    "evidence",
)


@dataclass(frozen=True)
class PlayerSettings:
    """How many brokers to list and how betweenness is computed."""

    n_brokers: int = 25
    exact_limit: int = 5000
    samples: int = 500
    seed: int = 0


def betweenness(nodes: pd.Series, edges: pd.DataFrame, settings: PlayerSettings) -> np.ndarray:
    """Normalised betweenness (0-1) of each node id in `nodes` over the undirected `edges`
    (source, target), exact or estimated (see the module)."""
    index = pd.Index(nodes)
    src = index.get_indexer(edges["source"])
    dst = index.get_indexer(edges["target"])
    keep = (src >= 0) & (dst >= 0) & (src != dst)
    nk.engineering.setSeed(settings.seed, False)
    graph = nk.GraphFromCoo(
        (np.ones(int(keep.sum())), (src[keep].astype(np.uint64), dst[keep].astype(np.uint64))),
        len(index),
        weighted=False,
        directed=False,
    )
    graph.removeMultiEdges()
    if len(index) <= settings.exact_limit:
        algo = nk.centrality.Betweenness(graph, normalized=True)
    else:
        algo = nk.centrality.EstimateBetweenness(
            graph, settings.samples, normalized=True, parallel=False
        )
    algo.run()
    return np.asarray(algo.scores(), dtype=float)


def line_communities(numbers: pd.DataFrame, community: pd.Series) -> pd.Series:
    """The community of each line: the one most of its numbers (`numbers`: line_id, number)
    are in (`community`: by number); ties to the smaller community id."""
    found = numbers.assign(community=numbers["number"].map(community)).dropna(subset=["community"])
    if found.empty:
        return pd.Series(dtype="int64")
    counts = found.groupby(["line_id", "community"]).size().rename("n").reset_index()
    best = counts.sort_values(["line_id", "n", "community"], ascending=[True, False, True])
    return best.groupby("line_id").head(1).set_index("line_id")["community"].astype("int64")


def rival_groups(rivalries: pd.DataFrame, of_line: pd.Series) -> dict[int, str]:
    """Rival group (`R1`, ... largest first) of each community joined to another by a rivalry
    (`rivalries`: line_a, line_b; `of_line`: community by line)."""
    graph = nx.Graph()
    for a, b in zip(rivalries["line_a"], rivalries["line_b"], strict=True):
        ca, cb = of_line.get(a), of_line.get(b)
        if ca is not None and cb is not None:
            graph.add_edge(int(ca), int(cb))  # a rivalry inside one community: a loop
    groups = sorted(nx.connected_components(graph), key=lambda g: (-len(g), min(g)))
    return {c: f"R{i + 1}" for i, group in enumerate(groups) for c in group}


def key_players(
    nodes: pd.DataFrame, edges: pd.DataFrame, numbers: pd.DataFrame, settings: PlayerSettings
) -> pd.DataFrame:
    """KEY_PLAYER_COLUMNS: the brokers and the line holders (phones and their persons).
    `nodes` need node_id, type, label, line_ids, community, betweenness, degree."""
    ends = pd.concat(
        [
            edges[["source", "target"]],
            edges[["target", "source"]].set_axis(["source", "target"], axis=1),
        ]
    )
    ends["community"] = ends["target"].map(nodes.set_index("node_id")["community"])
    spread = ends[ends["community"] >= 0].groupby("source")["community"].nunique()
    table = nodes.assign(n_communities=nodes["node_id"].map(spread).fillna(0).astype(int))
    candidates = table[
        table["type"].isin(["phone", "person"])
        & (table["n_communities"] >= 2)
        & (table["betweenness"] > 0)
    ]
    brokers = (
        candidates.sort_values(["betweenness", "node_id"], ascending=[False, True])
        .head(settings.n_brokers)
        .assign(role="broker")
    )
    brokers["evidence"] = [
        f"betweenness rank {i + 1}; neighbours in {n} communities"
        for i, n in enumerate(brokers["n_communities"])
    ]
    holder_phones = "phone:" + numbers.loc[numbers["role"] == "holder", "number"]
    holders = table[table["node_id"].isin(set(holder_phones))].assign(
        role="line_holder", evidence="holder number of " + table["line_ids"]
    )
    persons = edges[
        edges["target"].isin(set(holder_phones)) & edges["type"].isin(["subscriber", "runner_link"])
    ]
    of_person = persons.groupby("source")["target"].agg(lambda s: ";".join(sorted(set(s))))
    linked = table[table["node_id"].isin(set(of_person.index))].copy()
    linked["role"] = "line_holder"
    linked["evidence"] = "linked to holder " + linked["node_id"].map(of_person).str.replace(
        "phone:", "", regex=False
    )
    players = pd.concat([holders, linked, brokers], ignore_index=True)
    return players[list(KEY_PLAYER_COLUMNS)].reset_index(drop=True)

"""`find_network`: the network pipeline. Reads the case (`data`), communities of the whole
case's communications (`communities`), identifiers as tokens (`tokens`), the POLE graph
(`graph`), key players and rival groups (`players`); returns a `NetworkResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from countylines.movement.geo import to_bng
from countylines.network.communities import Communities
from countylines.network.data import NetworkTables
from countylines.network.graph import CaseFrames, Graph, build_graph, iso
from countylines.network.inputs import Outputs
from countylines.network.players import (
    PlayerSettings,
    betweenness,
    key_players,
    line_communities,
    rival_groups,
)
from countylines.private_outputs import OutputPseudonymiser
from countylines.pseudonym import IdType

COMMUNITY_COLUMNS = (
    "community",
    "n_numbers",
    "n_nodes",
    "line_ids",
    "n_line_numbers",
    "rival_group",
    "rival_communities",
    "key_players",
)


@dataclass(frozen=True)
class NetworkSettings:
    """`min_events`: calls and texts between two numbers for a communication edge (both for
    the communities and the graph); `resolution`: the community resolution gamma; `players`."""

    min_events: int = 3
    resolution: float = 1.0
    seed: int = 0
    players: PlayerSettings = field(default_factory=PlayerSettings)


@dataclass
class NetworkResult:
    """The graph (nodes with community, betweenness and degree), the communities table, the
    key players, the lines, the analyses' tables (identifiers as tokens), the case's side of
    the graph, the number of communication pairs, the modularity of the communities and the
    notes (inputs that were missing)."""

    graph: Graph
    communities: pd.DataFrame
    key_players: pd.DataFrame
    lines: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    frames: CaseFrames
    n_pairs: int
    modularity: float
    notes: list[str]


def _case_communities(pairs: pd.DataFrame, settings: NetworkSettings) -> tuple[pd.Series, float]:
    """Community of every number of the case's communication graph (pairs with at least
    `min_events` events), by raw number."""
    if pairs.empty:
        return pd.Series(dtype="int64"), 0.0
    codes, uniques = pd.factorize(pd.concat([pairs["a"], pairs["b"]], ignore_index=True))
    n = len(pairs)
    model = Communities(settings.resolution, settings.seed).fit(
        codes[:n], codes[n:], pairs["n_events"].to_numpy(dtype=float), len(uniques)
    )
    return pd.Series(model.labels_, index=uniques), model.modularity_


def _frames(tables: NetworkTables, pairs: pd.DataFrame, tokens: OutputPseudonymiser) -> CaseFrames:
    """The case side of the graph with identifiers as tokens and places in EPSG:27700."""
    pair_frame = pd.DataFrame(
        {
            "a": tokens.series(pairs["a"], IdType.PHONE),
            "b": tokens.series(pairs["b"], IdType.PHONE),
            "n_events": pairs["n_events"],
            "n_voice": pairs["n_voice"],
            "n_sms": pairs["n_sms"],
            "first_seen": iso(pairs["first"]),
            "last_seen": iso(pairs["last"]),
        }
    )
    hs = tables.handsets()
    handsets = pd.DataFrame(
        {
            "number": tokens.series(hs["number"], IdType.PHONE),
            "imei": tokens.series(hs["imei"], IdType.IMEI),
            "n_events": hs["n_events"],
            "first_seen": iso(hs["first"]),
            "last_seen": iso(hs["last"]),
        }
    )
    subs = tables.subscriber_persons()
    persons = tables.persons()
    homes = persons[persons["home_address_id"].notna()]
    addresses = tables.addresses()
    ax, ay = to_bng(addresses["lat"], addresses["lon"])
    named = pd.DataFrame({"incident_id": [], "person_id": []})
    if tables.has("incidents"):
        inc = tables.incidents()
        named = inc.assign(person_id=inc["person_ids"].str.split(";")).explode("person_id")
        named = named[named["person_id"].fillna("") != ""][["incident_id", "person_id"]]
    cells = tables.cells()
    cx, cy = to_bng(cells["lat"], cells["lon"])
    towns = tables.towns().groupby("town", as_index=False)[["x", "y"]].mean()
    hubs = tables.places("hubs", "name")
    hx, hy = to_bng(hubs["lat"], hubs["lon"])
    return CaseFrames(
        pairs=pair_frame,
        handsets=handsets,
        subscribers=pd.DataFrame(
            {
                "number": tokens.series(subs["number"], IdType.PHONE),
                "person_id": tokens.series(subs["person_id"], IdType.PERSON),
            }
        ),
        homes=pd.DataFrame(
            {
                "person_id": tokens.series(homes["person_id"], IdType.PERSON),
                "address_id": homes["home_address_id"].astype(str),
            }
        ),
        addresses=pd.DataFrame(
            {"address_id": addresses["address_id"].astype(str), "x": ax, "y": ay}
        ),
        named=pd.DataFrame(
            {
                "incident_id": named["incident_id"].astype(str),
                "person_id": tokens.series(named["person_id"], IdType.PERSON),
            }
        ),
        cells=pd.DataFrame({"cell_id": cells["cell_id"].astype(str), "x": cx, "y": cy}),
        towns=pd.concat(
            [pd.DataFrame({"town": hubs["name"].astype(str), "x": hx, "y": hy}), towns],
            ignore_index=True,
        ),
        areas=tables.areas(),
    )


def _tokenised(
    outputs: Outputs, tokens: OutputPseudonymiser
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The line numbers and the analyses' tables with every identifier as a token."""
    numbers = tokens.frame(outputs.lines.numbers)
    t = {name: tokens.frame(frame) for name, frame in outputs.tables.items()}
    return numbers, t


def _spread_communities(graph: Graph, of_phone: pd.Series) -> pd.Series:
    """Community of each node: a phone's own (from the case's communications); any other
    node's is the most common among its neighbours that have one, phones first (a person
    takes its phones', then a home its occupants'); -1 when none of them has one."""
    nodes, edges = graph.nodes, graph.edges
    community = nodes["node_id"].map(of_phone).fillna(-1).astype("int64")
    ends = pd.concat(
        [
            edges[["source", "target"]],
            edges[["target", "source"]].set_axis(["source", "target"], axis=1),
        ]
    )
    for _ in range(3):
        by_id = pd.Series(community.to_numpy(), index=nodes["node_id"])
        found = ends.assign(community=ends["target"].map(by_id))
        found = found[found["community"] >= 0]
        if found.empty:
            break
        counts = found.groupby(["source", "community"]).size().rename("n").reset_index()
        best = counts.sort_values(["source", "n", "community"], ascending=[True, False, True])
        majority = best.groupby("source").head(1).set_index("source")["community"]
        missing = community < 0
        community[missing] = nodes.loc[missing, "node_id"].map(majority).fillna(-1).astype("int64")
    return community


def _community_table(
    graph: Graph,
    sizes: pd.Series,
    numbers: pd.DataFrame,
    groups: dict[int, str],
    rivals: dict[int, set[int]],
    players: pd.DataFrame,
) -> pd.DataFrame:
    """COMMUNITY_COLUMNS for every community with a node in the graph."""
    nodes = graph.nodes[graph.nodes["community"] >= 0]
    ids = sorted(set(nodes["community"]))
    phone_community = nodes[nodes["type"] == "phone"].set_index("label")["community"]
    members = numbers.assign(community=numbers["number"].map(phone_community)).dropna()
    lines = members.groupby("community")["line_id"].agg(lambda s: ";".join(sorted(set(s))))
    n_line = members.groupby("community").size()
    named = players.groupby("community")["label"].agg(lambda s: ";".join(s.head(5)))
    return pd.DataFrame(
        {
            "community": ids,
            "n_numbers": [int(sizes.get(c, 0)) for c in ids],
            "n_nodes": nodes.groupby("community").size().reindex(ids).to_numpy(),
            "line_ids": [lines.get(c, "") for c in ids],
            "n_line_numbers": [int(n_line.get(c, 0)) for c in ids],
            "rival_group": [groups.get(c, "") for c in ids],
            "rival_communities": [
                ";".join(str(r) for r in sorted(rivals.get(c, set()))) for c in ids
            ],
            "key_players": [named.get(c, "") for c in ids],
        }
    )


def find_network(
    database: Path, outputs: Outputs, key: bytes, settings: NetworkSettings | None = None
) -> NetworkResult:
    """The POLE graph, communities and key players of the loaded case `database` and the
    analyses' `outputs`, every identifier pseudonymised with `key`."""
    s = settings or NetworkSettings()
    tokens = OutputPseudonymiser(key)
    with NetworkTables(database) as tables:
        pairs = tables.contact_pairs(s.min_events)
        of_number, modularity = _case_communities(pairs, s)
        frames = _frames(tables, pairs, tokens)
    of_token = pd.Series(
        of_number.to_numpy(),
        index="phone:" + tokens.series(pd.Series(of_number.index), IdType.PHONE),
    )
    numbers, tables_t = _tokenised(outputs, tokens)
    graph = build_graph(outputs.lines.lines, outputs.register, numbers, tables_t, frames)
    nodes = graph.nodes
    nodes["community"] = _spread_communities(graph, of_token.groupby(level=0).first()).to_numpy()
    nodes["betweenness"] = betweenness(nodes["node_id"], graph.edges, s.players).round(6)
    degree = pd.concat([graph.edges["source"], graph.edges["target"]]).value_counts()
    nodes["degree"] = nodes["node_id"].map(degree).fillna(0).astype(int)
    players = key_players(nodes, graph.edges, numbers, s.players)
    by_line = line_communities(
        numbers, nodes[nodes["type"] == "phone"].set_index("label")["community"]
    )
    rivalries = tables_t["rivalries"]
    groups = rival_groups(rivalries, by_line)
    rivals: dict[int, set[int]] = {}
    for a, b in zip(rivalries["line_a"], rivalries["line_b"], strict=True):
        ca, cb = by_line.get(a), by_line.get(b)
        if ca is not None and cb is not None:
            rivals.setdefault(int(ca), set()).add(int(cb))
            rivals.setdefault(int(cb), set()).add(int(ca))
    sizes = (
        pd.Series(np.bincount(of_number.to_numpy())) if len(of_number) else pd.Series(dtype="int64")
    )
    communities = _community_table(graph, sizes, numbers, groups, rivals, players)
    return NetworkResult(
        graph,
        communities,
        players,
        outputs.lines.lines,
        tables_t,
        frames,
        len(pairs),
        modularity,
        outputs.missing,
    )

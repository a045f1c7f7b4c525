"""`countylines network`: the POLE graph, communities, key players and the exports, each read
back with an independent reader (networkx, pyogrio, xml.etree, pandas)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import XSS, cli, shared_case, shared_database

from countylines.network.anx import write_anx
from countylines.network.communities import Communities, louvain_baseline
from countylines.network.graph import EDGE_COLUMNS, NODE_COLUMNS, Graph
from countylines.network.graphml import write_graphml
from countylines.network.i2csv import write_i2_csv
from countylines.network.players import (
    PlayerSettings,
    betweenness,
    line_communities,
    rival_groups,
)
from countylines.network.scoring import evaluate_network
from countylines.pseudonym import TOKEN_RE
from countylines.workspace import load_key, open_workspace

HOSTILE = [*XSS, "]]><x>&amp;</x>", "tab\tquote\"apos'<&>", "bell\x07nul\x00end"]


def planted(groups: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A planted partition: dense inside `groups` groups of `size`, a few edges between."""
    rng = np.random.default_rng(seed)
    n = groups * size
    src = rng.integers(0, n, n * 8)
    inside = rng.random(len(src)) < 0.9
    dst = np.where(
        inside, src // size * size + rng.integers(0, size, len(src)), rng.integers(0, n, len(src))
    )
    keep = src != dst
    return src[keep], dst[keep], np.arange(n) // size


@pytest.mark.parametrize("method", ["networkit", "networkx"])
def test_communities_recover_a_planted_partition(method: str) -> None:
    src, dst, truth = planted(12, 40, seed=5)
    weight = np.ones(len(src))
    if method == "networkit":
        labels = Communities(seed=1).fit_predict(src, dst, weight, len(truth))
    else:
        labels = louvain_baseline(src, dst, weight, len(truth), seed=1)
    frame = pd.DataFrame({"truth": truth, "found": labels})
    share = frame.groupby("truth")["found"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    assert share.min() > 0.9
    assert frame["found"].nunique() == 12
    sizes = frame["found"].value_counts().sort_index()
    assert sizes.is_monotonic_decreasing  # labels by decreasing size


def test_lines_take_their_numbers_community_and_rivalries_join_communities() -> None:
    numbers = pd.DataFrame(
        {"line_id": ["L1", "L1", "L1", "L2", "L3", "L4"], "number": ["a", "b", "c", "d", "e", "f"]}
    )
    community = pd.Series({"a": 4, "b": 4, "c": 1, "d": 2, "e": 3, "f": 3})
    of_line = line_communities(numbers, community)
    assert of_line.to_dict() == {"L1": 4, "L2": 2, "L3": 3, "L4": 3}
    rivalries = pd.DataFrame({"line_a": ["L1", "L3"], "line_b": ["L2", "L4"]})
    groups = rival_groups(rivalries, of_line)
    assert groups[4] == groups[2] and groups[3] not in (groups[4], "")
    assert 1 not in groups


@pytest.mark.parametrize("exact_limit", [100, 0])
def test_brokers_sit_between_two_groups_exactly_or_estimated(exact_limit: int) -> None:
    # two triangles joined through one node: it lies on every path between them
    pairs = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "hub"), ("hub", "d"), ("d", "e"),
             ("e", "f"), ("d", "f")]  # fmt: skip
    edges = pd.DataFrame(pairs, columns=["source", "target"])
    nodes = pd.Series(["a", "b", "c", "hub", "d", "e", "f"])
    scores = betweenness(nodes, edges, PlayerSettings(exact_limit=exact_limit, samples=50))
    assert scores.argmax() == 3 and scores[0] == 0 and 0 < scores[3] <= 1


def hostile_graph() -> Graph:
    """Three nodes whose labels and descriptions are hostile text, two links between them."""
    kinds = ["person", "phone", "town"]
    nodes = pd.DataFrame({c: [""] * 3 for c in NODE_COLUMNS})
    nodes["node_id"] = [f"{k}:{t}" for k, t in zip(kinds, HOSTILE[:3], strict=True)]
    nodes["type"] = kinds
    nodes["pole"] = ["person", "object", "location"]
    nodes["label"] = HOSTILE[5:8]
    nodes["description"] = HOSTILE[:3]
    nodes["x"] = [np.nan, 1.0, 2.0]
    nodes["y"] = [np.nan, 1.0, 2.0]
    nodes["count"] = [0, 3, 0]
    nodes["community"] = [0, 0, -1]
    nodes["betweenness"] = [0.0, 0.5, 0.0]
    edges = pd.DataFrame({c: [""] * 2 for c in EDGE_COLUMNS})
    edges["source"] = nodes["node_id"][:2].to_numpy()
    edges["target"] = nodes["node_id"][1:].to_numpy()
    edges["type"] = ["subscriber", "in_town"]
    edges["weight"] = [1.0, 2.0]
    edges["description"] = HOSTILE[3:5]
    return Graph(nodes, edges)


def readable(text: str) -> str:
    """What an XML parser reads back: forbidden control characters become U+FFFD, and
    attribute values normalise tabs to spaces."""
    return "".join("\ufffd" if ord(c) < 32 and c not in "\t\n\r" else c for c in text)


def test_hostile_labels_round_trip_as_text_in_anx_graphml_and_i2(tmp_path: Path) -> None:
    graph = hostile_graph()
    anx = ET.parse(write_anx(graph, tmp_path / "h.anx")).getroot()
    labels = [item.get("Label") for item in anx.iter("ChartItem") if item.find("End")]
    assert (
        [label.replace("\t", " ") for label in labels]
        == [  # type: ignore[union-attr]
            readable(v).replace("\t", " ") for v in HOSTILE[5:8]
        ]
    )
    assert not list(anx.iter("script")) and not list(anx.iter("x"))  # no markup got in
    g = nx.read_graphml(write_graphml(graph, tmp_path / "h.graphml"))
    assert sorted(g.nodes[n]["label"] for n in g.nodes) == sorted(readable(v) for v in HOSTILE[5:8])
    assert {readable(v) for v in HOSTILE[:3]} == {g.nodes[n]["description"] for n in g.nodes}
    entities = pd.read_csv(
        tmp_path / write_i2_csv(graph, tmp_path)[0].name, dtype=str, keep_default_na=False
    )
    assert list(entities["Label"]) == HOSTILE[5:8]  # CSV keeps the text exactly


# --- end to end on a small simulated case ---------------------------------------------------


@pytest.fixture(scope="module")
def small_network(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Small seed 12 (a development seed): lines, people, violence and movement laid out as
    `assess` does, then `countylines network`. Returns the case, OUT and the workspace."""
    from countylines.lines.detect import find_lines
    from countylines.lines.report import write_outputs

    case = shared_case(tmp_path_factory, "small", 12)
    database = shared_database(case)
    root = tmp_path_factory.mktemp("network")
    home = tmp_path_factory.mktemp("network-home") / "home"
    write_outputs(find_lines(database), root / "lines")
    for command, extra in (("violence", ()), ("movement", ()), ("people", ("--home", home))):
        res = cli(
            command, database, "--out", root / command, "--lines", root / "lines", "--quiet", *extra
        )
        assert res.exit_code == 0, res.output
    res = cli("network", database, "--out", root / "network", "--home", home, "--json")
    assert res.exit_code == 0, res.output
    assert res.json()["missing"] == ["places/places.csv"]
    return case, root / "network", home


def test_graph_tables_are_consistent_and_typed(small_network) -> None:
    _, out, _ = small_network
    nodes = pd.read_csv(out / "network_nodes.csv", keep_default_na=False, dtype={"label": str})
    edges = pd.read_csv(out / "network_edges.csv", keep_default_na=False)
    assert nodes["node_id"].is_unique
    ids = set(nodes["node_id"])
    assert set(edges["source"]) <= ids and set(edges["target"]) <= ids
    assert set(nodes["pole"]) == {"person", "object", "location", "event"}
    assert {
        "phone",
        "handset",
        "person",
        "line",
        "address",
        "town",
        "incident",
        "vehicle",
        "journey",
    } <= set(nodes["type"])
    lines = nodes[nodes["type"] == "line"]
    assert len(lines) == len(pd.read_csv(out.parent / "lines" / "lines.csv"))
    roles = edges[edges["type"].isin(["deal_line", "runner", "holder"])]
    assert (
        roles["source"].str.startswith("line:") & roles["target"].str.startswith("phone:")
    ).all()
    players = pd.read_csv(out / "key_players.csv", keep_default_na=False)
    holders = edges.loc[edges["type"] == "holder", "target"]
    assert set(holders) <= set(players.loc[players["role"] == "line_holder", "node_id"])
    assert (players.loc[players["role"] == "broker", "n_communities"] >= 2).all()


def test_every_identifier_is_a_token(small_network) -> None:
    case, out, _ = small_network
    raw_numbers = set(pd.read_csv(case / "truth" / "line_numbers.csv", dtype=str)["number"])
    nodes = pd.read_csv(out / "network_nodes.csv", keep_default_na=False, dtype={"label": str})
    for kind in ("phone", "handset", "person", "vehicle"):
        labels = nodes.loc[nodes["type"] == kind, "label"]
        assert len(labels) and labels.map(lambda v: bool(TOKEN_RE.fullmatch(v))).all(), kind
    for path in out.iterdir():
        if path.suffix in (".csv", ".anx", ".graphml", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert "+44" not in text and not any(n in text for n in raw_numbers), path.name
    for layer in pyogrio.list_layers(out / "network.gpkg")[:, 0]:
        frame = pyogrio.read_dataframe(out / "network.gpkg", layer=layer)
        assert not frame.astype(str).apply(lambda c: c.str.contains(r"\+44")).any().any()


def test_communities_recover_the_simulated_lines(small_network) -> None:
    case, out, home = small_network
    key = load_key(open_workspace(home).key_path)
    metrics = evaluate_network(case / "truth", out, key)
    # most of each true line's numbers share one community (1.0 measured on this seed)
    assert metrics["numbers_in_graph"] > 0.9
    assert metrics["mean_cohesion"] > 0.8 and metrics["lines_cohesion_0_5"] > 0.8
    communities = pd.read_csv(out / "communities.csv", keep_default_na=False)
    assert communities["community"].is_unique and (communities["n_line_numbers"] > 0).any()


def test_graphml_reads_back_with_networkx(small_network) -> None:
    _, out, _ = small_network
    nodes = pd.read_csv(out / "network_nodes.csv", keep_default_na=False)
    edges = pd.read_csv(out / "network_edges.csv", keep_default_na=False)
    g = nx.read_graphml(out / "network.graphml")
    assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(edges)
    some = nodes.iloc[len(nodes) // 2]
    assert g.nodes[some["node_id"]]["type"] == some["type"]
    assert g.nodes[some["node_id"]]["community"] == some["community"]


def test_anx_chart_is_well_formed(small_network) -> None:
    _, out, _ = small_network
    chart = ET.parse(out / "network.anx").getroot()
    assert chart.tag == "Chart"
    types = {t.get("Name") for t in chart.iter("EntityType")}
    entities = {e.get("EntityId"): e for e in chart.iter("Entity")}
    assert entities and all(
        e.find("Icon/IconStyle").get("Type") in types
        for e in entities.values()  # type: ignore[union-attr]
    )
    links = list(chart.iter("Link"))
    assert links and all(
        link.get("End1Id") in entities and link.get("End2Id") in entities for link in links
    )
    assert {s.get("Type") for s in chart.iter("LinkStyle")} <= {
        t.get("Name") for t in chart.iter("LinkType")
    }
    nodes = pd.read_csv(out / "network_nodes.csv", keep_default_na=False)
    contacts = nodes[(nodes["type"] == "phone") & (nodes["description"] == "contact")]
    assert len(entities) < len(nodes) and not (
        set(contacts["node_id"]) - set(pd.read_csv(out / "key_players.csv")["node_id"])
    ) & set(entities)
    i2_nodes = pd.read_csv(out / "i2_entities.csv", keep_default_na=False)
    i2_links = pd.read_csv(out / "i2_links.csv", keep_default_na=False)
    assert set(i2_nodes["Entity ID"]) == set(entities)
    assert set(i2_links["From ID"]) | set(i2_links["To ID"]) <= set(i2_nodes["Entity ID"])
    assert len(i2_links) == len(links)


def test_geopackage_layers_are_in_british_national_grid(small_network) -> None:
    _, out, _ = small_network
    layers = {name for name, _ in pyogrio.list_layers(out / "network.gpkg")}
    assert {"areas", "market_towns", "cuckooed_homes", "incidents", "journeys"} <= layers
    for layer in layers:
        frame = pyogrio.read_dataframe(out / "network.gpkg", layer=layer)
        assert frame.crs.to_epsg() == 27700, layer
        assert len(frame) and shapely.is_valid(frame.geometry.to_numpy()).all(), layer
        xmin, ymin, xmax, ymax = frame.total_bounds
        assert xmin >= 0 and xmax <= 700_000 and ymin >= 0 and ymax <= 1_300_000, layer
    incidents = pyogrio.read_dataframe(out / "network.gpkg", layer="incidents")
    assert {"weapon", "motive", "line_id"} <= set(incidents.columns)
    assert set(pyogrio.read_dataframe(out / "network.gpkg", layer="journeys").geom_type) == {
        "LineString"
    }


def test_bad_inputs_stop_with_a_message(small_network, tmp_path: Path) -> None:
    case, out, home = small_network
    database = shared_database(case)
    res = cli(
        "network",
        database,
        "--out",
        tmp_path / "o1",
        "--people",
        tmp_path / "nowhere",
        "--lines",
        out.parent / "lines",
        "--home",
        home,
    )
    assert res.exit_code == 2 and "--people" in res.stderr and "is not a folder" in res.stderr
    broken = tmp_path / "people"
    broken.mkdir()
    runners = pd.read_csv(out.parent / "people" / "runners.csv")
    runners.drop(columns="person_id").to_csv(broken / "runners.csv", index=False)
    res = cli(
        "network",
        database,
        "--out",
        tmp_path / "o2",
        "--people",
        broken,
        "--lines",
        out.parent / "lines",
        "--home",
        home,
    )
    assert res.exit_code == 2 and "runners.csv" in res.flat and "'person_id'" in res.flat
    assert "Traceback" not in res.output


def test_the_line_register_alone_is_enough(small_network, tmp_path: Path) -> None:
    case, out, home = small_network
    res = cli("network", shared_database(case), "--out", tmp_path / "alone" / "network",
              "--lines", out.parent / "lines", "--home", home, "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert len(res.json()["missing"]) == 8
    nodes = pd.read_csv(tmp_path / "alone" / "network" / "network_nodes.csv")
    assert {"phone", "line", "town"} <= set(nodes["type"]) and "incident" not in set(nodes["type"])

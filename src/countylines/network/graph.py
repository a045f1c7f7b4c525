"""The POLE graph: persons, objects (phones, handsets, vehicles, lines), locations (addresses,
towns, cells) and events (incidents, journeys) as two plain tables, `nodes` and `edges`.

Everything here works on pandas frames whose identifiers are already pseudonym tokens
(`private_outputs.OutputPseudonymiser`). Node ids are `type:value` (`phone:PH-…`, `line:L001`,
`town:Telford`). Coordinates `x`, `y` are British National Grid (EPSG:27700) metres, empty
where a node has no place; times are UTC ISO 8601 text.

The graph is bounded: it holds the lines' own numbers and the numbers in contact with them
(at least `min_events` calls and texts between the two), the communications between those
numbers aggregated into one weighted edge per pair, the handsets of the lines' numbers, the
persons linked to the numbers (subscriber checks, runner links), their homes, and the
analyses' findings; not every customer call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from countylines.movement.geo import to_bng

NODE_COLUMNS = (
    "node_id",
    "pole",
    "type",
    "label",
    "line_ids",
    "first_seen",
    "last_seen",
    "count",
    "x",
    "y",
    "description",
)
EDGE_COLUMNS = (
    "source",
    "target",
    "type",
    "weight",
    "first_seen",
    "last_seen",
    "line_id",
    "description",
)
POLE = {
    "person": "person",
    "phone": "object",
    "handset": "object",
    "vehicle": "object",
    "line": "object",
    "address": "location",
    "town": "location",
    "cell": "location",
    "incident": "event",
    "journey": "event",
}
NOBODY = pd.DataFrame({"person_id": pd.Series(dtype=str), "priority": pd.Series(dtype=str)})


@dataclass
class CaseFrames:
    """The case's side of the graph, identifiers as tokens; times as ISO text; x, y in
    EPSG:27700 metres. `pairs`: a, b, n_events, n_voice, n_sms, first_seen, last_seen;
    `handsets`: number, imei, n_events, first_seen, last_seen; `subscribers`: number,
    person_id; `homes`: person_id, address_id; `addresses`: address_id, x, y; `named`:
    incident_id, person_id; `cells`: cell_id, x, y; `towns`: town, x, y (hubs included);
    `areas`: area_id, name, town, geometry_wkb (EPSG:27700), for the map layers only."""

    pairs: pd.DataFrame
    handsets: pd.DataFrame
    subscribers: pd.DataFrame
    homes: pd.DataFrame
    addresses: pd.DataFrame
    named: pd.DataFrame
    cells: pd.DataFrame
    towns: pd.DataFrame
    areas: pd.DataFrame


@dataclass
class Graph:
    """`nodes` (NODE_COLUMNS) and `edges` (EDGE_COLUMNS, undirected, source → target as read)."""

    nodes: pd.DataFrame
    edges: pd.DataFrame


def iso(seconds: pd.Series) -> pd.Series:
    """Seconds since 1970 as UTC ISO 8601 text ("" when missing)."""
    t = pd.to_datetime(pd.to_numeric(seconds, errors="coerce"), unit="s", utc=True)
    return t.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")


def _nodes(kind: str, values: pd.Series | list[str], **cols: Any) -> pd.DataFrame:
    values = pd.Series(values, dtype=object).reset_index(drop=True).astype(str)
    frame = pd.DataFrame(
        {"node_id": kind + ":" + values, "pole": POLE[kind], "type": kind, "label": values}
    )
    for name, value in cols.items():
        frame[name] = value.reset_index(drop=True) if isinstance(value, pd.Series) else value
    return frame


def _edges(
    source: pd.Series, target: pd.Series, kind: str | pd.Series, **cols: Any
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"source": source.reset_index(drop=True), "target": target.reset_index(drop=True)}
    )
    frame["type"] = kind.reset_index(drop=True) if isinstance(kind, pd.Series) else kind
    for name, value in cols.items():
        frame[name] = value.reset_index(drop=True) if isinstance(value, pd.Series) else value
    return frame


def _each(frame: pd.DataFrame, column: str, into: str) -> pd.DataFrame:
    """One row per element of the `;`-separated lists in `column`, the element in `into`."""
    lists = frame[column].fillna("").astype(str).map(lambda s: [v for v in s.split(";") if v])
    return frame.assign(**{into: lists}).explode(into).dropna(subset=[into])


def _phones(
    numbers: pd.DataFrame, frames: CaseFrames
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Phone nodes (the lines' numbers and their contacts) and the communication edges."""
    own = set(numbers["number"])
    pairs = frames.pairs
    touching = pairs["a"].isin(own) | pairs["b"].isin(own)
    scope = own | set(pairs.loc[touching, "a"]) | set(pairs.loc[touching, "b"])
    inside = pairs[pairs["a"].isin(scope) & pairs["b"].isin(scope)]
    ends = pd.concat(
        [
            inside[["a", "n_events", "first_seen", "last_seen"]].rename(columns={"a": "number"}),
            inside[["b", "n_events", "first_seen", "last_seen"]].rename(columns={"b": "number"}),
        ]
    )
    per = ends.groupby("number").agg(
        count=("n_events", "sum"), first_seen=("first_seen", "min"), last_seen=("last_seen", "max")
    )
    roles = numbers.groupby("number").agg(
        line_ids=("line_id", lambda s: ";".join(sorted(set(s)))),
        description=("role", lambda s: ";".join(sorted(set(s)))),
    )
    phones = pd.DataFrame(index=sorted(scope)).join(per).join(roles)
    phones["description"] = phones["description"].fillna("contact")
    node = _nodes(
        "phone",
        pd.Series(phones.index),
        line_ids=phones["line_ids"].fillna(""),
        first_seen=phones["first_seen"].fillna(""),
        last_seen=phones["last_seen"].fillna(""),
        count=phones["count"].fillna(0),
        description=phones["description"],
    )
    comms = _edges(
        "phone:" + inside["a"],
        "phone:" + inside["b"],
        "communicates",
        weight=inside["n_events"],
        first_seen=inside["first_seen"],
        last_seen=inside["last_seen"],
        description=inside["n_voice"].astype(int).astype(str)
        + " calls, "
        + inside["n_sms"].astype(int).astype(str)
        + " texts",
    )
    ours = frames.handsets[frames.handsets["number"].isin(own)]
    handsets = _nodes("handset", ours["imei"].drop_duplicates())
    used = _edges(
        "phone:" + ours["number"],
        "handset:" + ours["imei"],
        "used_in",
        weight=ours["n_events"],
        first_seen=ours["first_seen"],
        last_seen=ours["last_seen"],
    )
    return [node, handsets], [comms, used]


def _lines(
    outputs_lines: pd.DataFrame, register: pd.DataFrame, numbers: pd.DataFrame
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Line nodes, their numbers by role, market towns and hub."""
    lines = outputs_lines.merge(register, on="line_id", how="left")
    brand = lines["brand"].fillna("").astype(str)
    node = _nodes(
        "line",
        lines["line_id"],
        label=(lines["line_id"] + " " + brand).str.strip(),
        line_ids=lines["line_id"],
        first_seen=iso(lines["start"]),
        last_seen=iso(lines["end"]),
        description="hub "
        + lines["hub"].replace("", "unknown")
        + "; market towns "
        + lines["market_towns"].map(";".join),
    )
    members = _edges(
        "line:" + numbers["line_id"],
        "phone:" + numbers["number"],
        numbers["role"],
        line_id=numbers["line_id"],
    )
    towns = lines[["line_id", "market_towns"]].explode("market_towns").dropna()
    market = _edges(
        "line:" + towns["line_id"],
        "town:" + towns["market_towns"],
        "market_town",
        line_id=towns["line_id"],
    )
    hubs = lines[lines["hub"] != ""]
    hub = _edges("line:" + hubs["line_id"], "town:" + hubs["hub"], "hub", line_id=hubs["line_id"])
    names = pd.concat([towns["market_towns"], hubs["hub"]]).drop_duplicates()
    return [node, _nodes("town", names)], [members, market, hub]


def _persons(
    phones: set[str], frames: CaseFrames, runners: pd.DataFrame, safeguarding: pd.DataFrame
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Persons behind the graph's phones (subscriber checks and `people`'s runner links) and
    their homes."""
    subs = frames.subscribers[frames.subscribers["number"].isin(phones)]
    sub = _edges("person:" + subs["person_id"], "phone:" + subs["number"], "subscriber")
    linked = runners[(runners["person_id"] != "") & runners["number"].isin(phones)]
    how = linked.get("link", pd.Series("linked", index=linked.index))
    run = _edges(
        "person:" + linked["person_id"],
        "phone:" + linked["number"],
        "runner_link",
        line_id=linked["line_id"],
        description=how,
    )
    people = pd.Index(subs["person_id"]).union(pd.Index(linked["person_id"]))
    return [_person_nodes(people, safeguarding)], [sub, run]


def _person_nodes(people: pd.Index, safeguarding: pd.DataFrame) -> pd.DataFrame:
    listed = safeguarding.drop_duplicates("person_id").set_index("person_id")["priority"]
    priority = dict(zip(listed.index, listed.astype(str), strict=True))
    what = pd.Series([priority.get(p, "") for p in people], dtype=object)
    return _nodes(
        "person",
        pd.Series(people, dtype=object),
        description=what.map(lambda p: f"safeguarding priority {p}" if p else ""),
    )


def _homes(
    persons: set[str], frames: CaseFrames, cuckooed: pd.DataFrame
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Homes of the graph's persons and the suspected cuckooed homes (with their base cells)."""
    homes = frames.homes[frames.homes["person_id"].isin(persons)]
    lives = _edges("person:" + homes["person_id"], "address:" + homes["address_id"], "lives_at")
    taken = _each(cuckooed, "line_ids", "line_id")
    cuckoo = _edges(
        "line:" + taken["line_id"],
        "address:" + taken["address_id"],
        "cuckooed",
        weight=pd.to_numeric(taken["score"], errors="coerce"),
        line_id=taken["line_id"],
    )
    occupied = cuckooed[cuckooed["occupant_person_id"] != ""]
    occupant = _edges(
        "person:" + occupied["occupant_person_id"], "address:" + occupied["address_id"], "lives_at"
    )
    ids = pd.concat([homes["address_id"], cuckooed["address_id"]]).drop_duplicates()
    places = frames.addresses.set_index("address_id")
    node = _nodes("address", ids, x=ids.map(places["x"]), y=ids.map(places["y"]))
    node["description"] = np.where(
        ids.isin(set(cuckooed["address_id"])).to_numpy(), "suspected cuckooed home", "home"
    )
    edges = [lives, cuckoo, occupant]
    nodes = [node, _person_nodes(pd.Index(occupied["occupant_person_id"]), NOBODY)]
    if "cell_id" in cuckooed.columns:
        celled = cuckooed[cuckooed["cell_id"] != ""]
        edges.append(
            _edges("address:" + celled["address_id"], "cell:" + celled["cell_id"], "near_cell")
        )
        nodes.append(_nodes("cell", celled["cell_id"]))
    return nodes, edges


def _dwells(runners: pd.DataFrame) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Cells where runner phones dwelt (`people`'s `dwell_cells`)."""
    if "dwell_cells" not in runners.columns:
        return [], []
    dwelt = _each(runners, "dwell_cells", "cell_id")
    return [_nodes("cell", dwelt["cell_id"])], [
        _edges(
            "phone:" + dwelt["number"],
            "cell:" + dwelt["cell_id"],
            "dwells_at",
            line_id=dwelt["line_id"],
        )
    ]


def _incidents(
    violence: pd.DataFrame, rivalries: pd.DataFrame, frames: CaseFrames
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Incidents attributed to lines, the persons they name, their towns; rivalries."""
    ours = violence[violence["line_id"] != ""]
    node = _nodes(
        "incident",
        ours["incident_id"],
        first_seen=ours["time"],
        last_seen=ours["time"],
        line_ids=ours["line_id"],
        description=ours["weapon"] + "; " + ours["motive"],
    )
    node["x"], node["y"] = to_bng(
        pd.to_numeric(ours["lat"], errors="coerce"), pd.to_numeric(ours["lon"], errors="coerce")
    )
    to_line = _edges(
        "incident:" + ours["incident_id"],
        "line:" + ours["line_id"],
        "attributed_to",
        line_id=ours["line_id"],
    )
    rival = ours[ours["rival_line_id"] != ""]
    to_rival = _edges(
        "incident:" + rival["incident_id"],
        "line:" + rival["rival_line_id"],
        "rival_side",
        line_id=rival["rival_line_id"],
    )
    placed = ours[ours["town"] != ""]
    town = _edges("incident:" + placed["incident_id"], "town:" + placed["town"], "in_town")
    named = frames.named[frames.named["incident_id"].isin(set(ours["incident_id"]))]
    persons = _edges("incident:" + named["incident_id"], "person:" + named["person_id"], "named")
    rivals = _edges(
        "line:" + rivalries["line_a"],
        "line:" + rivalries["line_b"],
        "rivalry",
        weight=pd.to_numeric(rivalries["n_incidents"], errors="coerce"),
        first_seen=rivalries["first_incident"],
        last_seen=rivalries["last_incident"],
        description=rivalries.get("escalating", pd.Series("", index=rivalries.index)).map(
            lambda v: "escalating" if str(v).lower() == "true" else ""
        ),
    )
    nodes = [
        node,
        _nodes("town", placed["town"].drop_duplicates()),
        _person_nodes(pd.Index(named["person_id"].drop_duplicates()), NOBODY),
    ]
    return nodes, [to_line, to_rival, town, persons, rivals]


def _vehicles(
    vehicles: pd.DataFrame, journeys: pd.DataFrame
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Vehicles of interest, the runner phones they carried, and the journeys of lines'
    runners by rail or in a vehicle of interest."""
    what = vehicles.get("category", pd.Series("", index=vehicles.index)).fillna("")
    node = _nodes("vehicle", vehicles["vrm"], line_ids=vehicles["line_id"], description=what)
    works = _edges(
        "vehicle:" + vehicles["vrm"],
        "line:" + vehicles["line_id"],
        "vehicle_of",
        weight=pd.to_numeric(vehicles["n_co_travel_trips"], errors="coerce"),
        line_id=vehicles["line_id"],
    )
    carried = _each(vehicles, "runners", "number")
    carry = _edges(
        "vehicle:" + carried["vrm"],
        "phone:" + carried["number"],
        "carried",
        line_id=carried["line_id"],
    )
    keep = (journeys["line_id"] != "") & (
        (journeys["mode"] == "rail") | journeys["vrm"].isin(set(vehicles["vrm"]))
    )
    trips = journeys[keep].reset_index(drop=True)
    ids = pd.Series([f"J{i + 1:05d}" for i in range(len(trips))], dtype=object)
    label = trips["mode"] + " " + trips["from_place"] + ">" + trips["to_place"]
    nodes = [
        node,
        _nodes(
            "journey",
            ids,
            label=label,
            line_ids=trips["line_id"],
            first_seen=trips["depart"],
            last_seen=trips["arrive"],
            description=trips["mode"],
        ),
    ]
    jid = "journey:" + ids
    edges = [
        works,
        carry,
        _edges(jid, "phone:" + trips["number"], "travelled", line_id=trips["line_id"]),
    ]
    by_car = trips["vrm"] != ""
    edges.append(_edges(jid[by_car], "vehicle:" + trips.loc[by_car, "vrm"], "by_vehicle"))
    for end, column in (("from", "from_place"), ("to", "to_place")):
        known = trips[column] != ""
        edges.append(_edges(jid[known], "town:" + trips.loc[known, column], end))
        nodes.append(_nodes("town", trips.loc[known, column].drop_duplicates()))
    return nodes, edges


def _merge_nodes(parts: list[pd.DataFrame], frames: CaseFrames) -> pd.DataFrame:
    """One row per node id: the first label and description, the earliest first and latest last
    sighting, the lines joined; places from the case (towns, cells) where the node has none."""
    nodes = pd.concat([p for p in parts if len(p)], ignore_index=True)
    for column in NODE_COLUMNS:
        if column not in nodes.columns:
            nodes[column] = np.nan if column in ("x", "y", "count") else ""
    text = ["label", "description", "first_seen", "last_seen", "line_ids", "pole", "type"]
    nodes[text] = nodes[text].fillna("").astype(str)
    nodes["first_seen"] = nodes["first_seen"].replace("", "~")  # "" sorts first; ~ last
    grouped = nodes.groupby("node_id", sort=True)
    merged = grouped.agg(
        pole=("pole", "first"),
        type=("type", "first"),
        label=("label", "first"),
        line_ids=(
            "line_ids",
            lambda s: ";".join(sorted({v for x in s for v in x.split(";") if v})),
        ),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
        count=("count", "max"),
        x=("x", "first"),
        y=("y", "first"),
        description=("description", lambda s: next((v for v in s if v), "")),
    ).reset_index()
    merged["first_seen"] = merged["first_seen"].replace("~", "")
    for kind, places, key in (("town", frames.towns, "town"), ("cell", frames.cells, "cell_id")):
        at = places.drop_duplicates(key).set_index(key)
        rows = merged["type"] == kind
        if not rows.any():
            continue
        merged.loc[rows, "x"] = merged.loc[rows, "label"].map(at["x"]).to_numpy()
        merged.loc[rows, "y"] = merged.loc[rows, "label"].map(at["y"]).to_numpy()
    merged["count"] = merged["count"].fillna(0).astype(int)
    merged[["x", "y"]] = merged[["x", "y"]].astype(float).round(1)
    return merged[list(NODE_COLUMNS)]


def build_graph(
    lines: pd.DataFrame,
    register: pd.DataFrame,
    numbers: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    frames: CaseFrames,
) -> Graph:
    """The POLE graph of the lines (`lines`, `numbers` of `movement.lineset.Lines`, numbers as
    tokens), the analyses' `tables` (as `inputs.read_outputs` reads them, identifiers as
    tokens) and the case's `frames`."""
    node_parts, edge_parts = _phones(numbers, frames)
    phones = set(node_parts[0]["label"])
    for nodes, edges in (
        _lines(lines, register, numbers),
        _persons(phones, frames, tables["runners"], tables["safeguarding"]),
        _dwells(tables["runners"]),
        _incidents(tables["violence"], tables["rivalries"], frames),
        _vehicles(tables["vehicles_of_interest"], tables["journeys"]),
    ):
        node_parts += nodes
        edge_parts += edges
    persons = {
        p.split(":", 1)[1]
        for part in node_parts
        for p in part["node_id"]
        if p.startswith("person:")
    }
    nodes, edges = _homes(persons, frames, tables["cuckooed_addresses"])
    node_parts += nodes
    edge_parts += edges
    merged = _merge_nodes(node_parts, frames)
    edge_frame = pd.concat([e for e in edge_parts if len(e)], ignore_index=True)
    for column in EDGE_COLUMNS:
        if column not in edge_frame.columns:
            edge_frame[column] = np.nan if column == "weight" else ""
    edge_frame = edge_frame[list(EDGE_COLUMNS)]
    text = [c for c in EDGE_COLUMNS if c != "weight"]
    edge_frame[text] = edge_frame[text].fillna("").astype(str)
    edge_frame["weight"] = pd.to_numeric(edge_frame["weight"], errors="coerce").fillna(1.0)
    # Ends that are not nodes (a phone of a journey outside the graph, for example) become nodes.
    known = set(merged["node_id"])
    loose = pd.concat([edge_frame["source"], edge_frame["target"]]).drop_duplicates()
    loose = loose[~loose.isin(known)]
    if len(loose):
        kinds = loose.str.split(":", n=1).str[0]
        extra = [_nodes(k, loose[kinds == k].str.split(":", n=1).str[1]) for k in kinds.unique()]
        merged = _merge_nodes([merged, *extra], frames)
    return Graph(merged, edge_frame.drop_duplicates(["source", "target", "type"]))

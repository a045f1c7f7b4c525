"""Attributing incidents to lines, and deciding each incident's likely motive.

Plain data in and out. Evidence that incident *i* involves line *L* (each a row of `evidence`,
with a weight):

* `member_named` (3 per person): a person in the incident's `person_ids` whom a subscriber
  check links to one of the line's numbers (deal line, runner, holder);
* `call` (3 per call): a voice call from one of the line's runners to its deal line from
  `CALL_BEFORE_S` before to `CALL_AFTER_S` after the incident, the caller's cell within
  `CALL_RADIUS_M` of it (the runner ringing the deal line just after a robbery; runners
  otherwise text the deal line, and holders' routine calls are not counted); a call is given
  to the nearest such incident only; `call_far` (2): such a call from further away, given to
  the incident in one of the line's market towns closest in time (the caller may have moved);
* `runner_named` (3 per person): a person in `person_ids` who is a missing child found, episode
  after episode, where the line's runner phones were (`missing.link_missing`);
* `associate_named` (2 per person): a person named in another incident that calls or linked
  runners tie to the line (co-offenders and victims of the line, learnt from the case itself),
  unless the person's own seized phone or missing episodes tie them to another line; where the
  incidents record each person's role (`person_roles`), only the people on the line's side
  (`line_sides`);
* `customer_named` (1 per incident, however many are named: a line's drug users are named
  together in ordinary incidents of their own towns): a person in `person_ids` linked to one of
  the line's customers (a number that contacted its deal numbers at least twice);
* `hub_resident_named` (1.5 per person): a person living in the line's hub city named in an
  incident in its market town, when no other line of that hub works the town;
* `town_resident_named` (1.5 per person): a person living in another of the line's market
  towns named in an incident in its market town, when no other line working the town also
  works the person's home town;
* `market_town` (0.5): the incident is in one of the line's market towns during its active
  period.

A named person is evidence for one line only in an incident: the line with the highest total
among the lines the person is evidence for (`one_side_per_person`).

The line with the highest total is the incident's line when the total reaches
`AttributionSettings.min_score`, or leads alone when the description states a line's motive;
the line with the next highest total is the `second_line_id` (its total `second_score`), and it
is the other side (`rival_line_id`) when its evidence is strong on its own (`min_rival`), or
weaker (`min_rival_stated`) when the description itself says the incident was between rival
groups, the line's own people were at the scene (`AT_SCENE`) or its evidence is level with the
line's (the evidence puts both lines there equally), or when it is the only other
line in the town of a stated rivalry; a named associate in its market town (`min_rival_unopposed`)
is enough where the incident records roles that do not set its people against the line's
(`unopposed`); never when it ties with the third line. An incident
where one named victim is all that puts one of its two lines there is flagged `lone_victim`
(a line taxing another line's runner looks the same: `rivalry.find_rivalries`). Distances in
British National Grid metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

WEIGHTS = {
    "member_named": 3.0, "runner_named": 3.0, "call": 3.0, "call_far": 2.0, "associate_named": 2.0,
    "customer_named": 1.0, "hub_resident_named": 1.5, "town_resident_named": 1.5,
    "market_town": 0.5,
}  # fmt: skip
CALL_BEFORE_S = 300
CALL_AFTER_S = 1800
CALL_RADIUS_M = 10_000.0
HUB_HOME_M = 20_000.0
SERIOUS = ("bladed", "firearm", "corrosive")
LINE_MOTIVES = ("taxing", "rivalry", "show_of_strength")
PERSON_KINDS = ("member_named", "runner_named", "associate_named", "customer_named",
                "hub_resident_named", "town_resident_named")  # fmt: skip
"""Evidence that is a person named in the incident (`detail` is the person id)."""
SOURCE_KINDS = ("call", "call_far", "runner_named")
"""Evidence that teaches associates: a person named in an incident that it ties to a line is
the line's associate in their other incidents."""
PERSONAL_KINDS = ("member_named", "runner_named")
"""Evidence that ties a named person to a line by themselves: their seized phone (a subscriber
check) or their missing episodes spent where the line's runner phones were."""
OWN_KINDS = (*PERSONAL_KINDS, "hub_resident_named", "town_resident_named")
"""Evidence that a named person is one of the line's own people, which says the line's side."""
SIDES = ("suspect", "victim", "other")
"""The roles (`person_roles`) that put a person on one side of an incident (`other`: present,
neither suspect nor victim, such as the other group at a weapons find; a witness takes no
side)."""
AT_SCENE = ("call", "call_far", "hub_resident_named", "town_resident_named")
"""Evidence that a line's own people were at the incident: its runner rang its deal line, or a
resident of its hub or of another of its market towns was named."""


@dataclass(frozen=True)
class AttributionSettings:
    min_score: float = 2.0
    """Evidence weight needed to attribute an incident to a line (a named customer in a market
    town is not enough: customers are named in ordinary incidents in their own towns too)."""
    min_rival: float = 3.0
    """Evidence weight a second line needs to be named as the other side."""
    min_rival_unopposed: float = 2.5
    """The same when the incident records its people's roles and they do not set the second
    line's people against the line's (suspect against victim, as in taxing): a named associate
    of the second line in its market town is then enough (session 9)."""
    min_rival_stated: float = 2.0
    """The same when the description states a rivalry (a named associate of the line is then
    enough: the text already says two groups were involved)."""
    min_repeated: int = 2
    """Incidents with weaker evidence for both lines (`min_rival_stated`) that make two lines a
    rivalry without any one incident being conclusive (`rivalry.find_rivalries`)."""


def _explode_persons(incidents: pd.DataFrame) -> pd.DataFrame:
    """incident_id, person_id, role: one row per person named (`role` "" where the incident's
    optional `person_roles` does not record it)."""
    ids = incidents["person_ids"].fillna("").str.split(";")
    recorded = incidents.get("person_roles", pd.Series("", index=incidents.index)).fillna("")
    roles = [
        r.split(";") if r and r.count(";") == len(p) - 1 else [""] * len(p)
        for r, p in zip(recorded, ids, strict=True)
    ]
    persons = pd.DataFrame({"incident_id": incidents["incident_id"], "person_id": ids,
                            "role": roles}).explode(["person_id", "role"])  # fmt: skip
    return persons[persons["person_id"].fillna("") != ""]


def named_evidence(incidents: pd.DataFrame, people: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Incidents naming people linked to a line. `people`: line_id, person_id."""
    hits = _explode_persons(incidents).merge(people.drop_duplicates(), on="person_id")
    return hits.assign(kind=kind, detail=hits["person_id"])[
        ["incident_id", "line_id", "kind", "detail"]
    ]


def call_evidence(
    incidents: pd.DataFrame, calls: pd.DataFrame, lines: pd.DataFrame
) -> pd.DataFrame:
    """Runner-to-deal-line calls just after an incident. `incidents`: incident_id, t, x, y, town;
    `calls`: line_id, t, x, y (caller's cell, metres), a_number; `lines`: line_id,
    market_towns."""
    if calls.empty or incidents.empty:
        return pd.DataFrame(columns=["incident_id", "line_id", "kind", "detail"])
    calls = calls.sort_values("t").reset_index(drop=True)
    ct = calls["t"].to_numpy(float)
    lo = np.searchsorted(ct, incidents["t"].to_numpy(float) - CALL_BEFORE_S)
    hi = np.searchsorted(ct, incidents["t"].to_numpy(float) + CALL_AFTER_S, side="right")
    n = hi - lo
    inc = np.repeat(np.arange(len(incidents)), n)
    idx = np.concatenate(
        [np.arange(a, b) for a, b in zip(lo, hi, strict=True)] or [np.empty(0, int)]
    )
    if len(idx) == 0:
        return pd.DataFrame(columns=["incident_id", "line_id", "kind", "detail"])
    dx = calls["x"].to_numpy(float)[idx] - incidents["x"].to_numpy(float)[inc]
    dy = calls["y"].to_numpy(float)[idx] - incidents["y"].to_numpy(float)[inc]
    towns = {
        (str(line_id), str(town))
        for line_id, market in zip(
            lines["line_id"].tolist(), lines["market_towns"].tolist(), strict=True
        )
        for town in market
    }
    line = calls["line_id"].to_numpy()[idx]
    pairs = pd.DataFrame(
        {
            "inc": inc,
            "call": idx,
            "far": np.hypot(dx, dy) > CALL_RADIUS_M,
            "m": np.hypot(dx, dy),
            "dt": np.abs(calls["t"].to_numpy(float)[idx] - incidents["t"].to_numpy(float)[inc]),
            "in_town": [
                (a, b) in towns
                for a, b in zip(line, incidents["town"].to_numpy()[inc], strict=True)
            ],
        }
    )
    pairs["rank"] = np.where(pairs["far"], pairs["dt"], pairs["m"])
    pairs = pairs[~pairs["far"] | pairs["in_town"]].sort_values(["call", "far", "rank", "inc"])
    pairs = pairs.drop_duplicates("call")
    return pd.DataFrame(
        {
            "incident_id": incidents["incident_id"].to_numpy()[pairs["inc"].to_numpy()],
            "line_id": calls["line_id"].to_numpy()[pairs["call"].to_numpy()],
            "kind": np.where(pairs["far"], "call_far", "call"),
            "detail": calls["a_number"].to_numpy()[pairs["call"].to_numpy()],
        }
    )


def line_sides(persons: pd.DataFrame, strong: pd.DataFrame) -> pd.DataFrame:
    """incident_id, line_id, role: the side of a source incident each line tied to it is on,
    read from the roles the incident records (`persons`: `_explode_persons` rows; `strong`:
    evidence rows; those of `SOURCE_KINDS` and `OWN_KINDS` are used). A line with its own
    person named (a linked runner, a seized phone, a resident of its hub or of another of its
    towns) is on that person's side. A line whose runner rang its deal line just after is on
    the suspects' side (a line rings after its own robbery or show of force), unless the
    suspects are another line's own people and the victims are not (in a fight the victims'
    line rings too): then on the other side (victims and people present); when the incident
    names no suspect, with the people present (`other`), never with the victims."""
    ties = strong[strong["kind"].isin(OWN_KINDS)]
    own = ties.merge(persons, left_on=["incident_id", "detail"],
                     right_on=["incident_id", "person_id"])  # fmt: skip
    own = own[["incident_id", "line_id", "role"]]
    called = strong.loc[strong["kind"].isin(SOURCE_KINDS) & ~strong["kind"].isin(OWN_KINDS),
                        ["incident_id", "line_id"]].drop_duplicates()  # fmt: skip
    known = set(zip(own["incident_id"], own["line_id"], strict=True))
    called = called[[k not in known for k in zip(called["incident_id"], called["line_id"],
                                                  strict=True)]]  # fmt: skip
    lines_of = own.groupby(["incident_id", "role"])["line_id"].agg(set)
    victims_side = [
        bool(lines_of.get((i, "suspect"), set()) - {ln})
        and not lines_of.get((i, "victim"), set()) - {ln}
        for i, ln in zip(called["incident_id"], called["line_id"], strict=True)
    ]
    suspected = called["incident_id"].isin(set(persons.loc[persons["role"] == "suspect",
                                                           "incident_id"]))  # fmt: skip
    side = np.select([np.asarray(victims_side, dtype=bool), suspected], ["victim", "suspect"],
                     "other")  # fmt: skip
    called = called.assign(role=side)
    facing = called[called["role"] == "victim"]  # the victims' side: victims and people present
    sides = pd.concat([own, called, facing.assign(role="other")])
    return sides[sides["role"].isin(SIDES)].drop_duplicates()


def associate_evidence(incidents: pd.DataFrame, strong: pd.DataFrame) -> pd.DataFrame:
    """Incidents naming a person who is named in another incident that strong evidence ties to
    a line (`strong`: evidence rows of the kinds `SOURCE_KINDS`, such as `call_evidence`'s;
    other kinds are ignored): the line tied to most of the person's other incidents (every such
    line on a tie). A person whom their own seized phone or missing episodes tie to a line
    (`member_named`, `runner_named` rows of `strong`) is no associate of any other line. Where
    the source incident records the roles of the people it names (`person_roles`), only the
    people on the line's side (`line_sides`) are its associates: co-suspects, never a suspect
    and their victim."""
    persons = _explode_persons(incidents)
    sources = strong[strong["kind"].isin(SOURCE_KINDS)]
    tied = persons.merge(sources[["incident_id", "line_id"]].drop_duplicates(), on="incident_id")
    recorded = set(persons.loc[persons["role"] != "", "incident_id"])
    sides = line_sides(persons, strong)
    tied = tied.merge(sides.assign(side=True), on=["incident_id", "line_id", "role"], how="left")
    tied = tied[~tied["incident_id"].isin(recorded) | tied["side"].notna()]
    people = tied[["person_id", "line_id", "incident_id"]].rename(columns={"incident_id": "source"})
    hits = persons[["incident_id", "person_id"]].merge(people, on="person_id")
    hits = hits[hits["incident_id"] != hits["source"]]
    # Named beside a line in its fights, an opponent looks like an associate: a person's own
    # tie (their seized phone, their missing episodes) says which line is theirs.
    personal = strong[strong["kind"].isin(PERSONAL_KINDS)]
    own = set(zip(personal["detail"].astype(str), personal["line_id"].astype(str), strict=True))
    owned = set(personal["detail"].astype(str))
    theirs = [p not in owned or (p, ln) in own
              for p, ln in zip(hits["person_id"], hits["line_id"], strict=True)]  # fmt: skip
    hits = hits[np.asarray(theirs, dtype=bool)]
    # A person named beside both sides of a fight is tied to both; the line tied to most of
    # the other incidents naming them is theirs (ties keep every line with the most).
    n = hits.groupby(["incident_id", "person_id", "line_id"])["source"].transform("nunique")
    hits = hits[n == n.groupby([hits["incident_id"], hits["person_id"]]).transform("max")]
    return hits.assign(kind="associate_named", detail=hits["person_id"])[
        ["incident_id", "line_id", "kind", "detail"]
    ]


def hub_resident_evidence(
    incidents: pd.DataFrame,
    homes: pd.DataFrame,
    hubs: pd.DataFrame,
    lines: pd.DataFrame,
    towns: pd.DataFrame,
) -> pd.DataFrame:
    """Incidents in a line's market town (`towns`: `town_evidence` rows) naming a person who
    lives in the line's hub city, when no other line of that hub works the town then: the
    out-of-town youth of a county line. `homes`: person_id, x, y, town (the area containing the
    home, "" for none); `hubs`: name, x, y (metres); `lines`: line_id, hub. A home outside every
    town area is in the hub whose centre is nearest, when that is within `HUB_HOME_M`."""
    columns = ["incident_id", "line_id", "kind", "detail"]
    if homes.empty or hubs.empty or towns.empty:
        return pd.DataFrame(columns=columns)
    hx, hy = hubs["x"].to_numpy(float), hubs["y"].to_numpy(float)
    d = np.hypot(homes["x"].to_numpy(float)[:, None] - hx, homes["y"].to_numpy(float)[:, None] - hy)
    homes = homes.assign(hub=hubs["name"].to_numpy()[d.argmin(axis=1)])
    homes = homes[(d.min(axis=1) <= HUB_HOME_M) & (homes["town"] == "")]
    there = towns[["incident_id", "line_id"]].merge(lines[["line_id", "hub"]], on="line_id")
    there = there[there.groupby(["incident_id", "hub"])["line_id"].transform("size") == 1]
    named = _explode_persons(incidents).merge(homes[["person_id", "hub"]], on="person_id")
    hits = named.merge(there, on=["incident_id", "hub"])
    return hits.assign(kind="hub_resident_named", detail=hits["person_id"])[columns]


def town_resident_evidence(
    incidents: pd.DataFrame, homes: pd.DataFrame, lines: pd.DataFrame, towns: pd.DataFrame
) -> pd.DataFrame:
    """Incidents in a line's market town (`towns`: `town_evidence` rows) naming a person who
    lives in another of the line's market towns, when no other line working the incident's town
    then also works the person's home town: a runner the line brought from one of its towns to
    another. `homes`: person_id, town (the area containing the home, "" for none); `lines`:
    line_id, market_towns (lists)."""
    columns = ["incident_id", "line_id", "kind", "detail"]
    if homes.empty or towns.empty:
        return pd.DataFrame(columns=columns)
    works = lines[["line_id", "market_towns"]].explode("market_towns").dropna()
    works = works.rename(columns={"market_towns": "home_town"})
    there = towns[["incident_id", "line_id", "detail"]].merge(works, on="line_id")
    there = there[there["home_town"] != there["detail"]]
    there = there[there.groupby(["incident_id", "home_town"])["line_id"].transform("size") == 1]
    home = homes.loc[homes["town"] != "", ["person_id", "town"]]
    named = _explode_persons(incidents).merge(home.rename(columns={"town": "home_town"}),
                                              on="person_id")  # fmt: skip
    hits = named.merge(there, on=["incident_id", "home_town"])
    return hits.assign(kind="town_resident_named", detail=hits["person_id"])[columns]


def town_evidence(incidents: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Incidents in a line's market town during its active period. `incidents`: incident_id,
    t, town; `lines`: line_id, market_towns (lists), start, end (s)."""
    towns = lines[["line_id", "market_towns", "start", "end"]].explode("market_towns")
    towns = towns.rename(columns={"market_towns": "town"}).dropna(subset=["town"])
    hits = incidents[["incident_id", "t", "town"]].merge(towns, on="town")
    hits = hits[(hits["t"] >= hits["start"]) & (hits["t"] <= hits["end"])]
    return hits.assign(kind="market_town", detail=hits["town"])[
        ["incident_id", "line_id", "kind", "detail"]
    ]


def _words(group: pd.DataFrame) -> str:
    parts = []
    for kind, rows in group.groupby("kind", sort=False):
        details = sorted(set(rows["detail"].astype(str)))
        label = {
            "member_named": "names line member",
            "runner_named": "names missing child seen with runner phones",
            "call": "line call just after from",
            "call_far": "line call (caller away from the scene) just after from",
            "associate_named": "names associate",
            "customer_named": "names customer",
            "hub_resident_named": "names resident of the line's hub",
            "town_resident_named": "names resident of another of the line's towns",
            "market_town": "in market town",
        }[str(kind)]
        parts.append(f"{label} {', '.join(details[:3])}" + (" …" if len(details) > 3 else ""))
    return "; ".join(parts)


def one_side_per_person(ev: pd.DataFrame) -> pd.DataFrame:
    """`ev` (evidence rows with weight) without a named person's evidence for a line when the
    same person is evidence for a line with a higher total in the same incident: one person is
    on one side of an incident (a runner named beside both sides in earlier fights is an
    associate of both, but is evidence only for the side the incident points to)."""
    total = ev.groupby(["incident_id", "line_id"])["weight"].transform("sum")
    person = ev["kind"].isin(PERSON_KINDS)
    best = total[person].groupby([ev.loc[person, "incident_id"], ev.loc[person, "detail"]]
                                 ).transform("max")  # fmt: skip
    return ev[~person | (total >= best.reindex(ev.index))]


def _named_roles(incidents: pd.DataFrame, ev: pd.DataFrame) -> pd.DataFrame:
    """`ev`'s named-person rows (`PERSON_KINDS`) with the role (`person_roles`) each person has
    in the incident ("" where not recorded)."""
    return ev[ev["kind"].isin(PERSON_KINDS)].merge(
        _explode_persons(incidents), left_on=["incident_id", "detail"],
        right_on=["incident_id", "person_id"])  # fmt: skip


def unopposed(incidents: pd.DataFrame, ev: pd.DataFrame, first: pd.Series,
              second: pd.Series) -> np.ndarray:  # fmt: skip
    """Whether each incident records its people's roles (`person_roles`) and they do not set
    the people named as evidence for the line `second` against those for the line `first`
    (a suspect of one against a victim of the other: what a line taxing another line's runner
    looks like)."""
    if "person_roles" not in incidents.columns:
        return np.zeros(len(incidents), dtype=bool)
    persons = _explode_persons(incidents)
    recorded = incidents["incident_id"].isin(set(persons.loc[persons["role"] != "", "incident_id"]))
    roles = _named_roles(incidents, ev).groupby(["incident_id", "line_id"])["role"].agg(set)
    facing = ({"suspect"}, {"victim"}), ({"victim"}, {"suspect"})
    opposed = [
        any(a <= roles.get((i, x), set()) and b <= roles.get((i, y), set()) for a, b in facing)
        for i, x, y in zip(incidents["incident_id"], first, second, strict=True)
    ]
    return recorded.to_numpy() & ~np.asarray(opposed, dtype=bool)


def lone_victim(incidents: pd.DataFrame, ev: pd.DataFrame, other: pd.Series) -> np.ndarray:
    """Whether, in each incident, the people named as evidence for the line `other` are one
    person, recorded as the victim (the roles the incident records): what a line robbing or
    beating another line's runner once looks like, as well as one fight."""
    if "person_ids" not in incidents.columns:
        return np.zeros(len(incidents), dtype=bool)
    named = _named_roles(incidents, ev)
    who = named.groupby(["incident_id", "line_id"]).agg(
        n=("person_id", "nunique"), victim=("role", lambda r: set(r) == {"victim"})
    )
    lone = set(who[(who["n"] == 1) & who["victim"]].index)
    return np.array([(i, x) in lone for i, x in zip(incidents["incident_id"], other, strict=True)],
                    dtype=bool)  # fmt: skip


def attribute(
    incidents: pd.DataFrame,
    evidence: pd.DataFrame,
    s: AttributionSettings | None = None,
    stated: pd.Series | None = None,
) -> pd.DataFrame:
    """line_id, rival_line_id, score, second_line_id, second_score, evidence (words),
    lone_victim for each incident (index aligned). `incidents`: incident_id and, for the roles'
    rules, person_ids and person_roles; `stated`: the motive each description states ("" for
    none)."""
    s = s or AttributionSettings()
    out = pd.DataFrame(
        {"line_id": "", "rival_line_id": "", "score": 0.0, "second_line_id": "",
         "second_score": 0.0, "evidence": "", "lone_victim": False},
        index=incidents.index,
    )  # fmt: skip
    if evidence.empty:
        return out
    ev = evidence.drop_duplicates().copy()
    ev["weight"] = ev["kind"].map(WEIGHTS)
    # named customers count once: drug users of one line are named together in ordinary
    # incidents of their own towns
    ev.loc[(ev["kind"] == "customer_named")
           & ev.duplicated(["incident_id", "line_id", "kind"]), "weight"] = 0.0  # fmt: skip
    ev = one_side_per_person(ev)
    scores = ev.groupby(["incident_id", "line_id"])["weight"].sum().reset_index()
    scores = scores.sort_values(["incident_id", "weight", "line_id"], ascending=[True, False, True])
    scores["rank"] = scores.groupby("incident_id").cumcount()
    ids = incidents["incident_id"]
    says = (stated if stated is not None else pd.Series("", index=ids.index)).fillna("")
    motive = scores["incident_id"].map(pd.Series(says.to_numpy(), index=ids.to_numpy()))
    runner_up = scores["incident_id"].map(scores[scores["rank"] == 1].set_index("incident_id")
                                          ["weight"]).fillna(0.0)  # fmt: skip
    # A description stating a line's motive (a drug debt, a feud, a show of force) in a market
    # town: the line whose evidence leads alone is enough, whatever its weight.
    alone = motive.isin(LINE_MOTIVES) & (scores["weight"] > runner_up)
    first = scores[(scores["rank"] == 0) & ((scores["weight"] >= s.min_score) | alone)]
    first = first.set_index("incident_id")
    second = scores[(scores["rank"] == 1) & scores["incident_id"].isin(first.index)]
    second = second.set_index("incident_id")
    words = {
        key: _words(group)
        for key, group in ev[ev["incident_id"].isin(first.index)].groupby(
            ["incident_id", "line_id"]
        )
    }
    out["line_id"] = ids.map(first["line_id"]).fillna("")
    out["second_line_id"] = ids.map(second["line_id"]).astype(object).fillna("")
    out["second_score"] = ids.map(second["weight"]).fillna(0.0)
    rivalry = says == "rivalry"
    called = set(ev.loc[ev["kind"].isin(AT_SCENE), ["incident_id", "line_id"]]
                 .itertuples(index=False, name=None))  # fmt: skip
    rang = [(i, ln) in called for i, ln in zip(ids, out["second_line_id"], strict=True)]
    # a runner-up level with the line: the evidence puts both lines there equally
    level = out["second_score"] == ids.map(first["weight"])
    weaker = rivalry | np.asarray(rang, dtype=bool) | level
    # a runner-up with a named associate in its market town (2.5) is the other side when the
    # roles do not set its people against the line's (a suspect against a victim is taxing)
    unset = unopposed(incidents, ev, out["line_id"], out["second_line_id"])
    need = np.where(weaker, s.min_rival_stated,
                    np.where(unset, s.min_rival_unopposed, s.min_rival))  # fmt: skip
    third = ids.map(scores[scores["rank"] == 2].set_index("incident_id")["weight"]).fillna(0.0)
    only = (ids.map(scores.groupby("incident_id").size()) == 2) & rivalry
    named = ((out["second_score"] >= need) | only) & (out["second_score"] > third)
    out["rival_line_id"] = out["second_line_id"].where(named, "")
    # one named victim is all that puts a line there (its people did not ring, nor live
    # there): a line taxing another line's runner once looks the same as one fight
    lone = np.zeros(len(ids), dtype=bool)
    for side in (out["line_id"], out["rival_line_id"]):
        there = [(i, ln) in called for i, ln in zip(ids, side, strict=True)]
        lone |= lone_victim(incidents, ev, side) & ~np.asarray(there, dtype=bool)
    out["lone_victim"] = lone & ~rivalry.to_numpy() & (out["rival_line_id"] != "").to_numpy()
    out["score"] = ids.map(first["weight"]).fillna(0.0)
    out["evidence"] = [
        " | ".join(f"{ln}: {words[(i, ln)]}" for ln in (a, b) if ln and (i, ln) in words)
        for i, a, b in zip(ids, out["line_id"], out["rival_line_id"], strict=True)
    ]
    return out


def decide_motive(category: pd.Series, text: pd.Series, attributed: pd.DataFrame) -> pd.Series:
    """Likely motive: the motive the text states; else `rivalry` when two lines are involved,
    `taxing` for a line's robbery or violence, `show_of_strength` for a line's weapon possession
    or other incident; else `unrelated`."""
    line = attributed["line_id"] != ""
    rival = attributed["rival_line_id"] != ""
    guess = np.select(
        [rival, line & category.isin(["robbery", "violence"]), line],
        ["rivalry", "taxing", "show_of_strength"],
        "unrelated",
    )
    return pd.Series(np.where(text != "", text, guess), index=category.index)


def is_serious(weapon: pd.Series) -> pd.Series:
    """Machetes and other large blades, firearms and corrosives."""
    return weapon.isin(SERIOUS)

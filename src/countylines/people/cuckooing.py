"""Cuckooing: homes that a line has taken over, ranked, with the evidence.

Plain pandas in and out. A cell serves hundreds of homes and vulnerability is recorded for many
people who are not victims, so a home is suspected only with evidence tied to the address
itself. A home (its occupant an adult: a child is not the tenant of a home) is listed when a
*base cell* of a line (a cell where the line's runner or deal phones dwell overnight,
`dwell.py`, or where its customers order from in volume away from their own usual cell) is
the home's own cell (its nearest, within `max_cell_m`, British National Grid metres: the cell
its occupant's phone lives on), it has *address evidence* (a report of drugs or callers at the
home, the occupant named in an incident at the home, or the occupant's phone, by subscriber
check, in contact with the line), and its *home points* reach `min_points`:

* a report of drugs or callers at the home (a `drugs` or `other` incident whose nearest
  address is the home, within `incident_m`, and whose description has `REPORT_WORDS`) 2, and 1
  more when there are 2 or more (repeat reports);
* the occupant named in an incident at the home 1; another incident at the home (violence,
  a welfare concern, ...) 1;
* the occupant's phone in contact with the line 1;
* the occupant's recorded vulnerability (mental-health need or drug debt 2 each, drug use 1):
  1 at 2 or more, 2 at 4 or more.

A home is not listed when its occupant is named in more than `max_named_elsewhere` violent
incidents (violence, robbery, weapons possession) away from the home: such an occupant is more
likely one of the line's own people living locally (an adult runner) than the victim whose home
was taken; they stay on the safeguarding list through their own facts.

Score (ranking): the home points, plus dwell 2 (3 with 7 nights or more) and customer visits 2
at the base cell, plus 1 for a missing person found within `found_within_m` of the home.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from countylines.people.geo import distance_m, nearest_cell, to_bng
from countylines.people.risk import ages

CUCKOO_COLUMNS = [
    "rank", "address_id", "line_ids", "occupant_person_id", "score", "cell_id", "cell_m",
    "runner_nights", "phones_dwelling", "visitors", "visits", "vulnerability", "evidence",
]  # fmt: skip
VIOLENT = ("violence", "robbery", "weapons_possession")
"""Incident categories in which a line's own people are named (`max_named_elsewhere`)."""
REPORT_WORDS = r"dealing|drug activity|class a|callers|coming and going|visitors|staying|cuckoo"
"""Words of a `drugs` or `other` incident's description that make it a report of dealing or
callers (a street possession or a public-order incident near a home is not one)."""
VULNERABILITY_POINTS = {"mental_health": 2, "debt_bondage": 2, "drug_use": 1}
FACTOR_WORDS = {
    "mental_health": "mental-health need",
    "debt_bondage": "drug debt",
    "drug_use": "drug use",
    "known_to_care": "known to care",
}


@dataclass(frozen=True)
class CuckooSettings:
    hotspot_min_visitors: int = 5
    """Distinct customers ordering from the cell away from their own usual cell."""
    hotspot_lift: float = 2.0
    """The cell's visits over the mean visits of the line's other cells within `local_m`
    (where customers who are out and about order from: the same town)."""
    local_m: float = 5_000.0
    baseline_skip: int = 1
    """The busiest of those other cells left out of the mean: a line can have a second base in
    the same town (it takes over one or two homes there), which would hide the first."""
    min_phones_dwelling: int = 1
    """Without customer visits, a cell needs this many of the line's phones dwelling there."""
    max_cell_m: float = 3_000.0
    """A home further than this from its nearest cell is not placed on it."""
    min_points: int = 4
    """Home points (see the module docstring) a listed home reaches."""
    max_named_elsewhere: int = 1
    """An occupant named in more VIOLENT incidents than this, away from the home (further than
    `incident_m`), is taken for one of the line's own people: the home is not listed. One is
    allowed: a victim of the line's violence (taxing) is named too."""
    found_within_m: float = 300.0
    incident_m: float = 50.0
    """An incident recorded this close to a home (metres) is at the home."""


def line_cells(
    dwell: pd.DataFrame,
    orders: pd.DataFrame,
    cells: pd.DataFrame,
    line_of: dict[str, str],
    s: CuckooSettings,
) -> pd.DataFrame:
    """(line_id, cell_id, runner_nights, phones_dwelling, visitors, visits, cell_points): the
    cells with evidence of a line's base. `dwell` (number, cell, nights) from `dwell.py`;
    `orders` (x, cell, orders, visits, visitors) from `features.order_cells`; `cells` (cell_id,
    lat, lon)."""
    d = dwell.assign(line_id=dwell["number"].map(line_of)).dropna(subset=["line_id"])
    d = d.groupby(["line_id", "cell"], as_index=False).agg(
        runner_nights=("nights", "sum"), phones_dwelling=("number", "nunique")
    )
    o = orders.assign(line_id=orders["x"].map(line_of)).dropna(subset=["line_id"])
    o = o.groupby(["line_id", "cell"], as_index=False).agg(
        visits=("visits", "sum"), visitors=("visitors", "sum")
    )
    hot = _hotspots(o, cells, s)
    both = d.merge(o[hot], on=["line_id", "cell"], how="outer")
    both[["runner_nights", "phones_dwelling", "visitors", "visits"]] = (
        both[["runner_nights", "phones_dwelling", "visitors", "visits"]].fillna(0).astype(int)
    )
    both = both[(both["visitors"] > 0) | (both["phones_dwelling"] >= s.min_phones_dwelling)]
    both["cell_points"] = np.where(
        both["runner_nights"] >= 7, 3, np.where(both["runner_nights"] > 0, 2, 0)
    ) + np.where(both["visitors"] > 0, 2, 0)
    return both.rename(columns={"cell": "cell_id"})


def _hotspots(o: pd.DataFrame, cells: pd.DataFrame, s: CuckooSettings) -> pd.Series:
    """Which (line_id, cell, visits, visitors) rows of `o` are visit hotspots."""
    xy = pd.DataFrame(
        to_bng(cells["lat"], cells["lon"]), index=cells["cell_id"], columns=["x", "y"]
    )
    hot = pd.Series(False, index=o.index)
    for _, g in o.groupby("line_id"):
        g = g[g["cell"].isin(xy.index)]
        if g.empty:
            continue
        pos = xy.loc[g["cell"]].to_numpy()
        near = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1)) <= s.local_m
        np.fill_diagonal(near, False)
        visits = g["visits"].to_numpy(float)
        # the other cells' visits, busiest first; the busiest `baseline_skip` are left out
        ranked = -np.sort(-np.where(near, visits[None, :], -1.0), axis=1)[:, s.baseline_skip :]
        kept = ranked >= 0
        others = np.where(
            kept.any(axis=1), (ranked * kept).sum(axis=1) / kept.sum(axis=1).clip(1), 0.0
        )
        lift = visits / np.maximum(others, 1.0)
        hot[g.index] = (g["visitors"].to_numpy() >= s.hotspot_min_visitors) & (
            lift >= s.hotspot_lift
        )
    return hot


def _vulnerability(persons: pd.DataFrame, period_year: int) -> pd.DataFrame:
    """(person_id, vulnerability_points, vulnerability): points and words of each adult (a
    child, or a person of unknown age, is left out)."""
    adult = ages(persons["birth_year"], period_year)["child"].to_numpy() == "no"
    points = sum(persons[k].fillna(False).astype(bool) * v for k, v in VULNERABILITY_POINTS.items())
    words = [
        "; ".join(FACTOR_WORDS[k] for k in VULNERABILITY_POINTS if row[k] is True)
        for row in persons[list(VULNERABILITY_POINTS)].astype(object).to_dict("records")
    ]
    return pd.DataFrame(
        {"person_id": persons["person_id"], "vulnerability_points": points, "vulnerability": words}
    )[adult]


def find_cuckooed(
    cells_evidence: pd.DataFrame,
    addresses: pd.DataFrame,
    cells: pd.DataFrame,
    persons: pd.DataFrame,
    line_contacts: pd.DataFrame,
    episodes: pd.DataFrame,
    incidents: pd.DataFrame,
    period_year: int,
    s: CuckooSettings,
) -> pd.DataFrame:
    """The suspected cuckooed homes, best first, with CUCKOO_COLUMNS.

    `line_contacts` (person_id, line_id): persons whose phone was in contact with a line;
    `episodes` (found_lat, found_lon): where missing persons were found; `incidents`
    (incident_id, lat, lon, category, description, person_ids `;`-separated): police-recorded
    incidents."""
    if cells_evidence.empty or addresses.empty:
        return pd.DataFrame(columns=CUCKOO_COLUMNS)
    adults = _vulnerability(persons, period_year)
    homes = addresses.merge(adults, left_on="occupant_person_id", right_on="person_id")
    homes = _home_evidence(homes, addresses, episodes, incidents, s)
    evidenced = (
        (homes["reports_here"] > 0)
        | (homes["named_here"] > 0)
        | homes["occupant_person_id"].isin(line_contacts["person_id"])
    )
    homes = homes[evidenced & (homes["named_elsewhere"] <= s.max_named_elsewhere)]
    m = _homes_by_base(homes.reset_index(drop=True), cells_evidence, cells, s)
    if m.empty:
        return pd.DataFrame(columns=CUCKOO_COLUMNS)
    contact = m.merge(
        line_contacts, left_on=["occupant_person_id", "line_id"], right_on=["person_id", "line_id"]
    )
    m["in_contact"] = m.set_index(["address_id", "line_id"]).index.isin(
        contact.set_index(["address_id", "line_id"]).index
    )
    vulnerability = m["vulnerability_points"]
    m["home_points"] = (
        2 * (m["reports_here"] > 0) + (m["reports_here"] > 1)
        + (m["named_here"] > 0) + (m["incidents_here"] > m["reports_here"])
        + m["in_contact"] + (vulnerability >= 2) + (vulnerability >= 4)
    )  # fmt: skip
    m = m[
        ((m["reports_here"] > 0) | (m["named_here"] > 0) | m["in_contact"])
        & (m["home_points"] >= s.min_points)
    ]
    if m.empty:
        return pd.DataFrame(columns=CUCKOO_COLUMNS)
    m = m.assign(points=m["cell_points"] + m["home_points"] + (m["found_here"] > 0))
    m["why"] = [_why(r, s) for r in m.to_dict("records")]
    out = m.groupby("address_id", as_index=False).agg(
        line_ids=("line_id", lambda x: ";".join(sorted(set(x)))),
        occupant_person_id=("occupant_person_id", "first"),
        score=("points", "max"),
        cell_id=("cell_id", "first"),
        cell_m=("cell_m", "first"),
        runner_nights=("runner_nights", "sum"),
        phones_dwelling=("phones_dwelling", "sum"),
        visitors=("visitors", "sum"),
        visits=("visits", "sum"),
        vulnerability=("vulnerability", "first"),
        evidence=("why", " | ".join),
    )
    out["cell_m"] = out["cell_m"].round().astype(int)
    out = out.sort_values(["score", "runner_nights", "visits", "address_id"],
                          ascending=[False, False, False, True], ignore_index=True)  # fmt: skip
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[CUCKOO_COLUMNS]


def _homes_by_base(
    homes: pd.DataFrame, cells_evidence: pd.DataFrame, cells: pd.DataFrame, s: CuckooSettings
) -> pd.DataFrame:
    """(home, base cell) pairs: a home with a line's base cell as its own, nearest, cell
    (within `max_cell_m`; `cell_m` the distance in metres). A line's runners sleep, and its
    customers buy, at each of its homes, so each home's trace is on the cell that serves it,
    the cell its occupant's phone lives on; a base a cell away is another home's."""
    if homes.empty or cells_evidence.empty:
        return pd.DataFrame()
    own = nearest_cell(homes[["lat", "lon"]], cells)
    placed = homes.assign(cell_id=own["cell_id"].to_numpy(), cell_m=own["cell_m"].to_numpy())
    return placed[placed["cell_m"] <= s.max_cell_m].merge(cells_evidence, on="cell_id")


def _home_evidence(
    homes: pd.DataFrame,
    addresses: pd.DataFrame,
    episodes: pd.DataFrame,
    incidents: pd.DataFrame,
    s: CuckooSettings,
) -> pd.DataFrame:
    """`homes` with `found_here` (missing persons found within `found_within_m`),
    `incidents_here` (incidents at the home: `at_address` among `addresses`), `reports_here`
    (those that are reports of dealing or callers: category `drugs` or `other` with
    REPORT_WORDS in the description),
    `incident_ids` (theirs, `, `-separated), `named_here` (how many of them name the occupant)
    and `named_elsewhere` (VIOLENT incidents further away that name the occupant)."""
    found = episodes.dropna(subset=["found_lat", "found_lon"])
    report = is_report(incidents)
    near_found = _within(homes, found["found_lat"], found["found_lon"], s.found_within_m)
    near = at_address(homes, addresses, incidents, s.incident_m)
    ids = incidents["incident_id"].to_numpy()
    named = incidents["person_ids"].fillna("").str.split(";").to_numpy()
    return homes.assign(
        found_here=[len(n) for n in near_found],
        incidents_here=[len(n) for n in near],
        reports_here=[int(report.to_numpy()[n].sum()) for n in near],
        incident_ids=[", ".join(ids[n]) for n in near],
        named_here=[
            sum(who in named[j] for j in n)
            for who, n in zip(homes["occupant_person_id"], near, strict=True)
        ],
        named_elsewhere=_named_elsewhere(homes, incidents, s),
    )


def is_report(incidents: pd.DataFrame) -> pd.Series:
    """Which `incidents` (category, description) are reports of dealing or callers: category
    `drugs` or `other` with REPORT_WORDS in the description."""
    return incidents["category"].isin(["drugs", "other"]) & incidents["description"].fillna(
        ""
    ).str.contains(REPORT_WORDS, case=False)


def reported_homes(
    addresses: pd.DataFrame, incidents: pd.DataFrame, s: CuckooSettings
) -> pd.DataFrame:
    """(person_id, address_id, reports, incident_ids): the occupants of `addresses` (address_id,
    lat, lon, occupant_person_id) whose home has reports of dealing or callers within
    `incident_m` metres."""
    homes = addresses[addresses["occupant_person_id"].fillna("") != ""].reset_index(drop=True)
    rep = incidents[is_report(incidents)]
    near = at_address(homes, addresses, rep, s.incident_m)
    ids = rep["incident_id"].to_numpy()
    out = homes.assign(
        reports=[len(n) for n in near], incident_ids=[", ".join(ids[n]) for n in near]
    )
    out = out[out["reports"] > 0].rename(columns={"occupant_person_id": "person_id"})
    return out[["person_id", "address_id", "reports", "incident_ids"]]


def _named_elsewhere(homes: pd.DataFrame, incidents: pd.DataFrame, s: CuckooSettings) -> np.ndarray:
    """How many VIOLENT incidents further than `incident_m` (metres) from each home name its
    occupant."""
    v = incidents[incidents["category"].isin(VIOLENT)]
    named = v.assign(person_id=v["person_ids"].fillna("").str.split(";")).explode("person_id")
    m = named.merge(
        homes[["address_id", "occupant_person_id", "lat", "lon"]],
        left_on="person_id", right_on="occupant_person_id", suffixes=("", "_home"),
    )  # fmt: skip
    far = distance_m(m["lat"], m["lon"], m["lat_home"], m["lon_home"]) > s.incident_m
    counts = m[far].groupby("address_id").size()
    return homes["address_id"].map(counts).fillna(0).astype(int).to_numpy()


def at_address(
    homes: pd.DataFrame, addresses: pd.DataFrame, points: pd.DataFrame, within_m: float
) -> list:
    """For each home (address_id, of `addresses`), the positions of the `points` (lat, lon,
    WGS84 degrees) recorded at it: the points whose nearest address is the home, within
    `within_m` metres (British National Grid). An incident logged at an address belongs to that
    address, not to every neighbour within a few tens of metres."""
    if homes.empty or points.empty or addresses.empty:
        return [np.zeros(0, dtype=int) for _ in range(len(homes))]
    dist, idx = cKDTree(to_bng(addresses["lat"], addresses["lon"])).query(
        to_bng(points["lat"], points["lon"])
    )
    owner = np.where(dist <= within_m, addresses["address_id"].to_numpy()[idx], None)
    at = pd.Series(np.arange(len(points))).groupby(owner).apply(np.array).to_dict()
    return [at.get(a, np.zeros(0, dtype=int)) for a in homes["address_id"]]


def _within(homes: pd.DataFrame, lat: pd.Series, lon: pd.Series, within_m: float) -> list:
    """For each home (lat, lon), the positions of the points (`lat`, `lon`, WGS84 degrees)
    within `within_m` metres of it (on the British National Grid)."""
    if homes.empty or len(lat) == 0:
        return [np.zeros(0, dtype=int) for _ in range(len(homes))]
    tree = cKDTree(to_bng(lat, lon))
    return [
        np.array(n, dtype=int)
        for n in tree.query_ball_point(to_bng(homes["lat"], homes["lon"]), within_m)
    ]


def _why(r: dict, s: CuckooSettings) -> str:
    parts = []
    if r["runner_nights"]:
        parts.append(
            f"{r['phones_dwelling']} line phone(s) there overnight on {r['runner_nights']} nights"
        )
    if r["visitors"]:
        parts.append(
            f"{r['visitors']} customers ordered {r['visits']} times from it, away from their "
            "usual cell"
        )
    if r["vulnerability"]:
        parts.append(f"occupant {r['occupant_person_id']} vulnerable ({r['vulnerability']})")
    else:
        parts.append(f"occupant {r['occupant_person_id']}, no vulnerability recorded")
    if r["in_contact"]:
        parts.append("occupant's phone in contact with the line")
    if r["incidents_here"]:
        named = f", the occupant named in {r['named_here']}" if r["named_here"] else ""
        parts.append(
            f"{r['incidents_here']} incident(s) recorded at the home "
            f"({r['incident_ids']}), {r['reports_here']} of them reports of drugs or callers"
            f"{named}"
        )
    parts.append(f"home points {r['home_points']}")
    if r["found_here"]:
        parts.append(f"{r['found_here']} missing person(s) found within {s.found_within_m:.0f} m")
    where = f"{r['line_id']}: base at the nearest cell ({r['cell_id']}, {r['cell_m']:.0f} m): "
    return where + "; ".join(parts)

"""`assess_people`: from a loaded case (and its line register) to the safeguarding list, the
runners and the suspected cuckooed homes.

Steps: the line register (given, or found by `countylines.lines.detect.find_lines`), the lines'
phones' night-time cells (`dwell`), customers' visits, person links (`link`), runners
(`runners`), cuckooed homes (`cuckooing`), then each person's score (`risk`) and the suggested
action (`actions`). Distances are metres on the British National Grid (EPSG:27700).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from countylines.people import features as fx
from countylines.people.actions import add_actions
from countylines.people.cuckooing import (
    VIOLENT,
    CuckooSettings,
    find_cuckooed,
    line_cells,
    reported_homes,
)
from countylines.people.dwell import DwellSettings, dwell_cells, usual_cells
from countylines.people.geo import nearest_cell, to_bng
from countylines.people.link import (
    LinkSettings,
    best_links,
    by_handset,
    by_missing_episode,
    by_subscriber,
    home_positions,
)
from countylines.people.risk import score_persons
from countylines.people.runners import runner_table
from countylines.private_outputs import read_identifiers
from countylines.problems import CaseError

SAFEGUARDING_COLUMNS = [
    "rank", "person_id", "age_band", "child", "sex", "score", "priority", "reasons", "unknown",
    "evidence", "suggested_action",
]  # fmt: skip
SCORE_COLUMNS = ["person_id", "age", "age_band", "child", "sex", "score", "priority"]


@dataclass(frozen=True)
class PeopleSettings:
    list_min_score: int = 3
    """Persons with at least this score and priority medium (a child, or an adult with a fact
    around a line: `actions.AROUND_A_LINE`), or with priority high, are on the list."""
    found_near_base_m: float = 2_000.0
    """A missing person found (or a violent incident) this close to a line's base cell was in a
    line's town."""
    line_violence_min: int = 2
    """A person named in this many violent incidents near a line's base is drawn into its
    violence (`line_violence`)."""
    dwell: DwellSettings = field(default_factory=DwellSettings)
    link: LinkSettings = field(default_factory=LinkSettings)
    cuckoo: CuckooSettings = field(default_factory=CuckooSettings)


@dataclass
class PeopleResult:
    """The safeguarding list, every person's score, the runners and the cuckooed homes."""

    safeguarding: pd.DataFrame
    scores: pd.DataFrame
    runners: pd.DataFrame
    cuckooed: pd.DataFrame
    period_year: int
    n_lines: int


def line_numbers(database: Path, lines_out: Path | None, key: bytes | None = None) -> pd.DataFrame:
    """The line register's numbers: from `lines_out/line_numbers.csv` when given (pseudonymised
    numbers turned back into the case's with `key`), else found."""
    if lines_out is None:
        from countylines.lines.detect import find_lines

        return find_lines(database).numbers
    path = Path(lines_out) / "line_numbers.csv"
    if not path.is_file():
        raise CaseError(f"{path} not found: --lines must be an output folder of countylines lines")
    frame = pd.read_csv(path, dtype={"line_id": str, "number": str, "role": str})
    missing = {"line_id", "number", "role"} - set(frame.columns)
    if missing:
        raise CaseError(f"{path} has no column {sorted(missing)[0]!r}")
    return read_identifiers(database, frame, key)


def assess_people(
    database: Path, numbers: pd.DataFrame, settings: PeopleSettings | None = None
) -> PeopleResult:
    """Assess every person of the case at `database`, given the line register's `numbers`."""
    s = settings or PeopleSettings()
    role_of = numbers.groupby("role")["number"].apply(lambda x: sorted(set(x))).to_dict()
    deal, run = role_of.get("deal_line", []), role_of.get("runner", [])
    line_of = dict(zip(numbers["number"], numbers["line_id"], strict=True))
    own = sorted(line_of)
    con = fx.open_people(database, own)
    try:
        persons = fx.persons(con)
    except fx.NoPersons as exc:
        raise CaseError(f"{database}: {exc}") from None
    period = fx.case_period(con)
    year = datetime.fromtimestamp(period[0], UTC).year if period else datetime.now(UTC).year
    cells = fx.cells(con)
    nights = fx.night_cells(con, deal + run)
    dwell = dwell_cells(nights, cells, s.dwell)
    evidence_cells = line_cells(dwell, fx.order_cells(con, deal, own), cells, line_of, s.cuckoo)
    subs = fx.subscribers(con)
    episodes = fx.missing_episodes(con).reset_index(names="episode")

    positions = (
        fx.episode_positions(con, run, episodes)
        if len(episodes) and len(cells) and run
        else pd.DataFrame(columns=["episode", "number", "n", "lat", "lon"])
    )
    links = best_links(
        [
            by_subscriber(run, subs),
            by_handset(fx.shared_handsets(con, run), subs),
            by_missing_episode(
                positions, episodes, home_positions(nights[nights["number"].isin(run)], cells),
                s.link,
            ),
        ]
    )  # fmt: skip
    runners = runner_table(numbers, dwell, links)

    contacts = fx.contacts(con, sorted(subs["number"]), deal + run).merge(subs, on="number")
    contacts["line_id"] = contacts["y"].map(line_of)
    per_line = contacts.groupby(["person_id", "number", "line_id"], as_index=False).agg(
        n=("n", "sum")
    )
    addresses, incidents = fx.addresses(con), fx.incidents(con)
    cuckooed = find_cuckooed(
        evidence_cells, addresses, cells, persons,
        per_line[["person_id", "line_id"]], episodes, incidents, year, s.cuckoo,
    )  # fmt: skip
    reported = reported_homes(addresses, incidents, s.cuckoo)
    evidence = pd.concat(
        [
            _runner_evidence(runners),
            _cuckoo_evidence(cuckooed),
            _facts(per_line["person_id"], "line_contact", [
                f"{n} in contact with {ln} ({k} calls/texts)"
                for n, ln, k in per_line[["number", "line_id", "n"]].itertuples(index=False)
            ]),
            _found_evidence(episodes, evidence_cells, cells, s.found_near_base_m),
            _facts(reported["person_id"], "reported_at_home", [
                f"{n} report(s) of dealing or callers at their home {a} ({ids})"
                for a, n, ids in reported[["address_id", "reports", "incident_ids"]]
                .itertuples(index=False)
            ]),
            line_violence(incidents, evidence_cells, cells, s),
            runner_phone_homes(nights[nights["number"].isin(run)], addresses, cells, line_of),
        ],
        ignore_index=True,
    )  # fmt: skip
    scored = add_actions(score_persons(persons, year, evidence))
    return PeopleResult(
        _safeguarding(scored, s), scored[SCORE_COLUMNS], runners, cuckooed, year,
        numbers["line_id"].nunique(),
    )  # fmt: skip


def _facts(person_id: pd.Series, fact: str, detail: pd.Series | list[str]) -> pd.DataFrame:
    """Evidence rows (person_id, fact, detail) for `risk.score_persons`."""
    return pd.DataFrame({"person_id": person_id, "fact": fact, "detail": detail})


def _runner_evidence(runners: pd.DataFrame) -> pd.DataFrame:
    r = runners.dropna(subset=["person_id"])
    why = "runner " + r["number"] + " of " + r["line_id"] + " (" + r["link_evidence"] + ")"
    return _facts(r["person_id"], "runner", why)


def _cuckoo_evidence(cuckooed: pd.DataFrame) -> pd.DataFrame:
    c = cuckooed.dropna(subset=["occupant_person_id"])
    why = "occupies " + c["address_id"] + ", suspected cuckooed by " + c["line_ids"]
    return _facts(c["occupant_person_id"], "cuckooed_occupant", why)


def _nearest_base(
    lat: pd.Series, lon: pd.Series, evidence_cells: pd.DataFrame, cells: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """For each point (WGS84 degrees), the distance in metres (British National Grid) to the
    nearest base cell of a line and that line's id."""
    base = cells.merge(evidence_cells[["line_id", "cell_id"]], on="cell_id")
    if len(lat) == 0 or base.empty:
        return np.full(len(lat), np.inf), np.full(len(lat), "", dtype=object)
    dist, idx = cKDTree(to_bng(base["lat"], base["lon"])).query(to_bng(lat, lon))
    return dist, base["line_id"].to_numpy()[idx]


def line_violence(
    incidents: pd.DataFrame, evidence_cells: pd.DataFrame, cells: pd.DataFrame, s: PeopleSettings
) -> pd.DataFrame:
    """Persons named in at least `line_violence_min` violent incidents within
    `found_near_base_m` of a line's base cell: likely drawn into the line's violence (an adult
    runner is named with the others in the line's robberies and shows of strength)."""
    v = incidents[incidents["category"].isin(VIOLENT)]
    dist, lines = _nearest_base(v["lat"], v["lon"], evidence_cells, cells)
    near = v.assign(line_id=lines)[dist <= s.found_near_base_m]
    named = near.assign(person_id=near["person_ids"].str.split(";")).explode("person_id")
    named = named[named["person_id"].fillna("") != ""]
    g = named.groupby("person_id").agg(
        n=("incident_id", "size"), ids=("incident_id", ", ".join),
        lines=("line_id", lambda x: ", ".join(sorted(set(x)))),
    ).reset_index()  # fmt: skip
    g = g[g["n"] >= s.line_violence_min]
    return _facts(g["person_id"], "line_violence", [
        f"named in {n} violent incidents near a base of {ln} ({ids})"
        for n, ln, ids in g[["n", "lines", "ids"]].itertuples(index=False)
    ])  # fmt: skip


def runner_phone_homes(
    night_cells: pd.DataFrame, addresses: pd.DataFrame, cells: pd.DataFrame, line_of: dict
) -> pd.DataFrame:
    """The occupants of `addresses` whose home's nearest cell (British National Grid) is the
    usual cell of a runner number (`dwell.usual_cells` of its `night_cells`): a phone lives
    on the cell that serves its user's home, so an adult runner, whose pay-as-you-go phone
    names nobody, is among the people living there (with every neighbour that cell serves)."""
    homes = addresses[addresses["occupant_person_id"].fillna("") != ""]
    if night_cells.empty or homes.empty or cells.empty:
        return _facts(pd.Series(dtype=object), "runner_phone_home", [])
    served = homes.assign(cell=nearest_cell(homes[["lat", "lon"]], cells)["cell_id"].to_numpy())
    m = usual_cells(night_cells).merge(served, on="cell")
    return _facts(m["occupant_person_id"], "runner_phone_home", [
        f"home {a} is served by {c}, the usual cell of runner {n} of {line_of[n]}"
        for a, c, n in m[["address_id", "cell", "number"]].itertuples(index=False)
    ])  # fmt: skip


def _found_evidence(
    episodes: pd.DataFrame, evidence_cells: pd.DataFrame, cells: pd.DataFrame, within_m: float
) -> pd.DataFrame:
    """Missing persons found within `within_m` of a line's base cell (dwell or customer visits)."""
    found = episodes.dropna(subset=["found_lat", "found_lon"])
    dist, lines = _nearest_base(found["found_lat"], found["found_lon"], evidence_cells, cells)
    ok = dist <= within_m
    lines = lines[ok]
    return _facts(
        pd.Series(found["person_id"].to_numpy()[ok]),
        "found_in_line_town",
        [f"found {d:.0f} m from a base cell of {ln} during a missing episode"
         for d, ln in zip(dist[ok], lines, strict=True)],
    )  # fmt: skip


def _safeguarding(scored: pd.DataFrame, s: PeopleSettings) -> pd.DataFrame:
    keep = ((scored["score"] >= s.list_min_score) & (scored["priority"] == "medium")) | (
        scored["priority"] == "high"
    )
    out = scored[keep].copy()
    order = {"high": 0, "medium": 1, "low": 2}
    out["_p"] = out["priority"].map(order)
    out = out.sort_values(["_p", "score", "person_id"], ascending=[True, False, True])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[SAFEGUARDING_COLUMNS].reset_index(drop=True)

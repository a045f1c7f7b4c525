"""`find_violence`: classify every incident, attribute it to lines, and find rivalries.

Steps: read the incidents and place them (British National Grid, town by point-in-area),
classify weapon and stated motive from the fields and text (`weapons`), gather the evidence
linking incidents to lines (`attribute`: named members and customers through subscriber checks,
calls within a line just after the incident, residents of a line's hub or of another of its
market towns named in its market town, market towns), decide line, other side and motive,
then pair lines into rivalries (`rivalry`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from countylines.movement import attribute as at
from countylines.movement.data import CaseTables
from countylines.movement.geo import to_bng, town_of
from countylines.movement.lineset import Lines
from countylines.movement.missing import link_missing
from countylines.movement.rivalry import DAY_S, MONTH_S, find_rivalries
from countylines.movement.weapons import classify_weapons, text_motive

VIOLENCE_COLUMNS = (
    "incident_id", "time", "lat", "lon", "town", "category", "weapon_field", "weapon_text",
    "weapon", "weapon_source", "serious", "motive_text", "motive", "line_id", "rival_line_id",
    "score", "evidence",
)  # fmt: skip


@dataclass
class ViolenceResult:
    incidents: pd.DataFrame
    rivalries: pd.DataFrame
    settings: at.AttributionSettings = field(default_factory=at.AttributionSettings)


def _line_people(db: CaseTables, numbers: pd.DataFrame) -> pd.DataFrame:
    """line_id, person_id of people whom subscriber checks link to `numbers` (line_id, number)."""
    links = db.number_persons(sorted(set(numbers["number"])))
    return numbers[["line_id", "number"]].merge(links, on="number")[["line_id", "person_id"]]


def _customers(db: CaseTables, lines: Lines) -> pd.DataFrame:
    """line_id, number of each line's customers (not themselves numbers of any line)."""
    deal = lines.role("deal_line")[["line_id", "number"]]
    found = db.customers(sorted(set(deal["number"])))
    found = found.merge(deal, on="number")[["line_id", "customer"]].drop_duplicates()
    found = found[~found["customer"].isin(set(lines.numbers["number"]))]
    return found.rename(columns={"customer": "number"})


def _calls(db: CaseTables, lines: Lines, cells: pd.DataFrame) -> pd.DataFrame:
    """Voice calls from a line's runner to its deal line: line_id, t, a_number, x, y."""
    runners = lines.role("runner")[["line_id", "number"]].drop_duplicates()
    deal = lines.role("deal_line")[["line_id", "number"]].drop_duplicates()
    calls = db.calls_between(sorted(set(runners["number"]) | set(deal["number"])))
    calls = calls.merge(runners.rename(columns={"number": "a_number"}), on="a_number").merge(
        deal.rename(columns={"number": "b_number", "line_id": "b_line"}), on="b_number"
    )
    calls = calls[calls["line_id"] == calls["b_line"]]
    return calls.merge(cells, left_on="a_cell_id", right_on="cell_id")[
        ["line_id", "t", "a_number", "x", "y"]
    ]


def _missing_runners(db: CaseTables, lines: Lines, cells: pd.DataFrame) -> pd.DataFrame:
    """line_id, person_id of missing children linked to a line's runner phones."""
    episodes = db.missing_episodes()
    episodes["x"], episodes["y"] = to_bng(episodes["found_lat"], episodes["found_lon"])
    runners = lines.role("runner")[["line_id", "number"]].drop_duplicates()
    seen = db.sightings(sorted(set(runners["number"]))).merge(runners, on="number")
    seen = seen.merge(cells, on="cell_id")
    return link_missing(episodes, seen)[["line_id", "person_id"]]


def _placed(points: pd.DataFrame) -> pd.DataFrame:
    """`points` (lat, lon) with x, y (EPSG:27700 metres)."""
    x, y = to_bng(points["lat"], points["lon"])
    return points.assign(x=x, y=y)


def placed_cells(db: CaseTables) -> pd.DataFrame:
    """cell_id, x, y (EPSG:27700 metres) of the case's cells."""
    cells = db.cells()
    x, y = to_bng(cells["lat"], cells["lon"])
    return pd.DataFrame({"cell_id": cells["cell_id"], "x": x, "y": y})


def find_violence(
    database: Path, lines: Lines, settings: at.AttributionSettings | None = None
) -> ViolenceResult:
    """Every incident classified and attributed, and the rivalries, from the loaded case
    database `database` and the lines `lines`."""
    settings = settings or at.AttributionSettings()
    with CaseTables(database) as db:
        inc = db.incidents()
        inc["x"], inc["y"] = to_bng(inc["lat"], inc["lon"])
        areas = db.towns()
        inc["town"] = town_of(inc["x"].to_numpy(), inc["y"].to_numpy(), areas)
        towns = at.town_evidence(inc, lines.lines)
        homes = _placed(db.person_homes())
        homes["town"] = town_of(homes["x"].to_numpy(), homes["y"].to_numpy(), areas)
        hubs = _placed(db.places("hubs", "name"))
        residents = pd.concat([
            at.hub_resident_evidence(inc, homes, hubs, lines.lines, towns),
            at.town_resident_evidence(inc, homes, lines.lines, towns),
        ])  # fmt: skip
        evidence = [towns, residents]
        if lines.numbers.empty:
            cells = pd.DataFrame({"cell_id": [], "x": [], "y": []})
        else:
            cells = placed_cells(db)
            evidence.append(at.named_evidence(inc, _line_people(db, _customers(db, lines)),
                                              "customer_named"))  # fmt: skip
            strong = pd.concat([
                at.named_evidence(inc, _line_people(db, lines.numbers), "member_named"),
                at.call_evidence(inc, _calls(db, lines, cells), lines.lines),
                at.named_evidence(inc, _missing_runners(db, lines, cells), "runner_named"),
            ], ignore_index=True)  # fmt: skip
            sides = pd.concat([strong, residents])  # residents say which side a line is on
            evidence += [strong, at.associate_evidence(inc, sides)]
    weapons = classify_weapons(inc)
    motive_text = inc["description"].map(text_motive)
    attributed = at.attribute(inc, pd.concat(evidence, ignore_index=True), settings, motive_text)
    frame = pd.DataFrame(
        {
            "incident_id": inc["incident_id"],
            "time": pd.to_datetime(inc["t"], unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": inc["lat"],
            "lon": inc["lon"],
            "town": inc["town"],
            "category": inc["category"],
            "weapon_field": inc["weapon"],
            "weapon_text": weapons["weapon_text"],
            "weapon": weapons["weapon"],
            "weapon_source": weapons["weapon_source"],
            "serious": at.is_serious(weapons["weapon"]),
            "motive_text": motive_text,
            "motive": at.decide_motive(inc["category"], motive_text, attributed),
            "line_id": attributed["line_id"],
            "rival_line_id": attributed["rival_line_id"],
            "score": attributed["score"].round(2),
            "evidence": attributed["evidence"],
        }
    )
    scored = frame.assign(t=inc["t"], second_line_id=attributed["second_line_id"],
                          second_score=attributed["second_score"],
                          lone_victim=attributed["lone_victim"])  # fmt: skip
    if inc.empty:
        rivalries = find_rivalries(scored, lines.lines, 0.0, 1, settings)
    else:
        start = math.floor(inc["t"].min() / DAY_S) * DAY_S
        months = max(1, math.ceil((inc["t"].max() + 1 - start) / MONTH_S))
        rivalries = find_rivalries(scored, lines.lines, float(start), months, settings)
    return ViolenceResult(frame.reset_index(drop=True), rivalries, settings)


__all__ = ["VIOLENCE_COLUMNS", "ViolenceResult", "find_violence"]

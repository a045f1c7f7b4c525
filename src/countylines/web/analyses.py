"""The places, violence and movement pages' data: tables of an assess output folder as dicts.

Places (`places/towns.csv`, `places/places.csv`, `places/place_factors.csv`) are aggregates of
areas and towns, with no person in them. Violence (`violence/violence.parquet`,
`violence/rivalries.parquet`) is line intelligence: counts of the incidents attributed to lines
by weapon, motive, town and month, the rivalries between lines, and the attributed incidents
with their evidence (identifiers in the text already pseudonymised on disk; the caller's
`hide` pseudonymises what older outputs still hold). Movement (`movement/journeys.parquet`,
`line_travel.parquet`, `vehicles_of_interest.parquet`) is the lines' travel: journeys by mode,
month and route, each line's modes and routes, and the vehicles of interest (registration
marks and runner numbers pseudonymised like the rest). A missing file gives empty tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

CLASSES = ("infiltrated", "heightened risk", "elevated", "lower")
"""The places classes, most serious first (docs/places.md)."""


class Town(BaseModel):
    """A town of the places analysis: its class, risk score (0 to 1), drivers and measures."""

    town: str
    risk_class: str | None
    score: float | None
    n_areas: int | None
    population: float | None
    n_lines: int | None
    expected_lines: float | None
    factors: str | None
    measures: str | None


class Area(BaseModel):
    """An area (built-up area or neighbourhood) of the places analysis."""

    area_id: str
    name: str | None
    town: str | None
    risk_class: str | None
    score: float | None
    population: float | None
    n_lines: int | None
    factors: str | None
    measures: str | None


class Factor(BaseModel):
    """A risk factor of the places model and its relative risk (per standard deviation)."""

    factor: str
    label: str | None
    units: str | None
    direction: str | None
    chosen: bool | None
    relative_risk: float | None


class Places(BaseModel):
    """The places page: towns and areas, most serious class and highest score first."""

    classes: dict[str, int]
    towns: list[Town]
    areas: list[Area]
    factors: list[Factor]


class Count(BaseModel):
    """A category and its number of incidents."""

    name: str
    n: int


class Rivalry(BaseModel):
    """Two lines whose violence is attributed to each other (docs/movement.md)."""

    line_a: str
    line_b: str
    towns: str | None
    first_incident: str | None
    last_incident: str | None
    n_incidents: int
    serious_weapons: int | None
    trend_per_month: float | None
    escalating: bool


class Incident(BaseModel):
    """A violent incident attributed to a line, with the evidence for the attribution."""

    incident_id: str
    time: str
    town: str | None
    category: str | None
    weapon: str | None
    serious: bool | None
    motive: str | None
    line_id: str
    rival_line_id: str | None
    score: float | None
    evidence: str | None


class Violence(BaseModel):
    """The violence page: incidents attributed to lines counted several ways, rivalries and
    the incidents themselves (newest first)."""

    n_incidents: int
    n_on_lines: int
    by_weapon: list[Count]
    by_motive: list[Count]
    by_town: list[Count]
    by_month: list[Count]
    rivalries: list[Rivalry]
    incidents: list[Incident]


def _table(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path) if path.is_file() else pd.DataFrame()
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()


def _rows(frame: pd.DataFrame, fields: list[str]) -> list[dict[str, Any]]:
    """`frame`'s rows as dicts of `fields` (a missing column is None; NaN is None)."""
    frame = frame.reindex(columns=fields)
    clean = frame.astype(object).where(frame.notna(), None)
    return [dict(zip(fields, row, strict=True)) for row in clean.itertuples(index=False)]


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Most serious class first, then highest score; class renamed `risk_class`."""
    if frame.empty:
        return frame
    order = frame["class"].map({c: i for i, c in enumerate(CLASSES)}).fillna(len(CLASSES))
    frame = frame.assign(_order=order).sort_values(["_order", "score"], ascending=[True, False])
    return frame.drop(columns="_order").rename(columns={"class": "risk_class"})


def read_places(folder: Path) -> dict[str, Any]:
    """The places page of the output folder `folder` (empty without a places analysis)."""
    towns = _ranked(_table(folder / "places" / "towns.csv"))
    areas = _ranked(_table(folder / "places" / "places.csv"))
    factors = _table(folder / "places" / "place_factors.csv")
    classes = towns["risk_class"].value_counts() if not towns.empty else pd.Series(dtype=int)
    return {
        "classes": {c: int(classes.get(c, 0)) for c in CLASSES},
        "towns": _rows(towns, list(Town.model_fields)),
        "areas": _rows(areas, list(Area.model_fields)),
        "factors": _rows(factors, list(Factor.model_fields)),
    }


def _counts(values: pd.Series) -> list[dict[str, Any]]:
    counts = values.fillna("unknown").astype(str).value_counts()
    return [{"name": k, "n": int(n)} for k, n in counts.items()]


def read_violence(folder: Path, hide: Callable[[pd.DataFrame], pd.DataFrame]) -> dict[str, Any]:
    """The violence page of the output folder `folder`; `hide` pseudonymises a table."""
    incidents = _table(folder / "violence" / "violence.parquet")
    rivalries = _table(folder / "violence" / "rivalries.parquet")
    if incidents.empty:
        incidents = pd.DataFrame(columns=["line_id", "time", "weapon", "motive", "town"])
    on_lines = incidents[incidents["line_id"].fillna("").astype(str) != ""]
    on_lines = hide(on_lines.sort_values("time", ascending=False))
    months = pd.to_datetime(on_lines["time"], utc=True).dt.strftime("%Y-%m")
    by_month = months.value_counts().sort_index()
    if not rivalries.empty:
        rivalries = rivalries.sort_values(["escalating", "n_incidents"], ascending=False)
    return {
        "n_incidents": len(incidents),
        "n_on_lines": len(on_lines),
        "by_weapon": _counts(on_lines["weapon"]),
        "by_motive": _counts(on_lines["motive"]),
        "by_town": _counts(on_lines["town"]),
        "by_month": [{"name": m, "n": int(n)} for m, n in by_month.items()],
        "rivalries": _rows(rivalries, list(Rivalry.model_fields)),
        "incidents": _rows(on_lines, list(Incident.model_fields)),
    }


class LineTravel(BaseModel):
    """A line's runner journeys by mode, its vehicles of interest and its most used routes."""

    line_id: str
    n_road: int | None
    n_rail: int | None
    vehicles: str | None
    routes: str | None


class VehicleOfInterest(BaseModel):
    """A vehicle that carried a line's runner phones between a hub and a town (docs/movement.md)."""

    vrm: str
    line_id: str | None
    category: str | None
    operator: str | None
    n_trips: int | None
    n_hub_town_trips: int | None
    n_co_travel_trips: int | None
    routes: str | None
    evidence: str | None


class Movement(BaseModel):
    """The movement page: runner journeys counted by mode, month and route (`from>to`), each
    line's travel, and the vehicles of interest (most co-travel trips first)."""

    n_journeys: int
    by_mode: list[Count]
    by_month: list[Count]
    by_route: list[Count]
    lines: list[LineTravel]
    vehicles: list[VehicleOfInterest]


TOP_ROUTES = 20
"""How many of the most used routes the movement page lists."""


def read_movement(folder: Path, hide: Callable[[pd.DataFrame], pd.DataFrame]) -> dict[str, Any]:
    """The movement page of the output folder `folder`; `hide` pseudonymises a table."""
    journeys = _table(folder / "movement" / "journeys.parquet")
    if journeys.empty:
        journeys = pd.DataFrame(columns=["mode", "depart", "from_place", "to_place"])
    travel = _table(folder / "movement" / "line_travel.parquet")
    vehicles = hide(_table(folder / "movement" / "vehicles_of_interest.parquet"))
    if not vehicles.empty:
        vehicles = vehicles.sort_values("n_co_travel_trips", ascending=False, kind="stable")
    months = pd.to_datetime(journeys["depart"], utc=True).dt.strftime("%Y-%m")
    by_month = months.value_counts().sort_index()
    places = journeys[["from_place", "to_place"]].fillna("unknown").astype(str)
    routes = (places["from_place"] + ">" + places["to_place"]).value_counts().head(TOP_ROUTES)
    return {
        "n_journeys": len(journeys),
        "by_mode": _counts(journeys["mode"]),
        "by_month": [{"name": m, "n": int(n)} for m, n in by_month.items()],
        "by_route": [{"name": r, "n": int(n)} for r, n in routes.items()],
        "lines": _rows(hide(travel), list(LineTravel.model_fields)),
        "vehicles": _rows(vehicles, list(VehicleOfInterest.model_fields)),
    }

"""`assess_places`: from a loaded case (and its lines) to risk, class and measures per area.

Steps: areas and indicators (`indicators`), transport (`transport`), infiltration per area and
month (`infiltration`), the relative-risk model (`model`) fitted on the number of distinct lines
that worked each area, then classes, driving factors and measures (`classify`) per area and per
town. `PlaceSettings.before` cuts every dated table at a time (for backtests); undated person
tables can then be left out (`use_persons=False`), since they may describe later events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from countylines.attached_case import attach_case
from countylines.places import features as fx
from countylines.places import transport as tr
from countylines.places.classify import CONTAGION, classify, drivers
from countylines.places.indicators import Indicator, describe, indicators
from countylines.places.infiltration import area_months, infiltration, members
from countylines.places.model import RiskModel, spatial_folds
from countylines.places.spatial import neighbours

AREA_OUTPUT = ("area_id", "name", "town", "n_lines", "infiltrated_months", "expected_lines",
               "score", "class", "factors", "measures")  # fmt: skip
"""Fixed output columns per area; the indicator columns follow `town`."""
CRIME_MEASURES = ("drugs", "weapons", "violence")
"""Factors of these kinds (`Indicator.measure`) are crime rates: offered only with
`PlaceSettings.crime_factors`."""
TOWN_OUTPUT = ("town", "n_areas", "population", "n_lines", "infiltrated_months",
               "expected_lines", "score", "class", "factors", "measures")  # fmt: skip


@dataclass(frozen=True)
class PlaceSettings:
    """Everything `assess_places` can be told; the defaults are the documented ones."""

    family: str = "poisson"
    """`poisson` (number of lines per area) or `logistic` (infiltrated or not)."""
    contagion: bool = False
    """Offer the share of infiltrated neighbouring areas as a factor. Off by default: fitted on
    the same months as the outcome, the term learns that infiltrated areas cluster (the
    neighbours' outcome), not that lines spread, and it lowered the backtest (docs/places.md)."""
    crime_factors: bool = False
    """Offer the drug, weapon and violence rates to the model. Off by default: lines cause such
    incidents where they work (taxing, shows of strength, arrests), so fitted on where lines
    are, they mark existing infiltration rather than where lines go next (reverse causation).
    The rates are reported either way."""
    before: datetime | None = None
    """Use only events, incidents and episodes before this UTC time."""
    use_persons: bool = True
    """Use the undated `persons` table (vulnerable residents, children known to care)."""


@dataclass
class PlacesResult:
    """Per-area and per-town results, the factors, and the layers behind them."""

    areas: gpd.GeoDataFrame
    towns: pd.DataFrame
    factors: pd.DataFrame
    infiltration: pd.DataFrame
    hubs: pd.DataFrame
    stations: pd.DataFrame
    links: pd.DataFrame
    model: RiskModel = field(repr=False)


def _hub_weights(lines: pd.DataFrame, hubs: pd.DataFrame) -> pd.Series:
    """Share of lines from each hub (half a line added to every hub, so none is ruled out)."""
    counts = lines["hub"].value_counts() if "hub" in lines else pd.Series(dtype=float)
    return counts.reindex(hubs["name"], fill_value=0).astype(float) + 0.5


def _factor_table(
    values: pd.DataFrame, meaning: dict[str, Indicator], model: RiskModel
) -> pd.DataFrame:
    rr = model.relative_risk
    rows = []
    for name in values.columns:
        info = meaning[name]
        rows.append(
            {
                "factor": name,
                "label": info.label,
                "units": info.units,
                "direction": info.direction,
                "transform": "log(1 + value), z-score" if info.log else "z-score",
                "areas_known": int(values[name].notna().sum()),
                "chosen": name in rr.index,
                "relative_risk": round(float(rr[name]), 3) if name in rr.index else None,
            }
        )
    return pd.DataFrame(rows)


def assess_places(
    database: Path,
    line_numbers: pd.DataFrame,
    lines: pd.DataFrame,
    settings: PlaceSettings | None = None,
) -> PlacesResult:
    """Risk of every area of the loaded case at `database`, given the lines found in it
    (`line_numbers`: line_id, number, role; `lines`: line_id, hub)."""
    s = settings or PlaceSettings()
    con = attach_case(database)
    try:
        areas = fx.areas(con)
        incidents = fx.incidents(con, s.before)
        persons = fx.persons_at_home(con) if s.use_persons else None
        missing = fx.missing_homes(con, s.before)
        hubs, stations = fx.points(con, "hubs"), fx.points(con, "stations")
        travel, links = fx.travel_times(con), fx.rail_links(con)
        deal = members(line_numbers, fx.intel_numbers(con))
        customers = fx.line_customers(con, deal, s.before)
    finally:
        con.close()
    months = max(1, incidents["month"].nunique()) if len(incidents) else 1
    columns = fx.indicator_columns(areas)
    values = indicators(areas, columns, incidents, persons, missing, months)
    meaning = {c: describe(c) for c in values.columns}
    values["station_distance_m"] = tr.station_distance(areas, stations)
    meaning["station_distance_m"] = tr.TRANSPORT["station_distance_m"]
    if len(hubs):
        weights = _hub_weights(lines, hubs)
        road = tr.road_minutes(areas, hubs, travel)
        values["road_hub_minutes"] = tr.hub_minutes(road, weights)
        rail = tr.rail_minutes(areas, hubs, stations, links, travel)
        if rail.notna().any().any():
            values["rail_hub_minutes"] = tr.hub_minutes(rail, weights)
        meaning.update({k: v for k, v in tr.TRANSPORT.items() if k in values})
    values = values.loc[:, values.notna().any()]
    rows = infiltration(customers, areas)
    per_area = area_months(rows).reindex(values.index)
    n_lines = per_area["n_lines"].fillna(0).astype(int)
    if s.contagion:
        near = neighbours(areas)
        hit = set(per_area.index[n_lines > 0])
        values["infiltrated_neighbours"] = [
            np.mean([n in hit for n in near[a]]) if near[a] else np.nan for a in values.index
        ]
        meaning["infiltrated_neighbours"] = CONTAGION
    design = values.copy()
    for name in design.columns:
        if meaning[name].log:
            design[name] = np.log1p(design[name].clip(lower=0))
    folds = spatial_folds(areas["x"].to_numpy(), areas["y"].to_numpy())
    offered = [c for c in design.columns
               if s.crime_factors or meaning[c].measure not in CRIME_MEASURES]  # fmt: skip
    model = RiskModel(family=s.family).fit(design[offered], n_lines.to_numpy(), folds)
    expected = pd.Series(model.predict(design), index=values.index)
    score = expected / expected.mean()
    factors, measures = drivers(model.contributions(design), model.relative_risk, meaning)
    out = areas[["area_id", "name", "town", "geometry"]].set_index("area_id", drop=False)
    out = out.join(values.round(4))
    out["n_lines"] = n_lines
    out["infiltrated_months"] = per_area["months"].fillna("")
    out["expected_lines"] = expected.round(4)
    out["score"] = score.round(4)
    out["class"] = classify(score, n_lines > 0)
    out["factors"], out["measures"] = factors, measures
    order = [*AREA_OUTPUT[:3], *values.columns, *AREA_OUTPUT[3:], "geometry"]
    area_frame = gpd.GeoDataFrame(out[order].reset_index(drop=True), crs="EPSG:27700")
    towns = _towns(area_frame, rows, areas)
    hub_of = dict(zip(lines.get("line_id", []), lines.get("hub", []), strict=True))
    hub = rows["line_id"].map(lambda line: hub_of.get(line, ""))
    pairs = rows.assign(hub=hub).query("hub != ''")
    link_frame = pairs.groupby(["hub", "town"])["line_id"].nunique().rename("n_lines").reset_index()
    return PlacesResult(area_frame, towns, _factor_table(values, meaning, model), rows, hubs,
                        stations, link_frame, model)  # fmt: skip


def _towns(areas: gpd.GeoDataFrame, rows: pd.DataFrame, source: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per town: its areas' expected lines summed, the town score over the mean town's,
    the class, and the factors and measures of its highest-scoring area."""
    pop = pd.Series(source["population"].to_numpy(float), index=source["area_id"].to_numpy())
    frame = areas.assign(population=areas["area_id"].map(pop))
    top = frame.sort_values("score", ascending=False).groupby("town").head(1).set_index("town")
    g = frame.groupby("town")
    months = rows.groupby("town")["month"].agg(lambda m: ";".join(sorted(set(m))))
    towns = pd.DataFrame(
        {
            "n_areas": g.size(),
            "population": g["population"].sum(min_count=1),
            "n_lines": rows.groupby("town")["line_id"].nunique(),
            "infiltrated_months": months,
            "expected_lines": g["expected_lines"].sum().round(4),
        }
    )
    towns["n_lines"] = towns["n_lines"].fillna(0).astype(int)
    towns["infiltrated_months"] = towns["infiltrated_months"].fillna("")
    towns["score"] = (towns["expected_lines"] / towns["expected_lines"].mean()).round(4)
    towns["class"] = classify(towns["score"], towns["n_lines"] > 0)
    towns["factors"] = top["factors"].reindex(towns.index)
    towns["measures"] = top["measures"].reindex(towns.index)
    return towns.rename_axis("town").reset_index()[list(TOWN_OUTPUT)]

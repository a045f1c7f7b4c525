"""The real-data backtest of the place model: police.uk Drugs plus Possession of weapons per LSOA.

Two scenarios on the staged open data (docs/places.md, "Real-data backtest"):

* `next_month`: West Mercia and its neighbours (Staffordshire, Warwickshire): fit on the counts
  of 2018-10 to 2018-12, score 2019-01 in the same LSOAs;
* `from_neighbours`: fit on Staffordshire and Warwickshire (2018-10 to 2018-12) and score West
  Mercia's 2019-01, the model never having seen a West Mercia count while fitted.

The model has two parts, both fitted on the fitted forces and months only:

1. the RTM-style relative-risk GLM (`places.model.RiskModel`, Poisson, ridge penalty chosen by
   spatial cross-validation) of each LSOA's count over the fitted months on its environment
   (`FACTORS`): the expected count a month, `rtm`;
2. an empirical-Bayes (negative binomial, Poisson-gamma) update of that expectation by the LSOA's
   own counts over the fitted months: with the gamma shape k fitted by maximum likelihood, the
   expected count next month is (k + y) / (k / mu + T), y the LSOA's count over T months and mu
   its `rtm` expectation a month. An LSOA with a long, steady history is scored by its history;
   one whose few counts are noise is drawn towards what its environment predicts.

Baselines measured in the same run: `last_period` (the LSOA's count over the fitted months),
`imd` (minus the IMD 2019 rank: the most deprived first) and `population`. Distances in British
National Grid (EPSG:27700, metres); areas in square metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from countylines.opendata.case import (
    DEFAULT_HUBS,
    build_areas,
    find_hubs,
    hub_postcodes,
    read_places,
    read_stations,
    travel_times,
)
from countylines.opendata.police_uk import DRUGS_AND_WEAPONS, monthly_counts, street_file
from countylines.opendata.sources import DataFiles, OpenDataError, choose_forces, read_lookup
from countylines.places.backtest import compare
from countylines.places.model import RiskModel, spatial_folds
from countylines.places.spatial import neighbours
from countylines.places.transport import hub_minutes

FIT_MONTHS = ("2018-10", "2018-11", "2018-12")
SCORE_MONTH = "2019-01"
TARGET = "West Mercia"
NEIGHBOURS = ("Staffordshire", "Warwickshire")
STATION_MARGIN_M = 10_000.0
IMD_RANKS = ("imd_rank", "imd_income_rank", "imd_employment_rank", "imd_education_rank",
             "imd_health_rank", "imd_crime_rank", "imd_housing_rank",
             "imd_environment_rank")  # fmt: skip
"""IoD2019 ranks (1 = the most deprived LSOA in England), used as given (z-scored)."""
LOGGED = ("population", "residents_per_hectare", "station_distance_m", "neighbour_count")
"""Factors taken as log(1 + value) before the z-score (counts, densities, distances)."""
FACTORS = (*IMD_RANKS, *LOGGED, "road_hub_minutes")
"""The environment of an LSOA: IMD ranks, residents, residents per hectare, metres to the
nearest station, the mean count a month of the neighbouring LSOAs over the fitted months
(contagion), and the effective road minutes to the hubs (`places.transport.hub_minutes`, hubs
weighted equally)."""
BASELINES = ("last_period", "imd", "population")


@dataclass(frozen=True)
class Scenario:
    """Fit on `fit_forces` over `fit_months`; score `score_forces` in `score_month`."""

    name: str
    fit_forces: tuple[str, ...]
    score_forces: tuple[str, ...]
    fit_months: tuple[str, ...] = FIT_MONTHS
    score_month: str = SCORE_MONTH


def scenarios(
    target: str = TARGET,
    neighbours: Sequence[str] = NEIGHBOURS,
    fit_months: Sequence[str] = FIT_MONTHS,
    score_month: str = SCORE_MONTH,
) -> tuple[Scenario, Scenario]:
    """The two scenarios for a force and its neighbours: `next_month` (all of them, fit on
    `fit_months`, score `score_month`) and `from_neighbours` (fit on the neighbours, score the
    target)."""
    months = tuple(fit_months)
    if not months or score_month <= max(months):
        raise OpenDataError(
            f"the scored month {score_month} must come after the fitted months "
            f"({', '.join(months) or 'none'})"
        )
    if not neighbours:
        raise OpenDataError("give at least one neighbouring force (--neighbour)")
    everyone = (target, *neighbours)
    return (
        Scenario("next_month", everyone, everyone, months, score_month),
        Scenario("from_neighbours", tuple(neighbours), (target,), months, score_month),
    )


SCENARIOS = scenarios()


def environment(
    files: DataFiles, forces: Sequence[str], hubs: Sequence[str] = DEFAULT_HUBS
) -> gpd.GeoDataFrame:
    """The forces' LSOAs (EPSG:27700) with `area_m2` and the environment factors but the
    neighbour counts: IMD ranks, population, residents per hectare, metres from the centroid to
    the nearest station, effective road minutes to the hubs (NaN where the matrix lacks it)."""
    areas, _ = build_areas(files, forces)
    areas["area_m2"] = areas.geometry.area
    areas["population"] = areas["population"].astype(float)
    areas["residents_per_hectare"] = areas["population"] / (areas["area_m2"] / 10_000.0)
    for column in IMD_RANKS:
        areas[column] = areas[column].astype(float)
    centroids = areas.geometry.centroid
    stations = read_stations(files.stations, areas, STATION_MARGIN_M)
    if len(stations):
        _, distance = stations.sindex.nearest(centroids, return_distance=True, return_all=False)
        areas["station_distance_m"] = distance
    else:
        areas["station_distance_m"] = np.nan
    hub_points = find_hubs(read_places(files.places), hubs)
    travel = travel_times(files, hub_postcodes(files, hub_points), areas["area_id"])
    table = travel.pivot_table(index="area_id", columns="hub", values="minutes", aggfunc="min")
    table = table.reindex(index=areas["area_id"], columns=hub_points["name"])
    weights = pd.Series(1.0, index=hub_points["name"])
    areas["road_hub_minutes"] = hub_minutes(table, weights).to_numpy()
    areas["x"], areas["y"] = centroids.x, centroids.y
    return areas


def _counts(files: DataFiles, areas: pd.DataFrame, forces: Sequence[str],
            months: Sequence[str]) -> pd.DataFrame:  # fmt: skip
    """Drugs plus Possession of weapons per LSOA (rows, area_id) and month (columns)."""
    ids = areas["area_id"].tolist()
    counts = monthly_counts(files.crime, forces, months, ids, DRUGS_AND_WEAPONS)
    return counts.pivot(index="area_id", columns="month", values="count").reindex(
        index=areas["area_id"], columns=list(months)
    )


def neighbour_count(areas: gpd.GeoDataFrame, per_month: pd.Series) -> pd.Series:
    """Mean count a month of each LSOA's neighbours (polygons within 1 m); NaN without any."""
    near = neighbours(areas)
    values = per_month.to_dict()
    return pd.Series(
        [np.mean([values[n] for n in near[a]]) if near[a] else np.nan for a in areas["area_id"]],
        index=areas["area_id"],
    )


def design(areas: pd.DataFrame) -> pd.DataFrame:
    """The factors as the model takes them: `LOGGED` as log(1 + value), the rest as given."""
    frame = areas.set_index("area_id")[list(FACTORS)].astype(float)
    for column in LOGGED:
        frame[column] = np.log1p(frame[column].clip(lower=0))
    return frame


def gamma_shape(y: np.ndarray, mean: np.ndarray) -> float:
    """Maximum-likelihood shape k of a negative binomial with the given means (k -> infinity
    is Poisson; small k is strong over-dispersion), searched over k from e^-6 to e^8."""
    mean = np.maximum(mean, 1e-9)

    def loss(log_k: float) -> float:
        k = np.exp(log_k)
        terms = gammaln(y + k) - gammaln(k) + k * np.log(k / (k + mean))
        return -float(np.sum(terms + y * np.log(mean / (k + mean))))

    return float(np.exp(minimize_scalar(loss, bounds=(-6.0, 8.0), method="bounded").x))


@dataclass
class HistoryModel:
    """RTM GLM of counts on the environment, updated by each unit's own history (see the module
    docstring). Plain data in and out: `fit(X, y, months, folds)` with `y` the count of each unit
    over `months` months; `predict(X, y, months)` the expected count of each unit in one month."""

    model: RiskModel
    shape_: float = 1.0

    def fit(self, X: pd.DataFrame, y: np.ndarray, months: int, folds: np.ndarray) -> HistoryModel:
        self.model.fit(X, y, folds)
        self.shape_ = gamma_shape(np.asarray(y, float), self.model.predict(X))
        return self

    def environment_rate(self, X: pd.DataFrame, months: int) -> np.ndarray:
        """Expected count a month from the environment alone (the GLM was fitted on counts over
        `months` months)."""
        return self.model.predict(X) / months

    def predict(self, X: pd.DataFrame, y: np.ndarray, months: int, fit_months: int) -> np.ndarray:
        """Expected count a month given `y` counts over `months` months (`fit_months`: the
        length of the period the GLM was fitted on)."""
        mu = np.maximum(self.environment_rate(X, fit_months), 1e-9)
        k = self.shape_
        return (k + np.asarray(y, float)) / (k / mu + months)


def _check_files(files: DataFiles, scenario: Scenario) -> None:
    """Every street file the scenario needs, before the slow steps."""
    for month in scenario.fit_months:
        for force in sorted({*scenario.fit_forces, *scenario.score_forces}):
            street_file(files.crime, month, force)
    for force in scenario.score_forces:
        street_file(files.crime, scenario.score_month, force)


def run_scenario(
    files: DataFiles, scenario: Scenario, areas: gpd.GeoDataFrame, forces: dict[str, str]
) -> dict[str, Any]:
    """Fit and score one scenario on `areas` (the environment of every force involved;
    `forces`: area_id → force). Returns the counts and the metrics of the model and baselines."""
    months = len(scenario.fit_months)
    fit = areas[areas["area_id"].map(forces).isin(scenario.fit_forces)].reset_index(drop=True)
    score = areas[areas["area_id"].map(forces).isin(scenario.score_forces)].reset_index(drop=True)
    parts = {}
    for name, part, forces_of in (("fit", fit, scenario.fit_forces),
                                  ("score", score, scenario.score_forces)):  # fmt: skip
        history = _counts(files, part, forces_of, scenario.fit_months).sum(axis=1)
        part = part.assign(history=history.to_numpy(float))
        part["neighbour_count"] = neighbour_count(part, history / months).to_numpy()
        parts[name] = part
    fit, score = parts["fit"], parts["score"]
    outcome = _counts(files, score, scenario.score_forces, [scenario.score_month])
    outcome_values = outcome[scenario.score_month].to_numpy(float)
    folds = spatial_folds(fit["x"].to_numpy(), fit["y"].to_numpy())
    model = HistoryModel(RiskModel(family="poisson"))
    model.fit(design(fit), fit["history"].to_numpy(), months, folds)
    X = design(score)
    scores = {
        "model": model.predict(X, score["history"].to_numpy(), months, months),
        "rtm": model.environment_rate(X, months),
        "last_period": score["history"].to_numpy(float),
        "imd": -score["imd_rank"].to_numpy(float),
        "population": score["population"].to_numpy(float),
    }
    return {
        "scenario": scenario.name,
        "fit_forces": list(scenario.fit_forces),
        "score_forces": list(scenario.score_forces),
        "fit_months": list(scenario.fit_months),
        "score_month": scenario.score_month,
        "fit_areas": len(fit),
        "fit_counts": int(fit["history"].sum()),
        "score_areas": len(score),
        "score_counts": int(outcome_values.sum()),
        "score_areas_with_counts": int((outcome_values > 0).sum()),
        "gamma_shape": round(model.shape_, 4),
        "relative_risk": model.model.relative_risk.round(3).to_dict(),
        "metrics": compare(scores, score["area_m2"], outcome_values),
    }


def real_backtest(
    data: Path, plan: Sequence[Scenario] = SCENARIOS, files: DataFiles | None = None
) -> dict[str, Any]:
    """Run the scenarios of `plan` on the open data in `data` (layout of docs/opendata.md)."""
    if not data.is_dir():
        raise OpenDataError(f"open data folder not found: {data}")
    paths = (files or DataFiles()).under(data)
    lookup = read_lookup(paths.lookup)
    named = [
        Scenario(s.name, tuple(choose_forces(lookup, s.fit_forces)),
                 tuple(choose_forces(lookup, s.score_forces)), s.fit_months, s.score_month)
        for s in plan
    ]  # fmt: skip
    for scenario in named:
        _check_files(paths, scenario)
    every = sorted({f for s in named for f in (*s.fit_forces, *s.score_forces)})
    areas = environment(paths, every)
    force_of = dict(zip(lookup["lsoa11_code"], lookup["police_force"], strict=True))
    return {
        "data": str(data),
        "crime_types": list(DRUGS_AND_WEAPONS),
        "factors": list(FACTORS),
        "scenarios": [run_scenario(paths, s, areas, force_of) for s in named],
    }

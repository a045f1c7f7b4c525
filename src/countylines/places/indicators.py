"""Vulnerability indicators per area, each with its units, direction and transform.

Two sources: the numeric indicator columns of the case's `areas` (described by name through
`describe`), and rates computed from the case's tables by point-in-polygon in British National
Grid (EPSG:27700): incidents per 1,000 residents a month by category, vulnerable persons, children
known to care and missing episodes per 1,000 residents. An indicator the case cannot give is left
out (never filled in); a value that cannot be computed for one area (no population) is missing
(NaN) for that area.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from countylines.places.spatial import count_ids, count_in_areas, locate


@dataclass(frozen=True)
class Indicator:
    """What a factor means. `log`: the model uses log(1 + value) (counts, rates, distances; not
    travel minutes, whose effect is taken as exponential decay, as in gravity models);
    `measure`: the key of the measures it suggests (`classify.MEASURES`)."""

    label: str
    units: str
    direction: str
    log: bool = False
    measure: str | None = None


INCIDENT_CATEGORIES = ("drugs", "weapons_possession", "violence")

COMPUTED: dict[str, Indicator] = {
    "drugs_per_1000": Indicator(
        "drug offences", "incidents per 1,000 residents a month", "higher: more drug supply",
        True, "drugs"),
    "weapons_possession_per_1000": Indicator(
        "weapon possession", "incidents per 1,000 residents a month",
        "higher: more weapon carrying", True, "weapons"),
    "violence_per_1000": Indicator(
        "violence", "incidents per 1,000 residents a month", "higher: more violence", True,
        "violence"),
    "vulnerable_per_1000": Indicator(
        "vulnerable residents", "persons with a recorded risk factor per 1,000 residents",
        "higher: more people open to cuckooing and exploitation", True, "cuckooing"),
    "care_children_per_1000": Indicator(
        "children known to care", "under-18s known to social care per 1,000 residents",
        "higher: more children open to exploitation", True, "care"),
    "missing_per_1000": Indicator(
        "missing episodes", "episodes of residents per 1,000 residents over the period",
        "higher: more children and adults going missing", True, "missing"),
}  # fmt: skip
"""Indicators computed from the case's tables."""

KNOWN: tuple[tuple[str, Indicator], ...] = (
    (r"^population$", Indicator("population", "residents", "higher: larger market", True)),
    (r"town_population", Indicator(
        "town population", "residents of the area's town", "higher: larger town market", True)),
    (r"imd.*(rank|decile)", Indicator(
        "deprivation (IMD rank)", "rank or decile, 1 = most deprived",
        "lower: more deprived", False, "deprivation")),
    (r"imd|deprivation|vulnerab", Indicator(
        "deprivation", "score, higher = more deprived", "higher: more deprived", False,
        "deprivation")),
    (r"station.*(distance|_m$)", Indicator(
        "distance to a station", "metres", "lower: easier rail access", True, "station")),
    (r"(minutes|road)", Indicator(
        "road time to a hub", "minutes", "lower: easier access from a hub", False, "road")),
    (r"care", Indicator("children known to care", "as given", "higher: more children at risk",
                        True, "care")),
    (r"missing", Indicator("missing episodes", "as given", "higher: more going missing", True,
                           "missing")),
    (r"drug", Indicator("drug offences", "as given", "higher: more drug supply", True, "drugs")),
    (r"weapon|knife", Indicator("weapon offences", "as given", "higher: more weapons", True,
                                "weapons")),
    (r"violen", Indicator("violence", "as given", "higher: more violence", True, "violence")),
)  # fmt: skip
"""Area indicator columns recognised by name (first match wins), for their meaning."""


def describe(column: str) -> Indicator:
    """The meaning of an area indicator column; unknown names are used as given."""
    if column in COMPUTED:
        return COMPUTED[column]
    for pattern, indicator in KNOWN:
        if re.search(pattern, column, re.IGNORECASE):
            return indicator
    return Indicator(column.replace("_", " "), "as given", "as given (the model learns it)")


def _per_1000(counts: pd.Series, population: pd.Series, months: float = 1.0) -> pd.Series:
    pop = population.where(population > 0)
    return (counts / pop * 1000.0 / months).astype("float64")


def indicators(
    areas: gpd.GeoDataFrame,
    columns: list[str],
    incidents: pd.DataFrame | None = None,
    persons: pd.DataFrame | None = None,
    missing: pd.DataFrame | None = None,
    months: float = 1.0,
) -> pd.DataFrame:
    """Indicator values per area (index area_id): `population`, the area columns `columns`, and
    the rates the given tables allow (`incidents`: lat, lon, category over `months` months;
    `persons`: lat, lon, vulnerable, care_child; `missing`: lat, lon). A table that is None or
    empty adds nothing."""
    pop = pd.Series(areas["population"].to_numpy(float), index=areas["area_id"])
    out = pd.DataFrame({"population": pop})
    for column in columns:
        out[column] = areas[column].to_numpy(float)
    if incidents is not None and len(incidents):
        where = locate(incidents["lat"], incidents["lon"], areas)
        for category in INCIDENT_CATEGORIES:
            n = count_ids(where[(incidents["category"] == category).to_numpy()], areas)
            out[f"{category}_per_1000"] = _per_1000(n, pop, max(months, 1e-9))
    if persons is not None and len(persons):
        home = locate(persons["lat"], persons["lon"], areas)
        for flag, name in (("vulnerable", "vulnerable_per_1000"),
                           ("care_child", "care_children_per_1000")):  # fmt: skip
            n = count_ids(home[persons[flag].to_numpy(bool)], areas)
            out[name] = _per_1000(n, pop)
    if missing is not None and len(missing):
        out["missing_per_1000"] = _per_1000(count_in_areas(missing, areas), pop)
    if pop.isna().all():
        out = out.drop(columns="population")
    return out.replace([np.inf, -np.inf], np.nan)

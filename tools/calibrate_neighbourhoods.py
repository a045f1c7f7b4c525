"""Calibrate the simulator's neighbourhoods (`simulate.neighbourhoods`) against real data.

Two numbers, both from West Mercia's LSOAs (2011) that lie in the built-up part of a town of the
built-in region: LSOA centroids (EPSG:27700) within 3 km x sqrt(population / 50,000) of the town
point, given to the nearest town (the rule of tools/calibrate_town_choice.py), with 2 km as a
check of how much the rule matters.

* the within-town spread of deprivation: the simulator's `vulnerability` is the IMD 2019 rank
  rescaled, 1 - (rank - 1) / 32,843; its pooled standard deviation around each town's
  population-weighted mean, over the towns with at least two LSOAs (and, to see whether the
  deprived LSOAs sit in the town centre, its correlation with the distance from the town point
  over the town's radius);
* how strongly drug markets follow deprivation within a town: a Poisson GLM of the LSOA's
  data.police.uk 'Drugs' plus 'Possession of weapons' crimes (2018-10 to 2019-01) with the
  LSOA's population (IoD 2019 mid-2015 denominators) as offset, a fixed effect per town (so only
  the differences within towns count) and the slope `beta` on vulnerability, fitted by profile
  likelihood (the town effects have a closed form for a given beta).

    .venv/bin/python tools/calibrate_neighbourhoods.py --data ../shared/data

Writes bench/results/neighbourhood_calibration.json.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from calibrate_town_choice import CRIME_TYPES, MONTHS, write_report
from pyproj import Transformer
from scipy.optimize import minimize_scalar

from countylines.simulate.region import IMD2019_LSOAS_ENGLAND, builtin_region

ROOT = Path(__file__).resolve().parents[1]


def lsoas(data: Path) -> pd.DataFrame:
    """West Mercia's LSOAs: code, x, y (BNG metres), population, vulnerability, crimes."""
    force = pd.read_csv(data / "lookups/lsoa11_police_force_england.csv")
    codes = force.loc[force["police_force"] == "West Mercia", "lsoa11_code"]
    cent = pd.read_csv(data / "boundaries/lsoa11_centroids_ew.csv").set_index("LSOA11CD")
    imd = pd.read_csv(data / "deprivation/imd2019_england_lsoa11_ranks_deciles.csv")
    pop = pd.read_csv(data / "deprivation/iod2019_file6_population_denominators_lsoa11.csv.gz")
    pop = pop.set_index(pop.columns[0])[pop.columns[4]]
    folder = data / "crime" / "police_uk"
    crime = pd.concat(pd.read_csv(folder / m / f"{m}-west-mercia-street.csv.gz") for m in MONTHS)
    counts = crime[crime["Crime type"].isin(CRIME_TYPES)].groupby("LSOA code").size()
    frame = pd.DataFrame({"code": codes.to_numpy()})
    frame["x"] = frame["code"].map(cent["BNG_E"])
    frame["y"] = frame["code"].map(cent["BNG_N"])
    frame["population"] = frame["code"].map(pop)
    rank = frame["code"].map(imd.set_index("lsoa11_code")["IMD_rank"])
    frame["vulnerability"] = 1 - (rank - 1) / (IMD2019_LSOAS_ENGLAND - 1)
    frame["crimes"] = frame["code"].map(counts).fillna(0).astype(int)
    shapes = gpd.read_file(data / "boundaries/lsoa11_bsc_study_area.geojson", ignore_geometry=True)
    frame["area_m2"] = frame["code"].map(shapes.set_index("LSOA11CD")["Shape__Area"])
    return frame.dropna().reset_index(drop=True)


def assign_towns(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The LSOAs given to a town, with `town` and `distance_share` (distance from the town point
    over its built-up radius 3 km x sqrt(population / 50,000)). `rule`: `town_polygon` (the
    centroid in the town's polygon of `Region.areas()`, which the simulator splits into
    neighbourhoods: built-up and rural LSOAs alike), `3km_x_sqrt_pop_50k` or `2km` (only the
    built-up part: within that radius of the nearest town point)."""
    region = builtin_region("west-mercia")
    towns = region.towns
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    tx, ty = to_bng.transform([t.lon for t in towns], [t.lat for t in towns])
    pops = np.array([t.population for t in towns], float)
    radius = 3000 * np.sqrt(pops / 50_000)
    d = np.hypot(frame["x"].to_numpy()[:, None] - tx, frame["y"].to_numpy()[:, None] - ty)
    if rule == "town_polygon":
        points = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=27700, index=frame.index
        )
        polygons = region.areas()[["geometry"]].reset_index(drop=True)
        joined = gpd.sjoin(points, polygons, predicate="within")
        which = joined["index_right"].reindex(frame.index)
        inside = which.notna().to_numpy()
        nearest = which.fillna(-1).to_numpy(int)
    else:
        nearest = d.argmin(axis=1)
        limit = radius if rule == "3km_x_sqrt_pop_50k" else np.full(len(towns), 2000.0)
        inside = d[np.arange(len(d)), nearest] <= limit[nearest]
    out = frame[inside].copy()
    idx = nearest[inside]
    out["town"] = [towns[i].name for i in idx]
    out["distance_share"] = d[inside][np.arange(len(idx)), idx] / radius[idx]
    return out


def within_spread(frame: pd.DataFrame) -> dict[str, float]:
    """Pooled within-town SD of vulnerability (population-weighted town means) over towns with
    at least two LSOAs; the correlation of the deviation with `distance_share` and with the
    LSOA's log area (standardised within its town: density, as the simulator's neighbourhoods
    have equal populations)."""
    sizes = frame.groupby("town")["code"].transform("size")
    many = frame[sizes >= 2].copy()
    w = many["population"]
    mean = (many["vulnerability"] * w).groupby(many["town"]).sum() / w.groupby(many["town"]).sum()
    dev = many["vulnerability"] - many["town"].map(mean)
    n_towns = many["town"].nunique()
    sd = float(np.sqrt((dev**2).sum() / (len(many) - n_towns)))
    log_area = np.log(many["area_m2"])
    z_area = (log_area - log_area.groupby(many["town"]).transform("mean")) / log_area.groupby(
        many["town"]
    ).transform("std")
    return {
        "towns": int(n_towns),
        "lsoas": len(many),
        "within_town_sd": round(sd, 4),
        "town_mean_sd": round(float(mean.std()), 4),
        "correlation_with_distance_share": round(
            float(np.corrcoef(dev, many["distance_share"])[0, 1]), 3
        ),
        "correlation_with_log_area_z": round(float(np.corrcoef(dev, z_area)[0, 1]), 3),
    }


def within_beta(frame: pd.DataFrame) -> dict[str, float]:
    """Slope on vulnerability of the Poisson GLM with a town fixed effect and log population
    offset: for a given beta each town's effect is log(sum y / sum pop exp(beta v)), so the
    log-likelihood is profiled over beta alone. Also its standard error (curvature)."""
    y, pop = frame["crimes"].to_numpy(float), frame["population"].to_numpy(float)
    v, town = frame["vulnerability"].to_numpy(float), frame["town"].to_numpy()
    groups = [np.flatnonzero(town == t) for t in np.unique(town)]

    def nll(beta: float) -> float:
        total = 0.0
        for g in groups:
            total += (
                y[g].sum() * np.log((pop[g] * np.exp(beta * v[g])).sum())
                - beta * (y[g] * v[g]).sum()
            )
        return total

    beta = float(minimize_scalar(nll, bounds=(-20, 20), method="bounded").x)
    h = 1e-3
    curvature = (nll(beta + h) - 2 * nll(beta) + nll(beta - h)) / h**2
    return {
        "beta": round(beta, 3),
        "se": round(float(1 / np.sqrt(curvature)), 3),
        "crimes": int(y.sum()),
        "lsoas": len(frame),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench/results/neighbourhood_calibration.json"
    )
    args = parser.parse_args()
    frame = lsoas(args.data)
    fits = {}
    for rule in ("town_polygon", "3km_x_sqrt_pop_50k", "2km"):
        towns = assign_towns(frame, rule)
        fits[rule] = {"spread": within_spread(towns), "placement": within_beta(towns)}
    report = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "west_mercia_lsoas": len(frame),
        "crime_types": list(CRIME_TYPES),
        "months": list(MONTHS),
        "fits": fits,
    }
    write_report(args.out, report)


if __name__ == "__main__":
    main()

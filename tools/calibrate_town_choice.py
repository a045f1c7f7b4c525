"""Calibrate the simulator's town choice (`simulate.lines.attractiveness`) against real data.

Real data cannot show where County Lines are, but data.police.uk publishes what the real-data
backtest scores: 'Drugs' plus 'Possession of weapons' crimes. This tool counts West Mercia's
(2018-10 to 2019-01) in the simulator's own units, the town polygons of the built-in West Mercia
region (`Region.areas()`, EPSG:27700), and fits a Poisson GLM of the count per town on the
factors of the simulator's town choice: log population, vulnerability (town mean deprivation)
and log access from the hubs (log of sum over hubs of share x exp(-road minutes / 60)). The
slopes are the exponents of `attractiveness`; the residual spread beyond Poisson (negative
binomial 1/k by moments, as a log-normal sigma = sqrt(log(1 + 1/k))) is the hidden factor's
sigma. Two other ways of giving crimes to towns (within 2 km of the town point; within
3 km x sqrt(population / 50,000)) show how much the fit depends on that choice. It also
reports, for the same units, the PAI and AUC of IMD alone and population alone on the real
counts, to compare with the simulator backtest's baselines.

    .venv/bin/python tools/calibrate_town_choice.py --data ../shared/data

Writes bench/results/town_choice_calibration.json.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import minimize

from countylines.places.backtest import compare
from countylines.simulate.lines import road_minutes_to
from countylines.simulate.region import builtin_region

ROOT = Path(__file__).resolve().parents[1]
MONTHS = ("2018-10", "2018-11", "2018-12", "2019-01")
CRIME_TYPES = ("Drugs", "Possession of weapons")


def poisson_fit(counts: np.ndarray, factors: np.ndarray) -> dict[str, object]:
    """Poisson GLM (log link) of `counts` on the columns of `factors` with an intercept:
    the slopes, the negative binomial 1/k by moments and its log-normal sigma."""
    x = np.column_stack([np.ones(len(counts)), factors])

    def loss(b: np.ndarray) -> float:
        eta = x @ b
        return float((np.exp(eta) - counts * eta).sum())

    def grad(b: np.ndarray) -> np.ndarray:
        return x.T @ (np.exp(x @ b) - counts)

    start = np.r_[np.log(counts.mean()), np.zeros(factors.shape[1])]
    b = minimize(loss, start, jac=grad, method="BFGS").x
    mu = np.exp(x @ b)
    inv_k = max(0.0, float((((counts - mu) ** 2 - counts).sum()) / (mu**2).sum()))
    return {
        "slopes": [round(float(v), 3) for v in b[1:]],
        "inv_k": round(inv_k, 3),
        "sigma": round(float(np.sqrt(np.log1p(inv_k))), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench/results/town_choice_calibration.json"
    )
    args = parser.parse_args()
    folder = args.data / "crime" / "police_uk"
    crime = pd.concat(pd.read_csv(folder / m / f"{m}-west-mercia-street.csv.gz") for m in MONTHS)
    crime = crime[crime["Crime type"].isin(CRIME_TYPES) & crime["Longitude"].notna()]
    points = gpd.GeoDataFrame(
        crime, geometry=gpd.points_from_xy(crime["Longitude"], crime["Latitude"]), crs=4326
    ).to_crs(27700)
    region = builtin_region("west-mercia")
    areas = region.areas()
    pop = areas["population"].to_numpy(float)
    vul = areas["vulnerability"].to_numpy(float)
    shares = np.array([h.share for h in region.hubs])
    minutes = np.array([road_minutes_to(region, h.name, areas["town"]) for h in region.hubs])
    access = np.log((shares[:, None] / shares.sum() * np.exp(-minutes / 60.0)).sum(axis=0))
    centres = gpd.GeoSeries(
        gpd.points_from_xy([t.lon for t in region.towns], [t.lat for t in region.towns]), crs=4326
    ).to_crs(27700)
    distance = np.array([points.distance(c).to_numpy() for c in centres])  # towns x crimes
    nearest = np.argmin(distance, axis=0)
    inside = gpd.sjoin(points, areas[["town", "geometry"]], predicate="within")
    assignments = {
        "town_polygon": inside.groupby("town").size().reindex(areas["town"], fill_value=0),
        "within_2km": pd.Series([((distance[i] <= 2000) & (nearest == i)).sum()
                                 for i in range(len(centres))]),
        "within_3km_x_sqrt_pop_50k": pd.Series(
            [((distance[i] <= 3000 * np.sqrt(pop[i] / 50_000)) & (nearest == i)).sum()
             for i in range(len(centres))]
        ),
    }  # fmt: skip
    fits = {}
    for name, counts in assignments.items():
        y = counts.to_numpy(float)
        fits[name] = {
            "crimes": int(y.sum()),
            "log_population+vulnerability+log_access": poisson_fit(
                y, np.column_stack([np.log(pop), vul, access])
            ),
            "log_population+vulnerability": poisson_fit(y, np.column_stack([np.log(pop), vul])),
            "log_population": poisson_fit(y, np.log(pop)[:, None]),
        }
    counts = assignments["town_polygon"].to_numpy(float)
    baselines = compare(
        {"imd": -areas["imd_rank_mean"], "population": areas["population"]},
        areas.geometry.area,
        counts,
    )
    report = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "crimes": len(crime),
        "crime_types": list(CRIME_TYPES),
        "months": list(MONTHS),
        "fits": fits,
        "baselines_on_real_counts_per_town_polygon": baselines,
    }
    write_report(args.out, report)


def write_report(out: Path, report: dict[str, object]) -> None:
    """Write `report` as JSON to `out` (its folder made) and print it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

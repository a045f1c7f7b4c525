"""Measure `countylines places` on held-out simulated cases: the simulator backtest.

Simulates and loads each case below unless it is already in --work, then fits the place model on
the first month of each (lines found by `find_lines`, data before the cut-off only) and scores
the areas (neighbourhoods) newly infiltrated in the second month, pooled over the cases and per
case, beside the baselines (last period's drug and weapon offences, IMD alone, population alone,
and the town's population) and two ceilings no model can see: `oracle`, the simulator's own
chance that a line picks each town (`simulate.lines.attractiveness`, without the hidden noise,
summed over the hubs by their share of lines) times the area's share of its town's
neighbourhood weights, and `oracle_hidden`, the same with the hidden town attractiveness of
`truth/towns.csv`.
Writes bench/results/places_accuracy.json. Run from the project root:

    .venv/bin/python tools/evaluate_places.py --work /tmp/places-eval

Seeds. With neighbourhoods inside the towns (`simulate.neighbourhoods`, truth per area):
development seeds small 2000-2012 (looked at while building and choosing the model);
measurement seeds 2101-2124 (24 cases, HELD_OUT below), used once. Before, with one area per
town and the town choice calibrated to real data: development small 12 and 1001-1012,
measurement 1301-1312 (the helper's) and 901-912 (the lead's). Before that change (population
** 0.5 x vulnerability, hidden sigma 0.5): development seeds 12, 13, 14, 701-712 and 801-812,
measurement 871-882 (docs/places.md, "Earlier measurements").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from simulated_cases import loaded_case

from countylines.cli_places import backtest_frames
from countylines.places.simulated import metrics
from countylines.simulate.lines import attractiveness, road_minutes_to
from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region

DEVELOPMENT = tuple(range(2000, 2013))
HELD_OUT = tuple(range(2101, 2125))
"""Fresh seeds for the neighbourhood simulator, measured once (24 cases, to halve the spread).
The lead's second sample: `--seeds 950 ... 961`, measured once after every merge of session 6."""
ROOT = Path(__file__).resolve().parents[1]


def oracle(case: Path, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(oracle, oracle_hidden) per candidate area of a West Mercia simulated case: the share of
    lines that pick the area's town, from `simulate.lines.attractiveness` with the case's own
    parameters (`truth/params.json`), normalised per hub, hubs weighted by share, without and
    with the hidden attractiveness, times the area's share of its town's neighbourhood weights
    (population x exp(`neighbourhood_vulnerability_beta` x vulnerability), the draw of
    `simulate.neighbourhoods.choose`). A ranking, not the exact chance: how many neighbourhoods
    a line works and the customers lines share are left out."""
    region = builtin_region("west-mercia")
    params = params_for("small", **_simulated_params(case))
    towns = [t.name for t in region.towns]
    pop = np.array([t.population for t in region.towns], float)
    vul = np.array([t.vulnerability for t in region.towns], float)
    hidden = pd.read_csv(case / "truth" / "towns.csv").set_index("town")["hidden_attractiveness"]
    shares = np.array([h.share for h in region.hubs])
    plain, noisy = np.zeros(len(towns)), np.zeros(len(towns))
    for hub, share in zip(region.hubs, shares / shares.sum(), strict=True):
        minutes = road_minutes_to(region, hub.name, towns)
        weight = attractiveness(
            pop, vul, minutes, params.town_population_power, params.town_vulnerability_beta
        )
        plain += share * weight / weight.sum()
        with_hidden = weight * hidden.reindex(towns).to_numpy(float)
        noisy += share * with_hidden / with_hidden.sum()
    by_town = pd.DataFrame({"oracle": plain, "oracle_hidden": noisy}, index=towns)
    areas = gpd.read_file(case / "areas.geojson").set_index("area_id")
    within = areas["population"] * np.exp(
        params.neighbourhood_vulnerability_beta * areas["vulnerability"]
    )
    within = within / within.groupby(areas["town"]).transform("sum")
    by_area = by_town.reindex(areas["town"]).set_axis(areas.index).mul(within, axis=0)
    chosen = by_area.reindex(frame["area_id"])
    return chosen["oracle"].to_numpy(), chosen["oracle_hidden"].to_numpy()


def _simulated_params(case: Path) -> dict[str, float]:
    """The town and neighbourhood choice parameters the case was simulated with
    (`truth/params.json`); a case simulated before they existed (one area per town, or
    population ** 0.5 x vulnerability) is refused."""
    params = json.loads((case / "truth" / "params.json").read_text())
    names = (
        "town_population_power",
        "town_vulnerability_beta",
        "town_noise_sigma",
        "neighbourhood_vulnerability_beta",
    )
    missing = [n for n in names if n not in params]
    if missing:
        raise SystemExit(f"{case} was simulated without {missing[0]}: simulate it again")
    return {n: params[n] for n in names}


def case_frame(work: Path, case: Path, database: Path, fit_months: int) -> pd.DataFrame:
    """The scored candidate areas of one case (`cli_places.backtest_frames`), kept in `work`
    beside the case (`NAME-places-fitN.csv`) so that runs on parts of the seeds can be pooled
    later; delete the file to compute it again."""
    path = work / f"{case.name}-places-fit{fit_months}.csv"
    if path.is_file():
        return pd.read_csv(path, dtype={"area_id": str, "town": str})
    frame = backtest_frames([(case, database)], fit_months)[0]
    frame.to_csv(path, index=False)
    return frame


def spread(per_case: list[dict[str, dict[str, float]]], name: str, metric: str) -> dict[str, float]:
    """Median, min and max of one metric over the cases where it is defined."""
    values = [c[name][metric] for c in per_case if c[name][metric] == c[name][metric]]
    if not values:
        return {}
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "cases": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seeds", type=int, nargs="*", default=list(HELD_OUT))
    parser.add_argument("--fit-months", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/places_accuracy.json")
    args = parser.parse_args()
    start = time.time()
    cases = [loaded_case(args.work, args.scale, "default", s) for s in args.seeds]
    frames = [case_frame(args.work, case, db, args.fit_months) for case, db in cases]
    for (case, _), frame in zip(cases, frames, strict=True):
        frame["oracle"], frame["oracle_hidden"] = oracle(case, frame)
        towns = gpd.read_file(case / "areas.geojson").set_index("area_id")["town_population"]
        frame["town_population"] = frame["area_id"].map(towns).to_numpy(float)
    extra = ("town_population", "oracle", "oracle_hidden")
    result = {"fit_months": args.fit_months, **metrics(frames, extra)}
    names = list(result["pooled"])
    result["spread"] = {
        n: {m: spread(result["per_case"], n, m) for m in ("pai_10", "auc")} for n in names
    }
    report = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "seeds": args.seeds,
        "development_seeds": list(DEVELOPMENT),
        "seconds": round(time.time() - start, 1),
        "target": {"pai_10": 3.0, "auc": 0.8},
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"pooled": result["pooled"], "spread": result["spread"]}, indent=2))


if __name__ == "__main__":
    main()

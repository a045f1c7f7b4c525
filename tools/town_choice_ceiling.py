"""How well could any score do on the simulator backtest? A Monte Carlo of the town draws alone.

Draws only what decides the backtest's outcome, as `simulate.lines.build_lines` does for a
`small` West Mercia case (12 lines, 2 months): each line's hub by share, its first town by
`attractiveness` x the hidden factor, its start (day 0, or a uniform later day for
`late_start_share` of lines) and one expansion a month with chance `expand_per_month`. The
backtest fits on month 0 and scores the towns first infiltrated in month 1 among those not
infiltrated in month 0. Pooled over 12 such cases (each score as its percentile rank within its
case), it reports the mean and standard deviation over `--reps` repetitions of PAI at 10% of the
area and AUC for the simulator's own weights (`oracle`, `oracle_hidden`), IMD alone and
population alone, under the current parameters, the ones before calibration (population ** 0.5
x vulnerability, hidden sigma 0.5), and those with only the population power (1) or only the
hidden sigma (0.35) changed. No case is simulated: minutes, not hours.

    .venv/bin/python tools/town_choice_ceiling.py > bench/results/town_choice_ceiling.json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import pandas as pd

from countylines.places.backtest import compare
from countylines.simulate.lines import NO_ROAD_MINUTES, attractiveness
from countylines.simulate.params import Params, params_for
from countylines.simulate.region import builtin_region

SCORES = ("oracle", "oracle_hidden", "imd", "population")


class Towns:
    """The West Mercia towns: polygon areas (m²), population, IMD rank, road minutes per hub."""

    def __init__(self) -> None:
        region = builtin_region("west-mercia")
        areas = region.areas()
        self.area_m2 = areas.geometry.area.to_numpy()
        self.population = areas["population"].to_numpy(float)
        self.vulnerability = areas["vulnerability"].to_numpy(float)
        self.imd_rank = areas["imd_rank_mean"].to_numpy(float)
        shares = np.array([h.share for h in region.hubs])
        self.shares = shares / shares.sum()
        self.minutes = np.array(
            [[region.road_minutes_from(h.name).get(t, NO_ROAD_MINUTES) for t in areas["town"]]
             for h in region.hubs]
        )  # fmt: skip

    def weights(self, params: Params, vulnerability_linear: bool) -> np.ndarray:
        """Hub x town attractiveness, normalised per hub; `vulnerability_linear`: the form
        before calibration (vulnerability as a plain factor instead of exp(beta x it))."""
        w = np.array([attractiveness(self.population, self.vulnerability, m,
                                     params.town_population_power, params.town_vulnerability_beta)
                      for m in self.minutes])  # fmt: skip
        if vulnerability_linear:
            w *= self.vulnerability / np.exp(params.town_vulnerability_beta * self.vulnerability)
        return w / w.sum(axis=1, keepdims=True)


def one_case(towns: Towns, w: np.ndarray, params: Params, rng: np.random.Generator) -> pd.DataFrame:
    """The candidate towns of one simulated backtest: outcome and the scores."""
    noisy = w * rng.lognormal(0, params.town_noise_sigma, w.shape[1])
    noisy /= noisy.sum(axis=1, keepdims=True)
    days = 30 * params.months
    first_day: dict[int, int] = {}
    for _ in range(params.n_lines):
        hub = rng.choice(len(towns.shares), p=towns.shares)
        start = 0 if rng.random() >= params.late_start_share else int(rng.integers(1, days))
        mine = {int(rng.choice(w.shape[1], p=noisy[hub])): start}
        for month in range(1, params.months):
            if rng.random() < params.expand_per_month:
                other = int(rng.choice(w.shape[1], p=noisy[hub]))
                mine.setdefault(other, max(start, 30 * month + int(rng.integers(0, 30))))
        for town, day in mine.items():
            first_day[town] = min(day, first_day.get(town, days))
    day = np.array([first_day.get(t, days) for t in range(w.shape[1])])
    frame = pd.DataFrame(
        {
            "area_m2": towns.area_m2,
            "outcome": ((day >= 30) & (day < 60)).astype(int),
            "oracle": towns.shares @ w,
            "oracle_hidden": towns.shares @ noisy,
            "imd": -towns.imd_rank,
            "population": towns.population,
        }
    )
    return frame[day >= 30]


def ceiling(params: Params, vulnerability_linear: bool, reps: int, seed: int) -> dict:
    """Mean and SD over `reps` of the pooled metrics of 12 cases."""
    towns, rng = Towns(), np.random.default_rng(seed)
    w = towns.weights(params, vulnerability_linear)
    rows = []
    for _ in range(reps):
        frames = [one_case(towns, w, params, rng) for _ in range(12)]
        pooled = pd.concat([f.assign(**{n: f[n].rank(pct=True) for n in SCORES}) for f in frames])
        got = compare({n: pooled[n] for n in SCORES}, pooled["area_m2"], pooled["outcome"])
        rows.append({f"{n}.{m}": got[n][m] for n in SCORES for m in ("pai_10", "auc")}
                    | {"new_infiltrations": pooled["outcome"].sum()})  # fmt: skip
    table = pd.DataFrame(rows)
    return {c: {"mean": round(table[c].mean(), 2), "sd": round(table[c].std(), 2)} for c in table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    now = params_for("small")
    before = replace(now, town_population_power=0.5, town_vulnerability_beta=0.0,
                     town_noise_sigma=0.5)  # fmt: skip
    result = {
        "before_calibration": ceiling(before, True, args.reps, args.seed),
        "before_with_population_power_1": ceiling(
            replace(before, town_population_power=1.0), True, args.reps, args.seed
        ),
        "before_with_sigma_0.35": ceiling(
            replace(before, town_noise_sigma=0.35), True, args.reps, args.seed
        ),
        "calibrated": ceiling(now, False, args.reps, args.seed),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

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
import shapely

from countylines.places.backtest import compare
from countylines.simulate.lines import attractiveness, road_minutes_to
from countylines.simulate.neighbourhoods import Neighbourhoods, choose
from countylines.simulate.params import Params, params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.world import build_world

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
            [road_minutes_to(region, h.name, areas["town"]) for h in region.hubs]
        )

    def weights(self, params: Params, vulnerability_linear: bool) -> np.ndarray:
        """Hub x town attractiveness, normalised per hub; `vulnerability_linear`: the form
        before calibration (vulnerability as a plain factor instead of exp(beta x it))."""
        w = np.array([attractiveness(self.population, self.vulnerability, m,
                                     params.town_population_power, params.town_vulnerability_beta)
                      for m in self.minutes])  # fmt: skip
        if vulnerability_linear:
            w *= self.vulnerability / np.exp(params.town_vulnerability_beta * self.vulnerability)
        return w / w.sum(axis=1, keepdims=True)


def draw_lines(
    shares: np.ndarray, noisy: np.ndarray, params: Params, rng: np.random.Generator
) -> list[list[tuple[int, int, int]]]:
    """Per line, (town, first day, customers there) of its towns, first town first, as
    `build_lines` draws them: hub by share, first town by the noisy weights, start, one
    expansion a month with chance `expand_per_month` (a third as many customers, at least 10)."""
    days = 30 * params.months
    out = []
    for _ in range(params.n_lines):
        hub = rng.choice(len(shares), p=shares)
        start = 0 if rng.random() >= params.late_start_share else int(rng.integers(1, days))
        n = int(np.clip(rng.lognormal(np.log(params.customers_median), params.customers_sigma),
                        15, params.customers_max))  # fmt: skip
        mine = {int(rng.choice(noisy.shape[1], p=noisy[hub])): (start, n)}
        for month in range(1, params.months):
            if rng.random() < params.expand_per_month:
                other = int(rng.choice(noisy.shape[1], p=noisy[hub]))
                day = max(start, 30 * month + int(rng.integers(0, 30)))
                mine.setdefault(other, (day, max(10, n // 3)))
        out.append([(town, day, k) for town, (day, k) in mine.items()])
    return out


def one_case(towns: Towns, w: np.ndarray, params: Params, rng: np.random.Generator) -> pd.DataFrame:
    """The candidate towns of one simulated backtest: outcome and the scores."""
    noisy = w * rng.lognormal(0, params.town_noise_sigma, w.shape[1])
    noisy /= noisy.sum(axis=1, keepdims=True)
    days = 30 * params.months
    first_day: dict[int, int] = {}
    for line in draw_lines(towns.shares, noisy, params, rng):
        for town, day, _ in line:
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


def area_case(
    towns: Towns,
    hoods: Neighbourhoods,
    w: np.ndarray,
    params: Params,
    rng: np.random.Generator,
    new_towns_only: bool,
) -> pd.DataFrame:
    """The candidate neighbourhoods of one simulated backtest (those not worked before day 30;
    with `new_towns_only`, only those of towns not worked before): each line's towns as in
    `one_case`, then in each town the neighbourhoods it works (`neighbourhoods.choose`, its
    customers spread over them) and, from its start, those of the customers it shares with the
    lines of the same first town; the oracle is the town's chance times the neighbourhood's
    share of its town's weights."""
    noisy = w * rng.lognormal(0, params.town_noise_sigma, w.shape[1])
    noisy /= noisy.sum(axis=1, keepdims=True)
    days = 30 * params.months
    first = np.full(len(hoods.place), days)
    beta = params.neighbourhood_vulnerability_beta
    lines = []  # per line: its first town, start day and its customers' neighbourhoods
    for line in draw_lines(towns.shares, noisy, params, rng):
        homes = []
        for town, day, n in line:
            worked = choose(hoods, town, n, params.line_customers_per_neighbourhood, beta, rng)
            homes.append(worked[rng.integers(0, len(worked), n)])
            first[worked] = np.minimum(first[worked], day)
        lines.append((line[0][0], line[0][1], np.concatenate(homes)))
    for i, (town, day, homes) in enumerate(lines):  # shared customers, as `_share_customers`
        others = [h for j, (t, _, h) in enumerate(lines) if t == town and j != i]
        if others:
            pool = np.concatenate(others)
            n = min(int(len(homes) * params.shared_customer_share), len(pool))
            shared = rng.choice(pool, size=n, replace=False)
            shared = shared[hoods.place[shared] == town]  # the truth counts its own towns only
            first[shared] = np.minimum(first[shared], day)
    within = np.zeros(len(hoods.place))
    for members in hoods.by_place:
        if len(members):
            within[members] = hoods.weights(beta, members)
    frame = pd.DataFrame(
        {
            "area_m2": shapely.area(hoods.geometry),
            "outcome": ((first >= 30) & (first < 60)).astype(int),
            "oracle": (towns.shares @ w)[hoods.place] * within,
            "oracle_hidden": (towns.shares @ noisy)[hoods.place] * within,
            "imd": hoods.vulnerability,
            "population": hoods.population,
        }
    )
    town_first = pd.Series(first).groupby(hoods.place).transform("min").to_numpy()
    return frame[(town_first if new_towns_only else first) >= 30]


def ceiling(
    params: Params,
    vulnerability_linear: bool,
    reps: int,
    seed: int,
    worlds: int = 0,
    new_towns_only: bool = False,
) -> dict:
    """Mean and SD over `reps` of the pooled metrics of 12 cases: of towns, or with `worlds`
    > 0 of neighbourhoods (each case on one of `worlds` simulated geographies, seeds 5000 on:
    cells and neighbourhood deprivation, drawn once; `new_towns_only` as in `area_case`)."""
    towns, rng = Towns(), np.random.default_rng(seed)
    w = towns.weights(params, vulnerability_linear)
    region = builtin_region("west-mercia")
    pool = [build_world(region, replace(params, seed=5000 + i)).hoods for i in range(worlds)]
    rows = []
    for _ in range(reps):
        frames = [
            area_case(towns, pool[rng.integers(len(pool))], w, params, rng, new_towns_only)
            if pool
            else one_case(towns, w, params, rng)
            for _ in range(12)
        ]
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
    parser.add_argument("--worlds", type=int, default=24, help="geographies for neighbourhoods")
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
        "neighbourhoods": ceiling(now, False, args.reps, args.seed, args.worlds),
        "neighbourhoods_of_new_towns": ceiling(now, False, args.reps, args.seed, args.worlds, True),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

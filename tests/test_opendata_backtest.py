"""`countylines opendata backtest` on a slice of the real open data in ../shared/data (skipped
when absent): Warwickshire scored from Staffordshire, fitted on one month; the counts are checked
against independent pandas counts of the raw street files. The negative-binomial update is
checked on simulated counts with a known shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, cli

from countylines.opendata.backtest import HistoryModel, gamma_shape, scenarios
from countylines.opendata.sources import OpenDataError
from countylines.places.model import RiskModel

DATA = ROOT.parent / "shared" / "data"
staged = pytest.mark.skipif(
    not (DATA / "SOURCES.md").is_file(), reason=f"open data not staged at {DATA}"
)


def _raw_count(force: str, month: str, lsoas: set[str]) -> int:
    """Drugs + Possession of weapons in the force's LSOAs, one per Crime ID, read by pandas."""
    raw = pd.read_csv(DATA / "crime" / "police_uk" / month / f"{month}-{force}-street.csv.gz")
    rows = raw[raw["Crime type"].isin(["Drugs", "Possession of weapons"])]
    rows = rows[rows["LSOA code"].isin(lsoas)].drop_duplicates("Crime ID")
    return len(rows)


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("real-backtest")
    run = cli("opendata", "backtest", DATA, "--out", out, "--target", "Warwickshire",
              "--neighbour", "Staffordshire", "--fit-months", "2018-12", "--json")  # fmt: skip
    return out, run.assert_clean(0).json()


@staged
def test_counts_match_the_raw_street_files(slice_run: tuple[Path, dict]) -> None:
    lookup = pd.read_csv(DATA / "lookups" / "lsoa11_police_force_england.csv")
    result = {s["scenario"]: s for s in slice_run[1]["scenarios"]}
    warks = set(lookup.loc[lookup["police_force"] == "Warwickshire", "lsoa11_code"])
    staffs = set(lookup.loc[lookup["police_force"] == "Staffordshire", "lsoa11_code"])
    scored = result["from_neighbours"]
    assert scored["score_areas"] == len(warks)
    assert scored["score_counts"] == _raw_count("warwickshire", "2019-01", warks)
    assert scored["fit_areas"] == len(staffs)
    assert scored["fit_counts"] == _raw_count("staffordshire", "2018-12", staffs)
    both = result["next_month"]
    assert both["score_areas"] == len(warks) + len(staffs)
    assert both["score_counts"] == scored["score_counts"] + _raw_count(
        "staffordshire", "2019-01", staffs
    )


@staged
def test_metrics_of_the_model_and_every_baseline(slice_run: tuple[Path, dict]) -> None:
    out, report = slice_run
    assert (out / "real_backtest.json").is_file()
    for scenario in report["scenarios"]:
        metrics = scenario["metrics"]
        assert set(metrics) == {"model", "rtm", "last_period", "imd", "population"}
        for values in metrics.values():
            assert values["pai_10"] == pytest.approx(values["hit_rate_10"] / 0.1, abs=1e-3)
            assert 0.0 <= values["hit_rate_5"] <= values["hit_rate_10"] <= values["hit_rate_20"]
            assert 0.0 <= values["auc"] <= 1.0
        # residents alone spread crimes evenly over LSOAs of similar size: a real model of drug
        # and weapon offences must find them far better than population does
        assert metrics["model"]["pai_10"] > 1.5 * metrics["population"]["pai_10"]
        assert scenario["gamma_shape"] > 0


@staged
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "Warwickshir"), "did you mean 'Warwickshire'"),
        (("--score-month", "2018-12", "--fit-months", "2018-11..2018-12"), "must come after"),
        (("--score-month", "Jan 2019"), "one month (YYYY-MM)"),
        (("--score-month", "2019-02"), "street file not found"),
    ],
)
def test_bad_options_stop_with_a_message(tmp_path: Path, args: tuple[str, ...], message: str
                                         ) -> None:  # fmt: skip
    base = ("--target", "Warwickshire", "--neighbour", "Staffordshire", "--fit-months", "2018-10")
    run = cli("opendata", "backtest", DATA, "--out", tmp_path, *base, *args).assert_clean(2)
    assert message in run.flat


def test_scenarios_need_a_neighbour_and_a_month_apart() -> None:
    with pytest.raises(OpenDataError, match="neighbouring force"):
        scenarios("West Mercia", ())
    first, second = scenarios("A", ("B", "C"), ("2018-10",), "2018-11")
    assert first.fit_forces == first.score_forces == ("A", "B", "C")
    assert (second.fit_forces, second.score_forces) == (("B", "C"), ("A",))


def test_gamma_shape_recovers_the_overdispersion_of_simulated_counts() -> None:
    rng = np.random.default_rng(5)
    mean = rng.uniform(0.5, 4.0, 20_000)
    for shape in (0.5, 2.0):
        counts = rng.poisson(rng.gamma(shape, mean / shape))
        assert gamma_shape(counts, mean) == pytest.approx(shape, rel=0.15)
    assert gamma_shape(rng.poisson(mean), mean) > 50  # Poisson: no over-dispersion


def test_history_moves_the_environment_towards_each_units_own_counts() -> None:
    rng = np.random.default_rng(6)
    X = pd.DataFrame({"f": rng.normal(size=2000)})
    rate = np.exp(0.3 + 0.8 * X["f"].to_numpy())  # expected count a month from the environment
    latent = rng.gamma(1.0, rate)  # each unit's own rate a month (gamma shape 1)
    y = rng.poisson(3 * latent)  # its counts over three months
    model = HistoryModel(RiskModel()).fit(X, y, 3, np.arange(2000) % 4)
    prior, posterior, own = model.environment_rate(X, 3), model.predict(X, y, 3, 3), y / 3
    low, high = np.minimum(prior, own), np.maximum(prior, own)
    assert np.all((posterior >= low - 1e-9) & (posterior <= high + 1e-9))
    assert model.shape_ == pytest.approx(1.0, rel=0.3)
    error = {name: np.mean((v - latent) ** 2) for name, v in
             {"prior": prior, "posterior": posterior, "own": own}.items()}  # fmt: skip
    assert error["posterior"] < min(error["prior"], error["own"])

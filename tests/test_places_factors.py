"""Which factors the place model is offered (crime rates and the contagion term only on request)
and the hubs' reach as competing destinations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from countylines.places import transport as tr
from tests.conftest import EXAMPLE, cli


def test_competing_hubs_share_a_far_hubs_lines_among_the_areas() -> None:
    # hub N is 20 to 40 minutes from the areas, hub F 300 to 360: raw, F counts for almost
    # nothing; as competing destinations, each hub's reach is relative to its mean over the areas
    minutes = pd.DataFrame({"N": [20.0, 40.0, 20.0, 40.0], "F": [360.0, 300.0, 300.0, 360.0]},
                           index=["a", "b", "c", "d"])  # fmt: skip
    weights = pd.Series({"N": 1.0, "F": 1.0})
    raw = tr.hub_minutes(minutes, weights)
    competing = tr.hub_minutes(minutes, weights, compete=True)
    assert raw["a"] == pytest.approx(raw["c"], abs=0.5)  # F's 60 minutes barely show raw
    assert competing["c"] < competing["a"] - 10  # and do as competing destinations
    assert competing["c"] < competing["b"] < competing["d"]
    one = tr.hub_minutes(minutes[["N"]], weights, compete=True)
    reach = np.exp(-one / tr.DECAY_MINUTES)
    assert reach.mean() == pytest.approx(1.0)  # minutes relative to the average area
    assert (one.diff().dropna() == minutes["N"].diff().dropna()).all()


def _factors(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "place_factors.csv").set_index("factor")


def test_crime_rates_are_reported_but_offered_only_on_request(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    cli("places", EXAMPLE, "--out", plain, "--quiet").assert_clean(0)
    factors = _factors(plain)
    crime = ["drugs_per_1000", "weapons_possession_per_1000", "violence_per_1000"]
    assert not factors.loc[crime, "chosen"].any()
    assert factors.loc[["population", "imd_rank", "station_distance_m"], "chosen"].all()
    assert "infiltrated_neighbours" not in factors.index
    places = pd.read_csv(plain / "places.csv")
    assert set(crime) <= set(places.columns)
    assert places["drugs_per_1000"].notna().any()
    asked = tmp_path / "asked"
    cli("places", plain / "case.duckdb", "--out", asked, "--crime-factors", "--contagion",
        "--quiet").assert_clean(0)  # fmt: skip
    factors = _factors(asked)
    usable = factors.loc[crime, "areas_known"] >= 3
    chosen = factors.loc[crime, "chosen"]
    assert chosen[usable & (places[crime].std() > 0)].all()
    assert "infiltrated_neighbours" in factors.index

"""Which factors the place model is offered: crime rates and the contagion term only on
request."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import EXAMPLE, cli


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

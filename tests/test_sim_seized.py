"""Phones seized on arrest (`simulate/seized.py`): a line runner arrested as a named suspect has
the runner phone on them seized, and `subscribers.csv` records the number against the runner.

Reads the shared small case (seed 12) and builds a tiny world in memory with and without
seizures.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import shared_case

from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.run import build
from countylines.simulate.violence import Violence


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_case(tmp_path_factory, "small", 12)


def _read(case: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(case / name, dtype=str, keep_default_na=False)


def test_seized_runner_phones_are_recorded_against_their_runners(case: Path) -> None:
    seized = _read(case, "truth/seized_phones.csv")
    assert len(seized) >= 2
    assert seized["number"].is_unique
    subscribers = _read(case, "subscribers.csv").set_index("number")
    assert subscribers.index.is_unique
    recorded = subscribers.loc[seized["number"]]
    assert (recorded["person_id"].to_numpy() == seized["person_id"].to_numpy()).all()
    assert (recorded["registered"] == "false").all()  # unregistered pay-as-you-go line phones
    # the seized phone is the runner's own phone of the line whose incident it was
    runners = _read(case, "truth/exploited_persons.csv")
    runners = runners[runners["role"] == "runner"]
    pairs = seized.merge(runners, on=["person_id", "line_id", "number"])
    assert len(pairs) == len(seized)
    # no other line phone is linked to a person: nothing reveals a runner who was not arrested
    numbers = _read(case, "truth/line_numbers.csv")
    linked = subscribers[subscribers["person_id"] != ""].index
    assert set(numbers["number"]) & set(linked) == set(seized["number"])


def test_a_seizure_follows_an_arrest_in_the_lines_own_incident(case: Path) -> None:
    seized = _read(case, "truth/seized_phones.csv")
    incidents = _read(case, "incidents.csv").set_index("incident_id").loc[seized["incident_id"]]
    truth = _read(case, "truth/incidents.csv").set_index("incident_id").loc[seized["incident_id"]]
    assert (truth["line_id"].to_numpy() == seized["line_id"].to_numpy()).all()
    named = zip(seized["person_id"], incidents["person_ids"], strict=True)
    assert all(p in ids.split(";") for p, ids in named)
    category = incidents["category"].to_numpy()
    assert set(category) <= {"weapons_possession", "robbery", "violence"}
    at = pd.to_datetime(seized["time"]).to_numpy()
    when = pd.to_datetime(incidents["time"]).to_numpy()
    scene = category == "weapons_possession"
    assert (at[scene] == when[scene]).all()  # arrested at the scene of a weapons find
    later = (at[~scene] - when[~scene]) / pd.Timedelta(days=1)
    assert ((later >= 1) & (later < 15)).all()  # robbery and assault suspects: 1-14 days on


def test_a_seized_number_is_in_use_when_it_is_seized(case: Path) -> None:
    seized = _read(case, "truth/seized_phones.csv")
    span = (
        duckdb.connect()
        .execute(
            "SELECT n AS number, min(start_time) AS first FROM ("
            " SELECT a_number AS n, start_time FROM read_parquet($p) UNION ALL"
            " SELECT b_number, start_time FROM read_parquet($p))"
            " WHERE n IN (SELECT UNNEST($numbers)) GROUP BY n",
            {"p": str(case / "events.parquet"), "numbers": list(seized["number"])},
        )
        .df()
        .set_index("number")
    )
    assert set(span.index) == set(seized["number"])
    at = pd.to_datetime(seized.set_index("number")["time"]).loc[span.index]
    assert (pd.to_datetime(span["first"], utc=True) <= at).all()


def test_share_zero_seizes_nothing_and_changes_nothing_else() -> None:
    region = builtin_region("west-mercia")

    def violence(share: float) -> Violence:
        params = params_for(
            "tiny",
            seed=5,
            n_lines=6,
            suspect_later_arrest_share=1.0,
            arrest_phone_seized_share=share,
        )
        _, _, models = build(region, params)
        (model,) = [m for m in models if isinstance(m, Violence)]
        return model

    without, with_ = violence(0.0), violence(1.0)
    assert without.seized.empty and len(with_.seized) > 0
    pd.testing.assert_frame_equal(without.frame, with_.frame)
    pd.testing.assert_frame_equal(without.truth_frame, with_.truth_frame)

"""Recorded vulnerabilities of background adults and customers (`simulate/recorded.py`): on by
default; turned off, nobody but the victims, runners and children in care has a record. They
change the persons table and the welfare concerns about addresses only, never a victim's
records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.run import simulate

SHARES = {
    "bg_mental_health_share": 0.0,
    "bg_drug_use_share": 0.0,
    "customer_mental_health_share": 0.0,
    "customer_drug_debt_share": 0.0,
}
"""Every recording share off."""


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("recorded")
    region = builtin_region("west-mercia")
    simulate(folder / "plain", params_for("tiny", seed=5, **SHARES), region)
    simulate(folder / "recorded", params_for("tiny", seed=5), region)
    return folder / "plain", folder / "recorded"


def test_only_persons_and_incidents_change(cases: tuple[Path, Path]) -> None:
    plain, recorded = cases
    for name in ("events.parquet", "subscribers.csv", "addresses.csv"):
        assert (plain / name).read_bytes() == (recorded / name).read_bytes(), name
    assert (plain / "persons.csv").read_bytes() != (recorded / "persons.csv").read_bytes()
    # people with a recorded mental-health need get welfare concerns at home (the persons
    # named in background incidents change too: recorded drug users are named in drugs ones)
    kinds = pd.read_csv(recorded / "truth" / "address_reports.csv", dtype=str)["kind"]
    assert (kinds == "welfare").sum() > (
        pd.read_csv(plain / "truth" / "address_reports.csv", dtype=str)["kind"] == "welfare"
    ).sum()


def test_non_victims_get_records_and_victims_keep_theirs(cases: tuple[Path, Path]) -> None:
    plain, recorded = cases
    before = pd.read_csv(plain / "persons.csv", dtype=str).set_index("person_id")
    after = pd.read_csv(recorded / "persons.csv", dtype=str).set_index("person_id")
    customers = pd.read_csv(plain / "truth" / "customers.csv", dtype=str)
    phones = pd.read_csv(plain / "subscribers.csv", dtype=str)
    exploited = pd.read_csv(plain / "truth" / "exploited_persons.csv", dtype=str)
    victims = set(exploited.loc[exploited["role"] == "cuckooed_occupant", "person_id"])
    assert victims
    others = after.index.difference(list(victims))
    for factor in ("mental_health", "debt_bondage"):
        gained = (after.loc[others, factor] == "true") & (before.loc[others, factor] != "true")
        assert gained.sum() > 0, factor
        # nothing recorded is ever lost, and a victim's records are exactly as before
        assert (after.loc[before[factor] == "true", factor] == "true").all()
    assert before.loc[list(victims)].equals(after.loc[list(victims)])
    # customers (known through subscriber checks) get drug debts; their drug use is untouched
    known = set(phones.loc[phones["number"].isin(customers["number"]), "person_id"].dropna())
    assert (after.loc[sorted(known - victims), "debt_bondage"] == "true").any()
    assert before.loc[sorted(known), "drug_use"].equals(after.loc[sorted(known), "drug_use"])

"""Reports about addresses (`simulate/reports.py`): cuckooed homes are reported, not all and not
at once; ordinary homes are reported too, drug users' more often; ids and names are right."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from countylines.simulate.identifiers import address_ids
from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.reports import KINDS, AddressReports
from countylines.simulate.run import build
from countylines.simulate.world import DAY_S, World


def _reports(**overrides: Any) -> tuple[World, list, AddressReports]:
    world, lines, models = build(
        builtin_region("west-mercia"), params_for("tiny", seed=21, months=3, **overrides)
    )
    (reports,) = [m for m in models if isinstance(m, AddressReports)]
    return world, lines, reports


@pytest.fixture(scope="module")
def default() -> tuple[World, list, AddressReports]:
    return _reports()


def _metres(world: World, frame: pd.DataFrame, address: np.ndarray) -> np.ndarray:
    lat, lon = world.address["lat"][address], world.address["lon"][address]
    dy = (frame["lat"].to_numpy() - lat) * 111_320
    dx = (frame["lon"].to_numpy() - lon) * 111_320 * np.cos(np.radians(lat))
    return np.hypot(dx, dy)


def test_reports_are_at_their_address_with_ids_in_time_order(default) -> None:
    world, _, reports = default
    f, truth = reports.frame, reports.truth_frame
    assert len(f) > 0 and list(f["incident_id"]) == list(truth["incident_id"])
    assert f["incident_id"].is_unique and f["time"].is_monotonic_increasing
    assert list(f["incident_id"]) == sorted(f["incident_id"])
    index = {a: i for i, a in enumerate(address_ids(np.arange(len(world.address["lat"]))))}
    address = truth["address_id"].map(index).to_numpy()
    assert np.percentile(_metres(world, f, address), 95) < 40  # about 10 m around the point
    assert set(f["category"]) <= {"drugs", "other"} and (f["weapon"] == "none").all()
    texts = {t for _, bank in KINDS.values() for t in bank}
    assert set(f["description"]) <= texts
    # only a person in the persons table can be named, and only the occupant
    named = f["person_ids"] != ""
    occupant = world.address["occupant"][address[named]]
    assert world.person["known"][occupant].all()


def test_cuckooed_homes_are_reported_after_the_takeover_and_not_all(default) -> None:
    world, lines, reports = default
    truth, f = reports.truth_frame, reports.frame
    homes = {(ln.line_id, address_ids(np.array([a]))[0]): d for ln in lines for a, d in ln.cuckoo}
    mine = truth[truth["line_id"] != ""]
    assert len(mine) > 0
    start = pd.Timestamp(world.params.start, tz="UTC")
    for (line, address), t in zip(
        mine[["line_id", "address_id"]].itertuples(index=False),
        f.loc[mine.index, "time"],
        strict=True,
    ):
        taken = homes[(line, address)]
        assert (t - start).total_seconds() >= taken * DAY_S  # never before the takeover
    reported = set(mine["address_id"])
    assert 0 < len(reported) < len({a for _, a in homes})


def test_the_shares_drive_who_is_reported() -> None:
    world, lines, none = _reports(
        cuckoo_report_share=0.0, address_reports_per_1000_month=0.0, welfare_concern_per_month=0.0
    )
    assert none.frame.empty
    world, lines, every = _reports(
        cuckoo_report_share=1.0, cuckoo_report_delay_days=0.5, address_reports_per_1000_month=0.0,
        welfare_concern_per_month=0.0,
    )  # fmt: skip
    homes = {address_ids(np.array([a]))[0] for ln in lines for a, d in ln.cuckoo
             if d < world.days - 10}  # fmt: skip
    assert homes <= set(every.truth_frame["address_id"])
    # ordinary homes: a drug user's is reported far more often (lift 50 here)
    world, lines, bg = _reports(
        cuckoo_report_share=0.0, address_reports_per_1000_month=20.0,
        address_report_drug_lift=50.0, welfare_concern_per_month=0.0,
    )  # fmt: skip
    index = {a: i for i, a in enumerate(address_ids(np.arange(len(world.address["lat"]))))}
    occupant = world.address["occupant"][bg.truth_frame["address_id"].map(index).to_numpy()]
    users = world.person["drug_use"][world.address["occupant"]] == 1
    town = ~world.places.is_hub[world.address["place"]]
    per_user = (world.person["drug_use"][occupant] == 1).sum() / (users & town).sum()
    per_other = (world.person["drug_use"][occupant] != 1).sum() / (~users & town).sum()
    assert per_user > 10 * per_other > 0

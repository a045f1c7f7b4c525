"""The movement model: runners' journeys, ANPR reads, stays at cuckooed homes, missing episodes.

One tiny simulation is built for the module; each test checks the written case against the
ground truth in `truth/`, using only geometry from the case tables and the region (not the
model's own bookkeeping).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import shared_case

from countylines.database import validate_case
from countylines.simulate.params import params_for
from countylines.simulate.region import Region, builtin_region
from countylines.simulate.run import simulate

SEED = 3
ON_ROUTE_M = 50.0


@pytest.fixture(scope="module")
def region() -> Region:
    return builtin_region("west-mercia")


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory, region: Region) -> Path:
    out = tmp_path_factory.mktemp("movement") / "case"
    simulate(out, params_for("tiny", seed=SEED), region)
    return out


def _read(case: Path, name: str, times: tuple[str, ...] = ()) -> pd.DataFrame:
    if name.endswith(".parquet"):
        frame = pd.read_parquet(case / name)
        return frame.astype({c: str for c in frame.columns if c not in times})
    frame = pd.read_csv(case / name, dtype=str, keep_default_na=False)
    for col in times:
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


@pytest.fixture(scope="module")
def journeys(case: Path) -> pd.DataFrame:
    return _read(case, "truth/journeys.csv", ("depart", "arrive"))


@pytest.fixture(scope="module")
def events(case: Path) -> pd.DataFrame:
    cols = ["start_time", "a_number", "b_number", "a_cell_id", "b_cell_id"]
    frame = pd.read_parquet(case / "events.parquet", columns=cols)
    a = frame[["start_time", "a_number", "a_cell_id"]].set_axis(["t", "number", "cell"], axis=1)
    b = frame[["start_time", "b_number", "b_cell_id"]].set_axis(["t", "number", "cell"], axis=1)
    return pd.concat([a, b], ignore_index=True).sort_values("t", kind="stable")


@pytest.fixture(scope="module")
def cells(case: Path) -> pd.DataFrame:
    frame = pd.read_csv(case / "cells.csv", dtype={"cell_id": str})
    return frame.set_index("cell_id")


def _xy(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    """Flat metres (east, north) around latitude `lat0`."""
    k = 111_320.0
    return np.column_stack(
        [np.asarray(lon) * k * math.cos(math.radians(lat0)), np.asarray(lat) * k]
    )


def _along(points: np.ndarray, polyline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance to the polyline, arc position of the nearest point) of each point, metres."""
    best_d = np.full(len(points), np.inf)
    best_s = np.zeros(len(points))
    start = 0.0
    for p, q in itertools.pairwise(polyline):
        seg = q - p
        length = float(np.hypot(*seg))
        f = np.clip(((points - p) @ seg) / (length * length), 0, 1)
        d = np.hypot(*(points - (p + f[:, None] * seg)).T)
        better = d < best_d - 1e-6
        best_d = np.where(better, d, best_d)
        best_s = np.where(better, start + f * length, best_s)
        start += length
    return best_d, best_s


def _window(frame: pd.DataFrame, col: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    return frame[(frame[col] >= lo) & (frame[col] <= hi)]


def test_a_phone_lives_on_the_cell_serving_its_users_home(
    case: Path, events: pd.DataFrame, cells: pd.DataFrame
) -> None:
    # people who are not customers (customers live in their line's neighbourhoods, whose cell
    # serves them by construction): the usual cell of a number a subscriber check names is the
    # cell nearest the person's home
    subs = _read(case, "subscribers.csv")
    customers = set(_read(case, "truth/customers.csv")["number"])
    homes = _read(case, "addresses.csv").astype({"lat": float, "lon": float})
    named = subs[(subs["person_id"] != "") & ~subs["number"].isin(customers)]
    named = named.merge(homes, left_on="person_id", right_on="occupant_person_id")
    usual = events.dropna(subset=["cell"]).groupby("number")["cell"].agg(lambda c: c.mode()[0])
    lat0 = float(cells["lat"].mean())
    cell_xy = _xy(cells["lat"].to_numpy(), cells["lon"].to_numpy(), lat0)
    home_xy = _xy(named["lat"].to_numpy(), named["lon"].to_numpy(), lat0)
    d = np.hypot(*(home_xy[:, None, :] - cell_xy[None, :, :]).transpose(2, 0, 1))
    nearest = cells.index.to_numpy()[d.argmin(axis=1)]
    lives = named["number"].map(usual).to_numpy()
    assert len(named) >= 20
    assert (lives == nearest).mean() >= 0.9


def test_case_validates_with_movement_tables(case: Path) -> None:
    result = validate_case(case)
    assert result.log.n_errors == 0, [p.to_dict() for p in result.log.problems()][:5]
    for name in ("vehicles", "anpr", "missing_episodes"):
        assert result.rows.get(name, 0) > 0, name


def test_there_are_rail_and_road_journeys(journeys: pd.DataFrame) -> None:
    assert set(journeys["mode"]) == {"rail", "road"}
    assert (journeys["arrive"] > journeys["depart"]).all()
    assert (journeys.loc[journeys["mode"] == "road", "vrm"] != "").all()
    assert (journeys.loc[journeys["mode"] == "rail", "vrm"] == "").all()


def test_rail_journeys_follow_the_corridor_cells_in_order(
    case: Path, region: Region, journeys: pd.DataFrame, events: pd.DataFrame, cells: pd.DataFrame
) -> None:
    stations = _read(case, "stations.csv").set_index("code")
    minutes = {frozenset((r.a, r.b)): r.minutes for r in region.rail_links}
    rail = journeys[journeys["mode"] == "rail"]
    assert len(rail) > 0
    for j in rail.itertuples():
        route = j.route.split(";")
        expected = sum(minutes[frozenset(pair)] for pair in itertools.pairwise(route))
        assert (j.arrive - j.depart).total_seconds() == pytest.approx(expected * 60, abs=1)
        seen = _window(events[events["number"] == j.number], "t", j.depart, j.arrive)
        assert len(seen) >= 2, f"runner {j.number} silent on the train {j.depart}"
        lat0 = float(stations.loc[route[0], "lat"])
        line = _xy(
            stations.loc[route, "lat"].astype(float), stations.loc[route, "lon"].astype(float), lat0
        )
        c = cells.loc[seen["cell"]]
        assert (c["radius_m"] == 3000).all(), "a runner on a train is seen on a town cell"
        d, s = _along(_xy(c["lat"].to_numpy(), c["lon"].to_numpy(), lat0), line)
        assert (d < ON_ROUTE_M).all(), f"cells off the rail route {j.route}"
        assert (np.diff(s) >= -1.0).all(), f"corridor cells out of travel order on {j.route}"


def test_road_journeys_are_read_by_cameras_along_the_route(
    case: Path, region: Region, journeys: pd.DataFrame
) -> None:
    anpr = _read(case, "anpr.parquet", ("time",))
    coords = {p.name: (p.lat, p.lon) for p in (*region.towns, *region.hubs)}
    minutes = {frozenset((r.a, r.b)): r.minutes for r in region.roads}
    road = journeys[journeys["mode"] == "road"]
    assert len(road) > 0
    read = 0
    for j in road.itertuples():
        route = j.route.split(";")
        expected = sum(minutes[frozenset(pair)] for pair in itertools.pairwise(route))
        took = (j.arrive - j.depart).total_seconds() / 60
        assert 0.9 * expected <= took <= 1.3 * expected
        reads = _window(anpr[anpr["vrm"] == j.vrm], "time", j.depart, j.arrive)
        if reads.empty:
            continue
        read += 1
        lat0 = coords[route[0]][0]
        line = _xy(
            np.array([coords[p][0] for p in route]), np.array([coords[p][1] for p in route]), lat0
        )
        pts = _xy(
            reads["lat"].astype(float).to_numpy(), reads["lon"].astype(float).to_numpy(), lat0
        )
        d, s = _along(pts, line)
        assert (d < ON_ROUTE_M).all(), f"{j.vrm} read off its route {j.route}"
        assert reads["time"].is_monotonic_increasing
        assert (np.diff(s) >= -1.0).all(), f"{j.vrm} read out of order along {j.route}"
    assert read >= 0.8 * len(road), "most road journeys should be read by some camera"


def test_background_traffic_uses_the_same_cameras(case: Path, journeys: pd.DataFrame) -> None:
    anpr = _read(case, "anpr.parquet")
    voi = set(_read(case, "truth/vehicles_of_interest.csv")["vrm"])
    vehicles = _read(case, "vehicles.csv")
    other = anpr[~anpr["vrm"].isin(voi)]
    assert len(other) > 5 * (len(anpr) - len(other)), "line vehicles should be a small minority"
    assert other["vrm"].nunique() > 50
    legit = set(vehicles["vrm"]) - voi
    assert legit, "legitimate hire cars, taxis and private-hire cars are listed too"
    assert other["vrm"].isin(legit).any(), "legitimate fleet vehicles are read on the roads"
    line_cams = set(anpr["camera_id"][anpr["vrm"].isin(voi)])
    shared = len(line_cams & set(other["camera_id"])) / len(line_cams)
    assert shared >= 0.5, "line vehicles' cameras also read ordinary traffic"


def test_vehicles_of_interest_are_listed(case: Path) -> None:
    voi = _read(case, "truth/vehicles_of_interest.csv")
    vehicles = _read(case, "vehicles.csv").set_index("vrm")
    assert len(voi) > 0
    assert set(voi["vrm"]) <= set(vehicles.index)
    assert set(vehicles.loc[voi["vrm"], "category"]) <= {"hire", "taxi", "private_hire"}
    journeys = _read(case, "truth/journeys.csv")
    assert set(journeys["vrm"][journeys["vrm"] != ""]) <= set(voi["vrm"])


def test_runners_sleep_at_the_cuckooed_address(
    case: Path, region: Region, journeys: pd.DataFrame, events: pd.DataFrame, cells: pd.DataFrame
) -> None:
    cuckoo = _read(case, "truth/cuckooed_addresses.csv", ("from",))
    addresses = _read(case, "addresses.csv").set_index("address_id")
    places = [(p.name, p.lat, p.lon) for p in (*region.towns, *region.hubs)]
    town_cells = cells[cells["radius_m"] == 1500]

    def nearest(lat: float, lon: float, table: list[tuple[str, float, float]]) -> str:
        k = math.cos(math.radians(lat))
        return min(table, key=lambda p: (p[1] - lat) ** 2 + ((p[2] - lon) * k) ** 2)[0]

    cell_table = [(str(i), float(r.lat), float(r.lon)) for i, r in town_cells.iterrows()]
    homes = []
    for line_id, address, since in zip(
        cuckoo["line_id"], cuckoo["address_id"], cuckoo["from"], strict=True
    ):
        lat, lon = float(addresses.loc[address, "lat"]), float(addresses.loc[address, "lon"])
        homes.append((line_id, nearest(lat, lon, places), since, nearest(lat, lon, cell_table)))
    checked = 0
    for (_, _), trips in journeys.groupby(["line_id", "number"]):
        trips = trips.sort_values("depart")
        for out, back in zip(
            trips.iloc[::2].itertuples(), trips.iloc[1::2].itertuples(), strict=False
        ):
            assert out.to_place == back.from_place and out.from_place == back.to_place
            assert back.depart > out.arrive
            stay_days = (back.depart - out.arrive).total_seconds() / 86_400
            assert 0.5 < stay_days < 6.5
            active = [
                h[3]
                for h in homes
                if h[0] == out.line_id
                and h[1] == out.to_place
                and h[2].normalize() <= out.arrive.normalize()
            ]
            if not active:
                continue
            seen = _window(events[events["number"] == out.number], "t", out.arrive, back.depart)
            hours = seen["t"].dt.hour
            night = seen[(hours >= 22) | (hours < 7)]
            assert night["cell"].isin(active).all(), f"runner {out.number} away from the house"
            checked += len(night)
    assert checked > 0


def test_missing_episodes(case: Path, journeys: pd.DataFrame, region: Region) -> None:
    episodes = _read(case, "missing_episodes.csv", ("start_time", "end_time"))
    truth = _read(case, "truth/missing_truth.csv", ("start_time",))
    persons = _read(case, "persons.csv").set_index("person_id")
    assert len(episodes) == len(truth)
    merged = episodes.merge(truth, on=["person_id", "start_time"], validate="one_to_one")
    exploited = merged[merged["exploited"] == "true"]
    others = merged[merged["exploited"] == "false"]
    assert len(exploited) > 0 and len(others) > 0
    assert (episodes["end_time"] > episodes["start_time"]).all()
    coords = {p.name: (p.lat, p.lon) for p in (*region.towns, *region.hubs)}
    for ep in exploited.itertuples():
        mine = journeys[journeys["person_id"] == ep.person_id].sort_values("depart")
        outs, backs = mine.iloc[::2], mine.iloc[1::2]
        trip = [
            (o, b)
            for o, b in zip(outs.itertuples(), backs.itertuples(), strict=False)
            if o.depart <= ep.start_time and ep.end_time <= b.depart
        ]
        assert trip, f"episode of {ep.person_id} at {ep.start_time} outside any trip"
        lat, lon = coords[trip[0][0].to_place]
        km = math.hypot(float(ep.found_lat) - lat, (float(ep.found_lon) - lon) * 0.6) * 111.3
        assert km < 8, "an exploited child is found in the market town"
    runners = set(journeys["person_id"])
    assert not set(others["person_id"]) & runners
    start_year = params_for("tiny").start.year
    for pid in set(merged["person_id"]):
        assert persons.loc[pid, "known_to_care"] == "true"
    for pid in set(others["person_id"]):
        assert 12 <= start_year - int(persons.loc[pid, "birth_year"]) <= 17
    counts = episodes["person_id"].value_counts()
    recorded = persons["missing_episodes"].astype(int)
    assert (recorded[recorded > 0] == counts.reindex(recorded[recorded > 0].index)).all()
    assert (recorded.reindex(counts.index) == counts).all()


def test_some_orders_come_from_the_cuckooed_address(case: Path) -> None:
    """Customers visit the cuckooed home: their orders are there more than their other calls.
    Customers who live in the neighbourhood of a cuckooed home (near its cell) are left out:
    most of their calls are from there anyway."""
    frame = pd.read_parquet(case / "events.parquet", columns=["a_number", "b_number", "a_cell_id"])
    numbers = _read(case, "truth/line_numbers.csv")
    deal = set(numbers["number"][numbers["role"] == "deal_line"])
    customers = set(_read(case, "truth/customers.csv")["number"])
    cuckoo = _read(case, "truth/cuckooed_addresses.csv")
    addresses = _read(case, "addresses.csv").set_index("address_id")
    cells = pd.read_csv(case / "cells.csv", dtype={"cell_id": str})
    cells = cells[cells["radius_m"] == 1500]

    def nearest_cell(address: str) -> str:
        lat, lon = float(addresses.loc[address, "lat"]), float(addresses.loc[address, "lon"])
        k = math.cos(math.radians(lat))
        d = (cells["lat"] - lat) ** 2 + ((cells["lon"] - lon) * k) ** 2
        return str(cells["cell_id"].iloc[int(np.argmin(d.to_numpy()))])

    homes = {nearest_cell(a) for a in cuckoo["address_id"]}
    owners = _read(case, "subscribers.csv").merge(_read(case, "persons.csv"), on="person_id")
    owners = owners[owners["number"].isin(customers)]
    near = {n for n, a in zip(owners["number"], owners["home_address_id"], strict=True)
            if nearest_cell(a) in homes}  # fmt: skip
    mine = frame[frame["a_number"].isin(customers - near)]
    to_deal = mine["b_number"].isin(deal)
    orders = mine.loc[to_deal, "a_cell_id"].isin(homes).mean()
    other = mine.loc[~to_deal, "a_cell_id"].isin(homes).mean()
    assert orders > other + 0.05


def test_every_cuckooed_home_of_a_line_has_its_runners_overnight(
    tmp_path_factory: pytest.TempPathFactory, region: Region
) -> None:
    """Not only the first home a line takes over in a town: runners staying in the town sleep at
    each of its homes in turn. Counted with DuckDB over the written events (small seed 12, the
    case the line and people tests share)."""
    case = shared_case(tmp_path_factory, "small", 12)
    towns = pd.DataFrame(
        [(t.name, t.lat, t.lon) for t in region.towns], columns=["id", "lat", "lon"]
    )
    cells = pd.read_csv(case / "cells.csv", dtype={"cell_id": str}).rename(
        columns={"cell_id": "id"}
    )
    homes = _read(case, "truth/cuckooed_addresses.csv", ("from",)).merge(
        _read(case, "addresses.csv").astype({"lat": float, "lon": float}), on="address_id"
    )
    homes["town"] = _nearest(homes, towns)
    homes["cell"] = _nearest(homes, cells[cells["radius_m"] == 1500])
    homes["first"] = homes.groupby(["line_id", "town"])["from"].rank(method="first") == 1
    con = duckdb.connect()
    con.register("homes", homes[["line_id", "address_id", "town", "cell", "from", "first"]])
    con.register("trips", _read(case, "truth/journeys.csv", ("arrive",)))
    evidence = con.execute(
        f"""
        WITH nights AS (
            SELECT a_number AS number, a_cell_id AS cell, start_time AS t
            FROM read_parquet('{case / "events.parquet"}')
            WHERE hour(start_time) >= 22 OR hour(start_time) < 7)
        SELECT h.address_id, h.first, h.cell,
            (SELECT count(*) FROM homes f WHERE f.first AND f.line_id = h.line_id
                AND f.town = h.town AND f.cell = h.cell) AS first_cell,
            (SELECT count(*) FROM trips j WHERE j.line_id = h.line_id AND j.to_place = h.town
                AND j.arrive >= h."from" + INTERVAL 1 DAY) AS stays,
            (SELECT count(*) FROM nights n
                JOIN (SELECT DISTINCT line_id, number FROM trips) r ON n.number = r.number
                WHERE r.line_id = h.line_id AND n.cell = h.cell AND n.t >= h."from") AS nights
        FROM homes h
        """
    ).df()
    visited = evidence[evidence["stays"] >= 4]  # stays enough for the rotation to reach it
    assert (visited["nights"] > 0).all(), visited[visited["nights"] == 0]
    # the check covers later homes with a cell of their own (the first home's cell got them all)
    assert (visited["first_cell"] == 0).sum() >= 1


def _nearest(points: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """The `id` of the row of `table` (lat, lon) nearest each point (lat, lon)."""
    k = np.cos(np.radians(points["lat"].to_numpy()))[:, None]
    d = (points["lat"].to_numpy()[:, None] - table["lat"].to_numpy()) ** 2 + (
        (points["lon"].to_numpy()[:, None] - table["lon"].to_numpy()) * k
    ) ** 2
    return table["id"].to_numpy()[d.argmin(axis=1)]

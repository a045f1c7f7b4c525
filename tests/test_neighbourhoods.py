"""The simulator's neighbourhoods: each town split into areas by its cells, their deprivation,
and where lines place their customers (docs/simulator.md, "Neighbourhoods")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import shared_case

from countylines.simulate.neighbourhoods import areas_frame, choose, split_town
from countylines.simulate.params import params_for
from countylines.simulate.region import Region, builtin_region
from countylines.simulate.world import World, build_world


@pytest.fixture(scope="module")
def region() -> Region:
    return builtin_region("west-mercia")


@pytest.fixture(scope="module")
def worlds(region: Region) -> list[World]:
    return [build_world(region, params_for("small", seed=s)) for s in (2001, 2002, 2003, 2004)]


def test_split_town_partitions_the_polygon_around_the_points() -> None:
    square = shapely.box(0, 0, 1000, 1000)
    pieces = split_town(square, np.array([250.0, 750.0, 5000.0]), np.array([500.0, 500.0, 0.0]))
    assert pieces[2].is_empty  # a point outside the town gets no neighbourhood
    assert pieces[0].area == pytest.approx(500_000) and pieces[1].area == pytest.approx(500_000)
    assert pieces[0].contains(shapely.Point(100, 900)) and pieces[1].contains(shapely.Point(900, 1))
    alone = split_town(square, np.array([10.0]), np.array([10.0]))
    assert alone[0].equals(square)


def test_areas_partition_each_town(region: Region, worlds: list[World]) -> None:
    towns = region.areas().set_index("town")
    for world in worlds:
        areas = areas_frame(region, world.hoods)
        assert areas["area_id"].is_unique and areas.crs.to_epsg() == 27700
        assert set(areas["town"]) == set(towns.index)
        sums = areas.groupby("town")["population"].sum()
        assert (sums == towns["population"].reindex(sums.index)).all()
        for town, group in areas.groupby("town"):
            polygon = towns.geometry[town]
            assert group.geometry.area.sum() == pytest.approx(polygon.area, rel=1e-3), town
            assert group.geometry.union_all().symmetric_difference(polygon).area < (
                1e-3 * polygon.area
            ), town
        cells = shapely.points(world.hoods.x, world.hoods.y)
        assert shapely.contains(world.hoods.geometry, cells).all()  # each holds its own cell
        n = areas.groupby("town").size()
        big = max(region.towns, key=lambda t: t.population).name
        assert n.min() >= 2 and n[big] > 20  # several per town, more in a large one


def test_deprivation_spread_within_towns(region: Region, worlds: list[World]) -> None:
    """Deviations around the town's vulnerability have about the parameter's spread, keep the
    town's mean (away from the 0..1 bounds) and lean towards the dense neighbourhoods."""
    params = worlds[0].params
    town_v = np.array([t.vulnerability for t in region.towns])
    devs, dense = [], []
    for world in worlds:
        h = world.hoods
        for t, members in enumerate(h.by_place[: len(region.towns)]):
            v = h.vulnerability[members]
            if ((v <= 0) | (v >= 1)).any():
                continue  # clipped at a bound: the mean moves
            assert v.mean() == pytest.approx(town_v[t], abs=1e-9)
            log_area = np.log(shapely.area(h.geometry[members]))
            devs.append(v - v.mean())
            dense.append(-(log_area - log_area.mean()) / log_area.std())
    dev, den = np.concatenate(devs), np.concatenate(dense)
    assert len(dev) > 300
    pooled_sd = np.sqrt((dev**2).sum() / (len(dev) - len(devs)))  # one mean per town
    assert pooled_sd == pytest.approx(params.neighbourhood_vulnerability_sd, rel=0.15)
    assert 0.05 < np.corrcoef(dev, den)[0, 1] < 0.4


def test_neighbourhoods_do_not_move_the_other_draws(region: Region) -> None:
    base = params_for("small", seed=2005)
    other = replace(base, neighbourhood_vulnerability_sd=0.05)
    a, b = build_world(region, base), build_world(region, other)
    assert np.array_equal(a.cells.lat, b.cells.lat)
    assert a.rng.random() == b.rng.random()
    assert not np.allclose(a.hoods.vulnerability, b.hoods.vulnerability)


def test_lines_choose_deprived_neighbourhoods(worlds: list[World]) -> None:
    """`choose` draws by population x exp(beta x vulnerability), as many as the customers
    need."""
    hoods = worlds[0].hoods
    town = int(np.argmax([len(m) for m in hoods.by_place]))
    members = hoods.by_place[town]
    rng = np.random.default_rng(2006)
    picks = np.concatenate([choose(hoods, town, 10, 25, 2.3, rng) for _ in range(20_000)])
    share = pd.Series(picks).value_counts(normalize=True).reindex(members, fill_value=0)
    assert np.abs(share.to_numpy() - hoods.weights(2.3, members)).max() < 0.01
    flat = hoods.weights(0.0, members)
    assert np.allclose(flat, hoods.population[members] / hoods.population[members].sum())
    assert len(choose(hoods, town, 51, 25, 2.3, rng)) == 3
    assert len(choose(hoods, town, 10**6, 25, 2.3, rng)) == len(members)
    assert len(set(choose(hoods, town, 100, 25, 2.3, rng))) == 4  # without replacement


def test_customers_live_in_the_neighbourhoods_the_truth_names(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """In a simulated case each customer's home address lies in a neighbourhood the truth says
    its line works (which ones, by deprivation, is `choose`'s test above)."""
    case: Path = shared_case(tmp_path_factory, "small", 12)
    areas = gpd.read_file(case / "areas.geojson")
    truth = pd.read_csv(case / "truth" / "infiltration.csv")
    assert {"town", "area_id", "month", "line_id"} <= set(truth.columns)
    assert truth["area_id"].isin(areas["area_id"]).all()
    town_of = areas.set_index("area_id")["town"]
    assert (truth["town"] == truth["area_id"].map(town_of)).all()
    customers = pd.read_csv(case / "truth" / "customers.csv", dtype=str)
    people = pd.read_csv(case / "persons.csv", dtype=str)
    addresses = pd.read_csv(case / "addresses.csv", dtype={"address_id": str})
    subscribers = pd.read_csv(case / "subscribers.csv", dtype=str)
    homes = (
        customers.merge(subscribers[["number", "person_id"]], on="number")
        .merge(people[["person_id", "home_address_id"]], on="person_id")
        .merge(addresses, left_on="home_address_id", right_on="address_id")
    )
    assert len(homes) > 200
    points = gpd.GeoDataFrame(
        homes, geometry=gpd.points_from_xy(homes["lon"], homes["lat"]), crs=4326
    ).to_crs(27700)
    located = gpd.sjoin(points, areas[["area_id", "geometry"]], predicate="within")
    worked = set(zip(truth["line_id"], truth["area_id"], strict=True))
    inside = [
        (line, area) in worked
        for line, area in zip(located["line_id"], located["area_id"], strict=True)
    ]
    assert np.mean(inside) > 0.95
    big = truth[truth["town"] == areas["town"].value_counts().index[0]]
    if len(big):  # in the largest town a line works only some of the neighbourhoods
        assert (
            big.groupby("line_id")["area_id"].nunique().min()
            < (areas["town"] == big["town"].iloc[0]).sum()
        )

"""The simulator's town choice: `lines.attractiveness` and `lines.town_weights`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from countylines.simulate.lines import attractiveness, town_weights
from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.world import build_world


def test_attractiveness_grows_with_population_deprivation_and_access() -> None:
    pop = np.array([10_000.0, 20_000.0, 10_000.0, 10_000.0])
    vul = np.array([0.2, 0.2, 0.6, 0.2])
    minutes = np.array([30.0, 30.0, 30.0, 90.0])
    w = attractiveness(pop, vul, minutes, power=1.0, beta=0.25)
    assert w[1] / w[0] == pytest.approx(2.0)  # twice the market, twice the draw
    assert w[2] / w[0] == pytest.approx(np.exp(0.25 * 0.4))
    assert w[0] / w[3] == pytest.approx(np.e)  # an hour further: e times less
    half = attractiveness(pop, vul, minutes, power=0.5, beta=0.25)
    assert half[1] / half[0] == pytest.approx(np.sqrt(2.0))


def test_town_weights_follow_the_params_and_leave_hubs_out() -> None:
    region = builtin_region("west-mercia")
    params = params_for("small", seed=1001)
    world = build_world(region, params)
    places = world.places
    hub = int(places.hubs[0])
    ones = np.ones(len(places.names))
    w = town_weights(world, hub, ones)
    assert w.sum() == pytest.approx(1.0)
    assert (w[places.hubs] == 0).all() and (w[places.towns] > 0).all()
    flat = replace(params, town_population_power=0.0, town_vulnerability_beta=0.0)
    w_flat = town_weights(replace(world, params=flat), hub, ones)
    # with population and deprivation switched off, only the road minutes from the hub remain
    road = region.road_minutes_from(places.names[hub])
    towns = places.towns
    nearest = towns[np.argmin([road.get(places.names[t], 240.0) for t in towns])]
    assert w_flat[nearest] == w_flat.max()
    biggest = towns[np.argmax(places.population[towns])]
    assert w[biggest] / w_flat[biggest] > w[nearest] / w_flat[nearest] or biggest == nearest
    noisy = ones.copy()
    noisy[biggest] = 3.0
    assert town_weights(world, hub, noisy)[biggest] > w[biggest]

"""The rules of issue 7's accuracy work: a named customer in a market town is not enough, a stated
rivalry needs less evidence for the other side, repeated weaker evidence makes a rivalry,
vehicles of interest from hub-town co-travel with the evidence shared among the cars on the
road, one road journey per runner move however many cars matched it, and line times read in
seconds whatever resolution pandas parses them to."""

from __future__ import annotations

import pandas as pd

from countylines.movement.attribute import AttributionSettings, attribute
from countylines.movement.lineset import as_lines
from countylines.movement.rivalry import find_rivalries
from countylines.movement.travel import (
    HUB_STOP_S,
    corridor_cells,
    rail_journeys,
    road_journeys,
    through_hubs,
    vehicles_of_interest,
    without_overlaps,
)

DAY = 86_400.0


def _evidence(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["incident_id", "line_id", "kind"]).assign(detail="x")


def test_a_customer_in_a_market_town_is_not_enough_but_an_associate_is() -> None:
    incidents = pd.DataFrame({"incident_id": ["I1", "I2"]})
    evidence = _evidence(
        [("I1", "L1", "customer_named"), ("I1", "L1", "market_town"),
         ("I2", "L1", "associate_named")]
    )  # fmt: skip
    out = attribute(incidents, evidence, AttributionSettings())
    assert list(out["line_id"]) == ["", "L1"]


def test_named_customers_of_a_line_count_once_per_incident() -> None:
    """Two of a line's drug users named in one ordinary incident of their town are no more
    evidence than one; a named associate still counts per person."""
    incidents = pd.DataFrame({"incident_id": ["I1", "I2"]})
    evidence = pd.DataFrame(
        [("I1", "L1", "customer_named", "P1"), ("I1", "L1", "customer_named", "P2"),
         ("I1", "L1", "market_town", "Ludlow"),
         ("I2", "L1", "associate_named", "P3"), ("I2", "L1", "associate_named", "P4")],
        columns=["incident_id", "line_id", "kind", "detail"],
    )  # fmt: skip
    out = attribute(incidents, evidence, AttributionSettings())
    assert list(out["line_id"]) == ["", "L1"]
    assert list(out["score"]) == [0.0, 4.0]


def test_a_stated_rivalry_names_the_other_side_on_weaker_evidence() -> None:
    incidents = pd.DataFrame({"incident_id": ["I1", "I2"]})
    evidence = _evidence(
        [("I1", "L1", "call"), ("I1", "L2", "associate_named"),
         ("I2", "L1", "call"), ("I2", "L2", "associate_named")]
    )  # fmt: skip
    stated = pd.Series(["rivalry", ""])
    out = attribute(incidents, evidence, AttributionSettings(), stated)
    assert list(out["rival_line_id"]) == ["L2", ""]
    assert list(out["second_line_id"]) == ["L2", "L2"]
    assert list(out["second_score"]) == [2.0, 2.0]


def _violence(n: int, town: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": [f"I{k}" for k in range(n)],
            "t": [k * DAY for k in range(n)],
            "town": town,
            "weapon": "knife",
            "line_id": "L1",
            "rival_line_id": "",
            "second_line_id": "L2",
            "second_score": 2.0,
        }
    )


def test_repeated_weaker_evidence_for_two_lines_in_their_town_is_a_rivalry() -> None:
    lines = pd.DataFrame({"line_id": ["L1", "L2"], "market_towns": [["Ludlow"], ["Ludlow"]]})
    s = AttributionSettings()
    found = find_rivalries(_violence(s.min_repeated, "Ludlow"), lines, 0.0, 1, s)
    assert list(zip(found["line_a"], found["line_b"], found["n_incidents"], strict=True)) == [
        ("L1", "L2", s.min_repeated)
    ]
    assert find_rivalries(_violence(s.min_repeated - 1, "Ludlow"), lines, 0.0, 1, s).empty
    # away from both lines' market towns the same incidents are not theirs
    assert find_rivalries(_violence(s.min_repeated, "Hereford"), lines, 0.0, 1, s).empty


def _trips(vrm: str, routes: list[tuple[str, str]], first: int) -> pd.DataFrame:
    hubs = {"Birmingham"}
    return pd.DataFrame(
        {
            "vrm": vrm,
            "trip": range(first, first + len(routes)),
            "from_place": [a for a, _ in routes],
            "to_place": [b for _, b in routes],
            "from_hub": [a in hubs for a, _ in routes],
            "to_hub": [b in hubs for _, b in routes],
        }
    )


def test_vehicles_of_interest_need_hub_town_co_travel_not_shared_with_the_whole_road() -> None:
    there_and_back = [("Birmingham", "Ludlow"), ("Ludlow", "Birmingham")] * 2
    trips = pd.concat(
        [
            _trips("LINE1", there_and_back, 0),  # the line's car: trips 0 and 2 carry runners
            _trips("BUSY1", there_and_back, 10),  # on the road with runner move 1 ...
            _trips("BUSY2", there_and_back, 20),  # ... with many other cars
            _trips("BUSY3", there_and_back, 30),
            # hub-town trips carrying runners, but most of its driving is elsewhere
            _trips("LOCAL", there_and_back[:2] + [("Ludlow", "Hereford")] * 6, 40),
        ],
        ignore_index=True,
    )
    carried = pd.DataFrame(
        {
            "trip": [0, 2, 10, 20, 30, 12, 22, 32, 40, 42],
            "number": ["+1", "+1", "+2", "+2", "+2", "+2", "+2", "+2", "+3", "+3"],
            "line_id": "L1",
            "move": [0, 1, 2, 2, 2, 3, 3, 3, 4, 5],
        }
    )
    vehicles = pd.DataFrame({"vrm": ["LINE1"], "category": ["hire"], "operator": ["Midshire"]})
    out = vehicles_of_interest(trips, _carried(carried, trips), vehicles, LINES)
    assert list(out["vrm"]) == ["LINE1"]
    row = out.iloc[0]
    assert (row.n_co_travel_trips, row.co_travel_weight, row.category) == (2, 2.0, "hire")


LINES = pd.DataFrame({"line_id": ["L1"], "hub": ["Birmingham"], "market_towns": [["Ludlow"]]})


def test_a_road_journey_is_one_runner_move_naming_its_lines_car_among_the_traffic() -> None:
    there_and_back = [("Birmingham", "Ludlow"), ("Ludlow", "Birmingham")]
    trips = pd.concat(
        [
            _trips(vrm, there_and_back, first)
            for vrm, first in (("LINE1", 0), ("BUSY1", 10), ("BUSY2", 20), ("ALONE", 30))
        ],
        ignore_index=True,
    ).assign(t0=lambda f: f["trip"] * 60.0, t1=lambda f: f["trip"] * 60.0 + 3600, n_reads=5)
    carried = pd.DataFrame(
        {
            "trip": [0, 10, 20, 11, 21, 31],
            "number": ["+1", "+1", "+1", "+2", "+2", "+3"],
            "line_id": "L1",
            "move": [0, 0, 0, 1, 1, 2],
        }
    )
    ours = pd.DataFrame({"vrm": ["LINE1"], "line_id": ["L1"]})
    out = road_journeys(trips, _carried(carried, trips), ours).set_index("number")
    # one row per move, not per car on the road; moves that only cars other than the line's
    # matched (+2 among two cars, +3 with one) are cars keeping pace by chance
    assert list(out.index) == ["+1"]
    assert (out.loc["+1", "vrm"], out.loc["+1", "n_vehicles"]) == ("LINE1", 3)
    assert (out.loc["+1", "depart"], out.loc["+1", "arrive"]) == (0.0, 3600.0)  # LINE1's trip
    assert out.loc["+1", "route"] == "5 ANPR reads"
    both = pd.concat([ours, pd.DataFrame({"vrm": ["BUSY1"], "line_id": ["L1"]})])
    out = road_journeys(trips, _carried(carried, trips), both).set_index("number")
    assert (out.loc["+1", "vrm"], out.loc["+1", "route"]) == ("", "2 of the line's vehicles")
    assert (out.loc["+1", "depart"], out.loc["+1", "arrive"]) == (0.0, 600.0 + 3600)


def test_a_phone_on_the_train_is_not_also_in_the_cars_beside_the_railway() -> None:
    road = pd.DataFrame(
        {
            "number": ["+1", "+1", "+2"],
            "depart": [0.0, 9000.0, 0.0],
            "arrive": [3600.0, 12000.0, 3600.0],
            "vrm": ["", "CAR", "CAR2"],
        }
    )
    rail = pd.DataFrame({"number": ["+1"], "depart": [1800.0], "arrive": [5400.0]})
    kept = without_overlaps(road, rail)
    assert list(zip(kept["number"], kept["depart"], strict=True)) == [("+1", 9000.0), ("+2", 0.0)]
    assert without_overlaps(road, rail.iloc[:0]).equals(road)


def _carried(carried: pd.DataFrame, trips: pd.DataFrame) -> pd.DataFrame:
    """`co_travel` rows for `carried` (trip, number, line_id, move), read by the trips' own
    cameras between a hub and a town."""
    places = trips.set_index("trip")
    carried = carried[carried["trip"].isin(trips["trip"])]
    return carried.assign(
        a=carried["trip"].map(places["from_place"]),
        b=carried["trip"].map(places["to_place"]),
        hub_town=True,
        exact=True,
        ta=carried["trip"].map(places["t0"]) if "t0" in places else 0.0,
        tb=carried["trip"].map(places["t1"]) if "t1" in places else 0.0,
    )


def test_a_registered_hire_car_is_of_interest_after_one_trip_on_its_lines_route() -> None:
    there_and_back = [("Birmingham", "Ludlow"), ("Ludlow", "Birmingham")]
    trips = pd.concat(
        [
            _trips("HIRED", there_and_back, 0),  # a hire car that drove the runner once
            _trips("PRIVATE", there_and_back, 10),  # a private car with the same evidence
            _trips("BUSYTAXI", there_and_back * 20, 20),  # a taxi on the road all month
            _trips("ELSEWHERE", [("Birmingham", "Hereford"), ("Hereford", "Birmingham")], 100),
        ],
        ignore_index=True,
    )
    carried = pd.DataFrame(
        {"trip": [0, 10, 20, 100], "number": "+1", "line_id": "L1", "move": [0, 1, 2, 3]}
    )
    vehicles = pd.DataFrame(
        {"vrm": ["HIRED", "BUSYTAXI", "ELSEWHERE"], "category": ["hire", "taxi", "hire"],
         "operator": ["Midshire", "Ludlow Taxis", "Midshire"]}
    )  # fmt: skip
    out = vehicles_of_interest(trips, _carried(carried, trips), vehicles, LINES)
    # the private car needs two trips, the taxi carried a runner once in 40 trips, and
    # Hereford is not one of the line's market towns
    assert list(out["vrm"]) == ["HIRED"]
    assert out.iloc[0]["n_co_travel_trips"] == 1


def test_line_times_are_seconds_since_1970() -> None:
    lines = pd.DataFrame(
        {"line_id": ["L1"], "market_towns": ["Ludlow;Ledbury"],
         "first_seen": ["2018-10-01T00:00:29Z"], "last_seen": ["2018-10-02T00:00:29Z"]}
    )  # fmt: skip
    numbers = pd.DataFrame({"line_id": ["L1"], "number": ["+1"], "role": ["deal_line"]})
    out = as_lines(lines, numbers).lines.iloc[0]
    assert out["start"] == pd.Timestamp("2018-10-01T00:00:29Z").timestamp()
    assert out["end"] - out["start"] == DAY
    assert out["market_towns"] == ["Ludlow", "Ledbury"]


def test_a_busy_registered_line_car_counts_by_its_own_cameras() -> None:
    """A line's taxi on a busy road: each runner move it carried also lies along the way of
    nine other cars' trips, so its share of the evidence is too small for the single-trip rule,
    but its own cameras place it with the runners on 8 of its 40 trips, as a private car's would."""
    there_and_back = [("Birmingham", "Ludlow"), ("Ludlow", "Birmingham")]
    others = [f"CAR{k}" for k in range(9)]
    trips = pd.concat(
        [_trips("BUSYLINE", there_and_back * 20, 0)]
        + [_trips(vrm, there_and_back * 4, 100 + 10 * k) for k, vrm in enumerate(others)],
        ignore_index=True,
    )
    mine = pd.DataFrame(
        {"trip": range(0, 16, 2), "number": "+1", "line_id": "L1", "move": range(8)}
    )
    carried = _carried(mine, trips)
    along = pd.DataFrame(
        [(100 + 10 * k + j % 8, "+1", "L1", j) for k in range(9) for j in range(8)],
        columns=["trip", "number", "line_id", "move"],
    )
    carried = pd.concat([carried, _carried(along, trips).assign(exact=False)], ignore_index=True)
    vehicles = pd.DataFrame({"vrm": ["BUSYLINE"], "category": ["taxi"], "operator": ["Taxis"]})
    out = vehicles_of_interest(trips, carried, vehicles, LINES)
    assert list(out["vrm"]) == ["BUSYLINE"]
    assert out.iloc[0]["n_co_travel_trips"] == 8


def test_a_train_is_a_run_of_railway_cells_between_two_places_not_a_phone_at_home() -> None:
    hour = 3600.0
    links = pd.DataFrame({"x0": [0.0], "y0": [0.0], "x1": [40_000.0], "y1": [0.0]})
    cells = pd.DataFrame({"x": [10_000.0, 20_000.0, 30_000.0, 20_000.0, 200.0],
                          "y": [100.0, -250.0, 0.0, 2_000.0, 0.0]})  # fmt: skip
    # on the line, off it by 2 km, and within `STATION_M` of a station
    assert corridor_cells(cells, links).tolist() == [True, True, True, False, False]
    stations = pd.DataFrame({"name": ["A", "B"], "x": [0.0, 40_000.0], "y": [0.0, 0.0]})

    def seen(places: list[str], rail: list[bool], cells: list[str]) -> pd.DataFrame:
        n = len(places)
        return pd.DataFrame({"line_id": "L1", "number": "+1", "t": [h * hour for h in range(n)],
                             "x": [10_000.0] * n, "y": 0.0, "cell_id": cells, "place": places,
                             "corridor": rail})  # fmt: skip

    # home in Birmingham, then two railway cells (the second outside any place), then Ludlow:
    # the last sighting before is hours earlier, still the journey's start
    train = seen(["Birmingham", "Birmingham", "", "Ludlow"], [False, True, True, False],
                 ["C1", "C2", "C3", "C4"])  # fmt: skip
    train.loc[0, "t"] = -8 * hour
    out = rail_journeys(train, stations)
    assert out[["from_place", "to_place", "depart", "arrive"]].values.tolist() == [
        ["Birmingham", "Ludlow", hour, 2 * hour]
    ]
    # a phone at home on a cell beside the railway: the same place either side
    home = seen(["Birmingham", "Birmingham", "Birmingham"], [False, True, False], ["C1"] * 3)
    assert rail_journeys(home, stations).empty
    # one railway cell of the town it arrives in, passing no other place: a car, not a train
    car = seen(["Birmingham", "Ludlow", "Ludlow"], [False, True, False], ["C1", "C5", "C6"])
    assert rail_journeys(car, stations).empty


def test_a_short_stop_at_a_hub_joins_two_legs_into_one_journey() -> None:
    hour = 3600.0
    legs = pd.DataFrame({
        "line_id": "L1", "number": ["+1", "+1", "+1", "+2", "+2"], "mode": "rail", "vrm": "",
        "from_place": ["London", "Birmingham", "Malvern", "London", "Birmingham"],
        "to_place": ["Birmingham", "Malvern", "Birmingham", "Birmingham", "Malvern"],
        "depart": [0.0, 2 * hour, 50 * hour, 0.0, 1.5 * hour + HUB_STOP_S + 60],
        "arrive": [1.5 * hour, 3 * hour, 51 * hour, 1.5 * hour, 5 * hour],
        "route": ["EUS;BHM", "BHM;GMV", "GMV;BHM", "EUS;BHM", "BHM;GMV"],
    })  # fmt: skip
    out = through_hubs(legs, {"London", "Birmingham"})
    one = out[out["number"] == "+1"]
    assert one[["from_place", "to_place", "depart", "arrive"]].values.tolist() == [
        ["London", "Malvern", 0.0, 3 * hour],
        ["Malvern", "Birmingham", 50 * hour, 51 * hour],
    ]
    assert "BHM;GMV" in one["route"].iloc[0] and "EUS;BHM" in one["route"].iloc[0]
    # a stop longer than HUB_STOP_S is a stay: two journeys
    assert len(out[out["number"] == "+2"]) == 2


def test_a_hire_car_driving_for_its_line_on_the_busiest_road_is_of_interest() -> None:
    """At full scale hundreds of cars match each runner move on the busiest roads, so a hire
    car's shared evidence is tiny; half of its trips carrying its line's runners on the line's
    route still make it of interest, while a taxi with the same moves among 40 fares is not."""
    there_and_back = [("Birmingham", "Ludlow"), ("Ludlow", "Birmingham")]
    others = [f"CAR{k}" for k in range(30)]
    trips = pd.concat(
        [_trips("HIRED", there_and_back * 4, 0), _trips("TAXI", there_and_back * 20, 10)]
        + [_trips(vrm, there_and_back, 100 + 10 * k) for k, vrm in enumerate(others)],
        ignore_index=True,
    )
    rows = [(trip, "+1", "L1", move) for move, trip in enumerate(range(0, 8, 2))]
    rows += [(10 + trip, "+2", "L1", 4 + move) for move, trip in enumerate(range(0, 8, 2))]
    rows += [(100 + 10 * k, "+1", "L1", j) for k in range(30) for j in range(8)]
    carried = _carried(pd.DataFrame(rows, columns=["trip", "number", "line_id", "move"]), trips)
    carried = carried.assign(exact=False)  # read along the way only
    vehicles = pd.DataFrame({"vrm": ["HIRED", "TAXI"], "category": ["hire", "taxi"],
                             "operator": ["Midshire", "Ludlow Taxis"]})  # fmt: skip
    out = vehicles_of_interest(trips, carried, vehicles, LINES)
    assert list(out["vrm"]) == ["HIRED"]
    assert out.iloc[0]["co_travel_weight"] < 0.04 * out.iloc[0]["n_trips"]

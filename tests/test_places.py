"""`countylines places`: indicators, transport, the relative-risk model, spatial CV, backtest
metrics, classes and measures, and the command end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from countylines.places import transport as tr
from countylines.places.backtest import auc, compare, hit_rate, pai
from countylines.places.classify import MEASURES, classify, drivers
from countylines.places.indicators import describe, indicators
from countylines.places.model import RiskModel, spatial_folds
from countylines.places.spatial import WGS84, locate
from tests.conftest import ROOT, cli, copy_example, shared_case, shared_database

DOCS = ROOT / "docs" / "places.md"


def _squares(populations: list[float | None]) -> gpd.GeoDataFrame:
    """Areas of 10 km squares side by side (EPSG:27700) east from (380000, 250000)."""
    rows = []
    for i, pop in enumerate(populations):
        x0 = 380_000 + 10_000 * i
        rows.append(
            {
                "area_id": f"A{i}",
                "name": f"Area {i}",
                "town": f"Town {i}",
                "population": np.nan if pop is None else float(pop),
                "geometry": shapely.box(x0, 250_000, x0 + 10_000, 260_000),
            }
        )
    frame = gpd.GeoDataFrame(rows, crs="EPSG:27700")
    frame["x"], frame["y"] = frame.geometry.centroid.x, frame.geometry.centroid.y
    return frame


def _latlon(areas: gpd.GeoDataFrame, area: int, n: int) -> pd.DataFrame:
    """`n` points at the centre of area number `area`, as WGS84 lat, lon."""
    point = gpd.GeoSeries([areas.geometry.iloc[area].centroid], crs=areas.crs).to_crs(WGS84)
    return pd.DataFrame({"lat": [point.y.iloc[0]] * n, "lon": [point.x.iloc[0]] * n})


# --- indicators ---------------------------------------------------------------------------------


def test_incident_rates_are_per_1000_residents_a_month() -> None:
    areas = _squares([2000, 500, None])
    drugs = _latlon(areas, 0, 6).assign(category="drugs")
    weapons = _latlon(areas, 1, 3).assign(category="weapons_possession")
    values = indicators(areas, [], pd.concat([drugs, weapons]), months=3.0)
    assert values.loc["A0", "drugs_per_1000"] == pytest.approx(6 / 2000 * 1000 / 3)
    assert values.loc["A1", "drugs_per_1000"] == 0.0
    assert values.loc["A1", "weapons_possession_per_1000"] == pytest.approx(3 / 500 * 1000 / 3)
    # No population: the rate is unknown, not zero.
    assert np.isnan(values.loc["A2", "drugs_per_1000"])


def test_missing_tables_add_no_indicator() -> None:
    areas = _squares([1000, 1000])
    areas["imd_rank"] = [100.0, 30000.0]
    values = indicators(areas, ["imd_rank"], None, None, None)
    assert list(values.columns) == ["population", "imd_rank"]
    persons = _latlon(areas, 0, 4).assign(vulnerable=[True, True, False, True], care_child=False)
    with_persons = indicators(areas, [], persons=persons)
    assert with_persons.loc["A0", "vulnerable_per_1000"] == pytest.approx(3.0)
    assert with_persons.loc["A0", "care_children_per_1000"] == 0.0


def test_indicator_meaning_by_name() -> None:
    assert describe("imd_rank").direction.startswith("lower")
    assert describe("IMD_Score").direction.startswith("higher")
    assert describe("drugs_per_1000").units == "incidents per 1,000 residents a month"
    assert describe("station_distance_m").units == "metres"
    unknown = describe("mystery_index")
    assert unknown.units == "as given" and unknown.measure is None


# --- transport ----------------------------------------------------------------------------------


def test_road_minutes_straight_line_or_given() -> None:
    areas = _squares([1000, 1000])
    hub_xy = gpd.GeoSeries([shapely.Point(385_000, 315_000)], crs="EPSG:27700").to_crs(WGS84)
    hubs = pd.DataFrame({"name": ["Hub"], "lat": [hub_xy.y[0]], "lon": [hub_xy.x[0]]})
    travel = pd.DataFrame({"area_id": ["A1"], "hub": ["Hub"], "mode": ["road"], "minutes": [50.0]})
    minutes = tr.road_minutes(areas, hubs, travel)
    # A0's centroid is 60 km from the hub: 60 km x detour 1.3 at 60 km/h = 78 minutes.
    assert minutes.loc["A0", "Hub"] == pytest.approx(60 * tr.DETOUR / tr.ROAD_KMH * 60, rel=1e-3)
    assert minutes.loc["A1", "Hub"] == 50.0
    one = tr.hub_minutes(minutes, pd.Series({"Hub": 1.0}))
    assert one.to_numpy() == pytest.approx(minutes["Hub"].to_numpy())


def test_rail_minutes_over_links_and_station_distance() -> None:
    areas = _squares([1000])
    stations_bng = gpd.GeoSeries(
        [shapely.Point(385_000, 253_000), shapely.Point(385_000, 400_000)], crs="EPSG:27700"
    ).to_crs(WGS84)
    stations = pd.DataFrame(
        {"code": ["AAA", "HUB"], "name": ["Local", "City"], "lat": stations_bng.y,
         "lon": stations_bng.x}
    )  # fmt: skip
    hubs = pd.DataFrame({"name": ["City"], "lat": [stations_bng.y[1]], "lon": [stations_bng.x[1]]})
    links = pd.DataFrame({"from_code": ["HUB"], "to_code": ["AAA"], "minutes": [42.0]})
    empty = pd.DataFrame({"area_id": [], "hub": [], "mode": [], "minutes": []})
    assert tr.station_distance(areas, stations)["A0"] == pytest.approx(2000, abs=5)
    assert tr.rail_minutes(areas, hubs, stations, links, empty).loc["A0", "City"] == 42.0
    no_links = links.iloc[:0]
    assert tr.rail_minutes(areas, hubs, stations, no_links, empty).isna().all().all()


def test_points_are_located_in_their_area() -> None:
    areas = _squares([1, 1, 1])
    pts = pd.concat([_latlon(areas, 2, 1), _latlon(areas, 0, 1)])
    assert list(locate(pts["lat"], pts["lon"], areas)) == ["A2", "A0"]


# --- model --------------------------------------------------------------------------------------


def test_model_recovers_a_known_relative_risk() -> None:
    rng = np.random.default_rng(7)
    n = 600
    X = pd.DataFrame({"risk": rng.normal(0, 2.0, n), "noise": rng.normal(0, 1.0, n)})
    y = rng.poisson(np.exp(0.1 + 0.4 * X["risk"]))
    x, yy = rng.uniform(0, 1e5, n), rng.uniform(0, 1e5, n)
    folds = spatial_folds(x, yy)
    model = RiskModel().fit(X, y, folds)
    sd = X["risk"].std()
    assert model.relative_risk["risk"] == pytest.approx(np.exp(0.4 * sd), rel=0.1)
    assert model.relative_risk["noise"] == pytest.approx(1.0, abs=0.1)
    expected = model.predict(X)
    assert np.corrcoef(expected, np.exp(0.4 * X["risk"]))[0, 1] > 0.99
    forward = RiskModel(selection="forward").fit(X, y, folds)
    assert forward.factors_ == ["risk"]
    assert forward.relative_risk["risk"] == pytest.approx(np.exp(0.4 * sd), rel=0.1)


def test_logistic_model_and_missing_values_leave_risk_unchanged() -> None:
    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame({"risk": rng.normal(0, 1.0, n)})
    y = rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 1.5 * X["risk"])))
    folds = spatial_folds(rng.uniform(0, 1, n), rng.uniform(0, 1, n))
    model = RiskModel(family="logistic").fit(X, y, folds)
    assert model.relative_risk["risk"] == pytest.approx(np.exp(1.5 * X["risk"].std()), rel=0.25)
    unknown = pd.DataFrame({"risk": [np.nan]})
    assert model.contributions(unknown).iloc[0, 0] == 0.0


def test_spatial_folds_hold_out_neighbours_together() -> None:
    rng = np.random.default_rng(1)
    west = rng.normal(0, 100, (20, 2))
    east = rng.normal(0, 100, (20, 2)) + np.array([50_000, 0])
    points = np.vstack([west, east])
    folds = spatial_folds(points[:, 0], points[:, 1], k=2)
    assert len(set(folds[:20])) == 1 and len(set(folds[20:])) == 1
    assert folds[0] != folds[-1]


# --- backtest metrics ---------------------------------------------------------------------------


def test_hit_rate_pai_and_auc_by_hand() -> None:
    scores, areas, outcomes = [3, 2, 1, 0], [1, 1, 1, 1], [1, 0, 1, 0]
    assert hit_rate(scores, areas, outcomes, 0.25) == 0.5
    assert pai(scores, areas, outcomes, 0.25) == 2.0
    # 10% of the area is 0.4 of the first unit: 0.4 of its one outcome out of two.
    assert hit_rate(scores, areas, outcomes, 0.10) == pytest.approx(0.2)
    assert pai(scores, areas, outcomes, 0.50) == 1.0
    # Positives 3 and 1 against negatives 2 and 0: three of four pairs in order.
    assert auc(scores, outcomes) == 0.75
    assert auc([1, 1], [1, 0]) == 0.5
    assert np.isnan(auc([1, 2], [0, 0]))
    # Area matters: a large top unit uses up the budget.
    assert hit_rate([3, 2], [9, 1], [0, 1], 0.10) == 0.0
    table = compare({"model": scores, "flat": [0, 0, 0, 0]}, areas, outcomes)
    assert table["model"]["pai_20"] == pytest.approx(2.0)
    assert table["flat"]["auc"] == 0.5


# --- classes and measures -----------------------------------------------------------------------


def test_classes_factors_and_measures() -> None:
    # The areas not yet infiltrated (mean score 4) are compared with each other; the large
    # infiltrated area (50) does not raise their bar.
    score = pd.Series([9.0, 5.0, 1.0, 1.0, 50.0])
    assert list(classify(score, pd.Series([False, False, False, False, True]))) == [
        "heightened risk", "elevated", "lower", "lower", "infiltrated"]  # fmt: skip
    meaning = {"station_distance_m": tr.TRANSPORT["station_distance_m"],
               "drugs_per_1000": describe("drugs_per_1000")}  # fmt: skip
    contributions = pd.DataFrame(
        {"station_distance_m": [np.log(2.0), 0.0], "drugs_per_1000": [np.log(1.5), np.log(0.5)]}
    )
    rr = pd.Series({"station_distance_m": 0.6, "drugs_per_1000": 1.4})
    factors, measures = drivers(contributions, rr, meaning)
    assert factors[0] == "low distance to the nearest station (x2.0); high drug offences (x1.5)"
    assert measures[0].split(";") == [MEASURES["station"], MEASURES["drugs"]]
    assert factors[1] == "" and measures[1] == ""


# --- the command --------------------------------------------------------------------------------


def _documented_columns() -> set[str]:
    return set(re.findall(r"^\| `(\w+)` \|", DOCS.read_text(), re.MULTILINE))


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_case(tmp_path_factory, "small", 12)


def test_places_end_to_end(small_case: Path, tmp_path: Path) -> None:
    db = shared_database(small_case)
    out = tmp_path / "places"
    run = cli("places", db, "--out", out, "--json")
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    n_areas = len(gpd.read_file(small_case / "areas.geojson"))
    assert report["areas"] == n_areas and report["towns"] == 38 < n_areas  # neighbourhoods
    for name in ("places.csv", "towns.csv", "place_factors.csv", "infiltration.csv",
                 "places.gpkg", "places_summary.txt", "places_map.png", "places_map.html",
                 "places_map.json"):  # fmt: skip
        assert (out / name).is_file(), name
    drawn = json.loads((out / "places_map.json").read_text())
    assert len(drawn["areas"]["features"]) == n_areas and drawn["links"]["features"]
    places = pd.read_csv(out / "places.csv")
    towns = pd.read_csv(out / "towns.csv")
    documented = _documented_columns()
    for column in [*places.columns, *towns.columns]:
        assert column in documented, f"docs/places.md: document `{column}`"
    assert set(places["class"]) <= {"infiltrated", "heightened risk", "elevated", "lower"}
    assert (places.loc[places["n_lines"] > 0, "class"] == "infiltrated").all()
    infiltrated = places[places["class"] == "infiltrated"]
    assert infiltrated["infiltrated_months"].str.match(r"^\d{4}-\d{2}(;\d{4}-\d{2})*$").all()
    factors = pd.read_csv(out / "place_factors.csv")
    assert factors["chosen"].any()
    assert (factors.loc[factors["chosen"], "relative_risk"] > 0).all()
    layers = dict(pyogrio.list_layers(out / "places.gpkg"))
    assert layers == {"areas": "Polygon", "towns": "Polygon", "hubs": "Point",
                      "stations": "Point", "links": "LineString"}  # fmt: skip
    areas = gpd.read_file(out / "places.gpkg", layer="areas")
    assert areas.crs.to_epsg() == 27700 and len(areas) == n_areas
    assert {"class", "score", "name", "factors", "measures"} <= set(areas.columns)
    links = gpd.read_file(out / "places.gpkg", layer="links")
    assert {"hub", "town", "n_lines"} <= set(links.columns) and len(links) > 0
    from countylines.maps import check_layers
    from countylines.places.pipeline import assess_places
    from countylines.places.report import map_layers

    empty = pd.DataFrame({"line_id": [], "number": [], "role": [], "hub": []}, dtype=str)
    layers = check_layers(map_layers(assess_places(db, empty, empty)))
    assert set(layers) >= {"areas", "hubs", "stations"}
    assert layers["areas"]["score"].between(0, 1).all()
    evaluation = cli("evaluate", small_case, out, "--json")
    assert evaluation.exit_code == 0, evaluation.stderr
    metrics = json.loads(evaluation.stdout)["places"]
    assert metrics["infiltrated_towns"]["recall"] > 0.5


def test_places_backtest_command(small_case: Path, tmp_path: Path) -> None:
    db = shared_database(small_case)
    run = cli("places", "backtest", db, "--out", tmp_path / "bt", "--json")
    assert run.exit_code == 0, run.stderr
    result = json.loads(run.stdout)
    assert set(result["pooled"]) == {"model", "last_period", "imd", "population"}
    assert {"pai_10", "hit_rate_5", "auc"} <= set(result["pooled"]["model"])
    assert (tmp_path / "bt" / "places_backtest.json").is_file()
    bad = cli("places", "backtest", db, "--out", tmp_path / "bt", "--fit-months", "2")
    assert bad.exit_code == 2 and "--fit-months" in bad.stderr


def test_clear_errors(tmp_path: Path) -> None:
    case = copy_example(tmp_path / "case")
    (case / "areas.geojson").unlink()
    run = cli("places", case, "--out", tmp_path / "out")
    assert run.exit_code == 2 and "areas" in run.stderr and "Traceback" not in run.stderr
    good = copy_example(tmp_path / "good")
    lines = tmp_path / "lines"
    lines.mkdir()
    run = cli("places", good, "--out", tmp_path / "out2", "--lines", lines)
    assert run.exit_code == 2 and "line_numbers.csv" in run.stderr
    (lines / "line_numbers.csv").write_text("line_id,number\nL001,+447700900101\n")
    (lines / "lines.csv").write_text("line_id,hub\nL001,Birmingham\n")
    run = cli("places", good, "--out", tmp_path / "out3", "--lines", lines)
    assert run.exit_code == 2 and "'role'" in run.stderr


def test_minimal_case_runs_without_detected_lines(tmp_path: Path) -> None:
    bare = copy_example(tmp_path / "bare")
    for name in ("events.csv", "intel_lines.csv"):
        (bare / name).unlink()
    run = cli("places", bare, "--out", tmp_path / "bare-out")
    assert run.exit_code == 0, run.stderr
    assert pd.read_csv(tmp_path / "bare-out" / "infiltration.csv").empty
    case = copy_example(tmp_path / "case")
    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "line_numbers.csv").write_text("line_id,number,role\n")
    (lines / "lines.csv").write_text("line_id,hub\n")
    run = cli("places", case, "--out", tmp_path / "out", "--lines", lines)
    assert run.exit_code == 0, run.stderr
    places = pd.read_csv(tmp_path / "out" / "places.csv")
    assert len(places) > 0 and "score" in places

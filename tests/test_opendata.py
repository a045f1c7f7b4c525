"""`countylines opendata` on the real open data in ../shared/data (skipped when absent): the
West Mercia case is checked against independent pandas counts of the raw files, and broken
inputs made by hand give clear errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import ROOT, cli, validate_json

from countylines.opendata.boundaries import read_lsoa_polygons
from countylines.opendata.police_uk import (
    monthly_counts,
    parse_months,
    read_incidents,
    read_street,
)
from countylines.opendata.sources import OpenDataError

DATA = ROOT.parent / "shared" / "data"
MONTHS = ["2018-10", "2018-11", "2018-12", "2019-01"]
pytestmark = pytest.mark.skipif(
    not (DATA / "SOURCES.md").is_file(), reason=f"open data not staged at {DATA}"
)


def _lookup() -> pd.DataFrame:
    return pd.read_csv(DATA / "lookups" / "lsoa11_police_force_england.csv")


def _raw(force: str, months: list[str]) -> pd.DataFrame:
    files = [DATA / "crime" / "police_uk" / m / f"{m}-{force}-street.csv.gz" for m in months]
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def wm_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The West Mercia case (every staged month) and the `--json` summary of its build."""
    out = tmp_path_factory.mktemp("opendata") / "west-mercia"
    run = cli("opendata", "case", DATA, "--force", "West Mercia", "--out", out, "--json")
    return out, run.assert_clean(0).json()


@pytest.fixture(scope="module")
def wm_case(wm_build: tuple[Path, dict]) -> Path:
    return wm_build[0]


def test_case_validates_with_no_errors(wm_case: Path) -> None:
    report = validate_json(wm_case, codes=(0,))
    assert report["errors"] == 0
    assert report["rows"]["areas"] == 781


def test_every_area_has_population_imd_and_town(wm_case: Path) -> None:
    areas = gpd.read_file(wm_case / "areas.gpkg")
    wm = set(_lookup().query("police_force == 'West Mercia'")["lsoa11_code"])
    assert set(areas["area_id"]) == wm
    imd = pd.read_csv(DATA / "deprivation" / "imd2019_england_lsoa11_ranks_deciles.csv")
    pop = pd.read_csv(
        DATA / "deprivation" / "iod2019_file6_population_denominators_lsoa11.csv.gz",
        encoding="utf-8-sig",
    ).set_index("LSOA code (2011)")["Total population: mid 2015 (excluding prisoners)"]
    assert areas["population"].notna().all()
    assert (areas["population"] == areas["area_id"].map(pop).round()).all()
    ranks = [c for c in areas.columns if c.startswith("imd_") and c.endswith("_rank")]
    assert len(ranks) == 8 and areas[ranks].notna().all().all()
    assert (
        areas["imd_rank"] == areas["area_id"].map(imd.set_index("lsoa11_code")["IMD_rank"])
    ).all()
    assert areas["town"].fillna("").str.len().gt(0).all()


@pytest.mark.parametrize("town", ["Hereford", "Shrewsbury", "Worcester", "Telford"])
def test_towns_contain_their_centre(wm_case: Path, town: str) -> None:
    areas = gpd.read_file(wm_case / "areas.gpkg")
    places = pd.read_csv(DATA / "places" / "geonames_gb_places_pop1000.csv")
    place = places[places["name"] == town].sort_values("population").iloc[-1]
    point = gpd.GeoSeries(gpd.points_from_xy([place["lon"]], [place["lat"]]), crs=4326)
    centre = areas[areas.contains(point.to_crs(areas.crs).iloc[0])]
    assert len(centre) == 1 and centre["town"].iloc[0] == town
    members = areas[areas["town"] == town]
    assert 5 <= len(members) <= 120  # a town, not one LSOA and not the whole county


def test_incidents_match_an_independent_count(wm_case: Path) -> None:
    raw = _raw("west-mercia", MONTHS)
    wm = set(_lookup().query("police_force == 'West Mercia'")["lsoa11_code"])
    raw = raw[raw["Longitude"].notna() & raw["LSOA code"].isin(wm)]
    incidents = pd.read_csv(wm_case / "incidents.csv")
    assert len(incidents) == len(raw)
    expected = raw["Crime type"].value_counts()
    got = incidents["description"].value_counts()
    assert got.sort_index().equals(expected.sort_index())
    drugs = incidents[incidents["category"] == "drugs"]
    assert len(drugs) == expected["Drugs"]
    assert (incidents["weapon"] == "unknown").all()
    assert incidents["incident_id"].is_unique
    assert set(incidents["time"].str[:7]) == set(MONTHS)


def test_dropped_rows_are_counted(wm_build: tuple[Path, dict]) -> None:
    raw = _raw("west-mercia", MONTHS)
    wm = set(_lookup().query("police_force == 'West Mercia'")["lsoa11_code"])
    summary = wm_build[1]
    located = raw["Longitude"].notna()
    assert summary["street_rows"] == len(raw)
    assert summary["rows_without_coordinates"] == (~located).sum() > 0
    assert summary["rows_outside_the_forces"] == (located & ~raw["LSOA code"].isin(wm)).sum() > 0
    readme = (wm_build[0] / "README.md").read_text()
    assert f"{summary['rows_without_coordinates']} without" in readme
    assert "Open Government Licence v3.0" in readme and "CC BY 4.0" in readme


def test_anti_social_behaviour_ids_are_stable_and_unique() -> None:
    crime = DATA / "crime" / "police_uk"
    first, _ = read_incidents(crime, ["Warwickshire"], ["2019-01"])
    again, _ = read_incidents(crime, ["Warwickshire"], ["2019-01"])
    asb = first[first["description"] == "Anti-social behaviour"]
    assert len(asb) > 100 and asb["incident_id"].str.startswith("asb-warwickshire-").all()
    assert first["incident_id"].is_unique
    assert first["incident_id"].equals(again["incident_id"])


def test_stations_hubs_and_travel_times(wm_case: Path) -> None:
    stations = pd.read_csv(wm_case / "stations.csv")
    assert {"HFD", "SHR", "WOF", "TFC"} <= set(stations["code"])
    every = pd.read_csv(DATA / "rail" / "uk_railway_stations.csv")
    points = gpd.GeoSeries(gpd.points_from_xy(every["long"], every["lat"]), crs=4326)
    region = gpd.read_file(wm_case / "areas.gpkg").union_all()
    near = every["crsCode"][points.to_crs(27700).distance(region) <= 10_000]
    assert set(stations["code"]) == set(near)
    hubs = pd.read_csv(wm_case / "hubs.csv")
    places = pd.read_csv(DATA / "places" / "geonames_gb_places_pop1000.csv")
    brum = places[places["name"] == "Birmingham"].iloc[0]
    row = hubs.set_index("name").loc["Birmingham"]
    assert abs(row["lat"] - brum["lat"]) < 1e-5 and abs(row["lon"] - brum["lon"]) < 1e-5
    travel = pd.read_csv(wm_case / "travel_times.csv")
    assert travel.groupby("area_id").size().eq(4).all() and travel["area_id"].nunique() == 781
    matrix = pd.read_csv(
        DATA / "travel" / "lsoa11_road_travel_time_to_hospital_postcodes_study_area.csv"
    ).set_index("LSOA11CD")
    brum_rows = travel[travel["hub"] == "Birmingham"].set_index("area_id")["minutes"]
    assert (brum_rows - matrix.loc[brum_rows.index, "B152TH"]).abs().max() < 1e-9
    assert "Birmingham | B152TH" in (wm_case / "README.md").read_text()


def test_monthly_counts_match_an_independent_count() -> None:
    lookup = _lookup()
    forces = ["West Mercia", "Staffordshire", "Warwickshire"]
    areas = sorted(lookup[lookup["police_force"].isin(forces)]["lsoa11_code"])
    counts = monthly_counts(DATA / "crime" / "police_uk", forces, MONTHS, areas)
    assert len(counts) == len(areas) * len(MONTHS)
    raw = pd.concat(
        [_raw(f, MONTHS) for f in ("west-mercia", "staffordshire", "warwickshire")],
        ignore_index=True,
    )
    raw = raw[raw["Crime type"].isin(["Drugs", "Possession of weapons"])]
    raw = raw[raw["LSOA code"].isin(areas)]
    expected = raw.groupby(["LSOA code", "Month"]).size()
    got = counts.set_index(["area_id", "month"])["count"]
    assert (
        got[got > 0]
        .sort_index()
        .equals(expected.sort_index().rename("count").rename_axis(["area_id", "month"]))
    )
    assert got.sum() == len(raw)


def test_counts_command_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "counts.csv"
    run = cli(
        "opendata",
        "counts",
        DATA,
        "-f",
        "warwickshire",
        "--months",
        "2019-01",
        "--out",
        out,
        "--json",
    ).assert_clean(0)
    counts = pd.read_csv(out)
    assert list(counts.columns) == ["area_id", "month", "count"]
    assert run.json()["by_month"]["2019-01"] == counts["count"].sum()


# --- clear errors --------------------------------------------------------------------------


def _street(tmp_path: Path, edit: str) -> Path:
    """A 2019-01 West Mercia street file with its first rows, edited."""
    with gzip.open(DATA / "crime/police_uk/2019-01/2019-01-west-mercia-street.csv.gz", "rt") as f:
        lines = [next(f) for _ in range(6)]
    if edit == "month":
        lines[2] = lines[2].replace(",2019-01,", ",Jan 2019,", 1)
    elif edit == "column":
        lines[0] = lines[0].replace("Crime type", "Crime Type")
    path = tmp_path / "2019-01" / "2019-01-west-mercia-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return path


def test_bad_month_names_file_row_and_column(tmp_path: Path) -> None:
    path = _street(tmp_path, "month")
    with pytest.raises(OpenDataError, match=r"west-mercia-street\.csv: row 3, column 'Month'"):
        read_street(path, "2019-01")


def test_missing_column_names_file_and_suggests(tmp_path: Path) -> None:
    path = _street(tmp_path, "column")
    with pytest.raises(OpenDataError, match=r"column 'Crime type' is missing.*'Crime Type'"):
        read_street(path, "2019-01")


def test_broken_geometry_names_the_lsoa(tmp_path: Path) -> None:
    path = tmp_path / "lsoa.geojson"
    bowtie = [[[-2.7, 52.0], [-2.6, 52.1], [-2.6, 52.0], [-2.7, 52.1], [-2.7, 52.0]]]
    gpd.GeoDataFrame(
        {"LSOA11CD": ["E01014010"]},
        geometry=gpd.GeoSeries.from_wkt(
            [f"POLYGON(({', '.join(f'{x} {y}' for x, y in bowtie[0])}))"]
        ),
        crs=4326,
    ).to_file(path)
    with pytest.raises(OpenDataError, match=r"LSOA E01014010, column 'geometry': broken"):
        read_lsoa_polygons(path, ["E01014010"])
    fixed = read_lsoa_polygons(path, ["E01014010"], fix=True)
    assert fixed.geometry.is_valid.all()


def test_unknown_force_suggests_the_closest(tmp_path: Path) -> None:
    run = cli("opendata", "case", DATA, "-f", "West Mercai", "-o", tmp_path / "c").assert_clean(2)
    assert "unknown police force 'West Mercai'" in run.stderr and "'West Mercia'" in run.stderr


def test_missing_input_file_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("boundaries", "crime", "places", "rail", "travel", "deprivation"):
        (data / name).symlink_to(DATA / name)
    run = cli("opendata", "case", data, "-f", "West Mercia", "-o", tmp_path / "c").assert_clean(2)
    assert "lookup file not found" in run.stderr and "lsoa11_police_force_england.csv" in run.stderr


def test_missing_street_file_and_bad_months(tmp_path: Path) -> None:
    run = cli(
        "opendata", "case", DATA, "-f", "Cheshire", "--months", "2018-10", "-o", tmp_path / "c"
    ).assert_clean(2)
    assert "2018-10-cheshire-street.csv" in run.stderr
    with pytest.raises(OpenDataError, match="bad month"):
        parse_months("2019-13")
    assert parse_months("2018-11..2019-01") == ["2018-11", "2018-12", "2019-01"]


@pytest.fixture(scope="module")
def hereford() -> gpd.GeoDataFrame:
    """Herefordshire's 116 LSOAs from the study-area GeoJSON (WGS84)."""
    path = DATA / "boundaries" / "lsoa11_bsc_study_area.geojson"
    return gpd.read_file(path, where="LSOA11NM LIKE 'Herefordshire%'")


@pytest.mark.parametrize("driver", ["GPKG", "ESRI Shapefile", "GeoJSON"])
def test_boundaries_in_other_formats(
    tmp_path: Path, driver: str, hereford: gpd.GeoDataFrame
) -> None:
    """GeoPackage in British National Grid, Shapefile and plain GeoJSON read the same LSOAs."""
    suffix = {"GPKG": ".gpkg", "ESRI Shapefile": ".shp", "GeoJSON": ".geojson"}[driver]
    path = tmp_path / f"lsoa{suffix}"
    frame = hereford[["LSOA11CD", "geometry"]]
    (frame.to_crs(27700) if driver == "GPKG" else frame).to_file(path, driver=driver)
    got = read_lsoa_polygons(path, hereford["LSOA11CD"])
    assert len(got) == 116 and got.crs.to_epsg() == 27700
    expected = hereford.set_index("LSOA11CD")["Shape__Area"]
    ratio = got.set_index("area_id").area / expected.reindex(got["area_id"]).to_numpy()
    assert ratio.between(0.97, 1.03).all()  # the same polygons, in metres

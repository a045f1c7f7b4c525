"""`countylines violence` and `countylines movement`: weapon and motive rules, attribution,
rivalries, ANPR trips and co-travel, and both commands end to end on a small simulated case."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import cli, shared_case, shared_database

from countylines.lines.detect import find_lines
from countylines.lines.report import write_outputs
from countylines.movement.attribute import AttributionSettings, attribute, decide_motive
from countylines.movement.missing import link_missing
from countylines.movement.movement import JOURNEY_COLUMNS, LINE_TRAVEL_COLUMNS
from countylines.movement.rivalry import MONTH_S, RIVALRY_COLUMNS, find_rivalries
from countylines.movement.travel import co_travel, vehicle_trips
from countylines.movement.violence import VIOLENCE_COLUMNS
from countylines.movement.weapons import classify_weapons, slips, text_motive, text_weapons

DOCS = Path(__file__).resolve().parents[1] / "docs" / "movement.md"


# --- weapons and motives --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Male stabbed in leg outside flats", ["knife"]),
        ("suspect chased victim with a zombie knife", ["bladed"]),
        ("three males waving a machette at the addr", ["bladed"]),
        ("SHOTS FIRED AT VEHICLE ON HIGH ST", ["firearm"]),
        ("victim hit over the head with hamer", ["blunt"]),
        ("acid thrown in face of woman", ["corrosive"]),
        ("male punched in the park", []),
    ],
)
def test_text_names_the_weapon_class_despite_slips(text: str, expected: list[str]) -> None:
    assert text_weapons(text) == expected


def test_slips_are_one_letter_dropped_doubled_or_swapped() -> None:
    variants = slips("knife")
    assert {"knfe", "kniffe", "kinfe"} <= variants
    assert "knifes" not in variants and slips("bat") == {"bat"}


def test_field_wins_unknown_is_filled_and_conflicts_are_flagged() -> None:
    incidents = pd.DataFrame(
        {
            "weapon": ["knife", "unknown", "unknown", "blunt", "none"],
            "description": [
                "male stabbed",
                "machete attack",
                "assault in park",
                "shots heard",
                "hammer used on door",
            ],
        }
    )
    out = classify_weapons(incidents)
    assert list(out["weapon"]) == ["knife", "bladed", "unknown", "blunt", "blunt"]
    assert list(out["weapon_source"]) == ["field", "text", "field", "field_conflict", "text"]


def test_motive_phrases() -> None:
    assert text_motive("dispute over drug debt: male robbed") == "taxing"
    assert text_motive("male assaulted, ongoing feud between two groups") == "rivalry"
    assert text_motive("people at address being intimidated") == "show_of_strength"
    assert text_motive("drink related, male punched") == ""


# --- attribution and rivalries ----------------------------------------------------------------


def _evidence(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["incident_id", "line_id", "kind"]).assign(detail="x")


def test_strongest_line_wins_and_weak_evidence_is_not_enough() -> None:
    incidents = pd.DataFrame({"incident_id": ["I1", "I2", "I3"]})
    evidence = _evidence(
        [
            ("I1", "L1", "call"), ("I1", "L2", "market_town"),
            ("I2", "L1", "market_town"),
            ("I3", "L1", "call"), ("I3", "L2", "runner_named"),
            ("I3", "L2", "customer_named"),
        ]
    )  # fmt: skip
    out = attribute(incidents, evidence, AttributionSettings())
    assert list(out["line_id"]) == ["L1", "", "L2"]
    assert list(out["rival_line_id"]) == ["", "", "L1"]
    assert "L1: line call just after" in out.loc[0, "evidence"]
    motive = decide_motive(pd.Series(["robbery", "violence", "violence"]),
                           pd.Series(["", "", ""]), out)  # fmt: skip
    assert list(motive) == ["taxing", "unrelated", "rivalry"]


def test_rivalries_count_incidents_by_month_and_need_a_shared_town() -> None:
    day = 86_400
    violence = pd.DataFrame(
        {
            "incident_id": ["I1", "I2", "I3", "I4", "I5"],
            "t": [5 * day, 40 * day, 45 * day, 50 * day, 10 * day],
            "town": ["Ludlow", "Ludlow", "Ludlow", "Ludlow", "Hereford"],
            "weapon": ["knife", "knife", "firearm", "bladed", "knife"],
            "line_id": ["L2", "L1", "L1", "L2", "L3"],
            "rival_line_id": ["L1", "L2", "L2", "L1", "L4"],
        }
    )
    lines = pd.DataFrame(
        {"line_id": ["L1", "L2", "L3", "L4"],
         "market_towns": [["Ludlow"], ["Ludlow", "Leominster"], ["Ross"], ["Ledbury"]]}
    )  # fmt: skip
    out = find_rivalries(violence, lines, 0.0, 2)
    assert list(out.columns) == list(RIVALRY_COLUMNS)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row.line_a, row.line_b, row.n_incidents) == ("L1", "L2", 4)
    assert row.incidents_by_month == "1;3" and row.serious_by_month == "0;2"
    assert row.escalating and row.trend_per_month > 0
    assert 30 * day == MONTH_S


def test_a_missing_child_is_linked_to_the_line_whose_runner_travelled_with_them() -> None:
    hour = 3600.0
    episodes = pd.DataFrame(
        {
            "person_id": ["P1", "P1", "P2", "P3", "P3"],
            "start": [10 * hour, 100 * hour, 10 * hour, 200 * hour, 300 * hour],
            "end": [20 * hour, 110 * hour, 20 * hour, 210 * hour, 310 * hour],
            "x": 0.0,
            "y": 0.0,
        }
    )
    rows = []
    for base in (10 * hour, 100 * hour):
        rows.append(("L1", "+1", base - 3 * hour, 90_000.0, 0.0))  # travelling in from the hub
        rows += [("L1", "+1", base + k * hour, 500.0, 0.0) for k in (1, 3, 5, 7)]
        rows.append(("L1", "+1", base + 14 * hour, 90_000.0, 0.0))  # and home after the episode
        rows += [("L2", "+2", base + k * hour, 800.0, 0.0) for k in (1, 3, 5, 7)]  # always there
    for base in (200 * hour, 300 * hour):  # P3's episodes: came in from the hub too, but
        rows.append(("L3", "+3", base - 3 * hour, 90_000.0, 0.0))  # stayed for days after
        rows += [("L3", "+3", base + k * hour, 700.0, 0.0) for k in (1, 3, 5, 7, 14, 30)]
    sightings = pd.DataFrame(rows, columns=["line_id", "number", "t", "x", "y"])
    out = link_missing(episodes, sightings)
    assert out.to_dict("records") == [{"line_id": "L1", "person_id": "P1", "n_episodes": 2}]


# --- travel -----------------------------------------------------------------------------------


def _reads(vrm: str, times: list[float], places: list[str], xs: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"vrm": vrm, "t": times, "x": xs, "y": 0.0, "place": places,
         "hub": [p == "Birmingham" for p in places]}
    )  # fmt: skip


def test_trips_split_at_gaps_and_where_a_drive_turns_back() -> None:
    minute = 60.0
    there = _reads("AB12CDE", [0, 20 * minute, 40 * minute, 60 * minute, 80 * minute],
                   ["Birmingham", "", "", "", "Ludlow"], [0, 20e3, 40e3, 60e3, 80e3])  # fmt: skip
    back = _reads("AB12CDE", [100 * minute, 120 * minute, 140 * minute],
                  ["", "", "Birmingham"], [60e3, 30e3, 0])  # fmt: skip
    later = _reads("AB12CDE", [2000 * minute], ["Ludlow"], [80e3])
    trips = vehicle_trips(pd.concat([there, back, later], ignore_index=True))
    assert list(zip(trips["from_place"], trips["to_place"], strict=True)) == [
        ("Birmingham", "Ludlow"), ("", "Birmingham"), ("Ludlow", "Ludlow"),
    ]  # fmt: skip
    assert list(trips["from_hub"]) == [True, False, False]


CENTRES = pd.DataFrame(
    {"name": ["Birmingham", "Ludlow", "Hereford", "Worcester", "Kidderminster"],
     "x": [0.0, 80e3, 60e3, 40e3, 50e3], "y": [0.0, 0.0, -60e3, -30e3, 0.0],
     "hub": [True, False, False, False, False]}
)  # fmt: skip


def _trip_rows(routes: list[tuple[str, str]], t0: float, t1: float) -> pd.DataFrame:
    """Trips read from the first place's centre to the second's, all at the same time."""
    at = CENTRES.set_index("name")
    return pd.DataFrame(
        {"trip": range(len(routes)), "t0": t0, "t1": t1,
         "from_place": [a for a, _ in routes], "to_place": [b for _, b in routes],
         "x0": [at.at[a, "x"] for a, _ in routes], "y0": [at.at[a, "y"] for a, _ in routes],
         "x1": [at.at[b, "x"] for _, b in routes], "y1": [at.at[b, "y"] for _, b in routes]}
    )  # fmt: skip


def test_co_travel_needs_the_phone_at_both_ends_and_nowhere_else() -> None:
    hour = 3600.0
    trips = _trip_rows([("Birmingham", "Ludlow"), ("Birmingham", "Hereford")], 10 * hour, 12 * hour)
    seen = pd.DataFrame(
        {
            "line_id": "L1",
            "number": ["+1"] * 3 + ["+2"] * 3,
            "t": [9 * hour, 10.5 * hour, 12.5 * hour] * 2,
            "place": ["Birmingham", "Birmingham", "Ludlow", "Birmingham", "Worcester", "Ludlow"],
        }
    )
    out = co_travel(trips, seen, CENTRES)
    assert out.to_dict("records") == [
        {"trip": 0, "number": "+1", "line_id": "L1", "move": 0, "a": "Birmingham",
         "b": "Ludlow", "hub_town": True, "exact": True, "ta": 10.5 * hour, "tb": 12.5 * hour}
    ]  # fmt: skip


def test_co_travel_along_the_way_when_the_cameras_stand_in_a_town_on_the_road() -> None:
    hour = 3600.0
    # read from Birmingham to Kidderminster (on the way to Ludlow, 50 of 80 km), from
    # Kidderminster to Ludlow (the last 30 km), and from Ludlow back towards Birmingham
    routes = [("Birmingham", "Kidderminster"), ("Kidderminster", "Ludlow"),
              ("Ludlow", "Kidderminster"), ("Birmingham", "Hereford")]  # fmt: skip
    trips = _trip_rows(routes, 10 * hour, 11 * hour)
    seen = pd.DataFrame(
        {"line_id": "L1", "number": "+1", "t": [9.5 * hour, 11.5 * hour],
         "place": ["Birmingham", "Ludlow"]}
    )  # fmt: skip
    out = co_travel(trips, seen, CENTRES)
    assert list(zip(out["trip"], out["exact"], strict=True)) == [(0, False), (1, False)]
    assert set(out["a"] + ">" + out["b"]) == {"Birmingham>Ludlow"}


# --- end to end -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    case = shared_case(tmp_path_factory, "small", 12)
    database = shared_database(case)
    lines = tmp_path_factory.mktemp("movement-lines")
    write_outputs(find_lines(database), lines)
    out = tmp_path_factory.mktemp("movement-out")
    for command in ("violence", "movement"):
        res = cli(command, database, "--out", out, "--lines", lines, "--json")
        assert res.exit_code == 0, res.stderr
    return case, lines, out


def test_outputs_have_the_documented_columns(small_outputs) -> None:
    _, _, out = small_outputs
    expected = {
        "violence": VIOLENCE_COLUMNS,
        "rivalries": RIVALRY_COLUMNS,
        "journeys": JOURNEY_COLUMNS,
        "line_travel": LINE_TRAVEL_COLUMNS,
    }
    for name, columns in expected.items():
        frame = pd.read_csv(out / f"{name}.csv")
        assert list(frame.columns) == list(columns), name
        assert pd.read_parquet(out / f"{name}.parquet").shape == frame.shape
    violence = pd.read_csv(out / "violence.csv", keep_default_na=False)
    assert set(violence["weapon"]) <= {"knife", "blunt", "bladed", "firearm", "corrosive",
                                       "none", "unknown"}  # fmt: skip
    assert set(violence["motive"]) <= {"taxing", "rivalry", "show_of_strength", "unrelated"}
    attributed = violence[violence["line_id"] != ""]
    assert len(attributed) and (attributed["evidence"] != "").all()


def test_evaluation_scores_both_commands(small_outputs, session_home: Path) -> None:
    case, _, out = small_outputs
    res = cli("evaluate", case, out, "--json", "--home", session_home)
    assert res.exit_code == 0, res.stderr
    metrics = json.loads(res.stdout)
    violence, movement = metrics["violence"], metrics["movement"]
    # the rules read the weapon whenever the field or the text gives it
    assert violence["weapon_accuracy"] > 0.95 and violence["weapon_false_rate"] < 0.01
    # background crime is almost never pinned on a line, and most line violence is
    assert violence["false_attribution_rate"] < 0.01
    assert violence["attribution_accuracy"] > 0.5
    # the rivalry recall's breakdown covers the same true rivalries
    breakdown = violence["rivalry_breakdown"]
    assert breakdown["true_rivalries"] == violence["counts"]["true_rivalries_with_incidents"]
    assert sum(breakdown["by_observability"].values()) == breakdown["true_rivalries"]
    assert movement["vehicles_of_interest"]["precision"] > 0.8
    assert movement["vehicles_of_interest"]["recall"] > 0.6
    assert movement["road_journey_recall"] > 0.5


def test_bad_lines_folder_and_missing_tables_stop_with_a_message(
    small_outputs, tmp_path: Path
) -> None:
    case, lines, _ = small_outputs
    database = shared_database(case)
    res = cli("violence", database, "--out", tmp_path / "o1", "--lines", tmp_path / "nowhere")
    assert res.exit_code == 2 and "is not a folder" in res.stderr
    broken = tmp_path / "lines"
    broken.mkdir()
    pd.read_parquet(lines / "lines.parquet").drop(columns="market_towns").to_parquet(
        broken / "lines.parquet"
    )
    (broken / "line_numbers.parquet").write_bytes(b"not parquet")
    res = cli("movement", database, "--out", tmp_path / "o2", "--lines", broken)
    assert res.exit_code == 2 and "'market_towns'" in res.stderr and "lines.parquet" in res.stderr
    pd.read_parquet(lines / "lines.parquet").to_parquet(broken / "lines.parquet")
    res = cli("movement", database, "--out", tmp_path / "o3", "--lines", broken)
    assert res.exit_code == 2 and "line_numbers.parquet" in res.stderr


def test_a_case_without_incidents_or_anpr_is_refused(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "case.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE events (event_id VARCHAR)")
    con.close()
    lines = tmp_path / "lines"
    lines.mkdir()
    pd.DataFrame({"line_id": [], "market_towns": [], "first_seen": [], "last_seen": []}).to_parquet(
        lines / "lines.parquet"
    )
    pd.DataFrame({"line_id": [], "number": [], "role": []}).to_parquet(
        lines / "line_numbers.parquet"
    )
    res = cli("violence", db, "--out", tmp_path / "o", "--lines", lines)
    assert res.exit_code == 2 and "no 'incidents' table" in res.stderr
    res = cli("movement", db, "--out", tmp_path / "o", "--lines", lines)
    assert res.exit_code == 2 and "no 'anpr' table" in res.stderr


def test_docs_name_every_output_column() -> None:
    text = DOCS.read_text()
    for name in (*VIOLENCE_COLUMNS, *RIVALRY_COLUMNS, *JOURNEY_COLUMNS, *LINE_TRAVEL_COLUMNS,
                 "vrm", "n_co_travel_trips", "n_hub_town_trips", "runners", "routes"):  # fmt: skip
        assert f"`{name}`" in text, f"docs/movement.md: describe `{name}`"

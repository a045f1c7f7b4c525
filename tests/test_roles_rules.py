"""Session 9's rules for suspects and victims (docs/movement.md, "Session 9: suspects and
victims"): where an incident records each named person's role (`person_roles`), a line's
associates are the people on its side only; without roles the rules are unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import shared_case, shared_database

from countylines.movement.attribute import associate_evidence, attribute
from countylines.movement.lineset import Lines, as_lines
from countylines.movement.rivalry import find_rivalries
from countylines.movement.violence import find_violence

DAY = 86_400.0


def _rows(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["incident_id", "line_id", "kind", "detail"])


def _named(rows: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Incidents from incident_id -> (person_ids, person_roles)."""
    return pd.DataFrame([(i, p, r) for i, (p, r) in rows.items()],
                        columns=["incident_id", "person_ids", "person_roles"])  # fmt: skip


def _lines_of(found: pd.DataFrame, incident: str) -> set[str]:
    return set(found.loc[found["incident_id"] == incident, "line_id"])


# I1: L1's runner rang its deal line after P1 (suspect) hurt P2 (victim); I2: P3 (suspect) and
# P4 (victim), with P4 a missing child linked to L2's runner phones; later incidents name each.
INCIDENTS = pd.DataFrame(
    {"incident_id": ["I1", "I2", "J1", "J2", "J3", "J4"],
     "person_ids": ["P1;P2", "P3;P4", "P1", "P2", "P3", "P4"],
     "person_roles": ["suspect;victim", "suspect;victim", "", "", "", ""]}
)  # fmt: skip
STRONG = _rows([("I1", "L1", "call", "+44701"), ("I2", "L2", "runner_named", "P4")])


def test_a_call_makes_the_suspects_and_never_their_victim_the_lines_associates() -> None:
    found = associate_evidence(INCIDENTS, STRONG)
    assert _lines_of(found, "J1") == {"L1"}
    assert _lines_of(found, "J2") == set()  # the victim of L1's assault is not L1's


def test_a_linked_runner_makes_the_people_on_their_own_side_associates() -> None:
    found = associate_evidence(INCIDENTS, STRONG)
    # P4, L2's runner, was the victim: their attacker P3 is not L2's; P4 is L2's through I2
    assert _lines_of(found, "J3") == set()
    assert _lines_of(found, "J4") == {"L2"}


def test_without_a_suspect_a_call_teaches_the_people_present_not_the_victims() -> None:
    incidents = _named({"I1": ("P1;P2", "other;witness"), "I2": ("P3", "victim"),
                        "J1": ("P1;P2", ""), "J2": ("P3", "")})  # fmt: skip
    strong = _rows([("I1", "L1", "call", "+44701"), ("I2", "L1", "call", "+44702")])
    found = associate_evidence(incidents, strong)
    assert set(found.loc[found["incident_id"] == "J1", "detail"]) == {"P1"}  # not the witness
    assert _lines_of(found, "J2") == set()


def test_when_the_suspects_are_another_lines_own_the_calling_line_is_the_victims() -> None:
    # I1: P1 (suspect) is L2's by a seized phone; L1's runner rang: L1 is the victims' side
    incidents = _named({"I1": ("P1;P2;P3", "suspect;victim;other"), "J1": ("P1", ""),
                        "J2": ("P2", ""), "J3": ("P3", "")})  # fmt: skip
    strong = _rows([("I1", "L1", "call", "+44701"), ("I1", "L2", "member_named", "P1")])
    found = associate_evidence(incidents, strong)
    assert _lines_of(found, "J1") == set()
    assert _lines_of(found, "J2") == _lines_of(found, "J3") == {"L1"}


def _fight(incident: str, day: float, roles: str, extra: list[tuple[str, str, str, str]]
           ) -> tuple[dict[str, object], list[tuple[str, str, str, str]]]:  # fmt: skip
    """An assault in Ludlow: P1 (L1's, by a call) hurt P2 (L2's runner, by missing episodes)."""
    row = {"incident_id": incident, "t": day * DAY, "town": "Ludlow", "weapon": "knife",
           "category": "violence", "motive_text": "", "person_ids": "P1;P2",
           "person_roles": roles}  # fmt: skip
    evidence = [(incident, "L1", "call", "+44701"), (incident, "L1", "market_town", "Ludlow"),
                (incident, "L2", "runner_named", "P2"), (incident, "L2", "market_town", "Ludlow"),
                *extra]  # fmt: skip
    return row, evidence


def _rivalries(fights: list[tuple[dict[str, object], list[tuple[str, str, str, str]]]]) -> int:
    incidents = pd.DataFrame([f[0] for f in fights])
    evidence = _rows([e for f in fights for e in f[1]])
    found = incidents.join(attribute(incidents, evidence))
    lines = pd.DataFrame({"line_id": ["L1", "L2"], "market_towns": [["Ludlow"], ["Ludlow"]]})
    return len(find_rivalries(found, lines, 0.0, 3))


def test_one_named_victim_alone_makes_no_rivalry_unless_it_repeats() -> None:
    # a line beating another line's runner once is taxing as often as a feud
    assert _rivalries([_fight("I1", 1, "suspect;victim", [])]) == 0
    assert _rivalries([_fight("I1", 1, "suspect;victim", []),
                       _fight("I2", 9, "suspect;victim", [])]) == 1  # fmt: skip
    # the victim's line rang its deal line too: both lines' people were there
    rang = [("I1", "L2", "call", "+44702")]
    assert _rivalries([_fight("I1", 1, "suspect;victim", rang)]) == 1
    # without roles (or another role) the incident is a rivalry as before
    assert _rivalries([_fight("I1", 1, "", [])]) == 1
    assert _rivalries([_fight("I1", 1, "suspect;other", [])]) == 1


def test_without_roles_every_person_named_is_an_associate_as_before() -> None:
    for roles in ("", ";"):  # no column, or roles not recorded
        incidents = INCIDENTS.assign(person_roles=[roles] * 2 + [""] * 4)
        if roles == "":
            incidents = incidents.drop(columns="person_roles")
        found = associate_evidence(incidents, STRONG)
        assert _lines_of(found, "J1") == _lines_of(found, "J2") == {"L1"}
        assert _lines_of(found, "J3") == _lines_of(found, "J4") == {"L2"}


def _truth_lines(case: Path) -> Lines:
    """The simulated case's own line register (the truth), standing in for the detector's."""
    lines = pd.read_csv(case / "truth" / "lines.csv", dtype=str, keep_default_na=False)
    numbers = pd.read_csv(case / "truth" / "line_numbers.csv", dtype=str)
    lines = lines.assign(first_seen=lines["start_time"], last_seen="2100-01-01T00:00:00Z")
    return as_lines(lines, numbers)


def test_a_case_without_roles_is_analysed_as_one_whose_roles_are_not_recorded(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    case = shared_case(tmp_path_factory, "small", 12)
    lines = _truth_lines(case)
    results = {}
    for how in ("with roles", "roles not recorded", "no column"):
        db = tmp_path / f"{how}.duckdb"
        shutil.copy(shared_database(case), db)
        with duckdb.connect(str(db)) as con:
            if how == "roles not recorded":
                con.execute("UPDATE incidents SET person_roles = NULL")
            elif how == "no column":  # a database loaded before the column existed
                con.execute("ALTER TABLE incidents DROP COLUMN person_roles")
        results[how] = find_violence(db, lines)
    pd.testing.assert_frame_equal(
        results["no column"].incidents, results["roles not recorded"].incidents
    )
    pd.testing.assert_frame_equal(
        results["no column"].rivalries, results["roles not recorded"].rivalries
    )
    # the roles are read: some associate learnt from a fight's victim is no longer one
    before = results["no column"].incidents["evidence"].str.count("names associate").sum()
    after = results["with roles"].incidents["evidence"].str.count("names associate").sum()
    assert after < before

"""Session 8's rivalry rules and measurement (docs/movement.md, "Session 8: rivalries"): a
named person is evidence for one side of an incident only, a resident of another of a line's
market towns named in its town is evidence for it, and `evaluate` breaks the rivalry recall
down by what the case could show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from countylines.movement.attribute import (
    AT_SCENE,
    AttributionSettings,
    attribute,
    town_resident_evidence,
)
from countylines.movement.observable import rivalry_breakdown


def _rows(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["incident_id", "line_id", "kind", "detail"])


def test_a_person_named_beside_both_sides_counts_for_the_side_the_incident_points_to() -> None:
    # P1 is an associate of L1 and of L2 (named in fights of both); L1's runner rang its deal
    # line; P2 is L3's associate; the text states a rivalry
    rows = [("I1", "L1", "call", "+44700"), ("I1", "L1", "associate_named", "P1"),
            ("I1", "L2", "associate_named", "P1"), ("I1", "L3", "associate_named", "P2"),
            ("I1", "L1", "market_town", "T"), ("I1", "L2", "market_town", "T"),
            ("I1", "L3", "market_town", "T")]  # fmt: skip
    stated = pd.Series(["rivalry"])
    out = attribute(pd.DataFrame({"incident_id": ["I1"]}), _rows(rows), AttributionSettings(),
                    stated)  # fmt: skip
    # without the rule L2 and L3 tie at 2.5 and neither is the other side
    assert out.loc[0, "line_id"] == "L1"
    assert out.loc[0, "rival_line_id"] == "L3" and out.loc[0, "second_score"] == 2.5
    # two different people keep their own lines
    rows[2] = ("I1", "L2", "associate_named", "P3")
    out = attribute(pd.DataFrame({"incident_id": ["I1"]}), _rows(rows), AttributionSettings(),
                    stated)  # fmt: skip
    assert out.loc[0, "rival_line_id"] == ""


def _town_case(home_town: str, works: dict[str, list[str]]) -> pd.DataFrame:
    incidents = pd.DataFrame({"incident_id": ["I1"], "person_ids": ["P9;P1"]})
    homes = pd.DataFrame({"person_id": ["P1", "P9"], "town": [home_town, ""]})
    lines = pd.DataFrame({"line_id": list(works), "market_towns": list(works.values())})
    towns = _rows([("I1", line, "market_town", "Hereford") for line in works])
    return town_resident_evidence(incidents, homes, lines, towns)


def test_a_resident_of_another_of_the_line_towns_named_in_its_town_is_evidence_for_it() -> None:
    found = _town_case("Newport", {"L1": ["Newport", "Hereford"], "L2": ["Hereford"]})
    assert list(zip(found["line_id"], found["kind"], found["detail"], strict=True)) == [
        ("L1", "town_resident_named", "P1")
    ]
    assert "town_resident_named" in AT_SCENE
    # both lines of the incident's town also work the person's town: it does not say which
    assert _town_case("Newport", {"L1": ["Newport", "Hereford"],
                                  "L2": ["Hereford", "Newport"]}).empty  # fmt: skip
    # a resident of the incident's own town, or of a town no line there works, says nothing
    assert _town_case("Hereford", {"L1": ["Newport", "Hereford"]}).empty
    assert _town_case("Ludlow", {"L1": ["Newport", "Hereford"]}).empty


def _write(folder: Path, name: str, rows: list[tuple], columns: list[str]) -> None:
    pd.DataFrame(rows, columns=columns).to_csv(folder / name, index=False)


def test_the_breakdown_counts_rivalries_by_what_the_case_shows(tmp_path: Path) -> None:
    truth = tmp_path / "truth"
    truth.mkdir()
    riv = ["line_a", "line_b", "town", "n_incidents"]
    _write(truth, "rivalries.csv", [("L1", "L2", "Ludlow", 1), ("L3", "L4", "Ludlow", 2),
                                    ("L5", "L6", "Ludlow", 1), ("L7", "L8", "Ludlow", 1),
                                    ("L1", "L5", "Ludlow", 0)], riv)  # fmt: skip
    inc = ["incident_id", "motive", "line_id", "rival_line_id"]
    _write(truth, "incidents.csv", [("I1", "rivalry", "L1", "L2"), ("I2", "rivalry", "L3", "L4"),
                                    ("I3", "rivalry", "L4", "L3"), ("I4", "rivalry", "L5", "L6"),
                                    ("I5", "rivalry", "L8", "L7"), ("I6", "unrelated", "", "")],
           inc)  # fmt: skip
    _write(truth, "exploited_persons.csv", [("P1", "L1", "runner"), ("P2", "L2", "runner"),
                                            ("P3", "L3", "runner"), ("P7", "L7", "runner"),
                                            ("P8", "L8", "cuckooed_occupant")],
           ["person_id", "line_id", "role"])  # fmt: skip
    _write(truth, "line_numbers.csv", [("L4", "+4471", "runner"), ("L4", "+4472", "deal_line")],
           ["line_id", "number", "role"])  # fmt: skip
    t0 = pd.Timestamp("2018-10-01T12:00:00Z")
    _write(tmp_path, "incidents.csv", [("I1", t0, "P1;P2"), ("I2", t0, "P3"),
                                       ("I3", t0 + pd.Timedelta(days=3), ""),
                                       ("I4", t0, "P9"), ("I5", t0, "P7;P8"), ("I6", t0, "P1")],
           ["incident_id", "time", "person_ids"])  # fmt: skip
    # L4's runner rings its deal line 10 minutes after I3 (the detector's window)
    pd.DataFrame({"event_type": ["voice", "sms"], "a_number": ["+4471", "+4471"],
                  "b_number": ["+4472", "+4472"],
                  "start_time": [t0 + pd.Timedelta(days=3, minutes=10), t0]}
                 ).to_parquet(tmp_path / "events.parquet")  # fmt: skip
    found = {frozenset(("L1", "L2")), frozenset(("L5", "L6"))}
    out = rivalry_breakdown(tmp_path, found, {"L1", "L2", "L3", "L4", "L5", "L6", "L7"})
    # L1-L2: both runners named; L3-L4: each side in a different incident (a name, a call);
    # L5-L6: no trace; L7-L8: an occupant is no runner; L1-L5 never came to violence
    assert out["true_rivalries"] == 4
    assert out["by_observability"] == {"observable": 1, "split": 1, "one_side": 1, "no_trace": 1}
    assert out["recall_observable"] == 1.0
    assert out["missed_by_cause"] == {"line_not_found": 1, "observable": 0, "split": 1,
                                      "one_side": 0, "no_trace": 0}  # fmt: skip
    causes = {(m["line_a"], m["line_b"]): m["cause"] for m in out["missed"]}
    assert causes == {("L3", "L4"): "split", ("L7", "L8"): "line_not_found"}

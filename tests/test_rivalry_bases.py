"""Session 10's line's places and times (docs/movement.md, "Session 10: the line's places and
times"): a line's night base cell (`movement/bases.py`) and, in an incident whose text states
a rivalry, the one other line whose base is where the incident happened is the other side."""

from __future__ import annotations

import pandas as pd

from countylines.movement.attribute import attribute
from countylines.movement.bases import DAY_S, base_evidence, night_bases

COLUMNS = ["incident_id", "line_id", "kind", "detail"]
EVIDENCE = pd.DataFrame(
    [("I1", "L1", "call", "+44701"), ("I1", "L1", "market_town", "Telford"),
     ("I1", "L2", "market_town", "Telford"), ("I1", "L3", "market_town", "Telford")],
    columns=COLUMNS,
)  # fmt: skip
INCIDENT = pd.DataFrame({"incident_id": ["I1"], "person_ids": ["P1;P2"],
                         "person_roles": ["suspect;victim"]})  # fmt: skip


def _other_side(based: tuple[str, ...], stated: str = "rivalry") -> str:
    rows = pd.DataFrame([("I1", ln, "base_near", "Telford") for ln in based], columns=COLUMNS)
    found = attribute(INCIDENT, pd.concat([EVIDENCE, rows]), stated=pd.Series([stated]))
    assert found.loc[0, "line_id"] == "L1"
    return str(found.loc[0, "rival_line_id"])


def test_the_one_other_line_based_at_a_stated_rivalry_is_the_other_side() -> None:
    assert _other_side(()) == ""  # L2 and L3 level at the town alone: neither
    assert _other_side(("L2",)) == "L2"
    assert _other_side(("L3",)) == "L3"


def test_a_base_says_nothing_when_shared_or_the_lines_own_or_no_rivalry_is_stated() -> None:
    assert _other_side(("L2", "L3")) == ""  # two other lines based there
    assert _other_side(("L1", "L2")) == ""  # the line's own base: the place is the line's
    assert _other_side(("L2",), stated="") == ""  # an ordinary incident near a base


def test_a_base_never_attributes_an_incident() -> None:
    # L2 and L3 level at the town: a stated rivalry picks neither, and L2's base does not lead
    rows = pd.DataFrame([("I2", "L2", "market_town", "Telford"), ("I2", "L3", "market_town",
                         "Telford"), ("I2", "L2", "base_near", "Telford")],
                        columns=COLUMNS)  # fmt: skip
    incidents = pd.DataFrame({"incident_id": ["I2"], "person_ids": [""], "person_roles": [""]})
    found = attribute(incidents, rows, stated=pd.Series(["rivalry"]))
    assert found.loc[0, "line_id"] == ""


def _seen(line: str, cell: str, days: range, hour: int) -> pd.DataFrame:
    t = [d * DAY_S + hour * 3600 for d in days]
    return pd.DataFrame({"line_id": line, "t": t, "cell_id": cell, "town": "Telford"})


def test_night_cells_are_a_lines_base_and_its_days_in_town_count() -> None:
    seen = pd.concat([_seen("L1", "C1", range(0, 10), 2), _seen("L1", "C2", range(0, 10), 14),
                      _seen("L2", "C2", range(0, 3), 3)])  # fmt: skip
    assert night_bases(seen) == {("L1", "Telford", "C1"), ("L2", "Telford", "C2")}
    cells = pd.DataFrame({"cell_id": ["C1", "C2"], "x": [0.0, 3000.0], "y": [0.0, 0.0]})
    incidents = pd.DataFrame({"incident_id": ["I1", "I2", "I3"],
                              "t": [5 * DAY_S, 5 * DAY_S, 1 * DAY_S],
                              "x": [100.0, 2900.0, 2900.0], "y": [0.0, 0.0, 0.0]})  # fmt: skip
    towns = pd.DataFrame({"incident_id": ["I1", "I1", "I2", "I2", "I3"],
                          "line_id": ["L1", "L2", "L1", "L2", "L2"], "kind": "market_town",
                          "detail": "Telford"})  # fmt: skip
    found = base_evidence(incidents, towns, seen, cells)
    # I1 at L1's night cell; I2 at L2's, but L2 left the town on day 2; I3 on L2's day there
    assert set(zip(found["incident_id"], found["line_id"], strict=True)) == {
        ("I1", "L1"),
        ("I3", "L2"),
    }
    assert set(found["kind"]) == {"base_near"}

"""Session 9's rivalry rules for crowded towns (docs/movement.md, "Session 9: rivalries in
crowded towns"): a person's own tie to a line (their seized phone, their missing episodes)
overrides what co-naming in earlier fights suggests, a runner-up level with the leading line is
the other side on weaker evidence, and two incidents with weaker evidence for the same two lines
make a rivalry."""

from __future__ import annotations

import pandas as pd

from countylines.movement.attribute import AttributionSettings, associate_evidence, attribute
from countylines.movement.rivalry import find_rivalries

DAY = 86_400.0


def _rows(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["incident_id", "line_id", "kind", "detail"])


def test_a_persons_own_tie_to_a_line_overrides_their_fights_beside_another() -> None:
    # P1 and P2 are named in two fights that L1's runners' calls tie to L1 (I1, I2); P1 was also
    # found missing where L2's runner phones were (I0), P2's seized phone is L2's (I5)
    incidents = pd.DataFrame(
        {"incident_id": ["I0", "I1", "I2", "I3", "I4", "I5"],
         "person_ids": ["P1", "P1;P2", "P1;P2", "P1", "P2", "P2"]}
    )  # fmt: skip
    strong = _rows([("I0", "L2", "runner_named", "P1"), ("I1", "L1", "call", "+44701"),
                    ("I2", "L1", "call", "+44702"),
                    ("I5", "L2", "member_named", "P2")])  # fmt: skip
    found = associate_evidence(incidents, strong)
    # by co-naming alone P1 would be L1's (two incidents against one) and P2 only L1's
    assert set(found.loc[found["incident_id"] == "I3", "line_id"]) == {"L2"}
    assert found[found["incident_id"] == "I4"].empty
    # nor is anyone L1's associate: the two people named in L1's fights are other lines' (a
    # seized phone ties its holder but teaches no associates: only calls and missing episodes do)
    assert set(found["line_id"]) == {"L2"}


def test_a_runner_up_level_with_the_line_is_the_other_side() -> None:
    # I1: a named associate of each line, nothing else; I2: the line has a call besides
    rows = [("I1", "L1", "associate_named", "P1"), ("I1", "L1", "market_town", "T"),
            ("I1", "L2", "associate_named", "P2"), ("I1", "L2", "market_town", "T"),
            ("I2", "L1", "call", "+44701"), ("I2", "L1", "market_town", "T"),
            ("I2", "L2", "associate_named", "P2"), ("I2", "L2", "market_town", "T")]  # fmt: skip
    out = attribute(pd.DataFrame({"incident_id": ["I1", "I2"]}), _rows(rows))
    assert list(out["score"]) == [2.5, 3.5]
    assert list(out["second_score"]) == [2.5, 2.5]
    # level evidence puts both lines there; a weaker runner-up needs a call, a resident or a
    # stated rivalry
    assert list(out["rival_line_id"]) == ["L2", ""]
    # three lines level: nothing says which two
    three = [*rows[:4], ("I1", "L3", "associate_named", "P3"), ("I1", "L3", "market_town", "T")]
    out = attribute(pd.DataFrame({"incident_id": ["I1"]}), _rows(three))
    assert list(out["rival_line_id"]) == [""]


def test_two_incidents_with_weaker_evidence_for_the_same_two_lines_are_a_rivalry() -> None:
    lines = pd.DataFrame({"line_id": ["L1", "L2", "L3"],
                          "market_towns": [["Ludlow"], ["Ludlow"], ["Ludlow"]]})  # fmt: skip
    violence = pd.DataFrame(
        {
            "incident_id": ["I1", "I2", "I3"],
            "t": [0.0, 20 * DAY, 40 * DAY],
            "town": "Ludlow",
            "weapon": "knife",
            "line_id": "L1",
            "rival_line_id": "",
            "second_line_id": ["L2", "L2", "L3"],
            "second_score": 2.0,
        }
    )
    found = find_rivalries(violence, lines, 0.0, 2, AttributionSettings())
    assert list(zip(found["line_a"], found["line_b"], found["n_incidents"], strict=True)) == [
        ("L1", "L2", 2)
    ]
    assert found.loc[0, "incident_ids"] == "I1;I2"

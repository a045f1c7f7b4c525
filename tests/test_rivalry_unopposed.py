"""Session 9's relaxed other side under roles (docs/movement.md, "Session 9: relaxing the other
side under roles"): a runner-up with a named associate in its market town (2.5) is the other
side when the incident's roles do not set its people against the leading line's."""

from __future__ import annotations

import pandas as pd

from countylines.movement.attribute import attribute

EVIDENCE = pd.DataFrame(
    [("I1", "L1", "call", "+44701"), ("I1", "L1", "market_town", "Telford"),
     ("I1", "L2", "associate_named", "P2"), ("I1", "L2", "market_town", "Telford")],
    columns=["incident_id", "line_id", "kind", "detail"],
)  # fmt: skip


def _other_side(persons: str, roles: str, evidence: pd.DataFrame = EVIDENCE) -> str:
    incidents = pd.DataFrame({"incident_id": ["I1"], "person_ids": [persons],
                              "person_roles": [roles]})  # fmt: skip
    found = attribute(incidents, evidence)
    assert found.loc[0, "line_id"] == "L1"
    return str(found.loc[0, "rival_line_id"])


def test_a_named_associate_of_the_runner_up_makes_it_the_other_side_under_roles() -> None:
    assert _other_side("P1;P2", "suspect;suspect") == "L2"
    assert _other_side("P2", "victim") == "L2"  # nothing of L1's named against them


def test_an_associate_set_against_the_lines_own_person_is_not_the_other_side() -> None:
    # P1, L1's by a seized phone, is the victim and P2 (L2's associate) the suspect: what a
    # line taxing another line's runner looks like
    evidence = pd.concat([EVIDENCE, pd.DataFrame([("I1", "L1", "member_named", "P1")],
                                                 columns=EVIDENCE.columns)])  # fmt: skip
    assert _other_side("P1;P2", "victim;suspect", evidence) == ""
    assert _other_side("P1;P2", "suspect;suspect", evidence) == "L2"


def test_without_roles_the_runner_up_still_needs_three() -> None:
    assert _other_side("P1;P2", "") == ""
    no_column = attribute(pd.DataFrame({"incident_id": ["I1"], "person_ids": ["P1;P2"]}),
                          EVIDENCE)  # fmt: skip
    assert no_column.loc[0, "rival_line_id"] == ""

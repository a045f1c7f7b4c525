"""The attribution and rivalry rules of the second accuracy round of issue 7 (docs/movement.md):
a named person's associate line is the one most of their other incidents point to, a runner-up
whose runner rang its deal line or the only other line of a stated rivalry's town is the other
side, a tied runner-up is not, a stated line motive lets a line that leads alone attribute,
a resident of a line's hub named in its market town is evidence for it, and lines that only
rob each other's runners (taxing) are not rivals."""

from __future__ import annotations

import pandas as pd

from countylines.movement.attribute import (
    HUB_HOME_M,
    WEIGHTS,
    AttributionSettings,
    associate_evidence,
    attribute,
    hub_resident_evidence,
)
from countylines.movement.rivalry import find_rivalries


def _evidence(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["incident_id", "line_id", "kind"]).assign(detail="x")


def _incidents(n: int) -> pd.DataFrame:
    return pd.DataFrame({"incident_id": [f"I{k}" for k in range(1, n + 1)]})


def test_a_person_is_the_associate_of_the_line_most_of_their_incidents_point_to() -> None:
    incidents = pd.DataFrame(
        {"incident_id": ["I1", "I2", "I3", "I4"], "person_ids": ["P1", "P1", "P1;P2", "P1"]}
    )
    # I1 and I2 are L1's (a call each); I3 is a fight with calls from both lines
    strong = _evidence([("I1", "L1", "call"), ("I2", "L1", "call"), ("I3", "L1", "call"),
                        ("I3", "L2", "call")])  # fmt: skip
    found = associate_evidence(incidents, strong)
    on_i4 = found[found["incident_id"] == "I4"]
    assert set(on_i4["line_id"]) == {"L1"}
    # P2 is only ever named beside both lines: a tie keeps both
    p2 = associate_evidence(pd.DataFrame({"incident_id": ["I3", "I5"], "person_ids": ["P2", "P2"]}),
                            strong)  # fmt: skip
    assert set(p2[p2["incident_id"] == "I5"]["line_id"]) == {"L1", "L2"}


def test_a_runner_up_with_its_own_people_at_the_scene_is_the_other_side() -> None:
    far = _evidence([("I1", "L1", "call"), ("I1", "L1", "market_town"),
                     ("I1", "L2", "call_far"), ("I1", "L2", "market_town"),
                     ("I2", "L1", "call"), ("I2", "L1", "market_town"),
                     ("I2", "L2", "associate_named"), ("I2", "L2", "market_town")])  # fmt: skip
    hub = _evidence([("I3", "L1", "call"), ("I3", "L1", "market_town"),
                     ("I3", "L2", "hub_resident_named"), ("I3", "L2", "market_town")])  # fmt: skip
    out = attribute(_incidents(3), pd.concat([far, hub]), AttributionSettings())
    # the same weight for the runner-up: its runner's call or a resident of its hub names it,
    # a named associate does not
    assert list(out["second_score"]) == [2.5, 2.5, 2.0]
    assert list(out["rival_line_id"]) == ["L2", "", "L2"]


def test_a_stated_rivalry_with_one_other_line_in_the_town_names_it() -> None:
    rows = [("I1", "L1", "call"), ("I1", "L1", "market_town"), ("I1", "L2", "market_town"),
            ("I2", "L1", "call"), ("I2", "L1", "market_town"), ("I2", "L2", "market_town"),
            ("I3", "L1", "call"), ("I3", "L1", "market_town"), ("I3", "L2", "market_town"),
            ("I3", "L3", "market_town")]  # fmt: skip
    stated = pd.Series(["rivalry", "", "rivalry"])
    out = attribute(_incidents(3), _evidence(rows), AttributionSettings(), stated)
    # I2 states nothing; in I3 two other lines work the town and nothing tells them apart
    assert list(out["rival_line_id"]) == ["L2", "", ""]


def test_a_runner_up_tied_with_the_next_line_is_not_the_other_side() -> None:
    rows = [("I1", "L1", "call"), ("I1", "L2", "call"), ("I1", "L3", "call"),
            ("I2", "L1", "call"), ("I2", "L1", "market_town"), ("I2", "L2", "call")]  # fmt: skip
    out = attribute(_incidents(2), _evidence(rows), AttributionSettings())
    assert list(out["line_id"]) == ["L1", "L1"]
    assert list(out["rival_line_id"]) == ["", "L2"]


def test_a_stated_line_motive_lets_the_line_that_leads_alone_attribute() -> None:
    rows = [("I1", "L1", "market_town"),
            ("I2", "L1", "market_town"),
            ("I3", "L1", "market_town"), ("I3", "L2", "market_town"),
            ("I4", "L1", "customer_named"), ("I4", "L1", "market_town"),
            ("I4", "L2", "market_town")]  # fmt: skip
    stated = pd.Series(["taxing", "", "show_of_strength", "taxing"])
    out = attribute(_incidents(4), _evidence(rows), AttributionSettings(), stated)
    # I2 states no motive (a market town alone is never enough); I3's two lines tie
    assert list(out["line_id"]) == ["L1", "", "", "L1"]


def _hub_case(homes: list[tuple[str, float, float, str]], hubs_of: dict[str, str]) -> pd.DataFrame:
    incidents = pd.DataFrame({"incident_id": ["I1"], "person_ids": [";".join(h[0] for h in homes)]})
    frame = pd.DataFrame(homes, columns=["person_id", "x", "y", "town"])
    hubs = pd.DataFrame({"name": ["Birmingham", "London"], "x": [407_000.0, 530_000.0],
                         "y": [287_000.0, 180_000.0]})  # fmt: skip
    lines = pd.DataFrame({"line_id": list(hubs_of), "hub": list(hubs_of.values())})
    towns = pd.DataFrame({"incident_id": "I1", "line_id": list(hubs_of)})
    return hub_resident_evidence(incidents, frame, hubs, lines, towns)


def test_a_resident_of_the_line_hub_named_in_its_town_is_evidence_for_it() -> None:
    brum = ("P1", 410_000.0, 290_000.0, "")
    found = _hub_case([brum], {"L1": "Birmingham", "L2": "London"})
    assert list(zip(found["line_id"], found["kind"], strict=True)) == [("L1", "hub_resident_named")]
    assert WEIGHTS["hub_resident_named"] + WEIGHTS["market_town"] >= AttributionSettings().min_score
    # two lines of that hub work the town: the person does not say which
    assert _hub_case([brum], {"L1": "Birmingham", "L2": "Birmingham"}).empty
    # a home in a town area, or too far from every hub centre, is not a hub home
    assert _hub_case([("P1", 410_000.0, 290_000.0, "Redditch")], {"L1": "Birmingham"}).empty
    far = ("P1", 407_000.0 + HUB_HOME_M + 1_000.0, 287_000.0, "")
    assert _hub_case([far], {"L1": "Birmingham"}).empty


def test_lines_robbing_each_others_runners_are_taxing_not_a_rivalry() -> None:
    day = 86_400
    violence = pd.DataFrame(
        {
            "incident_id": ["I1", "I2", "I3", "I4"],
            "t": [5 * day, 9 * day, 12 * day, 20 * day],
            "town": "Ludlow",
            "weapon": "knife",
            "category": ["robbery", "violence", "robbery", "violence"],
            "motive_text": ["", "taxing", "", ""],
            "line_id": ["L1", "L2", "L3", "L4"],
            "rival_line_id": ["L2", "L1", "L4", "L3"],
        }
    )
    lines = pd.DataFrame({"line_id": ["L1", "L2", "L3", "L4"], "market_towns": [["Ludlow"]] * 4})
    # L1 and L2 only rob each other's runners and argue over a debt; L3 and L4 also fight
    out = find_rivalries(violence, lines, 0.0, 1)
    assert out[["line_a", "line_b", "incident_ids"]].values.tolist() == [["L3", "L4", "I4"]]

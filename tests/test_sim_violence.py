"""The violence model: line-caused incidents (taxing, rivalry, show of strength) and background.

Two worlds are built once per module: the `tiny` case written to disk (seed 5) and, in memory
only, a tiny world with six months and sixteen lines that all fall out with rivals, so that
rivalries have time to escalate.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from countylines.database import validate_case
from countylines.simulate.lines import Line
from countylines.simulate.params import Params, params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.run import build, simulate
from countylines.simulate.violence import ARMS, Violence, describe, rivalry_weapons
from countylines.simulate.world import DAY_S, METRES_PER_DEGREE, World

LINE_MOTIVES = ("taxing", "rivalry", "show_of_strength")
NEAR_M = 500.0  # "within a few hundred metres" of a line's town centre or cuckooed address


@dataclass
class Built:
    params: Params
    world: World
    lines: list[Line]
    violence: Violence

    @property
    def by_id(self) -> dict[str, Line]:
        return {ln.line_id: ln for ln in self.lines}

    def merged(self) -> pd.DataFrame:
        return self.violence.frame.merge(
            self.violence.truth_frame, on="incident_id", suffixes=("", "_true")
        )


def _build(params: Params) -> Built:
    world, lines, models = build(builtin_region("west-mercia"), params)
    (violence,) = [m for m in models if isinstance(m, Violence)]
    return Built(params, world, lines, violence)


@pytest.fixture(scope="module")
def tiny_params() -> Params:
    return params_for("tiny", seed=5, n_lines=6, months=2)  # ~14 line incidents expected


@pytest.fixture(scope="module")
def tiny(tiny_params: Params) -> Built:
    return _build(tiny_params)


@pytest.fixture(scope="module")
def tiny_case(tmp_path_factory: pytest.TempPathFactory, tiny_params: Params) -> Path:
    out = tmp_path_factory.mktemp("violence") / "case"
    simulate(out, tiny_params, builtin_region("west-mercia"))
    return out


@pytest.fixture(scope="module")
def feuds() -> Built:
    return _build(params_for("tiny", seed=13, months=6, n_lines=16, rivalry_prob=1.0))


def _metres(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    dy = (lat2 - lat1) * METRES_PER_DEGREE
    dx = (lon2 - lon1) * METRES_PER_DEGREE * np.cos(np.radians(lat1))
    return np.asarray(np.hypot(dx, dy))


def _live(line: Line, day: int) -> bool:
    return any(s.start_s < (day + 1) * DAY_S and s.end_s > day * DAY_S for s in line.segments)


def _pid(person: int) -> str:
    return f"P{person + 1:07d}"


def _runner_ids(world: World, line: Line) -> set[str]:
    return {_pid(int(world.phone["person"][r])) for r in line.runners}


def _customer_ids(world: World, line: Line) -> set[str]:
    return {_pid(int(world.phone["person"][c])) for c in line.customers}


def _line_rows(b: Built) -> pd.DataFrame:
    m = b.merged()
    return m[m.motive.isin(LINE_MOTIVES)]


# --- the written case ------------------------------------------------------------------------


def test_case_validates_with_no_errors(tiny_case: Path) -> None:
    result = validate_case(tiny_case)
    assert result.ok, [p for p in result.log.problems() if p.severity == "error"]
    assert result.rows["incidents"] > 0


def test_written_incidents_match_the_model(tiny_case: Path, tiny: Built) -> None:
    written = pd.read_csv(tiny_case / "incidents.csv", dtype=str, keep_default_na=False)
    model = tiny.violence.frame
    assert list(written.incident_id) == list(model.incident_id)
    assert list(written.description) == list(model.description)
    truth = pd.read_csv(tiny_case / "truth" / "incidents.csv", dtype=str, keep_default_na=False)
    assert set(truth.motive) <= {*LINE_MOTIVES, "unrelated"}
    # reports about addresses (`simulate/reports.py`) have a truth file of their own
    reports = pd.read_csv(tiny_case / "truth" / "address_reports.csv", dtype=str)
    assert set(truth.incident_id) | set(reports.incident_id) == set(written.incident_id)
    assert not set(truth.incident_id) & set(reports.incident_id)
    assert (tiny_case / "truth" / "rivalries.csv").exists()


def test_incident_ids_are_in_time_order(tiny: Built) -> None:
    f = tiny.violence.frame
    assert f.incident_id.is_unique
    assert f.time.is_monotonic_increasing
    for prefix in ("I", "R"):  # incidents, and reports about addresses (`simulate/reports.py`)
        ids = list(f.incident_id[f.incident_id.str.startswith(prefix)])
        assert ids == sorted(ids)
    assert f.incident_id.str.startswith("I").sum() == len(tiny.violence.truth_frame)


def test_deterministic(tiny_params: Params, tiny: Built) -> None:
    again = _build(tiny_params)
    pd.testing.assert_frame_equal(again.violence.frame, tiny.violence.frame)
    pd.testing.assert_frame_equal(again.violence.truth_frame, tiny.violence.truth_frame)


# --- line-caused incidents -------------------------------------------------------------------


@pytest.mark.parametrize("which", ["tiny", "feuds"])
def test_line_incidents_are_near_the_line_and_in_its_active_period(
    which: str, request: pytest.FixtureRequest
) -> None:
    b: Built = request.getfixturevalue(which)
    world, lines = b.world, b.by_id
    names = world.places.names
    rows = _line_rows(b)
    assert len(rows) > 0
    start = pd.Timestamp(b.params.start, tz="UTC")
    for r in rows.itertuples():
        town = names.index(r.town)
        day = int((r.time - start).total_seconds() // DAY_S)
        involved = [lines[r.line_id]] + ([lines[r.rival_line_id]] if r.motive == "rivalry" else [])
        anchors = [(world.places.lat[town], world.places.lon[town])]
        for ln in involved:
            first = dict(ln.towns).get(town)
            assert first is not None and first <= day, (r.incident_id, ln.line_id, r.town)
            assert day >= ln.start_day and _live(ln, day), (r.incident_id, ln.line_id, day)
            anchors += [
                (world.address["lat"][a], world.address["lon"][a])
                for a, d in ln.cuckoo
                if d <= day and world.address["place"][a] == town
            ]
        lat = np.array([a[0] for a in anchors])
        lon = np.array([a[1] for a in anchors])
        assert _metres(r.lat, r.lon, lat, lon).min() <= NEAR_M, r.incident_id


@pytest.mark.parametrize("which", ["tiny", "feuds"])
def test_line_incidents_name_the_line_runners_and_their_victims(
    which: str, request: pytest.FixtureRequest
) -> None:
    b: Built = request.getfixturevalue(which)
    world, lines = b.world, b.by_id
    rows = _line_rows(b)
    with_runner = 0
    known = {_pid(i) for i in np.flatnonzero(world.person["known"])}
    for r in rows.itertuples():
        named = set(filter(None, r.person_ids.split(";")))
        assert named <= known
        own = _runner_ids(world, lines[r.line_id])
        allowed = own | _customer_ids(world, lines[r.line_id])
        if r.rival_line_id:
            allowed |= _runner_ids(world, lines[r.rival_line_id])
        assert named <= allowed, (r.incident_id, named - allowed)
        with_runner += bool(named & own)
        if r.motive == "rivalry":  # fights between runners only
            assert named <= own | _runner_ids(world, lines[r.rival_line_id])
    assert with_runner >= 0.5 * len(rows)


def test_rivalry_incidents_only_between_lines_sharing_a_town(feuds: Built) -> None:
    lines = feuds.by_id
    names = feuds.world.places.names
    riv = feuds.violence.rivalries
    assert len(riv) >= 3
    pairs: dict[frozenset[str], str] = {}
    for r in riv.itertuples():
        town = names.index(r.town)
        assert town in dict(lines[r.line_a].towns) and town in dict(lines[r.line_b].towns)
        pairs[frozenset((r.line_a, r.line_b))] = r.town
    rows = _line_rows(feuds)
    rivalry = rows[rows.motive == "rivalry"]
    assert len(rivalry) > 20
    for r in rivalry.itertuples():
        assert pairs[frozenset((r.line_id, r.rival_line_id))] == r.town
    both = [
        r
        for r in rivalry.itertuples()
        if set(r.person_ids.split(";")) & _runner_ids(feuds.world, lines[r.line_id])
        and set(r.person_ids.split(";")) & _runner_ids(feuds.world, lines[r.rival_line_id])
    ]
    assert both, "some rivalry incidents name runners of both lines"
    assert riv.n_incidents.sum() == len(rivalry)
    by_month = riv.incidents_by_month.str.split(";").apply(lambda xs: sum(map(int, xs)))
    assert (by_month == riv.n_incidents).all()


def test_rivalries_escalate_month_by_month(feuds: Built) -> None:
    rows = _line_rows(feuds)
    rivalry = rows[rows.motive == "rivalry"]
    riv = feuds.violence.rivalries
    start = pd.Timestamp(feuds.params.start, tz="UTC")
    began = {}
    for r in riv.itertuples():
        began[(r.line_a, r.line_b)] = began[(r.line_b, r.line_a)] = (r.start - start).days
    since = np.array(
        [
            (t - start).days - began[(a, b)]
            for t, a, b in zip(rivalry.time, rivalry.line_id, rivalry.rival_line_id, strict=True)
        ]
    )
    days = feuds.world.days
    # incidents per rivalry-month in the first two months of a rivalry and after
    early_exposure = sum(min(60, days - s) for s in set(began.values())) / 30
    late_exposure = sum(max(0, days - s - 60) for s in set(began.values())) / 30
    assert late_exposure > 3
    early = (since < 60).sum() / early_exposure
    late = (since >= 60).sum() / late_exposure
    assert late > 2 * early, (early, late)


def test_rivalry_weapons_get_more_serious_while_knives_stay_commonest() -> None:
    knife, firearm, bladed, none = (ARMS.index(w) for w in ("knife", "firearm", "bladed", "none"))
    weights = [rivalry_weapons(m, 0.35) for m in range(6)]
    for a, b in itertools.pairwise(weights[:5]):
        assert b[firearm] > a[firearm] and b[bladed] > a[bladed] and b[none] < a[none]
    for w in weights:
        assert np.isclose(w.sum(), 1) and w.argmax() == knife


def test_knives_are_the_commonest_weapon(feuds: Built, tiny: Built) -> None:
    line = _line_rows(feuds).weapon_true.value_counts()
    assert line.index[0] == "knife", line
    for b in (feuds, tiny):
        armed = b.violence.frame.weapon
        armed = armed[~armed.isin(["none", "unknown"])].value_counts()
        assert armed.index[0] == "knife", armed
        assert {"firearm", "corrosive"} & set(armed.index)
        assert armed.get("firearm", 0) < 0.2 * armed.sum()
    cats = _line_rows(feuds).category.value_counts()
    assert cats.index[0] == "violence"
    assert {"robbery", "weapons_possession"} <= set(cats.index)


def test_runner_calls_the_deal_line_after_line_incidents(feuds: Built) -> None:
    world, v = feuds.world, feuds.violence
    deal_of = {s.phone: ln.line_id for ln in feuds.lines for s in ln.segments}
    runner_of = {int(r): ln.line_id for ln in feuds.lines for r in ln.runners}
    rows = _line_rows(feuds)
    start = pd.Timestamp(feuds.params.start, tz="UTC")
    times = np.sort(((rows.time - start).dt.total_seconds()).to_numpy().astype(np.int64))
    n = 0
    for day in range(world.days):
        ev = v.day(world, day)
        for t, a, b in zip(ev.t, ev.a, ev.b, strict=True):
            assert runner_of[int(a)] == deal_of[int(b)]
            before = times[times <= t]
            assert len(before) and t - before[-1] <= 900
            n += 1
    assert n > 0


# --- background ------------------------------------------------------------------------------


def test_background_rate_per_head_is_plausible(tiny: Built, feuds: Built) -> None:
    for b in (tiny, feuds):
        places, p = b.world.places, b.params
        m = b.merged()
        bg = m[m.motive == "unrelated"]
        towns = places.towns
        residents = places.population[towns].sum()
        per_1000 = len(bg) / residents * 1000 / p.months
        # data.police.uk West Mercia 2018-10..2019-01, the five categories: 2.90 / 1,000 / month
        assert 2.3 < per_1000 < 3.6, per_1000
        counts = bg.town.value_counts()
        rate = np.array([counts.get(places.names[t], 0) for t in towns]) / places.population[towns]
        big = places.population[towns] > 20_000
        corr = np.corrcoef(places.vulnerability[towns][big], rate[big])[0, 1]
        assert corr > 0.3, corr  # deprived towns have more crime per head
        share = bg.category.value_counts(normalize=True)
        assert share.index[0] == "violence" and 0.65 < share["violence"] < 0.9
        assert set(share.index) == {"violence", "weapons_possession", "drugs", "robbery", "other"}


def test_background_people_are_known_town_residents(feuds: Built) -> None:
    world = feuds.world
    m = feuds.merged()
    bg = m[m.motive == "unrelated"]
    named = [
        (p, town)
        for ids, town in zip(bg.person_ids, bg.town, strict=True)
        for p in ids.split(";")
        if p
    ]
    assert named
    index = np.array([int(p[1:]) - 1 for p, _ in named])
    assert world.person["known"][index].all()
    assert set(world.person["kind"][index]) <= {"background", "customer"}
    homes = [world.places.names[i] for i in world.person["place"][index]]
    assert homes == [town for _, town in named]
    assert bg.person_ids.ne("").mean() < 0.2


# --- descriptions ----------------------------------------------------------------------------


def test_descriptions_are_varied_and_follow_the_weapon_field(feuds: Built) -> None:
    m = feuds.merged()
    assert m.description.str.len().gt(5).all()
    assert m.description.nunique() > 0.5 * len(m)
    unknown = m[(m.weapon == "unknown") & (m.weapon_true == "knife")]
    assert len(unknown) and unknown.description.str.contains("knife|stab|blade", case=False).any()
    silent = m[(m.weapon == "firearm")]
    assert silent.description.str.contains("gun|shot|firearm|pistol", case=False).any()
    lines = m[m.motive.isin(LINE_MOTIVES)]
    motive_words = "debt|owe|tax|feud|rival|retaliation|turf|tit for tat|intimidat|threat|force"
    mentions = lines.description.str.contains(motive_words, case=False).mean()
    assert 0.1 < mentions < 0.8, mentions
    assert not m.description.str.contains(r"\{|\}").any()


def test_describe_names_the_weapon_only_when_asked() -> None:
    u = np.full(20, 0.99)  # no abbreviation, no typo, plain lower case
    u[0] = 0.0
    assert "stabbed" in describe(u, "violence", "knife", True, None, 0.0)
    text = describe(u, "violence", "knife", False, None, 0.0)
    assert not any(w in text for w in ("knife", "stab", "blade"))
    assert "money owed for drugs" in describe(u, "robbery", "none", True, "taxing", 0.0)
    for category in ("violence", "weapons_possession", "robbery", "drugs", "other"):
        for weapon in ARMS:
            for x in np.linspace(0, 0.999, 7):
                w = np.full(20, x)
                assert describe(w, category, weapon, x < 0.5, "taxing" if x > 0.8 else None, 0.5)


def test_a_rivalry_assault_names_its_victims_the_attacked_lines_runners() -> None:
    # no suspects named at all: only the victims of assaults are, as a crime record names them
    params = params_for("tiny", seed=13, months=4, n_lines=10, rivalry_prob=1.0,
                        line_suspect_named_share=0.0, rivalry_victim_named_share=1.0)  # fmt: skip
    b = _build(params)
    rows = _line_rows(b)
    rivalry = rows[rows.motive == "rivalry"]
    assert (rivalry.category == "violence").sum() >= 5
    for r in rivalry.itertuples():
        named = set(filter(None, r.person_ids.split(";")))
        victims = _runner_ids(b.world, b.by_id[r.rival_line_id])
        if r.category == "violence":
            assert named and named <= victims, r.incident_id
        else:
            assert not named, r.incident_id


def _roles(r: object) -> dict[str, str]:
    """person id -> role of one incident row (`person_ids`, `person_roles`)."""
    ids = list(filter(None, r.person_ids.split(";")))  # type: ignore[attr-defined]
    roles = r.person_roles.split(";") if ids else []  # type: ignore[attr-defined]
    assert len(roles) == len(ids), r.incident_id  # type: ignore[attr-defined]
    return dict(zip(ids, roles, strict=True))


def test_roles_say_who_attacked_whom(feuds: Built) -> None:
    world, lines = feuds.world, feuds.by_id
    m = feuds.merged()
    hurt = 0
    for r in m[m.motive.isin(LINE_MOTIVES)].itertuples():
        roles = _roles(r)
        own = _runner_ids(world, lines[r.line_id])
        suspects = {p for p, role in roles.items() if role == "suspect"}
        victims = {p for p, role in roles.items() if role == "victim"}
        assert suspects <= own, r.incident_id  # the line's own runners are the suspects
        assert not victims & own, r.incident_id
        if r.motive == "rivalry":
            theirs = _runner_ids(world, lines[r.rival_line_id])
            assert set(roles) - suspects <= theirs, r.incident_id
            if r.category == "violence":  # the attacked side is injured: the victims
                assert victims == set(roles) - suspects, r.incident_id
                hurt += bool(victims)
            else:  # beside a weapons find the other group is only present
                assert not victims, r.incident_id
    assert hurt >= 5


def test_background_roles_follow_the_kind_of_report(feuds: Built) -> None:
    m = feuds.merged()
    rows = m[m.motive == "unrelated"].itertuples()
    seen = pd.Series([(r.category, role) for r in rows for role in _roles(r).values()])
    assert len(seen) >= 50
    found = set(seen)
    assert {role for _, role in found} == {"suspect", "victim", "witness"}
    assert {role for c, role in found if c in ("drugs", "weapons_possession")} == {"suspect"}

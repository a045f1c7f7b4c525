"""The simulator: determinism, valid output, truth that agrees with the events, calibration.

Each simulated case is built once per test session and shared by the pytest-xdist workers (a
file lock in the session's base temporary folder), so the whole file costs a handful of
simulations: tiny with seeds 11 and 12, small with seeds 11 and 12, and two in-memory builds of
300 lines for the distributions. Truth checks query `events.parquet` with DuckDB and read
`truth/` exactly as an evaluation would.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import cli, cli_subprocess, shared_case

from countylines.database import validate_case
from countylines.simulate.params import Params, params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.run import DayGenerator, build, simulate

SEEDS = (11, 12)
REGION = "west-mercia"
HOUR = 3600
DAY = 86_400

# --------------------------------------------------------------------------------------------
# Cases built once per session
# --------------------------------------------------------------------------------------------


class Case:
    """A simulated case with DuckDB views `ev` (events), `seg` (truth numbers), `cu`
    (truth customers) and `lines` (truth lines)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.params = json.loads((path / "truth" / "params.json").read_text())
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{path / 'events.parquet'}')")
        truth = path / "truth"
        con.execute(
            "CREATE TABLE seg AS SELECT line_id, number, role, "
            "first_active::TIMESTAMPTZ AS fa, last_active::TIMESTAMPTZ AS la, "
            "coalesce(ended_by, '') AS ended_by, chain::INTEGER AS chain "
            f"FROM read_csv('{truth / 'line_numbers.csv'}', all_varchar = true)"
        )
        con.execute(
            "CREATE TABLE cu AS SELECT line_id, number, since_day::INTEGER AS since_day "
            f"FROM read_csv('{truth / 'customers.csv'}', all_varchar = true)"
        )
        con.execute(
            "CREATE TABLE lines AS SELECT * "
            f"FROM read_csv('{truth / 'lines.csv'}', all_varchar = true)"
        )
        con.execute(
            "CREATE TABLE chains AS SELECT line_id, 1 + max(chain) AS n FROM seg "
            "WHERE role = 'deal_line' GROUP BY line_id"
        )
        self.con = con
        self.period_end = self.value("SELECT max(la) FROM seg WHERE role = 'runner'")

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def value(self, sql: str) -> object:
        return self.con.execute(sql).fetchone()[0]  # type: ignore[index]


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    return Case(shared_case(tmp_path_factory, "small", request.param))


@pytest.fixture(scope="module")
def tiny11(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_case(tmp_path_factory, "tiny", 11)


@pytest.fixture(scope="module")
def tiny12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_case(tmp_path_factory, "tiny", 12)


def _files(case: Path) -> dict[str, bytes]:
    """Every file of a case except the events, by relative path."""
    return {
        str(p.relative_to(case)): p.read_bytes()
        for p in sorted(case.rglob("*"))
        if p.is_file() and p.name != "events.parquet"
    }


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_case(tiny11: Path, tmp_path: Path) -> None:
    # The second run is a separate process (its own hash seed), through the command line.
    again = tmp_path / "again"
    cli_subprocess("simulate", again, "--scale", "tiny", "--seed", "11", "-q").assert_clean(0)
    first, second = (
        pq.read_table(tiny11 / "events.parquet"),
        pq.read_table(again / "events.parquet"),
    )
    assert first.num_rows > 10_000
    assert first.equals(second), "same seed and settings, different events"
    a, b = _files(tiny11), _files(again)
    assert a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"same seed and settings, different files: {differ}"


def test_the_case_does_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    # Days are generated from their own random streams, so one process and three (forked,
    # handing days back out of order) must write byte-identical files, events included.
    params = params_for("tiny", seed=13, months=1)
    one, three = tmp_path / "one", tmp_path / "three"
    simulate(one, params, builtin_region(REGION), workers=1)
    simulate(three, params, builtin_region(REGION), workers=3)
    a, b = (
        {str(p.relative_to(case)): p.read_bytes() for p in sorted(case.rglob("*")) if p.is_file()}
        for case in (one, three)
    )
    assert a.keys() == b.keys() and "events.parquet" in a
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"one worker and three give different files: {differ}"


def test_a_day_is_the_same_whenever_it_is_generated() -> None:
    # A worker may be handed days in any order: generating day 5 before or after days 0-4, or
    # twice, gives the same batch.
    world, _, models = build(builtin_region(REGION), params_for("tiny", seed=14, months=1))
    gen = DayGenerator(world, models)
    first = gen(5)
    for day in range(5):
        gen(day)
    again = gen(5)
    assert len(first) > 1000
    for name in ("t", "a", "b", "a_imei", "b_imei", "a_cell", "b_cell", "text"):
        assert np.array_equal(getattr(first, name), getattr(again, name)), name


def test_different_seed_gives_a_different_case(tiny11: Path, tiny12: Path) -> None:
    first, second = (
        pq.read_table(tiny11 / "events.parquet"),
        pq.read_table(tiny12 / "events.parquet"),
    )
    assert not first.equals(second)
    a, b = _files(tiny11), _files(tiny12)
    for name in ("truth/line_numbers.csv", "truth/customers.csv", "subscribers.csv"):
        assert a[name] != b[name], f"{name} does not depend on the seed"


# --------------------------------------------------------------------------------------------
# The output is a valid case
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_tiny_case_validates(seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    result = validate_case(shared_case(tmp_path_factory, "tiny", seed))
    assert result.ok, result.log.problems()
    assert result.log.n_errors == 0
    assert result.rows["events"] > 10_000


@pytest.mark.slow
def test_small_case_validates(tmp_path_factory: pytest.TempPathFactory) -> None:
    case = shared_case(tmp_path_factory, "small", SEEDS[0])
    result = validate_case(case)
    assert result.ok, result.log.problems()
    assert result.log.n_errors == 0
    assert result.rows["events"] == pq.ParquetFile(case / "events.parquet").metadata.num_rows
    # The size for the demo scale: about a million events.
    assert 500_000 <= result.rows["events"] <= 3_000_000


# --------------------------------------------------------------------------------------------
# Truth agrees with the events
# --------------------------------------------------------------------------------------------

# Deal numbers active for at least this long are expected to show every behaviour.
SETTLED = "s.role = 'deal_line' AND s.la - s.fa >= INTERVAL 3 DAY"


def test_truth_files_agree_with_each_other(small: Case) -> None:
    assert (
        small.rows(
            "SELECT l.line_id FROM lines l LEFT JOIN (SELECT line_id, count(*) AS n FROM seg "
            "WHERE role = 'deal_line' GROUP BY 1) s USING (line_id) "
            "WHERE s.n IS DISTINCT FROM l.n_deal_numbers::INTEGER"
        )
        == []
    )
    assert (
        small.rows(
            "SELECT l.line_id FROM lines l LEFT JOIN (SELECT line_id, count(*) AS n FROM cu "
            "GROUP BY 1) c USING (line_id) WHERE c.n IS DISTINCT FROM l.n_customers::INTEGER"
        )
        == []
    )
    assert (
        small.rows(
            "SELECT l.line_id FROM lines l JOIN chains c USING (line_id) "
            "WHERE (c.n > 1)::INTEGER <> l.parallel::INTEGER"
        )
        == []
    )
    # One holder per line; numbers are unique to one role of one line.
    assert small.value("SELECT count(*) FROM seg WHERE role = 'holder'") == small.value(
        "SELECT count(*) FROM lines"
    )
    assert small.value("SELECT count(*) - count(DISTINCT number) FROM seg") == 0
    cuckooed = small.rows(
        f"SELECT address_id FROM read_csv('{small.path / 'truth' / 'cuckooed_addresses.csv'}')"
    )
    addresses = small.con.execute(
        f"SELECT address_id FROM read_csv('{small.path / 'addresses.csv'}', all_varchar = true)"
    ).fetchall()
    assert cuckooed, "no cuckooed addresses"
    assert set(cuckooed) <= set(addresses), "a cuckooed address is missing from addresses.csv"


def test_deal_numbers_receive_orders_from_their_customers(small: Case) -> None:
    rows = small.rows(
        f"""
        SELECT s.line_id, s.number, ln.n_customers::INTEGER / ch.n AS per_chain,
               count(DISTINCT e.a_number) FILTER (WHERE c.number IS NOT NULL) AS customers,
               count(DISTINCT e.a_number) FILTER (WHERE o.number IS NULL) AS callers
        FROM seg s
        JOIN lines ln USING (line_id)
        JOIN chains ch USING (line_id)
        JOIN ev e ON e.b_number = s.number AND e.start_time BETWEEN s.fa AND s.la
        LEFT JOIN cu c ON c.number = e.a_number AND c.line_id = s.line_id
        LEFT JOIN seg o ON o.number = e.a_number AND o.line_id = s.line_id  -- runner, holder
        WHERE {SETTLED}
        GROUP BY ALL
        """
    )
    assert len(rows) >= 10
    for line, number, per_chain, customers, callers in rows:
        assert customers >= max(5, 0.25 * per_chain), (
            f"{line} {number}: only {customers} distinct customers ordered "
            f"(about {per_chain} customers per deal phone)"
        )
        assert customers >= 0.8 * callers, (
            f"{line} {number}: {callers - customers} of {callers} callers from outside the line "
            "are not its customers"
        )


def test_deal_numbers_send_bulk_texts_within_minutes(small: Case) -> None:
    # A burst lasts marketing_burst_s (7 minutes): it fits within one 15-minute bucket of one
    # of two grids offset by 7.5 minutes.
    assert small.params["marketing_burst_s"] <= 450
    rows = small.rows(
        f"""
        WITH sms AS (
            SELECT s.line_id, s.number, e.b_number, epoch(e.start_time)::BIGINT AS t
            FROM seg s JOIN ev e ON e.a_number = s.number AND e.event_type = 'sms'
            WHERE {SETTLED}),
        windows AS (
            SELECT line_id, number, t // 900 AS w, 0 AS grid, count(DISTINCT b_number) AS n
            FROM sms GROUP BY ALL
            UNION ALL
            SELECT line_id, number, (t + 450) // 900, 1, count(DISTINCT b_number)
            FROM sms GROUP BY ALL)
        SELECT line_id, number, ln.n_customers::INTEGER, max(n)
        FROM windows JOIN lines ln USING (line_id) GROUP BY ALL
        """
    )
    settled = small.value(f"SELECT count(*) FROM seg s WHERE {SETTLED}")
    assert len(rows) == settled, "a settled deal number sent no texts at all"
    for line, number, n_customers, burst in rows:
        assert burst >= max(10, 0.4 * n_customers), (
            f"{line} {number}: at most {burst} recipients within 15 minutes "
            f"({n_customers} customers)"
        )


def test_deal_numbers_instruct_their_runners(small: Case) -> None:
    rows = small.rows(
        f"""
        SELECT s.line_id, s.number, count(e.event_id)
        FROM seg s
        LEFT JOIN (ev e JOIN seg r ON r.number = e.b_number AND r.role = 'runner')
          ON e.a_number = s.number AND r.line_id = s.line_id
        WHERE {SETTLED}
        GROUP BY ALL
        """
    )
    quiet = [(line, number) for line, number, n in rows if n < 10]
    assert not quiet, f"deal numbers that hardly contact their runners: {quiet}"


def test_runners_contact_customers_soon_after_an_instruction(small: Case) -> None:
    (total, followed, median_lag) = small.con.execute(
        """
        WITH instruct AS (
            SELECT s.line_id, e.b_number AS runner, e.start_time AS t
            FROM seg s
            JOIN ev e ON e.a_number = s.number
            JOIN seg r ON r.number = e.b_number AND r.role = 'runner' AND r.line_id = s.line_id
            WHERE s.role = 'deal_line'),
        follow AS (
            SELECT i.line_id, i.runner, i.t, min(epoch(e.start_time - i.t)) AS lag
            FROM instruct i
            LEFT JOIN ev e ON e.a_number = i.runner AND e.start_time >= i.t
                AND e.start_time < i.t + INTERVAL 1 HOUR
                AND EXISTS (SELECT 1 FROM cu c WHERE c.number = e.b_number
                            AND c.line_id = i.line_id)
            GROUP BY ALL)
        SELECT count(*), count(lag), median(lag) FROM follow
        """
    ).fetchone()  # type: ignore[misc]
    assert total > 1000
    assert followed >= 0.98 * total, f"only {followed} of {total} instructions followed up"
    assert median_lag <= 15 * 60, f"median callback after {median_lag} s"


def test_holders_call_the_deal_numbers(small: Case) -> None:
    rows = small.rows(
        f"""
        SELECT s.line_id, s.number, count(e.event_id)
        FROM seg s
        JOIN seg h ON h.line_id = s.line_id AND h.role = 'holder'
        LEFT JOIN ev e ON e.event_type = 'voice' AND (
            (e.a_number = h.number AND e.b_number = s.number)
            OR (e.a_number = s.number AND e.b_number = h.number))
        WHERE {SETTLED}
        GROUP BY ALL
        """
    )
    silent = [(line, number) for line, number, n in rows if n < 3]
    assert not silent, f"deal numbers their holder hardly calls: {silent}"


def test_after_a_disruption_a_new_number_texts_the_old_customers(small: Case) -> None:
    rows = small.rows(
        """
        WITH nxt AS (
            SELECT p.line_id, p.number AS prev, p.la, n.number AS new, n.fa,
                   row_number() OVER (PARTITION BY p.number ORDER BY n.fa) AS k
            FROM seg p
            LEFT JOIN seg n ON n.line_id = p.line_id AND n.chain = p.chain
                AND n.role = 'deal_line' AND n.fa >= p.la
            WHERE p.ended_by = 'disruption')
        SELECT line_id, prev, la, new, fa FROM nxt WHERE k = 1
        """
    )
    assert rows, "no disruption in this case"
    relaunched = 0
    for line, prev, ended, new, started in rows:
        if new is None:
            # Only a number blocked just before the end of the period may stay dark.
            assert (small.period_end - ended).total_seconds() < DAY, f"{line}: never relaunched"
            continue
        relaunched += 1
        gap_h = (started - ended).total_seconds() / HOUR
        # Relaunch delays are log-normal (median relaunch_hours, sigma 0.6): 4 sigmas out.
        limit = small.params["relaunch_hours"] * np.exp(4 * 0.6)
        assert gap_h < limit, f"{line}: {new} started {gap_h:.1f} hours after {prev} was blocked"
        old = {
            n
            for (n,) in small.con.execute(
                "SELECT DISTINCT e.a_number FROM ev e JOIN cu c ON c.number = e.a_number "
                "AND c.line_id = ? WHERE e.b_number = ?",
                [line, prev],
            ).fetchall()
        }
        told = {
            n
            for (n,) in small.con.execute(
                "SELECT DISTINCT b_number FROM ev WHERE a_number = ? AND event_type = 'sms' "
                "AND start_time < ?::TIMESTAMPTZ + INTERVAL 3 HOUR",
                [new, started],
            ).fetchall()
        }
        assert old, f"{line}: {prev} had no customers"
        reached = len(old & told) / len(old)
        assert reached >= 0.9, f"{line}: {new} texted {reached:.0%} of {prev}'s customers"
    assert relaunched >= 1


def test_only_a_replacement_number_announces_itself(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    wrong = []
    for seed in SEEDS:
        case = Case(shared_case(tmp_path_factory, "small", seed))
        wrong += case.rows(
            """
            WITH firsts AS (
                SELECT line_id, chain, number, row_number() OVER (
                    PARTITION BY line_id, chain ORDER BY fa) AS k
                FROM seg WHERE role = 'deal_line')
            SELECT DISTINCT f.line_id, f.chain, f.number
            FROM firsts f JOIN ev e ON e.a_number = f.number
            WHERE f.k = 1 AND e.text LIKE 'new number same %'
            """
        )
    assert not wrong, f"first numbers of a chain announcing a 'new number': {wrong}"


def test_deal_handsets_are_swapped(small: Case) -> None:
    rows = small.rows(
        """
        SELECT s.number, count(DISTINCT e.a_imei)
        FROM seg s JOIN ev e ON e.a_number = s.number
        WHERE s.role = 'deal_line' AND s.la - s.fa >= INTERVAL 30 DAY
        GROUP BY ALL
        """
    )
    assert len(rows) >= 5
    swapped = sum(n >= 2 for _, n in rows)
    # With a swap every 21 days on average, P(no swap in 30 days) = exp(-30/21) = 0.24.
    assert swapped >= 0.5 * len(rows), f"only {swapped} of {len(rows)} long-lived numbers swapped"


def test_deal_numbers_are_silent_outside_their_active_period(small: Case) -> None:
    # The tail of a burst or a relay may run a few minutes past the end; allow an hour.
    rows = small.rows(
        """
        SELECT s.number, min(e.start_time), max(e.start_time), s.fa, s.la
        FROM seg s JOIN ev e ON e.a_number = s.number OR e.b_number = s.number
        WHERE s.role = 'deal_line'
          AND (e.start_time < s.fa OR e.start_time > s.la + INTERVAL 1 HOUR)
        GROUP BY ALL
        """
    )
    assert not rows, f"events of deal numbers outside their active period: {rows[:5]}"


# --------------------------------------------------------------------------------------------
# Counts follow the configured distributions
# --------------------------------------------------------------------------------------------


def test_line_and_runner_counts_match_the_params(small: Case) -> None:
    p = small.params
    assert small.value("SELECT count(*) FROM lines") == p["n_lines"]
    counts = small.rows(
        "SELECT l.line_id, count(s.number) FROM lines l "
        "LEFT JOIN seg s ON s.line_id = l.line_id AND s.role = 'runner' GROUP BY 1"
    )
    bad = [(line, n) for line, n in counts if not p["runners_min"] <= n <= p["runners_max"]]
    assert not bad, f"runners per line outside [{p['runners_min']}, {p['runners_max']}]: {bad}"


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def many_lines(request: pytest.FixtureRequest) -> tuple[Params, dict[str, float]]:
    """Statistics of 300 lines built in memory (no traffic), for tight tolerances."""
    params = params_for("small", seed=request.param, n_lines=300)
    world, lines, _ = build(builtin_region(REGION), params)
    runners = np.concatenate([ln.runners for ln in lines])
    person = world.phone["person"][runners]
    age = params.start.year - world.person["birth_year"][person]
    return params, {
        "runners": float(len(runners)),
        "child_share": float((age < 18).mean()),
        "male_share": float(world.person["male"][person].mean()),
        "min_runners": float(min(len(ln.runners) for ln in lines)),
        "max_runners": float(max(len(ln.runners) for ln in lines)),
        "median_customers": float(np.median([len(ln.customers) for ln in lines])),
        "parallel_share": float(np.mean([max(s.chain for s in ln.segments) > 0 for ln in lines])),
        "lines": float(len(lines)),
    }


def test_runner_demographics_follow_the_params(
    many_lines: tuple[Params, dict[str, float]],
) -> None:
    p, s = many_lines
    assert s["lines"] == p.n_lines
    assert p.runners_min <= s["min_runners"] <= s["max_runners"] <= p.runners_max
    assert s["runners"] > 800
    # About 1,000 runners: the standard error of a share near 0.7 is 0.015, near 0.91 0.009.
    assert abs(s["child_share"] - p.runner_child_share) < 0.06, s
    assert abs(s["male_share"] - p.runner_male_share) < 0.04, s


def test_customer_lists_and_parallel_lines_follow_the_params(
    many_lines: tuple[Params, dict[str, float]],
) -> None:
    p, s = many_lines
    # The list grows by expansion and shared customers, so the median sits a little above.
    assert p.customers_median / 1.5 <= s["median_customers"] <= p.customers_median * 1.5, s
    # 300 lines: the standard error of a share near 0.3 is 0.026.
    assert abs(s["parallel_share"] - p.parallel_share) < 0.1, s


# --------------------------------------------------------------------------------------------
# The hard negatives are real
# --------------------------------------------------------------------------------------------


def test_a_naive_bulk_text_rule_has_poor_precision(small: Case) -> None:
    """'Flag a number that texts 50+ distinct recipients in a day' also flags businesses."""
    flagged, hits = small.con.execute(
        """
        WITH daily AS (
            SELECT a_number, start_time::DATE AS d, count(DISTINCT b_number) AS n
            FROM ev WHERE event_type = 'sms' GROUP BY ALL),
        flag AS (SELECT DISTINCT a_number FROM daily WHERE n >= 50)
        SELECT count(*), count(*) FILTER (WHERE a_number IN (SELECT number FROM seg))
        FROM flag
        """
    ).fetchone()  # type: ignore[misc]
    assert flagged > 0 and hits > 0, "the rule flags no deal line at all"
    precision = hits / flagged
    assert precision < 0.8, f"precision {precision:.2f}: the hard negatives are too easy"


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_simulate_refuses_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    run = cli("simulate", tmp_path, "--scale", "tiny").assert_clean(2)
    assert "already exists" in run.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_simulate_json_reports_the_events(tmp_path: Path) -> None:
    out = tmp_path / "case"
    run = cli("simulate", out, "--scale", "tiny", "--seed", "12", "--json").assert_clean(0)
    data = json.loads(run.stdout)
    assert data["events"] == pq.ParquetFile(out / "events.parquet").metadata.num_rows
    assert data["lines"] == params_for("tiny").n_lines
    assert data["days"] == 30
    assert (out / "truth" / "line_numbers.csv").exists()
    assert not list(tmp_path.glob(".*partial*")), "a temporary folder was left behind"


@pytest.mark.parametrize(
    "content",
    ['{"format": "countylines-region", "towns": [', '{"format": "something-else"}', "[]"],
    ids=["truncated-json", "wrong-format", "not-an-object"],
)
def test_simulate_with_a_broken_region_exits_2(tmp_path: Path, content: str) -> None:
    region = tmp_path / "region.json"
    region.write_text(content)
    out = tmp_path / "case"
    run = cli("simulate", out, "--scale", "tiny", "--region", region).assert_clean(2)
    assert "region.json" in run.output
    assert not out.exists()


def test_simulate_with_a_missing_region_or_bad_scale_exits_2(tmp_path: Path) -> None:
    run = cli_subprocess(
        "simulate", tmp_path / "a", "--scale", "tiny", "--region", tmp_path / "none.json"
    ).assert_clean(2)
    assert "none.json" in run.output
    run = cli("simulate", tmp_path / "b", "--scale", "enormous").assert_clean(2)
    assert "enormous" in run.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# --------------------------------------------------------------------------------------------
# Behaviour presets and --set
# --------------------------------------------------------------------------------------------


def _deal_phone_town_share(case: Path) -> float:
    """Share of deal-number calls and texts made from a cell within 8 km of the line's first
    market town (by straight-line distance on the sphere, from cells.csv)."""
    region = builtin_region(REGION)
    con = duckdb.connect()
    con.execute("CREATE TABLE towns (name VARCHAR, lat DOUBLE, lon DOUBLE)")
    con.executemany(
        "INSERT INTO towns VALUES (?, ?, ?)", [(t.name, t.lat, t.lon) for t in region.towns]
    )
    return float(
        con.execute(
            f"""
            WITH deal AS (
                SELECT s.number, split_part(l.market_towns, ';', 1) AS town
                FROM read_csv('{case}/truth/line_numbers.csv', all_varchar = true) s
                JOIN read_csv('{case}/truth/lines.csv', all_varchar = true) l USING (line_id)
                WHERE s.role = 'deal_line')
            SELECT avg((6371 * acos(least(1, sin(radians(c.lat)) * sin(radians(t.lat))
                + cos(radians(c.lat)) * cos(radians(t.lat)) * cos(radians(c.lon - t.lon))))
                < 8)::INT)
            FROM read_parquet('{case}/events.parquet') e
            JOIN deal ON e.a_number = deal.number
            JOIN read_csv('{case}/cells.csv', all_varchar = true, types = {{'lat': 'DOUBLE',
                'lon': 'DOUBLE'}}) c ON c.cell_id = e.a_cell_id
            JOIN towns t ON t.name = deal.town
            """
        ).fetchone()[0]
    )


def test_evasive_behaviour_keeps_deal_phones_in_the_market_town(
    tmp_path: Path, tiny11: Path
) -> None:
    out = tmp_path / "evasive"
    res = cli(
        "simulate", out, "--scale", "tiny", "--seed", "11", "--behaviour", "evasive", "--quiet"
    )
    assert res.exit_code == 0, res.stderr
    params = json.loads((out / "truth" / "params.json").read_text())
    assert params["deal_phones_in_town"] is True and params["number_change_days"] == 4.0
    assert _deal_phone_town_share(out) > 0.9
    assert _deal_phone_town_share(tiny11) < 0.1


def test_set_overrides_one_parameter_and_refuses_bad_ones(tmp_path: Path) -> None:
    out = tmp_path / "set"
    res = cli(
        "simulate", out, "--scale", "tiny", "--set", "n_lines=2", "--set", "months=1", "--quiet"
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads((out / "truth" / "params.json").read_text())["n_lines"] == 2
    for bad, message in (
        ("n_lines=two", "not a valid int"),
        ("no_such=1", "NAME a simulator parameter"),
        ("deal_phones_in_town=maybe", "not a valid bool"),
        ("n_lines", "NAME=VALUE"),
    ):
        res = cli("simulate", tmp_path / "bad", "--scale", "tiny", "--set", bad)
        assert res.exit_code == 2 and message in res.stderr, (bad, res.stderr)
        assert not (tmp_path / "bad").exists()
    res = cli("simulate", tmp_path / "bad", "--behaviour", "sloppy")
    assert res.exit_code == 2 and "unknown behaviour" in res.stderr

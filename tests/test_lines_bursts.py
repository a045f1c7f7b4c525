"""The two-step bulk-text burst count (per number and period, then per window) finds exactly
the windows a direct count per number and window finds, for windows that divide a day and
windows that do not: windows with enough texts, and list bursts (enough distinct recipients who
are also a large enough share of the sender's inbound contacts)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from countylines.lines import features as fx
from countylines.lines.engine import PERFECT_HASH_BITS, DuckDBEngine

START = 1_538_352_000  # 2018-10-01T00:00:00Z


def _database(path: Path, seed: int) -> Path:
    """Events of 31 senders over 3 days: scattered texts and calls, and dense runs of texts
    (some across midnight) so that many windows are near the threshold."""
    rng = np.random.default_rng(seed)
    parts = [
        pd.DataFrame(
            {
                "t": START + rng.integers(0, 3 * fx.DAY_S, 3000),
                "a": rng.integers(1, 31, 3000),
                "sms": rng.random(3000) < 0.6,
            }
        )
    ]
    for _ in range(40):
        at = START + int(rng.integers(0, 3 * fx.DAY_S))
        if rng.random() < 0.3:  # runs around midnight
            at = START + int(rng.integers(1, 3)) * fx.DAY_S - int(rng.integers(0, 900))
        n = int(rng.integers(10, 40))
        parts.append(
            pd.DataFrame(
                {
                    "t": at + np.sort(rng.integers(0, int(rng.integers(300, 1500)), n)),
                    "a": int(rng.integers(1, 31)),
                    "sms": True,
                }
            )
        )
    # a sender with only 20 texts, within 90 s either side of a midnight: one burst for a
    # window across it, though neither day alone has enough
    midnight = START + fx.DAY_S + np.r_[np.arange(-90, 0, 9), np.arange(9, 99, 9)]
    parts.append(pd.DataFrame({"t": midnight, "a": 31, "sms": True}))
    ev = pd.concat(parts, ignore_index=True)
    # recipients: mostly other numbers, some of them the senders (so senders have inbound
    # contacts of their own, and a list burst must reach a share of them)
    ev["b"] = np.where(rng.random(len(ev)) < 0.2, rng.integers(1, 32, len(ev)),
                       rng.integers(32, 400, len(ev)))  # fmt: skip
    ev["start_time"] = pd.to_datetime(ev["t"], unit="s", utc=True)
    ev["event_type"] = np.where(ev["sms"], "sms", "call")
    database = path / "case.duckdb"
    con = duckdb.connect(str(database))
    con.register("ev_df", ev)
    con.execute(
        "CREATE TABLE events AS SELECT start_time, event_type, 0 AS duration_s, "
        "CAST(a AS INT) AS a_number_id, CAST(b AS INT) AS b_number_id, "
        "CAST(NULL AS VARCHAR) AS a_imei, CAST(NULL AS VARCHAR) AS a_cell_id, "
        "CAST(NULL AS VARCHAR) AS b_cell_id, CAST(NULL AS VARCHAR) AS text FROM ev_df"
    )
    con.execute(
        "CREATE TABLE numbers AS SELECT CAST(i AS INT) AS number_id, "
        "printf('07%09d', i) AS number FROM range(1, 400) r(i)"
    )
    con.close()
    return database


@pytest.mark.parametrize(
    ("window", "least", "listed", "share"),
    [(600, 20, 10, 0.5), (700, 15, 8, 0.2), (3600, 30, 40, 0.5), (600, 20, 10, 0.9)],
)
def test_two_step_bursts_are_the_direct_count(
    tmp_path: Path, window: int, least: int, listed: int, share: float
) -> None:
    database = _database(tmp_path, window)
    s = fx.FeatureSettings(
        burst_window_s=window,
        burst_min_recipients=least,
        list_burst_min_recipients=listed,
        list_burst_share=share,
    )
    engine = DuckDBEngine(database)
    try:
        fx.find_candidates(engine, s)
        found = engine.frame("SELECT x, w, n FROM burst_windows ORDER BY x, w")
        # the wide array bound is for the burst count only (a wider one costs memory elsewhere)
        bound = engine.frame("SELECT current_setting('perfect_ht_threshold') AS b")["b"][0]
        assert int(bound) == PERFECT_HASH_BITS
        events = engine.frame(
            "SELECT a_number_id AS a, b_number_id AS b, event_type = 'sms' AS sms, "
            "CAST(epoch(start_time) AS BIGINT) AS t FROM events_t"
        )
    finally:
        engine.close()
    texts = events[events["sms"]]
    contacts = events.groupby("b")["a"].nunique()
    per = texts.groupby([texts["a"], texts["t"] // window]).agg(n=("b", "size"), r=("b", "nunique"))
    reach = contacts.reindex(per.index.get_level_values(0)).fillna(0).to_numpy()
    listed_burst = (per["r"] >= listed) & (per["r"] >= share * reach)
    direct = per[(per["n"] >= least) | listed_burst]
    assert (per["n"] >= least).sum() >= 5  # the case has bursts to find
    if listed < least:  # some windows are list bursts only, and some are too small a share
        assert (listed_burst & (per["n"] < least)).sum() >= 1
        assert ((per["r"] >= listed) & ~listed_burst).sum() >= 1 or share < 0.9
    expected = pd.DataFrame(
        {
            "x": direct.index.get_level_values(0),
            "w": direct.index.get_level_values(1),
            "n": direct["n"].to_numpy(),
        }
    )
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)


def _busy(events: pd.DataFrame, s: fx.FeatureSettings) -> set[tuple[int, int]]:
    """(number, day) pairs the slot pre-filter keeps for texts (t, a)."""
    con = duckdb.connect()
    con.register("ev_df", events)
    con.execute("CREATE VIEW ev AS SELECT t, a, true AS sms FROM ev_df")
    sql = f"WITH {fx._busy_periods_sql(s, fx.DAY_S)} SELECT x, p FROM busy"
    return {(int(x), int(p)) for x, p in con.execute(sql).fetchall()}


def test_busy_periods_are_those_with_a_full_slot() -> None:
    """A day is kept when one of its 3-hour slots has as many texts as the smaller threshold,
    or the day has `burst_min_recipients` texts; 15 texts spread over three slots are not
    enough (no window can hold 10 of them), nor are 9 in one window; days before 1970 too."""
    day = 17_805 * fx.DAY_S
    runs = {
        1: day + 3 * 3600 + np.arange(15) * 30,  # 15 in one window: kept
        2: day + np.r_[0:5, 240:245, 480:485] * 60,  # 5 + 5 + 5 (minutes 0, 240, 480)
        3: day + np.arange(25) * 3000,  # 25 spread over the day: kept (the count)
        4: day + np.arange(9) * 10,  # 9: too few
        5: -3 * fx.DAY_S + 7200 + np.arange(10) * 20,  # before 1970, 10 in one window: kept
        6: day + 3 * 3600 - 300 + np.arange(12) * 50,  # 12 across a slot's edge (6 + 6)
    }
    events = pd.concat(
        [pd.DataFrame({"t": np.asarray(t, dtype="int64"), "a": a}) for a, t in runs.items()]
    )
    kept = _busy(events, fx.FeatureSettings())
    assert kept == {(1, 17_805), (3, 17_805), (5, -2)}
    # with a lower count threshold, the day count alone keeps the spread days
    lower = _busy(events, fx.FeatureSettings(burst_min_recipients=12))
    assert lower == {(1, 17_805), (2, 17_805), (3, 17_805), (5, -2), (6, 17_805)}


def test_burst_threshold_is_bounded() -> None:
    """The packed slot counts hold counts under 2**26 exactly (a DOUBLE's 53 bits)."""
    with pytest.raises(ValueError, match="burst_min_recipients"):
        fx.FeatureSettings(burst_min_recipients=2**26)

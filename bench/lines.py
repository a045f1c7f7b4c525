"""Benchmark `countylines lines` on the full scenario, against a pandas version of its features.

    .venv/bin/python bench/lines.py                       # simulates and loads full seed 21 once
    .venv/bin/python bench/lines.py --database W/case.duckdb   # reuse a loaded case (with ids;
                                                          # tools/upgrade_event_keys.py adds them)

Children, each a fresh process measured like bench/run.py (wall time, peak RSS):

* `countylines lines DB --out OUT --json`, three times (`--repeat`; the median run counts):
  the whole command (candidates, features, score, linking, profile, writing the outputs).
  The issue's target: at least 5M events/s on 2 cores, peak RSS under 6 GB.
* `_duckdb DB`: the per-number features only (`features.find_candidates` and
  `features.number_features`), timed inside the child.
* `_pandas DB`: the same features written the straightforward way in pandas (groupby, isin,
  merge_asof), on the events exported from the same database with the load's integer number
  and handset ids and epoch seconds. The export is timed separately and left out of the
  comparison, which favours pandas. It is stopped above `--pandas-cap-mb` of RSS (default
  10 GB; it took 6.5 GB on full seed 1001), so it cannot exhaust a shared machine's memory.
  Like the DuckDB features, it counts each number's distinct callers in the load's contact
  pairs (`countylines.contact_pairs`).
* `_scan DB`: one grouped pass over the events' number ids (the floor of any per-number count).
* `_pairs DB`: what the load spends building those contact pairs, reported beside the command
  (`with_pairs_build_s`), since the command reads them instead of counting the events itself.

Results go to bench/results/lines.json and a timestamped copy. Setting up the case (simulate
and load, minutes) is not measured.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from run import _countylines, bench_arguments, log, measure, new_report  # noqa: E402

SEED = 21
TARGET_EVENTS_PER_S = 5_000_000
TARGET_RSS_MB = 6 * 1024
DAY = 86_400
REPEAT = 3
"""Runs of the whole command: on a shared virtual machine one run's wall time varies by a
second or two (11.9 to 16.2 s for the same code in one quiet minute), so the median of three
counts, and every run's time is kept (`wall_s_runs`)."""
PANDAS_CAP_MB = 10_240
"""The pandas child is stopped above this RSS (it needed over 5.7 GB on the full scenario)."""


def child_duckdb(database: str) -> int:
    from countylines.lines import features as fx
    from countylines.lines.engine import DuckDBEngine

    s = fx.FeatureSettings()
    t0 = time.perf_counter()
    engine = DuckDBEngine(Path(database))
    n = fx.find_candidates(engine, s)
    raw = fx.number_features(engine, s)
    seconds = time.perf_counter() - t0
    events = engine.con.execute("SELECT count(*) FROM db.events").fetchone()[0]  # type: ignore[index]
    print(json.dumps({"events": events, "candidates": n, "rows": len(raw), "compute_s": seconds}))
    return 0


def child_scan(database: str) -> int:
    """The floor: one grouped pass over the events' number ids, the least any per-number
    feature costs (`lines` needs four such passes, see docs/lines.md)."""
    from countylines.lines.engine import DuckDBEngine

    con = DuckDBEngine(Path(database)).con
    t0 = time.perf_counter()
    groups = con.execute(
        "SELECT count(*) FROM (SELECT b_number_id, count(*) FROM db.events GROUP BY b_number_id)"
    ).fetchone()[0]  # type: ignore[index]
    seconds = time.perf_counter() - t0
    events = con.execute("SELECT count(*) FROM db.events").fetchone()[0]  # type: ignore[index]
    print(json.dumps({"events": events, "groups": groups, "compute_s": seconds}))
    return 0


def child_pairs(database: str) -> int:
    """What the load spends on the contact pairs that `lines` reads (`countylines.contact_pairs`):
    the same aggregate of the events, built in memory and timed."""
    from countylines.contact_pairs import pairs_sql
    from countylines.lines.engine import DuckDBEngine

    con = DuckDBEngine(Path(database)).con
    t0 = time.perf_counter()
    con.execute(
        f"CREATE TEMP TABLE pairs AS {pairs_sql('db.events')} ORDER BY b_number_id, a_number_id"
    )
    seconds = time.perf_counter() - t0
    events = con.execute("SELECT count(*) FROM db.events").fetchone()[0]  # type: ignore[index]
    pairs = con.execute("SELECT count(*) FROM pairs").fetchone()[0]  # type: ignore[index]
    print(json.dumps({"events": events, "pairs": pairs, "compute_s": seconds}))
    return 0


def _export(database: str) -> tuple[Any, Any]:
    """Events with the load's integer ids for numbers and handsets and its epoch seconds, and
    the load's contact pairs (the pandas input, as the DuckDB features read them)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH ? AS db (READ_ONLY)", [database])
    events = con.execute(
        """
        SELECT epoch_s AS t, event_type = 'sms' AS sms, a_number_id AS a, b_number_id AS b,
               a_handset_id AS a_imei
        FROM db.events WHERE a_number_id IS NOT NULL AND b_number_id IS NOT NULL
        """
    ).df()
    pairs = con.execute("SELECT a_number_id AS a, b_number_id AS b FROM db.contact_pairs").df()
    return events, pairs


def _stop_above(cap_mb: float) -> None:
    """Stop this process (exit code 3, a JSON note on stdout) once its RSS exceeds `cap_mb`, so
    that the pandas child cannot take a shared machine's memory."""
    import os
    import threading

    import psutil

    me = psutil.Process()

    def watch() -> None:
        while True:
            rss_mb = me.memory_info().rss / 2**20
            if rss_mb > cap_mb:
                print(json.dumps({"stopped": f"RSS {rss_mb:.0f} MB over the cap {cap_mb:.0f} MB"}))
                sys.stdout.flush()
                os._exit(3)
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()


def child_pandas(database: str, cap_mb: str = "0") -> int:
    """The features of `features.number_features`, written the straightforward pandas way
    (stopped when its RSS exceeds `cap_mb`, when positive)."""
    import pandas as pd

    if float(cap_mb) > 0:
        _stop_above(float(cap_mb))
    t0 = time.perf_counter()
    ev, contact_pairs = _export(database)
    numbers = pd.concat([ev["a"], ev["b"]], ignore_index=True).nunique()
    export_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    sms = ev[ev["sms"]]
    windows = sms.groupby([sms["a"], sms["t"] // 600]).size()
    windows = windows[windows >= 20]
    bursts = windows.groupby(level=0).agg(["size", "max"])
    inbound = contact_pairs.groupby("b").size()
    cand = set(inbound.index[inbound >= 30]) | set(bursts.index)
    orders = ev.loc[ev["b"].isin(cand), ["a", "b", "t"]].rename(columns={"a": "c", "b": "x"})
    outs = ev.loc[ev["a"].isin(cand), ["a", "b", "t", "sms", "a_imei"]].rename(
        columns={"a": "x", "b": "y"}
    )
    in_burst = pd.MultiIndex.from_arrays([outs["x"], outs["t"] // 600]).isin(windows.index)
    plain = outs[~(in_burst & outs["sms"].to_numpy())]
    first = orders.groupby(["x", "t"], as_index=False)["c"].min().sort_values("t")
    answered = pd.merge_asof(
        plain.sort_values("t"), first.rename(columns={"t": "t0"}), left_on="t", right_on="t0",
        by="x", direction="backward", tolerance=1800,
    ).dropna(subset=["c"])  # fmt: skip
    relay = answered[answered["y"] != answered["c"]].astype({"c": "int64"})
    pairs = relay[["y", "c"]].drop_duplicates()
    backs = ev.merge(pairs, left_on=["a", "b"], right_on=["y", "c"])[["y", "c", "t"]]
    tri = pd.merge_asof(
        relay.sort_values("t"), backs.rename(columns={"t": "t2"}).sort_values("t2"),
        left_on="t", right_on="t2", by=["y", "c"], direction="forward",
    ).dropna(subset=["t2"])  # fmt: skip
    tri = tri[tri["t2"] - tri["t0"] <= 1800]
    orders["day"] = orders["t"] // DAY
    orders["night"] = (orders["t"] % DAY) < 6 * 3600
    inb = orders.groupby("x").agg(
        n_in=("c", "size"), in_distinct=("c", "nunique"), night=("night", "mean")
    )
    inb["contact_days"] = orders.drop_duplicates(["x", "c", "day"]).groupby("x").size()
    outb = outs.groupby("x").agg(n_out=("y", "size"), n_handsets=("a_imei", "nunique"))
    rel = tri.groupby("x").agg(
        n_relayed=("y", "size"), targets=("y", "nunique"), served=("c", "nunique")
    )
    features = inb.join(outb, how="outer").join(bursts, how="left").join(rel, how="left")
    compute_s = time.perf_counter() - t1
    print(
        json.dumps(
            {
                "events": len(ev),
                "candidates": len(cand),
                "rows": len(features),
                "numbers": int(numbers),
                "export_s": export_s,
                "compute_s": compute_s,
            }
        )
    )
    return 0


def ensure_case(work: Path, seed: int) -> Path:
    """A loaded full-scale case in `work` (simulated and loaded once, not measured)."""
    import subprocess

    case, loaded = work / f"lines-full-s{seed}", work / f"lines-full-s{seed}-db"
    if not (loaded / "case.duckdb").exists():
        if not case.exists():
            log(f"simulating full seed {seed} (not measured) ...")
            subprocess.run([*_countylines(), "simulate", str(case), "--scale", "full",
                            "--seed", str(seed), "--quiet"], check=True)  # fmt: skip
        log("loading it (not measured, ~10 min) ...")
        subprocess.run([*_countylines(), "load", str(case), "--out", str(loaded), "--quiet"],
                       check=True)  # fmt: skip
    return loaded / "case.duckdb"


def _keyed(database: Path) -> bool:
    """Whether the loaded case `database` has every id, `epoch_s`, `is_sms` and the contact
    pairs a load now adds (else the command would time building them, and the pandas export
    would fail)."""
    from countylines.attached_case import attach_case, case_tables
    from countylines.contact_pairs import TABLE
    from countylines.lines.engine import is_keyed

    con = attach_case(database)
    try:
        columns = [r[0] for r in con.execute("DESCRIBE db.events").fetchall()]
        tables = case_tables(con)
        return is_keyed(tables, columns) and TABLE in tables
    finally:
        con.close()


def _child(kind: str, database: Path, label: str, *extra: str) -> dict[str, Any]:
    m = measure([sys.executable, str(HERE / "lines.py"), kind, str(database), *extra], label)
    m["ok"] = m["exit_code"] == 0 and isinstance(m.get("output"), dict)
    return m


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    children = {
        "_duckdb": child_duckdb,
        "_pandas": child_pandas,
        "_scan": child_scan,
        "_pairs": child_pairs,
    }
    if argv and argv[0] in children:
        return children[argv[0]](*argv[1:])
    p = bench_arguments("Benchmark countylines lines.", SEED)
    p.add_argument("--database", type=Path,
                   help="a loaded case.duckdb (with the load's ids) to reuse")  # fmt: skip
    p.add_argument("--pandas-cap-mb", type=float, default=PANDAS_CAP_MB,
                   help="stop the pandas child above this RSS (0: no cap)")  # fmt: skip
    p.add_argument(
        "--repeat",
        type=int,
        default=REPEAT,
        help=f"runs of the whole command, the median counts (default {REPEAT})",
    )
    a = p.parse_args(argv)
    run.QUIET_WAIT_S = a.quiet_wait
    started, report = new_report("lines", {"seed": a.seed}, a.work, a.results)
    database = a.database or ensure_case(a.work, a.seed)
    if not _keyed(database):
        log(f"{database} lacks the load's integer ids, epoch_s, is_sms or contact pairs (loaded "
            f"by an older version): upgrade it first with tools/upgrade_event_keys.py")  # fmt: skip
        return 2
    report["settings"]["database"] = str(database)
    out = a.work / "lines-out"
    log(f"countylines lines ({a.repeat} runs) ...")
    runs = sorted(
        (
            measure(
                [*_countylines(), "lines", str(database), "--out", str(out), "--json"],
                "countylines lines (whole command)",
            )
            for _ in range(a.repeat)
        ),
        key=lambda r: float(r["wall_s"]),
    )
    m = runs[len(runs) // 2]
    m["wall_s_runs"] = [r["wall_s"] for r in runs]
    m["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    log("features in DuckDB ...")
    duck = _child("_duckdb", database, "features only, DuckDB")
    log("features in pandas ...")
    pand = _child(
        "_pandas", database, "features only, pandas (export not timed)", str(a.pandas_cap_mb)
    )
    log("one grouped pass over the events ...")
    scan = _child("_scan", database, "one GROUP BY b_number_id over the events (the floor)")
    log("the load's contact pairs ...")
    pairs = _child("_pairs", database, "building the contact pairs the load stores")
    events = int(duck["output"]["events"]) if duck["ok"] else 0
    m["ok"] = all(r["exit_code"] == 0 for r in runs)
    m["events"] = events
    m["events_per_s"] = round(events / m["wall_s"]) if m["wall_s"] else None
    if pairs["ok"] and m["wall_s"]:
        with_pairs = m["wall_s"] + pairs["output"]["compute_s"]
        m["with_pairs_build_s"] = round(with_pairs, 3)
        m["with_pairs_build_events_per_s"] = round(events / with_pairs)
    for child in (duck, pand, scan, pairs):
        if child["ok"]:
            child["events_per_s"] = round(events / child["output"]["compute_s"])
    report["runs"] = {
        "lines": m,
        "features_duckdb": duck,
        "features_pandas": pand,
        "one_pass": scan,
        "contact_pairs_build": pairs,
    }
    report["ratios"] = {
        "duckdb_vs_pandas_features": (
            round(duck["events_per_s"] / pand["events_per_s"], 2)
            if duck.get("events_per_s") and pand.get("events_per_s")
            else None
        ),
        "lines_in_passes": (
            round(m["wall_s"] / scan["output"]["compute_s"], 1) if scan["ok"] else None
        ),
        "meaning": "duckdb_vs_pandas_features: events/s of the DuckDB features over events/s of "
        "the same features in pandas (pandas's export from the database not counted; both "
        "count distinct callers in the load's contact pairs); "
        "lines_in_passes: the whole command's wall time in units of one grouped pass over the "
        "events; runs.lines.with_pairs_build_*: the command plus what the load spends on the "
        "contact pairs it reads (contact_pairs_build), for comparison with runs before the "
        "load stored them",
    }
    report["targets"] = {
        "events_per_s": TARGET_EVENTS_PER_S,
        "peak_rss_mb": TARGET_RSS_MB,
        "events_per_s_met": (m["events_per_s"] or 0) >= TARGET_EVENTS_PER_S,
        "peak_rss_met": m["peak_rss_mb"] < TARGET_RSS_MB,
    }
    report["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = json.dumps(report, indent=2) + "\n"
    (a.results / "lines.json").write_text(text)
    (a.results / f"lines-{started.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    log(
        f"lines: {events:,} events in {m['wall_s']:.1f} s ({m['events_per_s'] or 0:,} events/s), "
        f"peak RSS {m['peak_rss_mb']:.0f} MB; features: DuckDB "
        f"{duck.get('events_per_s') or 0:,}/s, pandas {pand.get('events_per_s') or 0:,}/s "
        f"(ratio {report['ratios']['duckdb_vs_pandas_features']})"
    )
    return 0 if all(r["ok"] for r in (m, duck, pand, scan, pairs)) else 1


if __name__ == "__main__":
    sys.exit(main())

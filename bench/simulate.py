"""Benchmark `countylines simulate` against the I/O floor of writing the same rows to Parquet.

    .venv/bin/python bench/simulate.py                  # small and full (full takes minutes)
    .venv/bin/python bench/simulate.py --quick          # tiny and small, under a minute
    .venv/bin/python bench/simulate.py --scales small,full,huge

Each scale runs `countylines simulate OUT --scale S --seed N --json` as a fresh child process
(measured like bench/run.py: wall time around the child, peak RSS from the kernel's high-water
mark through a tiny launcher, cross-checked by sampling). The baseline, measured in the same run,
is a child that writes the same number of rows encoded as the simulator's writer encodes them
(random dictionary indices into pools of the same sizes, the same event ids, Parquet options and
row groups) in one process: the cost of encoding and writing the events with no simulation.
Results go to bench/results/simulate.json and a timestamped copy. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from run import _countylines, log, measure, new_report  # noqa: E402

SEED = 11
# The goals for the simulator.
GOALS = {
    "small_events": 1_000_000,  # about a million events ...
    "small_wall_s": 30.0,  # ... in under 30 s
    "full_lines": 80,
    "full_days": 90,
    "full_min_events": 30_000_000,
    "huge_min_events": 100_000_000,
    "huge_max_rss_mb": 4096,
    "min_events_per_s": 1_000_000,
}

# ---------------------------------------------------------------------------------------------
# Baseline child: `python bench/simulate.py _baseline N OUT PHONES`
# ---------------------------------------------------------------------------------------------


def child_baseline(n: int, out: str, phones: int) -> int:
    """Write `n` rows of random events (the simulator's schema) to Parquet; time the writing.

    The rows are encoded exactly as the simulator's writer encodes them (identifier columns as
    dictionary indices into tables of the same sizes, event ids, the same Parquet options and
    row groups), so this is the cost of writing the events with no simulation at all.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from countylines.simulate.writer import (
        EVENT_SCHEMA,
        EVENT_TYPES,
        PARQUET_OPTIONS,
        event_ids,
        row_group_rows,
    )

    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    m = min(n, row_group_rows(phones))

    def pool(prefix: str, size: int, digits: int) -> pa.Array:
        draws = rng.choice(10**digits, size=size, replace=False).astype(f"U{digits}")
        return pa.array(np.char.add(prefix, np.char.zfill(draws, digits)))

    numbers = pool("+447", phones, 9)
    imeis = pool("35", phones, 13)
    imsis = pool("23415", phones, 10)
    cells = pool("C", 3_000, 6)
    texts = pa.array([f"message text number {i}" for i in range(60)])

    def pick(values: pa.Array, null_share: float = 0.0) -> pa.Array:
        idx = rng.integers(0, len(values), m).astype(np.int32)
        mask = rng.random(m) < null_share if null_share else None
        return pa.DictionaryArray.from_arrays(pa.array(idx, mask=mask), values)

    columns = {
        "start_time": pa.array(np.sort(rng.integers(1.5e9, 1.5e9 + 90 * 86_400, m))).cast(
            pa.timestamp("s", tz="UTC")
        ),
        "event_type": pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, 2, m).astype(np.int8)), pa.array(EVENT_TYPES)
        ),
        "a_number": pick(numbers),
        "b_number": pick(numbers),
        "duration_s": pa.array(rng.integers(0, 600, m), pa.int32()),
        "a_imei": pick(imeis),
        "a_imsi": pick(imsis),
        "a_cell_id": pick(cells, 0.02),
        "b_imei": pick(imeis, 0.5),
        "b_imsi": pick(imsis, 0.5),
        "b_cell_id": pick(cells, 0.02),
        "text": pick(texts, 0.9),
    }
    prepared = time.perf_counter() - t0
    t1 = time.perf_counter()
    writer = pq.ParquetWriter(out, EVENT_SCHEMA, **PARQUET_OPTIONS)
    written = 0
    while written < n:
        k = min(m, n - written)
        ids = event_ids(written + 1, k)
        part = pa.table(
            {"event_id": ids, **{name: col.slice(0, k) for name, col in columns.items()}},
            schema=EVENT_SCHEMA,
        )
        writer.write_table(part, row_group_size=k)
        written += k
    writer.close()
    write_s = time.perf_counter() - t1
    print(
        json.dumps(
            {
                "rows": written,
                "prepare_s": round(prepared, 3),
                "write_s": round(write_s, 3),
                "bytes": Path(out).stat().st_size,
            }
        )
    )
    return 0


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def run_scale(scale: str, seed: int, work: Path, log: Any) -> dict[str, Any]:
    out = work / f"sim-{scale}-s{seed}"
    shutil.rmtree(out, ignore_errors=True)
    log(f"simulate --scale {scale} ...")
    cmd = [*_countylines(), "simulate", str(out), "--scale", scale, "--seed", str(seed), "--json"]
    m = measure(cmd, f"countylines simulate --scale {scale}")
    summary = m.get("output") if isinstance(m.get("output"), dict) else {}
    events = int(summary.get("events", 0))
    m["ok"] = m["exit_code"] == 0 and events > 0
    m["events"] = events
    m["lines"] = summary.get("lines")
    m["days"] = summary.get("days")
    m["phones"] = summary.get("phones")
    m["events_per_s"] = round(events / m["wall_s"]) if m["wall_s"] else None
    if out.exists():
        m["events_parquet_mb"] = round((out / "events.parquet").stat().st_size / 2**20, 1)
        m["case_files"] = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out, ignore_errors=True)
    log(
        f"  {events:,} events in {m['wall_s']:.1f} s ({m['events_per_s'] or 0:,.0f} events/s), "
        f"peak RSS {m['peak_rss_mb']:.0f} MB"
    )
    if events:
        base_out = work / f"baseline-{scale}.parquet"
        log(f"baseline: {events:,} random rows to Parquet ...")
        b = measure(
            [
                sys.executable,
                str(HERE / "simulate.py"),
                "_baseline",
                str(events),
                str(base_out),
                str(max(int(m["phones"] or 0), 1_000)),
            ],
            "pyarrow Parquet write of the same number of rows",
        )
        base_out.unlink(missing_ok=True)
        out_b = b.get("output") if isinstance(b.get("output"), dict) else {}
        b["ok"] = b["exit_code"] == 0 and out_b.get("rows") == events
        write_s = out_b.get("write_s")
        b["write_events_per_s"] = round(events / write_s) if write_s else None
        b["events_per_s"] = round(events / b["wall_s"]) if b["wall_s"] else None
        m["baseline"] = b
        m["ratios"] = {
            "simulate_vs_write_only": (
                round(m["events_per_s"] / b["write_events_per_s"], 3)
                if b["write_events_per_s"]
                else None
            ),
            "simulate_vs_baseline_child": (
                round(m["events_per_s"] / b["events_per_s"], 3) if b["events_per_s"] else None
            ),
            "meaning": "simulator events/s divided by the events/s of writing the same number "
            "of rows to Parquet (write_only: the write loop alone; baseline_child: the whole "
            "child, including start-up and drawing one chunk of random rows). 1.0 = the "
            "simulator is as fast as its own output; 0.1 = ten times slower",
        }
        log(
            f"  write only {write_s} s ({b['write_events_per_s'] or 0:,.0f} events/s); "
            f"simulate/write = {m['ratios']['simulate_vs_write_only']}"
        )
    return m


def _peak_mb(run: dict[str, Any]) -> float:
    """Peak memory of a simulation: the larger of the biggest single process's high-water mark
    and the sampled peak of the summed proportional set sizes of its process tree (the parent
    and its day workers, with the pages they share counted once). The plain RSS sum
    (`sampled_tree_peak_rss_mb`) counts the shared world and slots once per process: an upper
    bound, reported too."""
    return max(run["peak_rss_mb"], run.get("sampled_tree_peak_pss_mb") or 0.0)


def goals(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def met(value: bool | None) -> str:
        return "not run" if value is None else ("met" if value else "NOT met")

    g: dict[str, Any] = {"targets": GOALS}
    small = runs.get("small")
    full = runs.get("full")
    huge = runs.get("huge")
    g["small_about_1M_events_under_30s"] = met(
        None
        if small is None
        else small["events"] >= 0.5 * GOALS["small_events"]
        and small["wall_s"] < GOALS["small_wall_s"]
    )
    g["full_80_lines_3_months_30M_events"] = met(
        None
        if full is None
        else full["lines"] == GOALS["full_lines"]
        and full["days"] == GOALS["full_days"]
        and full["events"] >= GOALS["full_min_events"]
    )
    g["huge_100M_events_under_4GB"] = met(
        None
        if huge is None
        else huge["events"] >= GOALS["huge_min_events"]
        and _peak_mb(huge) < GOALS["huge_max_rss_mb"]
    )
    largest = max(runs.values(), key=lambda r: r["events"]) if runs else None
    g["at_least_1M_events_per_s"] = met(
        None if largest is None else (largest["events_per_s"] or 0) >= GOALS["min_events_per_s"]
    )
    if largest is not None:
        g["events_per_s_at_largest_scale"] = largest["events_per_s"]
    return g


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = ["", "countylines simulate benchmark", ""]
    lines.append(
        f"{'scale':<7}{'events':>14}{'wall s':>9}{'events/s':>12}{'peak RSS MB':>13}"
        f"{'tree RSS MB':>13}{'tree PSS MB':>13}{'write-only s':>14}{'sim/write':>11}"
    )
    for scale, r in report["runs"].items():
        b = r.get("baseline", {})
        write_s = (b.get("output") or {}).get("write_s") if isinstance(b, dict) else None
        lines.append(
            f"{scale:<7}{r['events']:>14,}{r['wall_s']:>9.1f}{r['events_per_s'] or 0:>12,}"
            f"{r['peak_rss_mb']:>13.0f}{r.get('sampled_tree_peak_rss_mb') or 0:>13.0f}"
            f"{r.get('sampled_tree_peak_pss_mb') or 0:>13.0f}"
            f"{write_s if write_s is not None else '-':>14}"
            f"{r.get('ratios', {}).get('simulate_vs_write_only', '-'):>11}"
        )
    lines.append("")
    for k, v in report["goals"].items():
        if k not in ("targets", "events_per_s_at_largest_scale"):
            lines.append(f"  {k}: {v}")
    busy = [s for s, r in report["runs"].items() if r.get("other_processes_cpu_share", 0) > 0.1]
    if busy:
        lines.append(f"  warning: the machine was busy during {busy}; wall times are inflated")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_baseline":
        return child_baseline(int(argv[1]), argv[2], int(argv[3]))
    p = argparse.ArgumentParser(description="Benchmark countylines simulate.")
    p.add_argument(
        "--scales", default="small,full", help="comma-separated scales (default small,full)"
    )
    p.add_argument("--quick", action="store_true", help="tiny and small only")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--work", type=Path, default=HERE / "work")
    p.add_argument("--results", type=Path, default=HERE / "results")
    a = p.parse_args(argv)
    scales = ["tiny", "small"] if a.quick else [s.strip() for s in a.scales.split(",") if s]
    unknown = [s for s in scales if s not in ("tiny", "small", "full", "huge")]
    if unknown:
        p.error(f"unknown scale {unknown[0]!r}")
    started, report = new_report("simulate", {"seed": a.seed, "scales": scales}, a.work, a.results)
    report["startup"] = measure([*_countylines(), "--version"], "countylines --version")
    report["runs"] = {}
    stamped = a.results / f"simulate-{started.strftime('%Y%m%d-%H%M%S')}.json"
    for scale in scales:
        report["runs"][scale] = run_scale(scale, a.seed, a.work, log)
        report["goals"] = goals(report["runs"])
        report["all_ok"] = all(
            r["ok"] and r.get("baseline", {}).get("ok", False) for r in report["runs"].values()
        )
        report["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        report["complete"] = scale == scales[-1]
        text = json.dumps(report, indent=2)  # after every scale: a long run can be stopped
        (a.results / "simulate.json").write_text(text + "\n")
        stamped.write_text(text + "\n")
    print("\n".join(summary_lines(report)))
    print(f"wrote {a.results / 'simulate.json'} and {stamped.name}")
    return 0 if report["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

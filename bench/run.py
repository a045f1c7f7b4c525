"""Benchmark `countylines validate` and `countylines load` against a plain DuckDB CSV ingest.

    .venv/bin/python bench/run.py                 # 10M events (plus 1M for RSS scaling)
    .venv/bin/python bench/run.py --quick         # 200k events (plus 20k)
    .venv/bin/python bench/run.py --events 50000000

Each measurement runs in its own child process; wall time is measured around the child and peak
RSS is the kernel's high-water mark for that child (`ru_maxrss` from wait4), cross-checked by
sampling the RSS of the child's process tree with psutil. Results go to
bench/results/validate_load.json and a timestamped copy. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEMORY_LIMIT = "2GB"  # same as countylines.database.MEMORY_LIMIT
BASELINE_THREADS = 2
TARGET_EVENTS = 50_000_000
TARGET_RSS_MB = 4096
QUICK_EVENTS = 200_000
DEFAULT_EVENTS = 10_000_000

# ---------------------------------------------------------------------------------------------
# Child processes (run as `python bench/run.py _baseline ...` / `_phases ...`)
# ---------------------------------------------------------------------------------------------


def child_baseline(csv_path: str, db_path: str) -> int:
    """Raw ingest: every column as text into a new DuckDB file, no checks, same memory limit."""
    import duckdb

    spill = db_path + ".spill"
    con = duckdb.connect(db_path)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET threads = {BASELINE_THREADS}")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?, all_varchar = true)", [csv_path])
    rows = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    con.execute("CHECKPOINT")
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    print(json.dumps({"rows": rows}))
    return 0


class _TimedConnection:
    """Wraps a DuckDB connection and adds each statement's time to a phase of the build."""

    def __init__(self, con: Any, phases: dict[str, float], current: dict[str, str]) -> None:
        self._con = con
        self._phases = phases
        self._current = current

    def _phase(self, sql: str) -> str:
        s = " ".join(sql.split())
        table = self._current.get("table", "?")
        created = re.match(r"CREATE (?:OR REPLACE )?(?:TEMP |TEMPORARY )?TABLE (\S+) AS (.*)", s)
        if created:
            target, body = created.group(1).replace('"', ""), created.group(2)
            if "raw_" in target:
                return f"{table}: {STAGING}"
            if "typed_" in target:
                return f"{table}: parse raw text to typed values (one pass)"
            if "source_row" in body:
                return f"{table}: store typed table in the database file"
        if s.startswith("INSERT INTO") and "raw_" in s.split(" ", 3)[2]:
            return f"{table}: {STAGING}"
        if s.startswith("CREATE") and "raw_" in s.split(" (", 1)[0]:
            return f"{table}: {STAGING}"
        if "FILTER (WHERE" in s:
            return f"{table}: row-check query (all checks, one scan)"
        if s.startswith("DROP TABLE"):
            return f"{table}: drop staging tables"
        if "ANTI JOIN" in s:
            return "links: reference checks"
        if "HAVING count(*) > 1" in s:
            return "links: key uniqueness checks"
        if s.startswith("CHECKPOINT"):
            return "checkpoint"
        if "_case_" in s:
            return "metadata tables"
        if "MACRO" in s or s.startswith(("SET ", "ATTACH ")):
            return "connect + macros"
        return "other sql: " + s[:60]

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        # DuckDB finds Arrow objects named in the SQL among the *calling* frame's variables
        # (replacement scans); this wrapper is the calling frame now, so register them.
        import pyarrow as pa

        caller = sys._getframe(1).f_locals
        arrow = (pa.RecordBatchReader, pa.Table, pa.RecordBatch)
        names = [
            n
            for n, v in caller.items()
            if isinstance(v, arrow) and re.search(rf"\b{re.escape(n)}\b", sql)
        ]
        for n in names:
            self._con.register(n, caller[n])
        t0 = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            k = self._phase(sql)
            self._phases[k] = self._phases.get(k, 0.0) + time.perf_counter() - t0
            for n in names:
                self._con.unregister(n)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


STAGING = "staging statement (arrow parse + python glue + duckdb insert)"
ARROW = "arrow CSV parse (inside staging)"


def child_phases(case: str, out: str) -> int:
    """Run `load_case` in-process with timers around each phase; print the breakdown as JSON.

    Only this child process is patched: `countylines.database.connect` returns a connection
    wrapper that times every statement, and `countylines.reader.pa_csv.open_csv` returns a reader
    that times each Arrow batch. Nothing on disk changes.
    """
    import types

    import pyarrow.csv as real_csv

    from countylines import database, reader

    phases: dict[str, float] = {}
    current: dict[str, str] = {}

    def add(k: str, s: float) -> None:
        phases[k] = phases.get(k, 0.0) + s

    real_connect = database.connect

    def connect(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        con = real_connect(*a, **k)
        add("connect + macros", time.perf_counter() - t0)
        return _TimedConnection(con, phases, current)

    class _TimedReader:
        def __init__(self, r: Any) -> None:
            self._r = r

        def __iter__(self) -> _TimedReader:
            return self

        def __next__(self) -> Any:
            t0 = time.perf_counter()
            try:
                return next(self._r)
            finally:
                add(f"{current.get('table', '?')}: {ARROW}", time.perf_counter() - t0)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._r, name)

    def open_csv(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        r = real_csv.open_csv(*a, **k)
        add(f"{current.get('table', '?')}: {ARROW}", time.perf_counter() - t0)
        return _TimedReader(r)

    shim = types.ModuleType("pyarrow.csv")
    shim.__dict__.update(real_csv.__dict__)
    shim.open_csv = open_csv  # type: ignore[attr-defined]
    reader.pa_csv = shim

    real_stage = database.stage_table

    def stage_table(con: Any, tf: Any, table: Any, *a: Any, **k: Any) -> Any:
        current["table"] = table.name
        return real_stage(con, tf, table, *a, **k)

    database.connect = connect
    database.stage_table = stage_table

    t0 = time.perf_counter()
    result, _ = database.load_case(Path(case), Path(out))
    total = time.perf_counter() - t0
    # The staging statement pulls Arrow batches from a Python generator: split it into the Arrow
    # parse and the rest (DuckDB's insert plus the generator's Python work).
    for k in [k for k in phases if k.endswith(STAGING)]:
        table = k.split(":", 1)[0]
        arrow = phases.get(f"{table}: {ARROW}", 0.0)
        if arrow <= phases[k]:
            phases[f"{table}: duckdb insert + python glue (inside staging)"] = phases.pop(k) - arrow
    phases["python outside SQL (files, areas, bookkeeping)"] = max(total - sum(phases.values()), 0)
    print(
        json.dumps(
            {
                "ok": result.ok,
                "errors": result.log.n_errors,
                "rows": result.rows,
                "total_s": total,
                "phases_s": phases,
            }
        )
    )
    return 0


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

# A tiny launcher runs each measured command: peak RSS comes from its RUSAGE_CHILDREN. Linux
# carries a process's high-water RSS across fork and exec, so measuring a child of this (large)
# process directly would report at least this process's own peak; the launcher's is ~10 MB.
LAUNCHER = r"""
import json, resource, subprocess, sys, time
argv = json.loads(sys.argv[1])
t0 = time.perf_counter()
code = subprocess.call(argv)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[2], "w") as fh:
    json.dump({"exit_code": code, "wall_s": wall, "ru_maxrss": ru.ru_maxrss,
               "utime": ru.ru_utime, "stime": ru.ru_stime}, fh)
"""


def _ru_maxrss_mb(ru_maxrss: int) -> float:
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


QUIET_WAIT_S = 60.0  # set from --quiet-wait


def wait_for_quiet(max_s: float, threshold: float = 15.0) -> float:
    """Wait (up to `max_s`) until the machine's CPU use falls under `threshold` percent.

    Other work on the machine (tests, simulations) inflates wall times; returns seconds waited.
    """
    import psutil

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_s:
        if psutil.cpu_percent(interval=2.0) < threshold:
            break
    return round(time.perf_counter() - t0, 1)


def _disk_bytes(patterns: list[str]) -> int:
    """Bytes in the files matching any glob pattern (folders counted recursively)."""
    import glob

    total = 0
    for pattern in patterns:
        for hit in glob.glob(pattern):
            with contextlib.suppress(OSError):
                total += _dir_bytes(Path(hit))
    return total


def measure(
    cmd: list[str], label: str, disk: list[str] | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run `cmd` as a fresh child; wall time, exit code, peak RSS (kernel and sampled), stdout.

    `disk`: glob patterns of the files and folders the command writes (database, spill); their
    total size is sampled about once a second and the peak is reported as `peak_disk_mb`.
    """
    import psutil

    waited = wait_for_quiet(QUIET_WAIT_S) if QUIET_WAIT_S > 0 else 0.0
    load_before = os.getloadavg()[0]
    cpu_before = psutil.cpu_times()
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="bench-usage-") as tmp,
    ):
        usage_file = Path(tmp) / "usage.json"
        stop = threading.Event()
        sampled = {"peak": 0, "pss": 0, "samples": 0, "disk": 0}
        disk_before = _disk_bytes(disk) if disk else 0
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(cmd), str(usage_file)]
        proc = subprocess.Popen(
            launcher,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )

        def sample() -> None:
            try:
                p = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not stop.is_set():
                total = 0
                try:
                    tree = p.children(recursive=True)  # the command's tree, not the launcher
                except psutil.NoSuchProcess:
                    return
                for q in tree:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        total += q.memory_info().rss
                sampled["peak"] = max(sampled["peak"], total)
                if len(tree) > 1 and sampled["samples"] % 10 == 0:  # PSS: shared pages split
                    pss = 0
                    for q in tree:
                        with contextlib.suppress(psutil.Error):
                            pss += q.memory_full_info().pss
                    sampled["pss"] = max(sampled["pss"], pss)
                sampled["samples"] += 1
                if disk and sampled["samples"] % 20 == 1:
                    sampled["disk"] = max(sampled["disk"], _disk_bytes(disk) - disk_before)
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        cpu_after = psutil.cpu_times()
        stop.set()
        sampler.join()
        if disk:  # files left at the end (a short run may finish between samples)
            sampled["disk"] = max(sampled["disk"], _disk_bytes(disk) - disk_before)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        usage = json.loads(usage_file.read_text()) if usage_file.exists() else None
    if usage is None:
        raise RuntimeError(f"the launcher failed for {label}: {stderr[-2000:]}")
    wall = usage["wall_s"]
    cpu = usage["utime"] + usage["stime"]
    result = {
        "command": label,
        "argv": [str(c) for c in cmd],
        "exit_code": usage["exit_code"],
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(_ru_maxrss_mb(usage["ru_maxrss"]), 1),
        "sampled_tree_peak_rss_mb": round(sampled["peak"] / 2**20, 1),
        # several processes (simulate's day workers): the sum of their proportional set sizes,
        # which counts pages they share once (the RSS sum counts them in every process)
        "sampled_tree_peak_pss_mb": round(sampled["pss"] / 2**20, 1) if sampled["pss"] else None,
        "rss_samples": sampled["samples"],
        "peak_disk_mb": round(sampled["disk"] / 2**20, 1) if disk else None,
        "user_cpu_s": round(usage["utime"], 2),
        "system_cpu_s": round(usage["stime"], 2),
        "other_processes_cpu_share": _other_cpu_share(cpu_before, cpu_after, cpu, wall),
        "waited_for_quiet_s": waited,
        "loadavg_1min_before": round(load_before, 2),
        "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }
    try:
        result["output"] = json.loads(stdout)
    except json.JSONDecodeError:
        result["stdout_tail"] = stdout[-2000:]
    if usage["exit_code"] != 0:
        result["stderr_tail"] = stderr[-4000:]
    return result


def _other_cpu_share(before: Any, after: Any, child_cpu_s: float, wall: float) -> float:
    """Share of the machine's CPU time used by processes other than the measured child.

    Above ~0.1 the machine was not quiet (for example tests running in parallel) and wall times
    are inflated; the child's own CPU seconds (user_cpu_s + system_cpu_s) are affected less.
    """

    def busy(t: Any) -> float:
        # guest time is already inside user/nice on Linux; steal is CPU taken by the host
        fields = ("user", "nice", "system", "irq", "softirq", "steal")
        return sum(getattr(t, f, 0.0) for f in fields)

    ncpu = os.cpu_count() or 1
    other = busy(after) - busy(before) - child_cpu_s
    return round(max(other, 0.0) / (wall * ncpu), 3) if wall > 0 else 0.0


def ensure_case(work: Path, n: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """Generate (or reuse) the case of `n` events, in a child so this process stays small."""
    cmd = [sys.executable, str(HERE / "make_events.py"), str(work), "--events", str(n)]
    done = subprocess.run(
        [*cmd, "--seed", str(seed), "--cache"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"generating {n} events failed:\n{done.stderr[-3000:]}")
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    return Path(facts["case"]), facts


def _countylines() -> list[str]:
    script = Path(sys.executable).with_name("countylines")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from countylines.cli import app; app()"]


def _warm(path: Path) -> None:
    """Read a file once so every measurement starts with it in the page cache."""
    with open(path, "rb") as fh:
        while fh.read(16 << 20):
            pass


def _dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_size(case: Path, n: int, work: Path, keep_db: bool, log: Any) -> dict[str, dict[str, Any]]:
    """Baseline, validate and load on one case; each a fresh child process."""
    events_csv = case / "events.csv"
    _warm(events_csv)
    res: dict[str, dict[str, Any]] = {}

    base_db = work / f"baseline-{n}.duckdb"
    for p in (base_db, base_db.with_name(base_db.name + ".wal")):
        p.unlink(missing_ok=True)
    log(f"  baseline  (DuckDB read_csv all_varchar -> table), {n:,} events ...")
    m = measure(
        [sys.executable, str(HERE / "run.py"), "_baseline", str(events_csv), str(base_db)],
        "baseline: duckdb CREATE TABLE AS read_csv(all_varchar)",
        disk=[f"{base_db}*"],
    )
    m["db_bytes"] = base_db.stat().st_size if base_db.exists() else None
    if not keep_db:
        base_db.unlink(missing_ok=True)
    res["baseline"] = m

    log(f"  validate  (countylines validate), {n:,} events ...")
    # A private TMPDIR, so the size of validate's temporary folder (spill) can be watched.
    tmp_dir = work / f"validate-tmp-{n}"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    res["validate"] = measure(
        [*_countylines(), "validate", str(case), "--json"],
        "countylines validate",
        disk=[str(tmp_dir)],
        env={"TMPDIR": str(tmp_dir)},
    )
    shutil.rmtree(tmp_dir, ignore_errors=True)

    out_dir = work / f"load-out-{n}"
    shutil.rmtree(out_dir, ignore_errors=True)
    log(f"  load      (countylines load --out), {n:,} events ...")
    m = measure(
        [*_countylines(), "load", str(case), "--out", str(out_dir), "--json"],
        "countylines load",
        disk=[str(out_dir)],
    )
    m["db_bytes"] = _dir_bytes(out_dir) if out_dir.exists() else None
    if not keep_db:
        shutil.rmtree(out_dir, ignore_errors=True)
    res["load"] = m

    for name, m in res.items():
        m["events"] = n
        m["events_per_s"] = round(n / m["wall_s"]) if m["wall_s"] > 0 else None
        out = m.get("output", {})
        if name == "baseline":
            m["ok"] = m["exit_code"] == 0 and out.get("rows") == n
        else:
            m["ok"] = (
                m["exit_code"] == 0
                and out.get("errors") == 0
                and out.get("rows", {}).get("events") == n
            )
            # The JSON report lists every problem group; keep the counts, drop the bulk.
            if isinstance(out, dict):
                m["output"] = {k: out.get(k) for k in ("ok", "rows", "errors", "warnings")}
        if not m["ok"]:
            log(
                f"  !! {name} did not succeed cleanly (exit {m['exit_code']}): "
                f"{m.get('stderr_tail', m.get('stdout_tail', ''))[-600:]}"
            )
    return res


# ---------------------------------------------------------------------------------------------
# Facts and report
# ---------------------------------------------------------------------------------------------


def bench_arguments(description: str, seed: int) -> argparse.ArgumentParser:
    """The options every benchmark script shares: --seed, --work, --results, --quiet-wait."""
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=seed)
    p.add_argument("--work", type=Path, default=here / "work")
    p.add_argument("--results", type=Path, default=here / "results")
    p.add_argument("--quiet-wait", type=float, default=QUIET_WAIT_S,
                   help="seconds to wait for a quiet machine before each child")  # fmt: skip
    return p


def log(msg: str) -> None:
    """Progress for the person running the benchmark (stderr, so stdout stays clean)."""
    print(msg, file=sys.stderr, flush=True)


def new_report(
    benchmark: str, settings: dict[str, Any], work: Path, results: Path
) -> tuple[dt.datetime, dict[str, Any]]:
    """Create the work and results folders; the start time and the report's common header."""
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    return started, {
        "benchmark": benchmark,
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "git": git_facts(),
        "settings": {**settings, "countylines_cli": " ".join(_countylines())},
    }


def machine_facts() -> dict[str, Any]:
    import duckdb
    import numpy
    import psutil
    import pyarrow

    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        cl_version = version("countylines")
    except Exception:
        cl_version = None
    duck_threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
    return {
        "cpu_count_logical": os.cpu_count(),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "cpu_model": cpu_model,
        "total_ram_mb": round(psutil.virtual_memory().total / 2**20),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "duckdb_default_threads": duck_threads,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
        "countylines": cl_version,
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2),
    }


def git_facts() -> dict[str, Any]:
    def git(*a: str) -> str | None:
        try:
            return subprocess.run(
                ["git", *a], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    status = git("status", "--porcelain", "--", "src")
    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(status) if status is not None else None,
    }


def ratios(res: dict[str, dict[str, Any]]) -> dict[str, Any]:
    b = res["baseline"]["events_per_s"]

    def cpu(k: str) -> float:
        return float(res[k]["user_cpu_s"] + res[k]["system_cpu_s"])

    return {
        "validate_vs_baseline_cpu": round(cpu("baseline") / cpu("validate"), 3),
        "load_vs_baseline_cpu": round(cpu("baseline") / cpu("load"), 3),
        "cpu_meaning": "baseline CPU seconds divided by countylines CPU seconds; less affected "
        "than the wall-time ratios by other work on the machine",
        "validate_vs_baseline": round(res["validate"]["events_per_s"] / b, 3) if b else None,
        "load_vs_baseline": round(res["load"]["events_per_s"] / b, 3) if b else None,
        "meaning": "countylines events/s divided by baseline events/s; 1.0 = as fast as a raw "
        "DuckDB ingest of the text, 0.25 = four times slower",
    }


def target_check(
    main_n: int, main: dict[str, Any], small_n: int | None, small: dict[str, Any] | None
) -> dict[str, Any]:
    rss = main["load"]["peak_rss_mb"]
    t: dict[str, Any] = {
        "goal": f"{TARGET_EVENTS // 1_000_000}M events load in under "
        f"{TARGET_RSS_MB // 1024} GB peak RSS",
        "limit_mb": TARGET_RSS_MB,
        "events_measured": main_n,
        "load_peak_rss_mb": rss,
        "validate_peak_rss_mb": main["validate"]["peak_rss_mb"],
        "load_under_limit_at_measured_n": rss < TARGET_RSS_MB,
        "validate_under_limit_at_measured_n": main["validate"]["peak_rss_mb"] < TARGET_RSS_MB,
    }
    if small is not None and small_n:
        s_rss = small["load"]["peak_rss_mb"]
        slope = (rss - s_rss) / (main_n - small_n) * 1_000_000
        est = rss + slope * (TARGET_EVENTS - main_n) / 1_000_000
        reliable = small_n >= 1_000_000
        t.update(
            {
                "events_small": small_n,
                "load_peak_rss_mb_small": s_rss,
                "validate_peak_rss_mb_small": small["validate"]["peak_rss_mb"],
                "load_rss_growth_mb_per_million_events": round(slope, 1),
                "load_rss_ratio_main_over_small": round(rss / s_rss, 2) if s_rss else None,
                "extrapolated_load_rss_mb_at_target": round(est, 0),
                "extrapolated_under_limit": est < TARGET_RSS_MB,
                "extrapolation_reliable": reliable,
                "note": "linear extrapolation from two sizes; a streaming load should show ~0 MB "
                "per million events. Unreliable when the small size is under 1M events (start-up "
                "memory dominates). Only a real run at the target size proves the goal.",
            }
        )
        limit_mb = _size_mb(MEMORY_LIMIT)
        t["duckdb_memory_limit_mb"] = limit_mb
        t["main_rss_at_or_above_duckdb_limit"] = rss >= 0.9 * limit_mb
        if t["main_rss_at_or_above_duckdb_limit"]:
            t["note"] += (
                f" The RSS at {main_n:,} events is already at DuckDB's memory_limit "
                f"({MEMORY_LIMIT}); if DuckDB spills beyond it, growth stops there and the "
                "extrapolation is an upper bound. Allocations outside the buffer pool (Arrow, "
                "Python, DuckDB's non-pool memory) are not capped."
            )
    if main_n >= TARGET_EVENTS:
        t["verdict"] = "MET" if rss < TARGET_RSS_MB else "NOT MET"
    else:
        if "extrapolated_under_limit" not in t:
            t["verdict"] = "not measured at target size"
        elif not t["extrapolation_reliable"]:
            t["verdict"] = "unknown (sizes too small to extrapolate; run without --quick)"
        else:
            t["verdict"] = (
                "likely met (extrapolated)"
                if t["extrapolated_under_limit"]
                else "unproven: RSS grows with N up to the DuckDB memory limit; run at the "
                "target size"
                if t["main_rss_at_or_above_duckdb_limit"]
                else "at risk (extrapolated)"
            )
    return t


def _size_mb(text: str) -> float:
    """'2GB' -> 2048.0 (DuckDB's memory_limit units are powers of 1024)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]i?B)\s*", text, re.IGNORECASE)
    if not m:
        return float("nan")
    power = {"K": -1, "M": 0, "G": 1, "T": 2}[m.group(2)[0].upper()]
    return float(m.group(1)) * 1024.0**power


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    busy = [
        f"{r['events']:,} {k}"
        for r in report["runs"]
        for k in ("baseline", "validate", "load")
        if r[k]["other_processes_cpu_share"] > 0.1
    ]
    if busy:
        lines.append(
            "WARNING: the machine was busy with other work during: "
            + ", ".join(busy)
            + " (other_processes_cpu_share > 0.1 in the JSON); wall times are inflated, "
            "CPU seconds less so"
        )
    st = report.get("startup", {})
    if st:
        lines.append(
            f"start-up floor: countylines {st['countylines']['wall_s']:.1f} s / "
            f"{st['countylines']['peak_rss_mb']:.0f} MB; python+duckdb "
            f"{st['baseline']['wall_s']:.1f} s / {st['baseline']['peak_rss_mb']:.0f} MB"
        )
    for run in report["runs"]:
        n = run["events"]
        lines.append(f"{n:,} events ({run['events_csv_mb']:.0f} MB events.csv):")
        for name in ("baseline", "validate", "load"):
            m = run[name]
            flag = "" if m["ok"] else "   FAILED"
            cpu = m["user_cpu_s"] + m["system_cpu_s"]
            lines.append(
                f"  {name:<9} {m['wall_s']:8.1f} s  {m['events_per_s']:>10,} events/s  "
                f"peak RSS {m['peak_rss_mb']:7.0f} MB  CPU {cpu:7.1f} s  "
                f"disk {m.get('peak_disk_mb') or 0:6.0f} MB{flag}"
            )
        r = run["ratios"]
        lines.append(
            f"  ratio to baseline (events/s): validate {r['validate_vs_baseline']:.2f}, "
            f"load {r['load_vs_baseline']:.2f}; by CPU seconds: validate "
            f"{r['validate_vs_baseline_cpu']:.2f}, load {r['load_vs_baseline_cpu']:.2f}"
        )
    t = report["target"]
    lines.append(
        f"target: {t['goal']}: load peak RSS {t['load_peak_rss_mb']:.0f} MB at "
        f"{t['events_measured']:,} events "
        f"({'under' if t['load_under_limit_at_measured_n'] else 'OVER'} {t['limit_mb']} MB)"
    )
    if "extrapolated_load_rss_mb_at_target" in t:
        lines.append(
            f"  RSS growth {t['load_rss_growth_mb_per_million_events']:+.1f} MB per million "
            f"events; extrapolated at {TARGET_EVENTS:,}: "
            f"{t['extrapolated_load_rss_mb_at_target']:.0f} MB"
            f" -> {t['verdict']}"
        )
    if report.get("phases"):
        ph = report["phases"]
        lines.append(
            f"phases of an in-process load at {ph['events']:,} events "
            f"(total {ph['total_s']:.1f} s), largest first:"
        )
        for k, v in list(ph["phases_s"].items())[:8]:
            lines.append(f"  {v:7.2f} s  {100 * v / ph['total_s']:4.0f}%  {k}")
    return lines


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    global QUIET_WAIT_S
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_baseline":
        return child_baseline(*argv[1:3])
    if argv and argv[0] == "_phases":
        return child_phases(*argv[1:3])

    p = argparse.ArgumentParser(
        description="Benchmark countylines validate/load against a raw DuckDB ingest."
    )
    p.add_argument(
        "--events",
        type=int,
        default=None,
        help=f"events in the main case (default {DEFAULT_EVENTS:,})",
    )
    p.add_argument("--quick", action="store_true", help=f"main case of {QUICK_EVENTS:,} events")
    p.add_argument(
        "--rss-events",
        type=int,
        default=None,
        help="second, smaller case to see whether RSS grows with N (default N/10; 0 = skip)",
    )
    p.add_argument(
        "--phases",
        choices=("small", "main", "none"),
        default="small",
        help="which case to time phase by phase in-process (default: the small one)",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=QUIET_WAIT_S,
        help="before each measurement wait up to this many seconds for other CPU use to stop",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--work", type=Path, default=HERE / "work", help="cache of generated cases and outputs"
    )
    p.add_argument("--results", type=Path, default=HERE / "results")
    p.add_argument(
        "--keep-db", action="store_true", help="keep the databases written by load and baseline"
    )
    a = p.parse_args(argv)
    QUIET_WAIT_S = a.quiet_wait

    n = a.events if a.events is not None else (QUICK_EVENTS if a.quick else DEFAULT_EVENTS)
    small_n = a.rss_events if a.rss_events is not None else n // 10
    if small_n >= n:
        small_n = 0
    started, report = new_report(
        "validate_load",
        {"memory_limit": MEMORY_LIMIT, "baseline_threads": BASELINE_THREADS, "seed": a.seed},
        a.work,
        a.results,
    )
    report["runs"] = []
    log("startup (RSS and time floor of each child, no data) ...")
    report["startup"] = {
        "countylines": measure([*_countylines(), "--version"], "countylines --version"),
        "baseline": measure(
            [sys.executable, "-c", "import duckdb; duckdb.connect().execute('SELECT 1')"],
            "python -c 'import duckdb'",
        ),
        "note": "fixed cost included in every measurement of that kind (interpreter, imports)",
    }
    sizes = [n] + ([small_n] if small_n else [])
    results: dict[int, dict[str, Any]] = {}
    for size in sizes:
        log(f"case of {size:,} events:")
        t0 = time.perf_counter()
        case, facts = ensure_case(a.work, size, a.seed)
        log(
            f"  generated in {facts['seconds']} s"
            + (" (cached)" if facts.get("cached") else "")
            + f" -> {case}"
        )
        res = run_size(case, size, a.work, a.keep_db, log)
        results[size] = res
        report["runs"].append(
            {
                "events": size,
                "role": "main" if size == n else "rss_scaling",
                "case": str(case),
                "events_csv_mb": round(int(facts["events_csv_bytes"]) / 2**20, 1),
                "generator": {k: facts[k] for k in ("seconds", "cached", "generator_version")},
                **res,
                "ratios": ratios(res),
                "elapsed_s": round(time.perf_counter() - t0, 1),
            }
        )
    report["target"] = target_check(n, results[n], small_n or None, results.get(small_n))
    main_run = report["runs"][0]
    report["summary"] = {
        "events": n,
        "baseline_events_per_s": main_run["baseline"]["events_per_s"],
        "validate_events_per_s": main_run["validate"]["events_per_s"],
        "load_events_per_s": main_run["load"]["events_per_s"],
        "validate_vs_baseline": main_run["ratios"]["validate_vs_baseline"],
        "load_vs_baseline": main_run["ratios"]["load_vs_baseline"],
        "peak_rss_mb": {
            str(r["events"]): {k: r[k]["peak_rss_mb"] for k in ("baseline", "validate", "load")}
            for r in report["runs"]
        },
        "all_ok": all(r[k]["ok"] for r in report["runs"] for k in ("baseline", "validate", "load")),
    }

    phase_n = {"small": small_n or n, "main": n, "none": 0}[a.phases]
    if phase_n:
        case, _ = ensure_case(a.work, phase_n, a.seed)
        out_dir = a.work / f"phases-out-{phase_n}"
        shutil.rmtree(out_dir, ignore_errors=True)
        log(f"phase breakdown (in-process load with timers), {phase_n:,} events ...")
        m = measure(
            [sys.executable, str(HERE / "run.py"), "_phases", str(case), str(out_dir)], "phases"
        )
        shutil.rmtree(out_dir, ignore_errors=True)
        out = m.get("output")
        if isinstance(out, dict):
            ph = sorted(out["phases_s"].items(), key=lambda kv: -kv[1])
            report["phases"] = {
                "events": phase_n,
                "total_s": round(out["total_s"], 3),
                "peak_rss_mb": m["peak_rss_mb"],
                "other_processes_cpu_share": m["other_processes_cpu_share"],
                "phases_s": {k: round(v, 3) for k, v in ph},
                "note": "wall seconds inside load_case; the parts are disjoint and sum to total_s",
            }
        else:
            report["phases"] = {
                "events": phase_n,
                "error": m.get("stderr_tail") or m.get("stdout_tail"),
            }
            log("  phase breakdown failed")

    report["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = json.dumps(report, indent=2)
    (a.results / "validate_load.json").write_text(text + "\n")
    stamped = a.results / f"validate_load-{started.strftime('%Y%m%d-%H%M%S')}.json"
    stamped.write_text(text + "\n")
    if report.get("phases", {}).get("error"):
        report.pop("phases")
    print("\n".join(summary_lines(report)))
    print(f"wrote {a.results / 'validate_load.json'} and {stamped.name}")
    return 0 if report["summary"]["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

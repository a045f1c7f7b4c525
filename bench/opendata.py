"""Benchmark `countylines opendata` on the staged open data (../shared/data).

    .venv/bin/python bench/opendata.py                    # DATA = ../shared/data
    .venv/bin/python bench/opendata.py --data DIR

Three fresh child processes, measured like bench/run.py (wall time, peak RSS):

* `case`: `countylines opendata case DATA -f "West Mercia" -f Staffordshire -f Warwickshire
  --months 2018-10..2019-01 --json`: the whole command (1,807 areas, four months of crime).
* `areas_england`: `opendata.case.build_areas` for every English force (32,844 LSOAs: polygons,
  population, IMD ranks, towns), timed inside the child.
* `read_boundaries` (the floor): reading the national boundary file's codes and polygons and
  projecting them to EPSG:27700, which `build_areas` must do anyway.

Results go to bench/results/opendata.json and a timestamped copy.
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
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from run import _countylines, log, measure, new_report  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"
FORCES = ("West Mercia", "Staffordshire", "Warwickshire")
MONTHS = "2018-10..2019-01"


def child_areas(data: str) -> int:
    from countylines.opendata.case import build_areas
    from countylines.opendata.sources import DataFiles, force_names, read_lookup

    files = DataFiles().under(Path(data))
    t0 = time.perf_counter()
    areas, towns = build_areas(files, force_names(read_lookup(files.lookup)), fix_geometry=True)
    seconds = time.perf_counter() - t0
    print(json.dumps({"areas": len(areas), "towns": len(towns), "compute_s": seconds}))
    return 0


def child_read(data: str) -> int:
    import pyogrio

    files_path = Path(data) / "boundaries" / "lsoa11_bsc_ew.geojson.gz"
    t0 = time.perf_counter()
    gdf = pyogrio.read_dataframe(f"/vsigzip/{files_path}", columns=["LSOA11CD"]).to_crs(27700)
    seconds = time.perf_counter() - t0
    print(json.dumps({"areas": len(gdf), "compute_s": seconds}))
    return 0


def _child(kind: str, data: Path, label: str) -> dict[str, Any]:
    m = measure([sys.executable, str(HERE / "opendata.py"), kind, str(data)], label)
    m["ok"] = m["exit_code"] == 0 and isinstance(m.get("output"), dict)
    return m


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    children = {"_areas": child_areas, "_read": child_read}
    if argv and argv[0] in children:
        return children[argv[0]](argv[1])
    p = argparse.ArgumentParser(description="Benchmark countylines opendata.")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--work", type=Path, default=HERE / "work")
    p.add_argument("--results", type=Path, default=HERE / "results")
    p.add_argument("--quiet-wait", type=float, default=run.QUIET_WAIT_S,
                   help="seconds to wait for a quiet machine before each child")  # fmt: skip
    a = p.parse_args(argv)
    if not (a.data / "SOURCES.md").is_file():
        log(f"opendata: no open data at {a.data}; skipped")
        return 0
    run.QUIET_WAIT_S = a.quiet_wait
    started, report = new_report("opendata", {"data": str(a.data)}, a.work, a.results)
    out = a.work / "opendata-case"
    shutil.rmtree(out, ignore_errors=True)
    log("countylines opendata case (three forces, four months) ...")
    forces = [arg for f in FORCES for arg in ("--force", f)]
    case = measure(
        [*_countylines(), "opendata", "case", str(a.data), *forces, "--months", MONTHS,
         "--out", str(out), "--json"],
        "countylines opendata case, 3 forces, 4 months",
    )  # fmt: skip
    case["ok"] = case["exit_code"] == 0
    log("areas of every English force ...")
    areas = _child("_areas", a.data, "build_areas, all 32,844 English LSOAs")
    log("reading the national boundary file (the floor) ...")
    floor = _child("_read", a.data, "read and project the national boundary file")
    report["runs"] = {"case": case, "areas_england": areas, "read_boundaries": floor}
    report["ratios"] = {
        "areas_vs_reading_boundaries": (
            round(areas["output"]["compute_s"] / floor["output"]["compute_s"], 2)
            if areas["ok"] and floor["ok"]
            else None
        ),
        "meaning": "build_areas for all of England in units of just reading and projecting the "
        "boundary file it starts from",
    }
    report["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = json.dumps(report, indent=2) + "\n"
    (a.results / "opendata.json").write_text(text)
    (a.results / f"opendata-{started.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    log(
        f"opendata case: {case['wall_s']:.1f} s, {case['peak_rss_mb']:.0f} MB; England areas: "
        f"{areas['wall_s']:.1f} s, {areas['peak_rss_mb']:.0f} MB; floor {floor['wall_s']:.1f} s"
    )
    return 0 if case["ok"] and areas["ok"] and floor["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `countylines places` on an England-sized set of areas (the issue's target: all
~33k English LSOAs processed, features, model and outputs, in under 60 s).

    .venv/bin/python bench/places.py              # builds and loads the synthetic case once

The case (not measured): 33,000 square areas of about 1.1 km side (an LSOA's median size is
smaller, its mean larger) in a grid over England's extent in British National Grid, grouped
into towns of 25 areas, with population, an IMD rank and score; 2,500 stations, 10 hubs,
400,000 incidents (a month of police.uk street crime for England is about 450,000) and road
`travel_times` for every area and hub (330,000 rows). No events, so no lines: every area is
scored by the model.

Two fresh child processes, measured like bench/run.py (wall time, peak RSS):

* `countylines places DB --out OUT --json`: the whole command;
* the baseline: reading the same areas from the database into GeoPandas and writing them to a
  GeoPackage, the input and output floor of any per-area analysis.

Results go to bench/results/places.json and a timestamped copy.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from run import _countylines, bench_arguments, log, measure, new_report  # noqa: E402

N_AREAS = 33_000
SIDE_M = 1_100.0
TARGET_S = 60.0
SEED = 5


def build_case(case: Path, seed: int) -> None:
    """Write the synthetic case folder (see the module docstring)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    case.mkdir(parents=True, exist_ok=True)
    cols = 180
    i = np.arange(N_AREAS)
    x0, y0 = 300_000 + (i % cols) * SIDE_M, 100_000 + (i // cols) * SIDE_M
    boxes = shapely.box(x0, y0, x0 + SIDE_M, y0 + SIDE_M)
    block = (i % cols) // 5 + 100 * ((i // cols) // 5)
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"E{n:08d}" for n in i],
            "name": [f"Area {n}" for n in i],
            "town": [f"Town {b}" for b in block],
            "population": rng.integers(1000, 3000, N_AREAS),
            "imd_rank": rng.permutation(N_AREAS) + 1,
            "imd_score": rng.gamma(2.0, 10.0, N_AREAS).round(2),
        },
        geometry=boxes,
        crs="EPSG:27700",
    )
    areas.to_file(case / "areas.gpkg", layer="areas", driver="GPKG")
    wgs = gpd.GeoSeries(areas.geometry.centroid, crs="EPSG:27700").to_crs("EPSG:4326")
    pick = rng.choice(N_AREAS, 2500, replace=False)
    pd.DataFrame({"code": [f"S{n:04d}" for n in range(2500)], "name": "Station",
                  "lat": wgs.y.to_numpy()[pick], "lon": wgs.x.to_numpy()[pick]}
                 ).to_csv(case / "stations.csv", index=False)  # fmt: skip
    hubs = rng.choice(N_AREAS, 10, replace=False)
    names = [f"Hub {n}" for n in range(10)]
    pd.DataFrame({"name": names, "lat": wgs.y.to_numpy()[hubs], "lon": wgs.x.to_numpy()[hubs]}
                 ).to_csv(case / "hubs.csv", index=False)  # fmt: skip
    where = rng.integers(0, N_AREAS, 400_000)
    jitter = rng.normal(0, 0.003, (2, 400_000))
    pd.DataFrame(
        {
            "incident_id": [f"I{n}" for n in range(400_000)],
            "time": "2019-01-15T12:00:00Z",
            "lat": (wgs.y.to_numpy()[where] + jitter[0]).round(6),
            "lon": (wgs.x.to_numpy()[where] + jitter[1]).round(6),
            "category": rng.choice(["drugs", "weapons_possession", "violence", "other"], 400_000),
            "weapon": "none",
        }
    ).to_csv(case / "incidents.csv", index=False)
    pd.DataFrame(
        {
            "area_id": np.repeat(areas["area_id"].to_numpy(), 10),
            "hub": np.tile(names, N_AREAS),
            "mode": "road",
            "minutes": rng.uniform(10, 300, N_AREAS * 10).round(1),
        }
    ).to_csv(case / "travel_times.csv", index=False)


def child_baseline(database: str, out: str) -> int:
    """Read the areas into GeoPandas and write them to a GeoPackage."""
    import duckdb
    import geopandas as gpd
    import shapely

    t0 = time.perf_counter()
    con = duckdb.connect(database, read_only=True)
    frame = con.execute("SELECT * FROM areas").df()
    geometry = shapely.from_wkb(frame.pop("geometry_wkb").map(bytes).to_numpy())
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:27700")
    gdf.to_file(out, layer="areas", driver="GPKG")
    print(json.dumps({"areas": len(gdf), "compute_s": time.perf_counter() - t0}))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_baseline":
        return child_baseline(argv[1], argv[2])
    p = bench_arguments("Benchmark countylines places.", SEED)
    a = p.parse_args(argv)
    run.QUIET_WAIT_S = a.quiet_wait
    started, report = new_report("places", {"seed": a.seed, "areas": N_AREAS}, a.work, a.results)
    case, loaded = a.work / f"places-{N_AREAS}-s{a.seed}", a.work / f"places-{N_AREAS}-s{a.seed}-db"
    database = loaded / "case.duckdb"
    if not database.exists():
        import subprocess

        log("building and loading the synthetic case (not measured) ...")
        build_case(case, a.seed)
        subprocess.run([*_countylines(), "load", str(case), "--out", str(loaded), "--quiet"],
                       check=True)  # fmt: skip
    out = a.work / "places-out"
    log("countylines places ...")
    m = measure([*_countylines(), "places", str(database), "--out", str(out), "--json"],
                "countylines places (whole command)")  # fmt: skip
    log("baseline: areas read and written ...")
    gpkg = a.work / "places-baseline.gpkg"
    gpkg.unlink(missing_ok=True)
    b = measure([sys.executable, str(HERE / "places.py"), "_baseline", str(database), str(gpkg)],
                "baseline: areas to GeoPackage")  # fmt: skip
    report["results"] = {"places": m, "baseline": b}
    report["target_s"] = TARGET_S
    report["meets_target"] = m["exit_code"] == 0 and m["wall_s"] < TARGET_S
    text = json.dumps(report, indent=2, default=str) + "\n"
    (a.results / "places.json").write_text(text)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (a.results / f"places-{stamp}.json").write_text(text)
    log(f"places {m['wall_s']:.1f} s (target {TARGET_S:.0f} s), baseline {b['wall_s']:.1f} s")
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())

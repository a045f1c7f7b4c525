"""Simulated and loaded West Mercia cases for the model tools, cached in a work folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from countylines.database import load_case
from countylines.simulate.params import params_for
from countylines.simulate.region import builtin_region
from countylines.simulate.run import simulate


def loaded_case(work: Path, scale: str, behaviour: str, seed: int) -> tuple[Path, Path]:
    """(case folder, case.duckdb) of the case (`scale`, `behaviour`, `seed`), simulated and
    loaded into `work` unless they are already there."""
    name = f"{scale}-{behaviour}-{seed}"
    case, loaded = work / name, work / f"{name}-db"
    if not case.exists():
        simulate(case, params_for(scale, behaviour, seed=seed), builtin_region("west-mercia"))
    if not (loaded / "case.duckdb").exists():
        result, _ = load_case(case, loaded)
        if not result.ok:
            raise SystemExit(f"{case} did not load: {result.log.problems()[:3]}")
    return case, loaded / "case.duckdb"


RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"


def write_accuracy(name: str, rows: list[dict[str, Any]], **extra: Any) -> Path:
    """Write `bench/results/NAME.json`: the time of measurement, `extra` and the per-case rows."""
    out = RESULTS / f"{name}.json"
    report = {"measured_utc": datetime.now(UTC).isoformat(timespec="seconds"), **extra,
              "cases": rows}  # fmt: skip
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    return out

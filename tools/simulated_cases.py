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


def case_name(scale: str, behaviour: str, seed: int, **overrides: Any) -> str:
    """The folder name of a simulated case: `small-default-12`, `small-default-1105-n_lines24`."""
    return "-".join([scale, behaviour, str(seed), *(f"{k}{v}" for k, v in overrides.items())])


def loaded_case(
    work: Path, scale: str, behaviour: str, seed: int, **overrides: Any
) -> tuple[Path, Path]:
    """(case folder, case.duckdb) of the case (`scale`, `behaviour`, `seed`, parameter
    `overrides`), simulated and loaded into `work` unless they are already there."""
    name = case_name(scale, behaviour, seed, **overrides)
    case, loaded = work / name, work / f"{name}-db"
    if not case.exists():
        params = params_for(scale, behaviour, seed=seed, **overrides)
        simulate(case, params, builtin_region("west-mercia"))
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

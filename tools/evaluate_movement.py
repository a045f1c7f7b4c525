"""Measure `violence` and `movement` on held-out simulated cases and record the metrics.

Simulates, loads and runs the line detector on each case below unless its folders are already in
--work (the `tools/evaluate_lines.py` layout: CASE, CASE-db, CASE-lines; full-scale cases are
reused read-only from /tmp/heldout or /tmp/line-eval when present), runs `find_violence` and
`find_movement` into CASE-movement, scores them with `countylines.evaluate` and writes every
metric to bench/results/movement_accuracy.json (`--set rivalry8`: session 8's seeds, written to
movement_accuracy_rivalry8.json, `--set rivalry9` session 9's, `--set roles9` session 9's
suspects-and-victims measurement, `--set roles9dev` its development cases; `--set seized8
--param arrest_phone_seized_share=0`: the seized-phone comparison, written to
movement_accuracy_seized8-arrest_phone_seized_share0.json). Run from the project root:

    .venv/bin/python tools/evaluate_movement.py --work /tmp/mv-eval-heldout
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from simulated_cases import loaded_case, write_accuracy

from countylines.evaluate import evaluate
from countylines.lines.detect import find_lines
from countylines.lines.report import write_outputs
from countylines.movement.lineset import load_lines
from countylines.movement.movement import find_movement
from countylines.movement.report import write_movement, write_violence
from countylines.movement.violence import find_violence

DEVELOPMENT = (801, 802, 803, 804, 821, 822, 823, 824, 31, 1001, 1002, 1003, 1004, 1011, 1012,
               1013, 1201, 1202, 1203, 1204, 1205, 1206, 2001, 2002, 2003, 2004, 2011,
               2012, 5500, 5501, 5502, 5503, 5510, 5511, 7600, 7601, 7602, 7603, 7604, 7605,
               7610, 7611, 980, 981, 982, 986, 987, 7800, 7801, 7802, 7803, 7804, 7805,
               7810, 7811, 990, 7700, 7701, 7702, 7703, 7710, 7711, 991, 992, 993, 994, 995,
               996, 8300, 8301, 8302, 8303, 8500, 8501, 8502, 8503, 8510, 8511, 9200, 9201,
               9202, 9203, 9210, 9211)  # fmt: skip
"""Seeds looked at while developing the rules: small 801-803, 821-823, 1001-1004 and 1201-1204,
"medium" 804, 824, 1011-1013, 1205 and 1206 (small scale with 30 lines over 3 months) and the
full-scale case 31 (821-824 and 31 were held out for the first version of the rules, 1201-1206
for the second round's; 1001-1013 are the second round's development cases); session 6's
vehicle rules: small 2001-2004 and medium 2011-2012; session 7's rail, hub-stop and taxing
rules: small 5500-5503 and medium 5510-5511; session 8's rivalry rules: small 7600-7605, medium
7610-7611 and the lead's session-7 held-out 980-982, 986-987 (measured once by the lead, then
read for the missed rivalries); session 8's full-scale attribution and road-journey rules:
small 7800-7805, medium 7810-7811 and the lead's full-scale case 990 (measured by the lead in
session 7, then handed over as a development case); session 8's seized-phone comparison: small
7700-7703 and medium 7710-7711 (`--set seized8`, rules unchanged, so they measure the simulator
change); session 9's rivalry rules for crowded towns: medium 8300-8303 and the lead's session-8
held-out small 992-994, medium 995-996 and full 991 (measured once by the lead, then read for
their missed rivalries); session 9's suspects-and-victims rules: small 8500-8503, medium
8510-8511 (and session 9's earlier measurement 8400-8403, 8410-8411, read for its misses after
it was measured); session 10's line's places and times: small 9200-9203 and medium 9210-9211
(with every case of session 9 that had roles). Never used for the recorded held-out numbers."""
PREVIOUSLY_HELD_OUT = (861, 862, 863, 864, 41, 1221, 1222, 1223, 1224, 1225, 1226, 901, 902,
                       903, 906, 907, 2301, 2302, 2303, 2304, 2305, 2306, 2307, 2308, 954,
                       955, 956, 977, 978, 6500, 6501, 6502, 6503, 6504, 6505, 6507, 8100, 8101,
                       8102, 8103, 8104, 8105, 8110, 8111, 8400, 8401, 8402, 8403, 8410,
                       8411, 8600, 8601, 8602, 8603, 8610, 8611, 9000, 9001, 9002, 9003,
                       9004, 9005, 8700, 8701, 8702, 8703, 8710, 8711, 9220, 9221, 9222, 9223,
                       9230, 9231)  # fmt: skip
"""Each measured once with the rules of its time (docs/movement.md): 861-864 and 41 for the
first round, 1221-1226 for the third, the lead's 901-903 and 906-907 for session 5 (902 and 903
were then looked at for the vehicle misses), the helper's 2301-2308 for session 6 (2302 and 2303
then looked at for the attribution misses), the lead's 954-956 and 977-978 for session 6, the
helper's 6500-6505 and 6507 for session 7, the helper's 8100-8105 and 8110-8111 (`--set
rivalry8`) for session 8's rivalry rules (their missed rivalries then read), the helper's
8400-8403 and 8410-8411 (`--set rivalry9`) for session 9's crowded-town rules, the helper's
8600-8603 and 8610-8611 (`--set roles9`) for its suspects-and-victims rules and the lead's
session-9 9000-9005 (all with roles; every one of these then a development case of session 9's
relaxed other side, `--set relax9`), and the helper's 8700-8703 and 8710-8711 (`--set relax9`)
for that rule (their misses then read), and the helper's 9220-9223 and 9230-9231 (`--set
rivalry10`) for session 10's line's places and times (rejected; their misses then read)."""
HELD_OUT = (
    ("small", 980),
    ("small", 981),
    ("small", 982),
    ("medium", 986),
    ("medium", 987),
)
"""The lead's session-7 seeds, simulated with every simulator change of that session and
measured once after the merges. (The helper's medium 6506 was dropped unmeasured in session 7:
the line detector then ran out of memory on it, a fault the lead fixed before this run.)"""
SESSION8 = (*(("small", s) for s in range(8100, 8106)), ("medium", 8110), ("medium", 8111))
"""Session 8's rivalry measurement: simulated, loaded and their lines found before the rules
were frozen, never looked at before the numbers of docs/movement.md were recorded."""
FULLMOVE8 = (*(("small", s) for s in range(8200, 8204)), ("medium", 8210), ("medium", 8211))
"""Session 8's full-scale attribution and road-journey measurement (`--set fullmove8`):
simulated, loaded and their lines found before the rules were frozen, never looked at before
the numbers of docs/movement.md were recorded."""
SEIZED8 = (*(("small", s) for s in range(7700, 7704)), ("medium", 7710), ("medium", 7711))
"""Session 8's seized-phone comparison (development seeds: the simulator with and without
seizures, the rules unchanged; `--param arrest_phone_seized_share=0` is the old simulator)."""
LEAD8 = (("small", 992), ("small", 993), ("small", 994), ("medium", 995), ("medium", 996))
"""The lead's session-8 seeds, simulated with every simulator change of that session (runner
phones seized on arrest) and measured once after the merges (`--set lead8`)."""
RIVALRY9 = (*(("small", s) for s in range(8400, 8404)), ("medium", 8410), ("medium", 8411))
"""Session 9's rivalry measurement (`--set rivalry9`): simulated, loaded and their lines found
before the rules were frozen, never looked at before the numbers of docs/movement.md were
recorded."""
ROLES9_DEV = (*(("small", s) for s in range(8500, 8504)), ("medium", 8510), ("medium", 8511))
"""Session 9's development cases for the rules that read suspects and victims (`--set
roles9dev`): simulated with `person_roles`, looked at while the rules were built."""
ROLES9 = (*(("small", s) for s in range(8600, 8604)), ("medium", 8610), ("medium", 8611))
"""Session 9's measurement of the rules that read suspects and victims (`--set roles9`):
simulated with `person_roles` and measured once after the rules were frozen."""
LEAD9 = (("small", 9001), ("small", 9002), ("small", 9003), ("medium", 9004), ("medium", 9005))
"""The lead's session-9 seeds, simulated after the merges (incidents with `person_roles`) and
measured once (`--set lead9`)."""
RELAX9 = (*(("small", s) for s in range(8700, 8704)), ("medium", 8710), ("medium", 8711))
"""Session 9's measurement of the relaxed other side under roles (`--set relax9`): simulated
with `person_roles`, loaded and their lines found before the rules were frozen, measured once
afterwards (and the rules before the change on the same cases)."""
RIVALRY10_DEV = (*(("small", s) for s in range(9200, 9204)), ("medium", 9210), ("medium", 9211))
"""Session 10's development cases for the line's places and times (`--set rivalry10dev`):
simulated with `person_roles`, looked at while the rules were built."""
RIVALRY10 = (*(("small", s) for s in range(9220, 9224)), ("medium", 9230), ("medium", 9231))
"""Session 10's measurement of the line's places and times (`--set rivalry10`): simulated,
loaded and their lines found before the rules were frozen, measured once afterwards (and
main's rules on the same cases)."""
LEAD10 = (
    *(("small", s) for s in range(9101, 9104)),
    *(("medium", s) for s in range(9104, 9107)),
)
"""The lead's session-10 seeds, simulated and their lines found before the session's rules were
merged, measured once afterwards (`--set lead10`)."""
SETS = {
    "lead7": HELD_OUT,
    "lead8": LEAD8,
    "rivalry8": SESSION8,
    "fullmove8": FULLMOVE8,
    "seized8": SEIZED8,
    "rivalry9": RIVALRY9,
    "roles9dev": ROLES9_DEV,
    "roles9": ROLES9,
    "lead9": LEAD9,
    "relax9": RELAX9,
    "rivalry10dev": RIVALRY10_DEV,
    "rivalry10": RIVALRY10,
    "lead10": LEAD10,
}
"""Named sets of held-out cases (`--set`); `lead7` writes movement_accuracy.json, any other set
movement_accuracy_SET.json."""
MEDIUM = {"n_lines": 30, "months": 3}
"""What makes a small case "medium" here: more lines over a longer period."""
RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "movement_accuracy.json"
FULL = (Path("/tmp/heldout"), Path("/tmp/line-eval"))
"""Where full-scale cases are looked for (CASE, CASE-db/case.duckdb, CASE-lines)."""


def prepare(
    work: Path, scale: str, seed: int, overrides: dict[str, float]
) -> tuple[Path, Path, Path]:
    """(case, case.duckdb, lines folder), simulated with the parameter `overrides`, loaded and
    detected unless present."""
    for folder in FULL if scale == "full" else ():
        base = folder / f"full-default-{seed}"
        if Path(f"{base}-lines").is_dir():
            return base, Path(f"{base}-db") / "case.duckdb", Path(f"{base}-lines")
    if scale == "medium":
        case, database = loaded_case(work, "small", "default", seed, **MEDIUM, **overrides)
    else:
        case, database = loaded_case(work, scale, "default", seed, **overrides)
    lines = Path(f"{case}-lines")
    if not (lines / "lines.parquet").exists():
        write_outputs(find_lines(database), lines)
    return case, database, lines


def run_case(work: Path, scale: str, seed: int, overrides: dict[str, float]) -> dict:
    case, database, lines_dir = prepare(work, scale, seed, overrides)
    out = work / f"{case.name}-movement"
    lines = load_lines(database, lines_dir)
    start = time.perf_counter()
    violence = find_violence(database, lines)
    violence_s = time.perf_counter() - start
    start = time.perf_counter()
    movement = find_movement(database, lines)
    movement_s = time.perf_counter() - start
    write_violence(violence, lines, out)
    write_movement(movement, lines, out)
    metrics = evaluate(case, out)
    print(case.name, json.dumps(metrics))
    return {"scale": scale, "seed": seed, "violence_s": round(violence_s, 1),
            "movement_s": round(movement_s, 1), **metrics}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mv-eval"))
    parser.add_argument(
        "--set",
        default="lead7",
        choices=sorted(SETS),
        help="which held-out cases to run (default: the lead's session-7 seeds)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scales to run (the other cases' last rows are kept)",
    )
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a simulator parameter override (repeatable), e.g. "
                        "arrest_phone_seized_share=0")  # fmt: skip
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    held_out = SETS[args.set]
    overrides = {k: float(v) for k, v in (a.split("=", 1) for a in args.param)}
    name = "movement_accuracy" + ("" if args.set == "lead7" else f"_{args.set}")
    name += "".join(f"-{k}{v:g}" for k, v in overrides.items())
    results = RESULTS.with_name(f"{name}.json")
    cases = [c for c in held_out if not args.only or c[0] in args.only.split(",")]
    rows = [run_case(args.work, *c, overrides) for c in cases]
    if args.only:  # keep the other held-out cases' rows of the last run
        last = json.loads(results.read_text())["cases"] if results.exists() else []
        rows += [r for r in last if (r["scale"], r["seed"]) in set(held_out) - set(cases)]
        rows.sort(key=lambda r: held_out.index((r["scale"], r["seed"])))
    write_accuracy(
        name,
        rows,
        parameters=overrides,
        development_seeds=list(DEVELOPMENT),
        previously_held_out_seeds=list(PREVIOUSLY_HELD_OUT),
    )


if __name__ == "__main__":
    main()

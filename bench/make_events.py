"""Fast synthetic case generator for benchmarks: `events.csv` with N events plus `cells.csv`.

Everything is vectorised with numpy and pyarrow (no Python loop per row); rows are generated and
written in chunks, so memory stays bounded whatever N is. The output is deterministic for a given
(N, seed) and passes `countylines validate` with 0 errors and 0 warnings.

Usage:  python bench/make_events.py OUT_DIR [--events N] [--cells N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

GENERATOR_VERSION = 1  # bump when the output changes, so cached cases are regenerated
CHUNK = 1_000_000
EVENT_COLUMNS = (
    "event_id",
    "start_time",
    "event_type",
    "a_number",
    "b_number",
    "duration_s",
    "a_imei",
    "a_imsi",
    "a_cell_id",
    "b_imei",
    "b_imsi",
    "b_cell_id",
    "text",
)
N_NUMBERS = 100_000  # +447700900000 .. +447700999999 (Ofcom drama range style)
START = np.datetime64("2019-01-01T00:00:00", "s").astype(np.int64)
SPAN_S = 365 * 86_400
SMS_TEXTS = (
    "Tom back on 2 for 1 all day",
    "where r u",
    "on way 10 mins",
    "ring me",
    "shop open till late, ring 4 deals",
    'he said "not today" so tomorrow',
    "ok",
    "meet at the station, usual place",
    "need 3 of the white and 2 brown",
    "cheers bro",
)


def _csv_field(text: str) -> str:
    """RFC 4180 quoting, only where needed (applied to the few text templates, not per row)."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def luhn_check_digit(body: np.ndarray) -> np.ndarray:
    """Check digits for IMEI bodies: `body` is an (n, 14) array of digits, left to right."""
    d = body.astype(np.int64)
    doubled = d[:, 1::2] * 2  # 2nd, 4th, ... 14th digits are doubled
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = d[:, 0::2].sum(axis=1) + doubled.sum(axis=1)
    return (10 - total % 10) % 10


def make_imei_pool(n: int, rng: np.random.Generator) -> pa.Array:
    """n distinct-ish valid 15-digit IMEIs (TAC starting 35, random serial, Luhn check digit)."""
    body = rng.integers(0, 10, size=(n, 14), dtype=np.int64)
    body[:, 0] = 3
    body[:, 1] = 5
    check = luhn_check_digit(body)
    weights = 10 ** np.arange(14, 0, -1, dtype=np.int64)  # 10^14 .. 10^1
    value = (body * weights).sum(axis=1) + check
    return pa.array(value).cast(pa.string())


def _numbers_pool() -> dict[str, pa.Array]:
    """The same subscriber numbers written in the five forms the validator accepts."""
    sub = np.arange(900_000, 900_000 + N_NUMBERS, dtype=np.int64)  # 6 digits after 7700
    six = pa.array(sub).cast(pa.string())
    return {
        "e164": pc.binary_join_element_wise("+447700", six, ""),
        "national": pc.binary_join_element_wise("07700", six, ""),
        "spaced": pc.binary_join_element_wise("07700 ", six, ""),
        "intl00": pc.binary_join_element_wise("00447700", six, ""),
        "bare44": pc.binary_join_element_wise("447700", six, ""),
    }


def _numbers(idx: np.ndarray, pools: dict[str, pa.Array], rng: np.random.Generator) -> pa.Array:
    """Numbers for subscriber indices `idx`, mostly E.164 with a mix of national forms."""
    forms = list(pools.values())
    form = rng.choice(len(forms), size=idx.size, p=[0.6, 0.2, 0.1, 0.05, 0.05])
    out = pc.take(forms[0], pa.array(idx))
    for k in range(1, len(forms)):
        mask = pa.array(form == k)
        out = pc.if_else(mask, pc.take(forms[k], pa.array(idx)), out)
    return out


def _maybe(values: pa.Array, fill: np.ndarray) -> pa.Array:
    """`values` where `fill` is true, else null (written as an empty field)."""
    return pc.if_else(pa.array(fill), values, pa.scalar(None, pa.string()))


def make_cells(n_cells: int, seed: int) -> pa.Table:
    rng = np.random.default_rng([seed, 0xCE11])
    ids = pc.binary_join_element_wise(
        "C",
        pc.utf8_lpad(pa.array(np.arange(1, n_cells + 1)).cast(pa.string()), width=6, padding="0"),
        "",
    )
    lat = np.round(rng.uniform(50.0, 55.5, n_cells), 5)
    lon = np.round(rng.uniform(-5.5, 1.5, n_cells), 5)
    az = rng.choice([0, 120, 240], n_cells).astype(np.int64)
    beam = np.full(n_cells, 120, dtype=np.int64)
    radius = rng.integers(300, 15_000, n_cells)
    return pa.table(
        {
            "cell_id": ids,
            "lat": lat,
            "lon": lon,
            "azimuth_deg": az,
            "beamwidth_deg": beam,
            "radius_m": radius,
        }
    )


def make_events_chunk(
    start: int,
    n: int,
    total: int,
    seed: int,
    cell_ids: pa.Array,
    numbers: dict[str, pa.Array],
    imeis: pa.Array,
    imsis: pa.Array,
) -> pa.Table:
    """Rows start .. start+n-1 of a case of `total` events (deterministic per chunk)."""
    rng = np.random.default_rng([seed, start])
    i = np.arange(start, start + n, dtype=np.int64)
    event_id = pc.binary_join_element_wise(
        "E", pc.utf8_lpad(pa.array(i + 1).cast(pa.string()), width=10, padding="0"), ""
    )
    # Times spread over a year in file order, with jitter (CDRs are roughly time-ordered).
    t = START + (i * SPAN_S) // max(total, 1) + rng.integers(0, 600, n)
    start_time = pc.strftime(
        pa.array(t).cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
    )
    is_sms = rng.random(n) < 0.35
    event_type = pc.if_else(pa.array(is_sms), "sms", "voice")
    a = rng.integers(0, N_NUMBERS, n)
    b = (a + rng.integers(1, N_NUMBERS, n)) % N_NUMBERS  # never equal to a
    duration = np.where(is_sms, 0, np.minimum(rng.exponential(90.0, n).astype(np.int64), 7200))
    n_cells = len(cell_ids)
    # Each subscriber has one handset and one SIM; a and b sides are filled independently.
    a_imei = _maybe(pc.take(imeis, pa.array(a)), rng.random(n) < 0.6)
    b_imei = _maybe(pc.take(imeis, pa.array(b)), rng.random(n) < 0.3)
    a_imsi = _maybe(pc.take(imsis, pa.array(a)), rng.random(n) < 0.5)
    b_imsi = _maybe(pc.take(imsis, pa.array(b)), rng.random(n) < 0.2)
    a_cell = _maybe(pc.take(cell_ids, pa.array(rng.integers(0, n_cells, n))), rng.random(n) < 0.9)
    b_cell = _maybe(pc.take(cell_ids, pa.array(rng.integers(0, n_cells, n))), rng.random(n) < 0.7)
    texts = pa.array([_csv_field(x) for x in SMS_TEXTS])  # already CSV-quoted where needed
    text = _maybe(
        pc.take(texts, pa.array(rng.integers(0, len(SMS_TEXTS), n))), is_sms & (rng.random(n) < 0.5)
    )
    cols = [
        event_id,
        start_time,
        event_type,
        _numbers(a, numbers, rng),
        _numbers(b, numbers, rng),
        pa.array(duration),
        a_imei,
        a_imsi,
        a_cell,
        b_imei,
        b_imsi,
        b_cell,
        text,
    ]
    return pa.table(dict(zip(EVENT_COLUMNS, cols, strict=True)))


def csv_bytes(table: pa.Table) -> memoryview:
    """The rows of `table` as CSV text, without a header.

    Values must already be CSV-safe (only the text templates need quotes, and they are quoted
    once, up front). Fields are joined with Arrow kernels; the result is the data buffer of one
    string array, so no Python code runs per row. Quoting only where needed keeps the file like
    common exports (pyarrow's own writer quotes every string).
    """
    fields = [pc.fill_null(c.cast(pa.string()), "") for c in table.columns]
    lines = pc.binary_join_element_wise(*fields, ",")
    lines = pc.binary_join_element_wise(lines, "\n", "").combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def write_csv(table: pa.Table, fh: BinaryIO, header: bool = True) -> None:
    if header:
        fh.write((",".join(table.column_names) + "\n").encode())
    fh.write(csv_bytes(table))


def write_case(
    out: Path, n_events: int, n_cells: int = 5_000, seed: int = 42, chunk: int = CHUNK
) -> dict[str, object]:
    """Write `out/events.csv` and `out/cells.csv`; returns facts about what was written."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    cells = make_cells(n_cells, seed)
    with open(out / "cells.csv", "wb") as fh:
        write_csv(cells, fh)
    rng = np.random.default_rng([seed, 0x5EED])
    imeis = make_imei_pool(N_NUMBERS, rng)
    imsis = pa.array(234_150_000_000_000 + np.arange(N_NUMBERS, dtype=np.int64)).cast(pa.string())
    numbers = _numbers_pool()
    cell_ids = cells["cell_id"].combine_chunks()
    tmp = out / "events.csv.partial"
    with open(tmp, "wb") as fh:
        fh.write((",".join(EVENT_COLUMNS) + "\n").encode())
        for start in range(0, n_events, chunk):
            n = min(chunk, n_events - start)
            part = make_events_chunk(start, n, n_events, seed, cell_ids, numbers, imeis, imsis)
            write_csv(part, fh, header=False)
    tmp.replace(out / "events.csv")
    return {
        "events": n_events,
        "cells": n_cells,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "events_csv_bytes": (out / "events.csv").stat().st_size,
        "seconds": round(time.perf_counter() - t0, 2),
    }


MARKER = ".bench-case.json"


def cached_case(root: Path, n_events: int, seed: int = 42) -> tuple[Path, dict[str, object]]:
    """Return a generated case under `root`, reusing one made earlier with the same parameters."""
    case = root / f"case-{n_events}-s{seed}-v{GENERATOR_VERSION}"
    marker = case / MARKER
    if marker.is_file():
        facts = json.loads(marker.read_text())
        facts["cached"] = True
        return case, facts
    if case.exists():
        shutil.rmtree(case)
    facts = write_case(case, n_events, seed=seed)
    marker.write_text(json.dumps(facts, indent=2))  # written last: marks the case complete
    return case, {**facts, "cached": False}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path, help="case folder to write (created)")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--cells", type=int, default=5_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--cache",
        action="store_true",
        help="OUT is a cache folder: reuse or create OUT/case-N-sSEED-vVERSION and print its path",
    )
    a = p.parse_args(argv)
    if a.cache:
        case, facts = cached_case(a.out, a.events, a.seed)
        facts["case"] = str(case)
    else:
        facts = write_case(a.out, a.events, a.cells, a.seed)
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())

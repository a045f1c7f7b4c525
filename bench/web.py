"""Benchmark the dashboard's API: latency with 20 concurrent clients on loopback.

    .venv/bin/python bench/web.py                 # the small demo assessment (made if missing)
    .venv/bin/python bench/web.py --requests 200

Serves an assessment of the small West Mercia demo case (seed 1) with `countylines serve` in a
child process, signs in with an API token, then runs 20 client threads, each sending
`--requests` requests in turn to the JSON API (`/api/summary`, `/api/lines`, `/api/lines/L001`).
The baseline, measured in the same run with the same clients, is `/healthz` (no sign-in, no
data): what the server and the loopback cost on their own. Reports p50, p95 and p99 latency per
route and the ratio to the baseline. Target: p95 under 100 ms. Results go to
bench/results/web.json and a timestamped copy.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _countylines, log, new_report, wait_for_quiet  # noqa: E402

CLIENTS = 20
TARGET_P95_MS = 100.0
ROUTES = ("/healthz", "/api/summary", "/api/lines", "/api/lines/L001")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def _hammer(base: str, path: str, token: str, n: int) -> list[float]:
    """`CLIENTS` threads, each with its own connection, sending `n` requests; latencies in ms."""
    import httpx

    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []

    def client(i: int) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=120) as c:
            for _ in range(n):
                t0 = time.perf_counter()
                r = c.get(path)
                latencies[i].append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors.append(f"{path}: {r.status_code}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"requests failed: {errors[:3]}")
    return [x for per in latencies for x in per]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=HERE / "work" / "web")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--requests", type=int, default=100, help="per client and route")
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    args = parser.parse_args(argv)
    started, report = new_report("web", {"clients": CLIENTS, "requests": args.requests},
                                 args.work, args.results)  # fmt: skip
    cl = _countylines()
    assessment = args.work / "demo" / "assessment"
    if not (assessment / "report.html").exists():
        log("making the demo assessment")
        subprocess.run([*cl, "demo", "--out", str(args.work / "demo")], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    from countylines.roles import Role
    from countylines.users import add_user, create_token
    from countylines.workspace import open_workspace

    home = Path(tempfile.mkdtemp(prefix="bench-web-home-"))
    env = {**os.environ, "COUNTYLINES_HOME": str(home)}
    ws = open_workspace(home, create=True)
    add_user(ws, "bench", Role.ANALYST, "correct horse battery staple")
    token, _ = create_token(ws, "bench", "bench/web.py")
    port = _free_port()
    server = subprocess.Popen([*cl, "serve", str(assessment), "--port", str(port)], env=env,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        report["other_cpu_before"] = wait_for_quiet(args.quiet_wait)
        routes: dict[str, Any] = {}
        for path in ROUTES:
            _hammer(base, path, token, 5)  # warm up
            ms = _hammer(base, path, token, args.requests)
            routes[path] = {"requests": len(ms), "p50_ms": round(_percentile(ms, 50), 2),
                            "p95_ms": round(_percentile(ms, 95), 2),
                            "p99_ms": round(_percentile(ms, 99), 2)}  # fmt: skip
            log(f"{path}: {routes[path]}")
    finally:
        server.terminate()
        server.wait(10)
    base_p95 = routes["/healthz"]["p95_ms"]
    for path in ROUTES[1:]:
        routes[path]["p95_ratio_to_healthz"] = round(routes[path]["p95_ms"] / base_p95, 2)
    worst = max(routes[p]["p95_ms"] for p in ROUTES[1:])
    report.update({"routes": routes, "target": {"p95_ms": TARGET_P95_MS, "worst_p95_ms": worst,
                                                "met": worst < TARGET_P95_MS}})  # fmt: skip
    text = json.dumps(report, indent=2)
    (args.results / "web.json").write_text(text)
    (args.results / f"web-{started:%Y%m%dT%H%M%SZ}.json").write_text(text)
    log(f"worst p95 {worst} ms (target < {TARGET_P95_MS} ms): "
        + ("met" if worst < TARGET_P95_MS else "NOT met"))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark the dashboard's API: latency with 20 concurrent clients on loopback.

    .venv/bin/python bench/web.py                 # the small demo assessment (made if missing)
    .venv/bin/python bench/web.py --requests 200

Serves an assessment of the small West Mercia demo case (seed 1) with `countylines serve` in a
child process, signs in with a safeguarding user's API token, then runs 20 client threads, each
with its own keep-alive connection (`http.client`, light on the client's CPU, which shares the
machine with the server), sending `--requests` requests in turn to every JSON API route that
reads (`ROUTES`: the summary, places, line register, a line, violence, and a person of the
safeguarding list). Line and person requests each append an audit entry before they answer.
The baseline, measured in the same run with the same clients, is `/healthz` (no sign-in, no
data): what the server and the loopback cost on their own. Reports p50, p95 and p99 latency per
route and the ratio to the baseline, and the load average (other work on the machine inflates
every figure). Target: p95 under 100 ms. Results go to bench/results/web.json and a timestamped
copy.
"""

from __future__ import annotations

import argparse
import http.client
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
ROUTES = ("/healthz", "/api/summary", "/api/places", "/api/lines", "/api/lines/L001",
          "/api/violence", "/api/movement", "/api/people/{person}")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def _get(port: int, path: str, token: str) -> bytes:
    """One GET on a new connection: the body (OSError if the server is not there yet)."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        con.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        return con.getresponse().read()
    finally:
        con.close()


def _hammer(port: int, path: str, token: str, n: int) -> list[float]:
    """`CLIENTS` threads, each with its own connection, sending `n` requests; latencies in ms."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []

    def client(i: int) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            for _ in range(n):
                t0 = time.perf_counter()
                con.request("GET", path, headers=auth)
                response = con.getresponse()
                response.read()
                latencies[i].append((time.perf_counter() - t0) * 1000)
                if response.status != 200:
                    errors.append(f"{path}: {response.status}")
        except OSError as exc:
            errors.append(f"{path}: {exc}")
        finally:
            con.close()

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
    add_user(ws, "bench", Role.SAFEGUARDING, "correct horse battery staple")
    token, _ = create_token(ws, "bench", "bench/web.py")
    port = _free_port()
    server = subprocess.Popen([*cl, "serve", str(assessment), "--port", str(port)], env=env,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/healthz", "")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        person = json.loads(_get(port, "/api/people", token))[0]["person"]
        report["other_cpu_before"] = wait_for_quiet(args.quiet_wait)
        report["loadavg_1min_before"] = round(os.getloadavg()[0], 2)
        routes: dict[str, Any] = {}
        for route in ROUTES:
            path = route.format(person=person)
            _hammer(port, path, token, 5)  # warm up
            ms = _hammer(port, path, token, args.requests)
            routes[route] = {"requests": len(ms), "p50_ms": round(_percentile(ms, 50), 2),
                             "p95_ms": round(_percentile(ms, 95), 2),
                             "p99_ms": round(_percentile(ms, 99), 2)}  # fmt: skip
            log(f"{route}: {routes[route]}")
        report["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
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

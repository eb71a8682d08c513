"""How fast the what-if server answers, and whether it holds under many requests at once.

Starts a real `corridor serve scenarios` process on loopback and measures, from outside it:

1. response time: tijuana-2018 with an override and 20 seeds, from the POST to the finished result
   (polled every 20 ms), with the baseline new each time (a new first seed) and with it already run
   (the same seed, another value of the lever: what a person moving one number does);
   With --posterior DIR (a calibration of tijuana-2018) also the same with each run's inputs drawn from
   its posterior;
2. load: 50 requests at once (scenario lists, a scenario's map, ensembles of 5 runs, statuses), several
   rounds: every request answered (202, 200 or 429 when the queue is full, never a dropped connection or
   a 5xx), the latencies, and the server's memory after each round.

    python bench/serve.py [--repeat 5] [--rounds 3] [--posterior runs/calibration/tijuana-full]
                          [--out bench/results/serve.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, body: dict | None = None, timeout: float = 120) -> tuple[int, dict | None]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ensemble(base: str, overrides: list[str], runs: int, seed: int, posterior: bool = False) -> float:
    """Seconds from the POST to a finished result."""
    t0 = time.perf_counter()
    body = {"scenario": "tijuana-2018", "overrides": overrides, "runs": runs, "seed": seed, "posterior": posterior}
    code, job = call(base + "/api/runs", body)
    assert code == 202, job
    while True:
        code, s = call(base + f"/api/runs/{job['id']}")
        if s["status"] in ("done", "failed"):
            assert s["status"] == "done", s["error"]
            return time.perf_counter() - t0
        time.sleep(0.02)


def one_request(base: str, k: int) -> tuple[str, int, float]:
    kind = ("list", "map", "run", "status")[k % 4]
    t0 = time.perf_counter()
    try:
        if kind == "list":
            code, _ = call(base + "/api/scenarios")
        elif kind == "map":
            code, _ = call(base + "/api/scenarios/tijuana-2018")
        elif kind == "run":
            body = {"scenario": "tijuana-2018", "overrides": [f"ports.san_ysidro.capacity_per_day={50 + k}"], "runs": 5}
            code, _ = call(base + "/api/runs", body)
        else:
            code, _ = call(base + "/api/runs/000000nothere")
    except OSError:  # a refused or dropped connection: the server did not answer
        return kind, -1, time.perf_counter() - t0
    return kind, code, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="ensembles timed in each case")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of 50 concurrent requests")
    ap.add_argument("--concurrent", type=int, default=50)
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    ap.add_argument("--posterior", type=Path, help="a calibration of tijuana-2018: also time posterior ensembles")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridor.cli", "serve", str(ROOT / "scenarios"), "--port", str(port)]
        + (["--posterior", str(args.posterior)] if args.posterior else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        t0 = time.monotonic()
        while True:
            try:
                call(base + "/api/scenarios", timeout=2)
                break
            except OSError:
                if time.monotonic() - t0 > 120 or proc.poll() is not None:
                    raise SystemExit("corridor serve did not start") from None
                time.sleep(0.2)
        started_s = time.monotonic() - t0
        ensemble(base, ["ports.san_ysidro.capacity_per_day=60"], 20, 1000)  # compile or load the kernels
        rss_start = rss_mb(proc.pid)

        lever = "ports.san_ysidro.capacity_per_day"
        new_baseline = [ensemble(base, [f"{lever}={100 + i}"], 20, i) for i in range(args.repeat)]
        cached = [ensemble(base, [f"{lever}={200 + i}"], 20, 0) for i in range(args.repeat)]
        drawn = []
        if args.posterior:
            drawn = [ensemble(base, [f"{lever}={100 + i}"], 20, 500 + i, posterior=True) for i in range(args.repeat)]
        load_after_timing = os.getloadavg()

        rounds = []
        for _ in range(args.rounds):
            with cf.ThreadPoolExecutor(args.concurrent) as pool:
                t0 = time.perf_counter()
                results = list(pool.map(lambda k: one_request(base, k), range(args.concurrent)))
                wall = time.perf_counter() - t0
            codes: dict[str, int] = {}
            for _, code, _ in results:
                codes[str(code)] = codes.get(str(code), 0) + 1
            lat = sorted(r[2] for r in results)
            # let the queued ensembles finish before the next round, as a person would wait for theirs
            while call(base + "/api/health")[1]["pending"]:
                time.sleep(0.2)
            rounds.append(
                {
                    "requests": len(results),
                    "codes": codes,
                    "answered": sum(c > 0 for _, c, _ in results),
                    "server_errors": sum(c >= 500 for _, c, _ in results),
                    "wall_s": round(wall, 3),
                    "latency_median_s": round(statistics.median(lat), 4),
                    "latency_max_s": round(lat[-1], 4),
                    "rss_after_mb": round(rss_mb(proc.pid), 1),
                }
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "server_start_s": round(started_s, 2),
        "tijuana_20_seeds_with_override": {
            "new_baseline_s": [round(x, 3) for x in new_baseline],
            "new_baseline_median_s": round(statistics.median(new_baseline), 3),
            "baseline_already_run_s": [round(x, 3) for x in cached],
            "baseline_already_run_median_s": round(statistics.median(cached), 3),
        },
        "load_average_1_5_15": [round(x, 2) for x in load_after_timing],
        "load": {"concurrent": args.concurrent, "rss_before_mb": round(rss_start, 1), "rounds": rounds},
    }
    if drawn:
        out["tijuana_20_posterior_draws_with_override"] = {
            "posterior": str(args.posterior),
            "new_baseline_s": [round(x, 3) for x in drawn],
            "new_baseline_median_s": round(statistics.median(drawn), 3),
        }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()

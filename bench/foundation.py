"""Foundation benchmark: import time and peak memory, and API latency (p50/p95) for an area
profile, a values query and a GeoJSON request, sequentially and with 8 concurrent clients.

Run: ``.venv/bin/python -m bench.foundation`` (or ``make bench``). Uses the real bundled data in a
temporary SQLite store and a real server on 127.0.0.1; prints a table of figures.
"""

from __future__ import annotations

import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REQUESTS_SEQUENTIAL = 60
REQUESTS_CONCURRENT = 160
CLIENTS = 8


def measure_import(db_path: Path) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of ``gebiedsatlas import`` in a fresh process."""
    env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": f"sqlite:///{db_path}"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gebiedsatlas.cli", "import"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_path: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": f"sqlite:///{db_path}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gebiedsatlas.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(url + "/api/status", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def timed_get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def run_scenario(url: str, path: str) -> dict[str, tuple[float, float]]:
    with httpx.Client(base_url=url, timeout=60) as client:
        timed_get(client, path)  # warm the caches once
        sequential = [timed_get(client, path) for _ in range(REQUESTS_SEQUENTIAL)]

    def worker(count: int) -> list[float]:
        with httpx.Client(base_url=url, timeout=60) as client:
            return [timed_get(client, path) for _ in range(count)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        chunks = pool.map(worker, [REQUESTS_CONCURRENT // CLIENTS] * CLIENTS)
        concurrent = [s for chunk in chunks for s in chunk]
    return {"sequential": percentiles(sequential), "concurrent": percentiles(concurrent)}


def profile_path(url: str, code: str) -> str:
    paths = httpx.get(url + "/openapi.json").json()["paths"]
    return f"/api/profile/{code}" if "/api/profile/{code}" in paths else f"/api/areas/{code}"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite"
        seconds, peak_mb = measure_import(db_path)
        print(f"import of the bundled data: {seconds:.1f} s, peak memory {peak_mb:.0f} MB")
        for workers in (1, 2):
            process, url = start_server(db_path, workers)
            try:
                scenarios = {
                    "area profile (WK003401)": profile_path(url, "WK003401"),
                    "values: lbm_score, all wijken of Almere, all years":
                        "/api/values?indicators=lbm_score&level=wijk&parent=GM0034",
                    "values: inwoners, all buurten NL 2024":
                        "/api/values?indicators=inwoners&level=buurt&periods=2024",
                    "geojson: all NL wijken 2022 with inwoners":
                        "/api/geojson?level=wijk&indicator=inwoners&period=2022",
                }
                print(f"\nAPI latency, server with {workers} worker(s); ms p50 / p95 "
                      f"({REQUESTS_SEQUENTIAL} sequential, {REQUESTS_CONCURRENT} over {CLIENTS} clients)")
                for name, path in scenarios.items():
                    result = run_scenario(url, path)
                    (s50, s95), (c50, c95) = result["sequential"], result["concurrent"]
                    print(f"  {name:<50} seq {s50:7.1f} / {s95:7.1f}   8 clients {c50:7.1f} / {c95:7.1f}"
                          f"   [{path}]")
            finally:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    main()

"""Load benchmark: 8 and 32 concurrent clients on a mix of pages and API calls, against ``gebiedsatlas
serve`` with 1 and 2 workers, on SQLite and on PostgreSQL.

Run: ``.venv/bin/python -m bench load`` (or ``python -m bench.load``; options ``--duration``,
``--warmup``, ``--engines sqlite,postgres``, ``--workers 1,2``, ``--clients 8,32``). It imports the
bundled data and the fictional demo agreements into a temporary SQLite file and, when PostgreSQL 15
is installed, into a private cluster (initdb in a temporary folder, a free loopback port, removed
afterwards). Each server first gets every request of the mix once (8 at a time: each worker's
one-time work), each configuration then ``--warmup`` seconds of unmeasured load and ``--duration``
seconds of measured load; every request goes to 127.0.0.1 only and the loops stop by themselves.

The mix, in turn per client: the home page, the map page (``/kaart``), an area profile page
(``/gebied/<code>``, 40 areas of the New Towns: gemeenten, wijken, buurten), ``/api/values``,
``/api/profile/<code>`` and the agreements overview (``/afspraken``). The clients are threads of this
process (one HTTP/1.1 keep-alive connection each) and share the machine's cores with the server.

Printed per configuration: requests, req/s, p50/p95/p99 latency and errors (status >= 400 or no
answer), then the p95 per kind of request.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

PG_BIN = Path("/usr/lib/postgresql/15/bin")
NEW_TOWNS = ["GM0034", "GM0502", "GM0794", "GM0356", "GM1930", "GM0439", "GM0637"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(url: str, *args: str) -> None:
    env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "gebiedsatlas.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_cluster():
    """A private PostgreSQL cluster with an empty database ``atlas``; yields its URL."""
    base = Path(tempfile.mkdtemp(prefix="gebiedsatlas-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port, data = free_port(), base / "data"
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                                 f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=100",
                                 "start"]), check=True, capture_output=True)
    try:
        subprocess.run(_as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                                     "postgres", "atlas"]), check=True, capture_output=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/atlas"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def server(url: str, workers: int):
    port = free_port()
    env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": url, "GEBIEDSATLAS_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "gebiedsatlas.cli", "serve", "--port", str(port),
                                "--workers", str(workers)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/ready", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def request_mix(base: str) -> list[tuple[str, str]]:
    """(kind, path) pairs: each kind once per round, with the areas varying from round to round."""
    areas = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for code in NEW_TOWNS:
            areas.append(code)
            children = client.get(f"/api/areas/{code}").json().get("children", [])
            areas += [child["code"] for child in children[:3]]
            if children:
                grandchildren = client.get(f"/api/areas/{children[0]['code']}").json().get("children", [])
                areas += [child["code"] for child in grandchildren[:2]]
    areas = areas[:40]
    mix = []
    for i, code in enumerate(areas):
        pair = f"{code},{areas[(i + 7) % len(areas)]}"
        mix += [("home", "/"), ("kaart", "/kaart"), ("area profile", f"/gebied/{code}"),
                ("api/values", f"/api/values?indicators=inwoners,woz_waarde,lbm_score&areas={pair}"),
                ("api/profile", f"/api/profile/{code}"), ("afspraken", "/afspraken")]
    return mix


def run_load(base: str, mix: list[tuple[str, str]], clients: int, seconds: float) -> list[tuple[str, float, bool]]:
    """``clients`` threads cycling through ``mix`` for ``seconds``; (kind, seconds, ok) per request."""
    samples: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client_loop(offset: int) -> None:
        mine: list[tuple[str, float, bool]] = []
        with httpx.Client(base_url=base, timeout=60, headers={"Accept-Encoding": "gzip"}) as client:
            i = offset
            while time.perf_counter() < deadline:
                kind, path = mix[i % len(mix)]
                i += 1
                started = time.perf_counter()
                try:
                    ok = client.get(path).status_code < 400
                except httpx.HTTPError:
                    ok = False
                mine.append((kind, time.perf_counter() - started, ok))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client_loop, args=(n * len(mix) // clients,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def warm_up(base: str, mix: list[tuple[str, str]], clients: int = 8) -> None:
    """Every request of the mix once, 8 at a time: the one-time work of each worker (area index, analysis
    and response caches) is done before anything is measured."""
    paths = sorted({path for _, path in mix})
    chunks = [paths[n::clients] for n in range(clients)]

    def walk(chunk: list[str]) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            for path in chunk:
                client.get(path)

    threads = [threading.Thread(target=walk, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per configuration")
    parser.add_argument("--warmup", type=float, default=4, help="unmeasured seconds before each measurement")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", default="8,32")
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    workers = [int(w) for w in args.workers.split(",")]
    clients = [int(c) for c in args.clients.split(",")]
    if "postgres" in engines and not (PG_BIN / "initdb").exists():
        print("PostgreSQL 15 ontbreekt (scripts/install-system-deps.sh): alleen SQLite.")
        engines = [e for e in engines if e != "postgres"]

    rows, kinds_p95 = [], []
    with tempfile.TemporaryDirectory(prefix="gebiedsatlas-bench-") as tmp, contextlib.ExitStack() as stack:
        urls = {}
        for engine in engines:
            url = f"sqlite:///{tmp}/atlas.sqlite" if engine == "sqlite" else stack.enter_context(postgres_cluster())
            started = time.perf_counter()
            cli(url, "import")
            cli(url, "afspraken", "demo")
            print(f"{engine}: gegevens geïmporteerd in {time.perf_counter() - started:.0f} s", flush=True)
            urls[engine] = url
        for engine in engines:
            for worker_count in workers:
                with server(urls[engine], worker_count) as base:
                    mix = request_mix(base)
                    warm_up(base, mix)
                    for client_count in clients:
                        run_load(base, mix, client_count, args.warmup)
                        samples = run_load(base, mix, client_count, args.duration)
                        latencies = [s for _, s, _ in samples]
                        errors = sum(1 for *_, ok in samples if not ok)
                        row = (engine, worker_count, client_count, len(samples), len(samples) / args.duration,
                               percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000,
                               percentile(latencies, 99) * 1000, errors)
                        rows.append(row)
                        per_kind = defaultdict(list)
                        for kind, seconds, _ in samples:
                            per_kind[kind].append(seconds)
                        kinds_p95.append((row[:3], {k: percentile(v, 95) * 1000 for k, v in per_kind.items()}))
                        print(f"{engine:8} {worker_count} werkproces(sen) {client_count:3} clients: "
                              f"{row[4]:6.1f} req/s, p95 {row[6]:6.0f} ms, fouten {errors}", flush=True)

    print(f"\nBelasting ({args.duration:.0f} s per configuratie na {args.warmup:.0f} s opwarmen; 2 kernen gedeeld "
          "met de clients)")
    print(f"{'database':9} {'workers':>7} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'fouten':>6}")
    for engine, w, c, n, rate, p50, p95, p99, errors in rows:
        print(f"{engine:9} {w:>7} {c:>7} {n:>8} {rate:>7.1f} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} {errors:>6}")
    print("\np95 per soort verzoek (ms)")
    kinds = list(kinds_p95[0][1]) if kinds_p95 else []
    print(f"{'configuratie':18} " + " ".join(f"{k:>13}" for k in kinds))
    for (engine, w, c), values in kinds_p95:
        print(f"{engine + f' {w}w {c}c':18} " + " ".join(f"{values.get(k, float('nan')):>13.0f}" for k in kinds))


if __name__ == "__main__":
    main()

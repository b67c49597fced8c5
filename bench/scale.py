"""Scale benchmark: the whole country, ten years, about a hundred indicators.

Run: ``.venv/bin/python -m bench.scale`` (options: ``--indicators 100 --years 10``; ``--database-url
postgresql+psycopg://…`` to measure on an empty PostgreSQL database instead of a temporary SQLite file).

The dataset is SYNTHETIC (random numbers, clearly labelled; never shown as real figures) on the REAL
2024 area structure: the 14,574 buurten of ``data/cbs/kwb2024_85984NED_buurtcodes_namen.csv``, their
wijken and gemeenten. Each synthetic indicator has a value per buurt and year, as a buurt-level source
publishes them; wijken and gemeenten are derived on import by each indicator's aggregation rule, as
for real sources. Everything goes into a temporary directory (catalogue copy and SQLite store); the
``data/`` folder and the default store are never touched.

Measured:
- import: wall time and peak resident memory of ``import_bundled`` (bundled real data + the synthetic
  source, one transaction), in a separate process so the figure is the import's own;
- API: latency of ``GET /api/values`` for one indicator, one year, all buurten of the country
  (in-process ASGI client, JSON serialisation included), median and max of repeated requests.
Targets (issue 5): import < 2 minutes and < 2 GB; the API call < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from gebiedsatlas.config import REPO_DIR

DATA_DIR = REPO_DIR / "data"
SOURCE_ID = "syn-bench"
FIRST_YEAR = 2015


REAL_CATALOGUE = REPO_DIR / "src" / "gebiedsatlas" / "indicators" / "catalogue.yaml"


def synthetic_catalogue(path: Path, indicators: int) -> list[str]:
    """The real catalogue plus ``indicators`` SYNTHETIC indicators and their SYNTHETIC source."""
    data = yaml.safe_load(REAL_CATALOGUE.read_text(encoding="utf-8"))
    data["sources"][SOURCE_ID] = {
        "publisher": "Gebiedsatlas benchmark", "title": "SYNTHETISCHE benchmarkgegevens (geen echte cijfers)",
        "licence": "n.v.t.", "attribution": "Synthetisch, alleen voor de benchmark",
    }
    ids = [f"syn_{i:03d}" for i in range(1, indicators + 1)]  # id lengths like the real ones
    for number, ind in enumerate(ids):
        rule = "sum" if number % 3 != 2 else {"method": "weighted_mean", "weight": ids[0]}
        data["indicators"].append({
            "id": ind, "label": f"Synthetische indicator {number + 1}", "theme": "bevolking",
            "unit": "aantal" if rule == "sum" else "%", "direction": "neutral", "aggregation": rule,
            "description": "SYNTHETISCH: willekeurige getallen voor de schaalbenchmark.",
        })
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ids


def synthetic_frame(indicator_ids: list[str], years: int, seed: int = 5) -> pd.DataFrame:
    """One SYNTHETIC value per real 2024 buurt, indicator and year (about 0.5 % suppressed)."""
    names = pd.read_csv(DATA_DIR / "cbs" / "kwb2024_85984NED_buurtcodes_namen.csv", dtype=str)
    buurten = names["buurtcode"].to_numpy()
    rng = np.random.default_rng(seed)
    n_b, n_i, n_y = len(buurten), len(indicator_ids), years
    total = n_b * n_i * n_y
    area = pd.Categorical.from_codes(np.tile(np.arange(n_b, dtype=np.int32), n_i * n_y), categories=buurten)
    indicator = pd.Categorical.from_codes(np.repeat(np.arange(n_i, dtype=np.int32), n_b * n_y),
                                          categories=indicator_ids)
    period = np.tile(np.repeat(np.arange(FIRST_YEAR, FIRST_YEAR + n_y, dtype=np.int32), n_b), n_i)
    value = rng.gamma(2.0, 400.0, total).round(0)
    suppressed = rng.random(total) < 0.005
    value[suppressed] = np.nan
    status = pd.Categorical.from_codes(suppressed.astype(np.int8), categories=["observed", "suppressed"])
    return pd.DataFrame({
        "area_code": area, "indicator_id": indicator, "period": period, "value": value, "status": status,
        "source_id": pd.Categorical.from_codes(np.zeros(total, dtype=np.int8), categories=[SOURCE_ID]),
        "boundary_year": np.full(total, 2024, dtype=np.int32),
        "method": pd.Categorical.from_codes(np.full(total, -1, dtype=np.int8), categories=pd.Index([], dtype=object)),
    })


def store_url(workdir: Path, database_url: str | None) -> str:
    """The store under test: the given database, else a SQLite file in the temporary folder."""
    return database_url or f"sqlite:///{workdir / 'atlas.sqlite'}"


def run_import(workdir: Path, indicators: int, years: int, database_url: str | None = None) -> dict:
    """In this process: generate the SYNTHETIC set, import it with the bundled data; return figures."""
    from gebiedsatlas.indicators import catalogue
    from gebiedsatlas.sources.importer import import_bundled
    from gebiedsatlas.sources.records import SourceBatch

    catalogue.CATALOGUE_PATH = workdir / "catalogue.yaml"
    ids = synthetic_catalogue(catalogue.CATALOGUE_PATH, indicators)
    catalogue.load_catalogue.cache_clear()
    steps: list[tuple[str, float, int]] = []
    generated = {}
    t0 = time.perf_counter()

    def report(message: str) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # peak so far
        steps.append((message, round(time.perf_counter() - t0, 1), peak))

    def extra(_bundled):
        # Generated here so that the import holds the only reference to the frame (it consumes it).
        started, cpu_started = time.perf_counter(), time.process_time()
        frame = synthetic_frame(ids, years)
        generated.update(rows=len(frame), seconds=time.perf_counter() - started,
                         cpu=time.process_time() - cpu_started)
        return [SourceBatch(SOURCE_ID, frame=frame)]

    cpu0 = time.process_time()
    summary = import_bundled(store_url(workdir, database_url), DATA_DIR, report, extra_sources=extra)
    seconds = time.perf_counter() - t0 - generated["seconds"]
    cpu = time.process_time() - cpu0 - generated["cpu"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"synthetic_rows": generated["rows"], "generate_s": round(generated["seconds"], 1),
            "import_s": round(seconds, 1), "import_cpu_s": round(cpu, 1), "peak_mb": round(peak_mb),
            "observations": summary["observations"],
            "steps": steps}


def measure_api(workdir: Path, indicator: str, period: int, repeats: int = 7,
                database_url: str | None = None) -> dict:
    """Latency of ``/api/values`` for one indicator, one period, all buurten: wall and CPU time."""
    from fastapi.testclient import TestClient

    from gebiedsatlas.config import Settings
    from gebiedsatlas.indicators import catalogue
    from gebiedsatlas.web.app import create_app

    catalogue.CATALOGUE_PATH = workdir / "catalogue.yaml"
    catalogue.load_catalogue.cache_clear()
    app = create_app(Settings(database_url=store_url(workdir, database_url), data_dir=DATA_DIR))
    params = {"indicators": indicator, "level": "buurt", "periods": str(period)}
    timings, cpu = [], []
    with TestClient(app) as client:
        first = client.get("/api/values", params=params)  # warms the area index
        first.raise_for_status()
        count = first.json()["count"]
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            client.get("/api/values", params=params).raise_for_status()
            timings.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return {"rows": count, "median_ms": round(statistics.median(timings)), "max_ms": round(max(timings)),
            "cpu_median_ms": round(statistics.median(cpu))}


def database_size_mb(url: str) -> float:
    """Size on disk: the SQLite file, or PostgreSQL's ``pg_database_size``."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20
    from sqlalchemy import text

    from gebiedsatlas.store import db
    with db.get_engine(url).connect() as connection:
        return connection.execute(text("SELECT pg_database_size(current_database())")).scalar() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="keep the temporary store in this (new) folder")
    parser.add_argument("--database-url", help="an EMPTY database to import into (default: temporary SQLite)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # the import, in its own process
        print(json.dumps(run_import(Path(args.child), args.indicators, args.years, args.database_url)))
        return
    if args.keep:
        args.keep.mkdir(parents=True)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="gebiedsatlas-scale-"))
    try:
        result = subprocess.run([sys.executable, "-m", "bench.scale", "--indicators", str(args.indicators),
                                 "--years", str(args.years), "--child", str(workdir),
                                 *(["--database-url", args.database_url] if args.database_url else [])],
                                capture_output=True, text=True, cwd=REPO_DIR)
        if result.returncode:
            sys.exit(f"import failed:\n{result.stderr[-3000:]}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        api = measure_api(workdir, "syn_002", FIRST_YEAR + args.years - 1, database_url=args.database_url)
        size_mb = database_size_mb(store_url(workdir, args.database_url))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Schaalbenchmark op {engine} (SYNTHETISCHE waarden op de echte buurtindeling 2024); "
          f"belasting van de machine (load average 1 min): {os.getloadavg()[0]:.1f} op {os.cpu_count()} cores")
    print(f"  synthetische waarden: {figures['synthetic_rows']:,} ({args.indicators} indicatoren × "
          f"{args.years} jaren × 14.574 buurten); opgeslagen waarden totaal: {figures['observations']:,}")
    print(f"  genereren: {figures['generate_s']} s")
    print(f"  import: {figures['import_s']} s (doel < 120 s; CPU {figures['import_cpu_s']} s), "
          f"piekgeheugen {figures['peak_mb']} MB "
          f"(doel < 2048 MB), database {size_mb:,.0f} MB")
    print("  stappen (s sinds start, piekgeheugen tot dan in MB): "
          + "; ".join(f"{m} @{s}s {mb} MB" for m, s, mb in figures["steps"]))
    print(f"  API /api/values, 1 indicator, alle {api['rows']:,} buurten: mediaan {api['median_ms']} ms, "
          f"max {api['max_ms']} ms, CPU mediaan {api['cpu_median_ms']} ms (doel < 300 ms)")


if __name__ == "__main__":
    main()

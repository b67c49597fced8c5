"""Speed of the area profile, compare and indicator pages.

Run: ``.venv/bin/python -m bench.profile_pages [--runs 3] [--db sqlite:///path]``. It

1. imports the bundled data into a temporary SQLite store (or uses ``--db``) and starts
   ``gebiedsatlas serve``;
2. times the first (uncached) profile request: Nederland and the New Towns are aggregated for the
   whole catalogue once per import and then cached;
3. in headless Chromium (fresh context per run) measures navigation start -> every Vega-Lite chart
   drawn and the small map drawn (``performance.now()`` when the page is complete);
4. measures page latency under 8 concurrent clients (bounded number of requests, loopback only).

Prints medians; no pass/fail.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.map_speed import CHROMIUM, CHROMIUM_ARGS, bench_store, latency, start_atlas

PAGES = [
    ("profile wijk WK003401", "/gebied/WK003401"),
    ("profile gemeente GM0034", "/gebied/GM0034"),
    ("compare 3 areas", "/vergelijken?areas=GM0034,GM0637,nta"),
    ("indicator laag_inkomen", "/indicator/laag_inkomen"),
    ("indicator inwoners, buurten NL", "/indicator/inwoners?level=buurt&scope=NL01"),
]
# Complete = every chart that was started rendered (the profile draws charts when they scroll into
# view), and the map drawn where the page has one.
READY = """() => {
  const charts = document.querySelectorAll('[data-chart-state]');
  const drawn = document.querySelectorAll('[data-chart-state=ready], [data-chart-state=error]');
  const map = document.querySelector('[data-area-map]');
  return charts.length === drawn.length && (!map || map.hasAttribute('data-ready'));
}"""


def time_page(browser, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(READY, timeout=60_000)
        times.append(page.evaluate("performance.now()"))
        context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="an imported store to use instead of a fresh import")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright


    with tempfile.TemporaryDirectory(prefix="gebiedsatlas-bench-") as tmp:
        db_url = bench_store(Path(tmp), args.db)
        proc, atlas = start_atlas(db_url)
        try:
            started = time.perf_counter()
            httpx.get(f"{atlas}/gebied/WK003401", timeout=120).raise_for_status()
            print(f"first (uncached) profile, incl. Nederland + New Towns aggregates: "
                  f"{time.perf_counter() - started:.2f} s")
            for _, path in PAGES:  # warm every page once
                httpx.get(atlas + path, timeout=120).raise_for_status()

            print(f"\nbrowser, navigation start -> all charts and map drawn (median of {args.runs}):")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for name, path in PAGES:
                    time_page(browser, atlas + path, 1)  # warm-up
                    times = time_page(browser, atlas + path, args.runs)
                    print(f"{name:32s} median {statistics.median(times):7.0f} ms  "
                          f"(runs: {', '.join(f'{t:.0f}' for t in times)})")
                browser.close()

            print("\nlatency, 8 concurrent clients (gzip, warm cache):")
            for name, path in PAGES:
                stats = latency(atlas + path, clients=8, per_client=6)
                print(f"{name:32s} n={stats['n']:3d} median {stats['median']:6.1f} ms  "
                      f"p95 {stats['p95']:6.1f} ms  {stats['rps']:6.1f} req/s")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()

"""The profile's load event against the home page's, in one Chromium run.

Run: ``.venv/bin/python -m bench pageload [--runs 7] [--db sqlite:///path] [--profile /gebied/WK003401]``.

1. imports the bundled data into a temporary SQLite store (or uses ``--db``) and starts
   ``gebiedsatlas serve``; every page is requested once so server caches are warm (the first profile
   of a level after a start computes the typology and kwetsbaarheid, ~3–5 s);
2. in one headless Chromium, alternating home and profile, each in a fresh context (empty browser
   cache), at 1366×768, reads the Navigation Timing entry: ``loadEventEnd`` (the load event) and
   ``domContentLoadedEventEnd``, in ms from navigation start;
3. prints the medians of both pages and the ratio profile / home (goal: ≤ 2).

No pass/fail; figures only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.map_speed import CHROMIUM, CHROMIUM_ARGS, bench_store, start_atlas

TIMING = """() => { const n = performance.getEntriesByType('navigation')[0];
  return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd, bytes: n.transferSize}; }"""


def measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    timing = page.evaluate(TIMING)
    context.close()
    return timing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", help="an imported store to use instead of a fresh import")
    parser.add_argument("--profile", default="/gebied/WK003401", help="the profile page to measure")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright


    pages = [("home", "/"), ("profile", args.profile)]
    with tempfile.TemporaryDirectory(prefix="gebiedsatlas-bench-") as tmp:
        db_url = bench_store(Path(tmp), args.db)
        proc, atlas = start_atlas(db_url)
        try:
            for _, path in pages:  # warm the server's caches
                started = time.perf_counter()
                httpx.get(atlas + path, timeout=120).raise_for_status()
                print(f"first request {path}: {time.perf_counter() - started:.2f} s")
            results: dict[str, list[dict]] = {name: [] for name, _ in pages}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for _name, path in pages:
                    measure(browser, atlas + path)  # warm-up of the browser itself
                for _ in range(args.runs):
                    for name, path in pages:
                        results[name].append(measure(browser, atlas + path))
                browser.close()
            print(f"\nChromium, 1366×768, fresh context per run, median of {args.runs} (same run, alternating):")
            medians = {}
            for name, path in pages:
                loads = [r["load"] for r in results[name]]
                dcls = [r["dcl"] for r in results[name]]
                medians[name] = statistics.median(loads)
                print(f"{name:8s} {path:22s} load event {medians[name]:6.0f} ms  DOMContentLoaded "
                      f"{statistics.median(dcls):6.0f} ms  transferred {results[name][0]['bytes'] / 1024:6.0f} KB"
                      f"  (load runs: {', '.join(f'{t:.0f}' for t in loads)})")
            print(f"ratio profile / home (load event): {medians['profile'] / medians['home']:.2f} (goal ≤ 2)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()

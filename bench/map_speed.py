"""Map speed: the atlas map of all NL wijken against bare Leaflet drawing the same wijken.

Run: ``.venv/bin/python -m bench.map_speed [--runs 5]``. In one run it

1. imports the bundled data into a temporary SQLite store and starts ``gebiedsatlas serve``;
2. writes a bare Leaflet page and the 3,340 wijken of 2022 as a static GeoJSON file to a temporary
   folder served by a plain static HTTP server (no compression, like a file on disk);
3. in headless Chromium (cold browser cache every run) measures page load -> drawn map:
   (a) the bare page, (b) the atlas map page ``/kaart`` for all NL wijken, 2022, with legend, tooltips
   and click-through; both pages set the performance mark ``atlas-map-drawn`` on the animation frame
   after the layer was added, and the time is that mark's ``startTime`` (ms since navigation start);
4. measures page latency under 8 concurrent clients (httpx, a bounded number of requests).

Prints medians and the ratio atlas / bare (the limit is 1.3).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from gebiedsatlas.config import REPO_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
LEAFLET_DIR = REPO_DIR / "src" / "gebiedsatlas" / "web" / "static" / "vendor" / "leaflet"
MAP_QUERY = "indicator=laag_inkomen&level=wijk&scope=NL01&period=2022&method=quantiles&k=5"
GEOJSON_QUERY = "level=wijk&period=2022"

BARE_HTML = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Bare Leaflet</title>
<link rel="stylesheet" href="leaflet/leaflet.css">
<style>body{margin:0} #map{height:70vh}</style></head>
<body><div id="map"></div>
<script src="leaflet/leaflet.js"></script>
<script>
const map = L.map("map");
fetch("wijken.geojson").then((r) => r.json()).then((geo) => {
  const layer = L.geoJSON(geo%s);
  map.fitBounds(layer.getBounds());
  layer.addTo(map);
  window.featureCount = layer.getLayers().length;
  requestAnimationFrame(() => { performance.mark("atlas-map-drawn"); window.drawn = true; });
});
</script></body></html>
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_store(tmp: Path, db_url: str | None = None) -> str:
    """The store to measure: ``db_url`` if given, else a fresh import of the bundled data in ``tmp``."""
    if db_url is not None:
        return db_url
    from gebiedsatlas.sources.importer import import_bundled

    db_url = f"sqlite:///{tmp / 'atlas.sqlite'}"
    started = time.perf_counter()
    import_bundled(db_url, REPO_DIR / "data")
    print(f"import of the bundled data: {time.perf_counter() - started:.1f} s")
    return db_url


def start_atlas(db_url: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "gebiedsatlas.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(url + "/api/status", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("atlas server did not start")


def start_static(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the figures readable
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def time_page(browser, url: str, ready: str) -> tuple[float, int]:
    """Milliseconds from navigation start to the ``atlas-map-drawn`` mark, in a fresh context (cold cache)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(ready, timeout=60_000)
    elapsed = page.evaluate("performance.getEntriesByName('atlas-map-drawn')[0].startTime")
    count = page.evaluate("window.atlasMap ? atlasMap.featureCount : window.featureCount")
    context.close()
    return elapsed, count


def latency(url: str, clients: int = 8, per_client: int = 12) -> dict:
    """Latency of ``url`` with ``clients`` concurrent clients, each doing ``per_client`` requests."""
    def worker(_: int) -> list[float]:
        out = []
        with httpx.Client(headers={"Accept-Encoding": "gzip"}, timeout=60) as client:
            for _ in range(per_client):
                start = time.perf_counter()
                response = client.get(url)
                response.raise_for_status()
                out.append((time.perf_counter() - start) * 1000)
        return out

    httpx.get(url, timeout=120).raise_for_status()  # built once per import run; measure the steady state
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = [t for chunk in pool.map(worker, range(clients)) for t in chunk]
    wall = time.perf_counter() - start
    samples.sort()
    return {"n": len(samples), "median": statistics.median(samples),
            "p95": samples[int(0.95 * (len(samples) - 1))], "rps": len(samples) / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="gebiedsatlas-bench-") as tmp:
        tmpdir = Path(tmp)
        db_url = bench_store(tmpdir)
        proc, atlas = start_atlas(db_url)
        static = None
        try:
            site = tmpdir / "bare"
            site.mkdir()
            shutil.copytree(LEAFLET_DIR, site / "leaflet")
            # The same 3,340 wijken (2022 boundaries, as stored: simplified, 5 decimals) as a plain file.
            geo = httpx.get(f"{atlas}/api/geojson?{GEOJSON_QUERY}", timeout=120).content
            (site / "wijken.geojson").write_bytes(geo)
            (site / "bare.html").write_text(BARE_HTML % "", encoding="utf-8")
            (site / "bare-canvas.html").write_text(BARE_HTML % ", {renderer: L.canvas()}", encoding="utf-8")
            static, static_url = start_static(site)
            print(f"static GeoJSON: {len(geo) / 1e6:.2f} MB uncompressed")
            # Warm the server caches once (built once per import run; the first visitor pays this).
            started = time.perf_counter()
            httpx.get(f"{atlas}/kaart?{MAP_QUERY}", timeout=120).raise_for_status()
            httpx.get(f"{atlas}/api/geojson?{GEOJSON_QUERY}", timeout=120).raise_for_status()
            print(f"first (uncached) /kaart + geojson for all wijken: {time.perf_counter() - started:.2f} s")

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                cases = [
                    ("bare Leaflet, SVG (baseline)", f"{static_url}/bare.html", "window.drawn === true"),
                    ("bare Leaflet, canvas", f"{static_url}/bare-canvas.html", "window.drawn === true"),
                    ("atlas /kaart, canvas", f"{atlas}/kaart?{MAP_QUERY}", "window.atlasMap && atlasMap.drawn"),
                    ("atlas /kaart, SVG", f"{atlas}/kaart?{MAP_QUERY}&renderer=svg",
                     "window.atlasMap && atlasMap.drawn"),
                ]
                for _name, url, ready in cases:
                    time_page(browser, url, ready)  # warm-up: the OS file cache, Chromium's first start
                # Interleaved (one run of every case per round): a busy machine slows all cases alike.
                times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
                counts: dict[str, int] = {}
                for _ in range(args.runs):
                    for name, url, ready in cases:
                        elapsed, counts[name] = time_page(browser, url, ready)
                        times[name].append(elapsed)
                results = {name: statistics.median(values) for name, values in times.items()}
                for name, values in times.items():
                    print(f"{name:32s} median {results[name]:7.0f} ms  (runs: "
                          f"{', '.join(f'{t:.0f}' for t in values)}; {counts[name]} shapes)")
                browser.close()
            for base_name in ("bare Leaflet, SVG (baseline)", "bare Leaflet, canvas"):
                base = results[base_name]
                for name in ("atlas /kaart, canvas", "atlas /kaart, SVG"):
                    print(f"ratio {name} / {base_name}: {results[name] / base:.2f} (limit 1.30)")

            print("\nlatency, 8 concurrent clients (gzip, warm cache):")
            for label, path in [("/kaart New Towns wijken", "/kaart"),
                                ("/kaart all NL wijken", f"/kaart?{MAP_QUERY}"),
                                ("/api/geojson all NL wijken", f"/api/geojson?{GEOJSON_QUERY}"),
                                ("/api/classify all NL wijken", f"/api/classify?{MAP_QUERY}"),
                                ("/ (home)", "/")]:
                stats = latency(atlas + path)
                print(f"{label:30s} n={stats['n']:3d} median {stats['median']:6.1f} ms  "
                      f"p95 {stats['p95']:6.1f} ms  {stats['rps']:6.1f} req/s")
        finally:
            if static is not None:
                static.shutdown()
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()

"""The opgave connectors at New-Town scale: reading and counting the BAG cache, joining an energy-label
register to it, and zonal statistics per buurt, on SYNTHETIC data (labelled; nothing is downloaded).

Run: ``.venv/bin/python -m bench.connectors [--woningen 400000] [--labels 2000000]``. It writes, in a
temporary cache: BAG WFS pages (1,000 features each) with ``--woningen`` woningen spread over the real
bundled buurten of the seven New Towns (points at the buurten's representative points, random bouwjaar);
an EP-online register ZIP with ``--labels`` rows (a third for those woningen, the rest for other ids);
and a 25 m GeoTIFF over each gemeente. It prints the time and peak RSS of each read: BAG counts per buurt,
wijk and gemeente; the label join; the zonal statistics (546 buurten plus their wijken and gemeenten).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from gebiedsatlas.config import REPO_DIR


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sidecar(path: Path) -> None:
    path.with_name(path.name + ".meta.json").write_text(json.dumps(
        {"source": "SYNTHETIC", "url": "synthetic", "retrieved_at": "2026-12-07T12:00:00+00:00"}), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    from gebiedsatlas.sources.fetch import bag, energielabels, klimaat

    parser = argparse.ArgumentParser()
    parser.add_argument("--woningen", type=int, default=400_000)
    parser.add_argument("--labels", type=int, default=2_000_000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(7)
    buurten = bag.bundled_buurten(REPO_DIR / "data")
    codes = sorted(buurten)
    gemeenten = sorted({f"GM{c[2:6]}" for c in codes})
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        t = time.perf_counter()
        points = {c: buurten[c].representative_point() for c in codes}
        per_gemeente: dict[str, list] = {g: [] for g in gemeenten}
        picks = rng.integers(0, len(codes), args.woningen)
        years = rng.integers(1900, 2026, args.woningen)
        for n, (pick, year) in enumerate(zip(picks, years, strict=True)):
            code = codes[pick]
            p = points[code]
            per_gemeente[f"GM{code[2:6]}"].append({
                "type": "Feature", "geometry": {"type": "Point", "coordinates": [p.x, p.y]},
                "properties": {"identificatie": f"9{n:015d}", "status": "Verblijfsobject in gebruik",
                               "gebruiksdoel": "woonfunctie", "bouwjaar": int(year), "postcode": "9999ZZ",
                               "huisnummer": n, "huisletter": "", "toevoeging": ""}})
        for gemeente, features in per_gemeente.items():
            folder = cache / "bag" / "verblijfsobject" / gemeente
            folder.mkdir(parents=True)
            for i in range(0, max(len(features), 1), 1000):
                page = folder / f"page-{i // 1000 + 1:04d}.json"
                page.write_text(json.dumps({"type": "FeatureCollection", "features": features[i:i + 1000]}))
                _sidecar(page)
            (folder / "complete.json").write_text("{}")
        lines = ["PublicatieDatum;01-12-2026", "LaatstVerwerkteMutatievolgnummer;1",
                 "Registratiedatum;GeldigTot;Energieklasse;Postcode;Huisnummer;Huisletter;Huisnummertoevoeging;"
                 "BAGVerblijfsobjectID"]
        klassen = np.array(["A", "B", "C", "D", "E", "F", "G"])[rng.integers(0, 7, args.labels)]
        for n, klasse in enumerate(klassen):
            vbo = f"9{n % args.woningen:015d}" if n % 3 == 0 else f"8{n:015d}"
            lines.append(f"20200101;20300101;{klasse};1234AB;{n};;;{vbo}")
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("register.csv", "\n".join(lines))
        (cache / "ep-online").mkdir()
        register = cache / "ep-online" / "v20261201_v4_csv.zip"
        register.write_bytes(zipped.getvalue())
        _sidecar(register)
        folder = cache / "klimaat" / "gevoelstemperatuur"
        folder.mkdir(parents=True)
        (folder / "coverage.json").write_text(json.dumps({"coverage": "synthetic_2022", "service": "synthetic"}))
        for gemeente in gemeenten:
            minx, miny, maxx, maxy = shapely.total_bounds([buurten[c] for c in codes if c[2:6] == gemeente[2:6]])
            cols, rows = int((maxx - minx) / 25) + 1, int((maxy - miny) / 25) + 1
            tif = folder / f"{gemeente}.tif"
            with rasterio.open(tif, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                               crs="EPSG:28992", transform=from_origin(minx, maxy, 25, 25), nodata=-9999) as dst:
                dst.write(rng.uniform(28, 40, (rows, cols)).astype("float32"), 1)
            _sidecar(tif)
        print(f"synthetic cache written in {time.perf_counter() - t:.1f} s "
              f"({args.woningen:,} woningen, {args.labels:,} label rows, {len(gemeenten)} rasters)")

        t = time.perf_counter()
        batch, counts = bag.read_bag_cache(cache, buurten, 2024)
        print(f"BAG: {counts.dwellings:,} woningen read, counted per buurt/wijk/gemeente in "
              f"{time.perf_counter() - t:.1f} s ({len(batch.observations):,} values); peak RSS {_peak_rss_mb():.0f} MB")
        t = time.perf_counter()
        result = energielabels.read_energielabels_cache(cache, buurten, 2024)
        print(f"EP-online: {args.labels:,} rows joined ({result[1].matched:,} woningen) in "
              f"{time.perf_counter() - t:.1f} s; peak RSS {_peak_rss_mb():.0f} MB")
        t = time.perf_counter()
        batch = klimaat.read_klimaat_cache(cache, buurten, 2024)
        print(f"Klimaat: zonal statistics for {len(batch.observations):,} areas in {time.perf_counter() - t:.1f} s; "
              f"peak RSS {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""Opgavekaart speed: the filter and the page/API/exports on the real data, first call and repeated.

Run: ``.venv/bin/python -m bench.opgave [--database-url sqlite:///…]``. Without a URL the bundled data
is imported into a temporary SQLite store first. Prints a table of figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.analysis import timed
from gebiedsatlas.config import REPO_DIR, Settings

QUERY = "max_lbm_fysieke_omgeving=-0%2C05&max_lbm_voorzieningen=0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        from gebiedsatlas.sources.importer import import_bundled

        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
        start = time.perf_counter()
        import_bundled(url, REPO_DIR / "data")
        print(f"import: {time.perf_counter() - start:.1f} s")

    from fastapi.testclient import TestClient

    from gebiedsatlas.analysis.opgave import Threshold, filter_opgave
    from gebiedsatlas.store import db
    from gebiedsatlas.web.app import create_app

    rows = []
    thresholds = [Threshold("lbm_fysieke_omgeving", "max", -0.05), Threshold("lbm_voorzieningen", "max", 0.0)]
    with db.session_scope(url) as session:
        for label, scope, level in (("filter, wijken New Towns", "nta", "wijk"),
                                    ("filter, buurten New Towns", "nta", "buurt"),
                                    ("filter, buurten Almere", "GM0034", "buurt")):
            cold, warm = timed(lambda s=scope, lv=level: filter_opgave(session, s, lv, thresholds))
            rows.append((label, cold, warm))
    with TestClient(create_app(Settings(database_url=url, data_dir=REPO_DIR / "data"))) as client:
        for label, path in (("page /opgave, buurten New Towns", f"/opgave?scope=nta&level=buurt&{QUERY}"),
                            ("API /api/opgave, buurten New Towns", f"/api/opgave?scope=nta&level=buurt&{QUERY}"),
                            ("CSV, buurten New Towns", f"/opgave.csv?scope=nta&level=buurt&{QUERY}"),
                            ("Excel, buurten New Towns", f"/opgave.xlsx?scope=nta&level=buurt&{QUERY}"),
                            ("GeoJSON, buurten New Towns", f"/opgave.geojson?scope=nta&level=buurt&{QUERY}"),
                            ("profile with Opgave section, a buurt", "/gebied/BU03560101")):
            def get(p=path):
                assert client.get(p).status_code == 200
            cold, warm = timed(get)
            rows.append((label, cold, warm))
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  first (s)  repeated, median of 5 (s)")
    for label, cold, warm in rows:
        print(f"{label:<{width}}  {cold:9.3f}  {warm:9.3f}")


if __name__ == "__main__":
    main()

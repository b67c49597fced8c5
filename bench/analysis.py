"""Analysis speed: how long the comparisons and signals take on the real data, cold and warm.

Run: ``.venv/bin/python -m bench.analysis [--database-url sqlite:///…]``. Without a URL the bundled
data is imported into a temporary SQLite store first. Each step is timed cold (first call in the
process: queries + computation, cached afterwards per import) and warm (median of 5 repeated calls),
then the pages are timed through the app in-process. Prints a table of figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from gebiedsatlas.config import REPO_DIR, Settings

NTA = ["GM0034", "GM0502", "GM0794", "GM0356", "GM1930", "GM0439", "GM0637"]


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    start = time.perf_counter()
    fn()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - start)
    return cold, statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        from gebiedsatlas.sources.importer import import_bundled

        path = Path(tempfile.mkdtemp()) / "bench.sqlite"
        url = f"sqlite:///{path}"
        start = time.perf_counter()
        import_bundled(url, REPO_DIR / "data")
        print(f"import: {time.perf_counter() - start:.1f} s")

    from gebiedsatlas.analysis.attention import attention_areas
    from gebiedsatlas.analysis.change import change_signals
    from gebiedsatlas.analysis.peers import find_peers
    from gebiedsatlas.analysis.reference import REFERENCE_KINDS, compare
    from gebiedsatlas.analysis.typology import typology
    from gebiedsatlas.analysis.vulnerability import vulnerability
    from gebiedsatlas.areas.index import area_index
    from gebiedsatlas.store import db

    rows = []
    with db.session_scope(url) as session:
        steps = [
            ("area index (shared by all pages)", lambda: area_index(session)),
            ("kwetsbaarheid, wijken New Towns (3.243 NL-wijken gestandaardiseerd)",
             lambda: vulnerability(session, "wijk", 2022, "nta")),
            ("kwetsbaarheid, buurten New Towns", lambda: vulnerability(session, "buurt", 2024, "nta")),
            ("aandachtsgebieden, wijken New Towns (incl. peers per gebied)",
             lambda: attention_areas(session, "wijk", 2022, "nta")),
            ("aandachtsgebieden, wijken per New Town (7 lijsten)",
             lambda: [attention_areas(session, "wijk", 2022, g) for g in NTA]),
            ("peers van één wijk (k = 10, ~2.900 kandidaten)", lambda: find_peers(session, "WK050205")),
            ("afwijkingen, 1 wijk × 1 indicator × 5 referenties",
             lambda: [compare(session, "WK050205", "laag_inkomen", k, 2022) for k in REFERENCE_KINDS]),
            ("typologie wijken (k-means op ~2.900 NL-wijken)", lambda: typology(session, "wijk", 2022)),
            ("typologie buurten (k-means op ~10.800 NL-buurten)", lambda: typology(session, "buurt", 2024)),
            ("signalen Leefbaarometer 2022-2024, wijken", lambda: change_signals(session, "lbm_afwijking")),
        ]
        for label, fn in steps:
            cold, warm = timed(fn)
            rows.append((label, cold, warm))

    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    client = TestClient(create_app(Settings(database_url=url, data_dir=REPO_DIR / "data")))
    for path in ["/aandachtsgebieden", "/aandachtsgebieden?scope=GM0794&level=buurt", "/typologie",
                 "/signalen", "/methode/kwetsbaarheid", "/api/analysis/vulnerability?scope=nta&format=csv"]:
        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, path
        cold, warm = timed(get)
        rows.append((f"GET {path}", cold, warm))

    width = max(len(r[0]) for r in rows)
    print(f"{'stap'.ljust(width)}  koud (s)  warm (s)")
    for label, cold, warm in rows:
        print(f"{label.ljust(width)}  {cold:8.3f}  {warm:8.4f}")


if __name__ == "__main__":
    main()

"""A fake network for the connector tests: ``httpx.MockTransport`` serving the stored response files.

Only the network is replaced; the connectors, the cache and the importer run for real. Each source's
responses are trimmed copies in its published format (see ``fixtures/fetch/build_fixtures.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fetch"
CBS_DIR = FIXTURES / "cbs" / "85984NED"
POLITIE_DIR = FIXTURES / "politie" / "47018NED"
POLITIE_PAGE_ROWS = 60


def fixture_for(request: httpx.Request) -> Path | None:
    """The stored response file for a request to CBS, the police (via CBS), PDOK or the Leefbaarometer."""
    path, params = request.url.path, request.url.params
    host = request.url.host
    table = re.search(r"/(\d{5}NED)/", path)
    if host == "opendata.cbs.nl" and table and (FIXTURES / "cbs" / table.group(1)).is_dir():
        # KWB editions: 85984NED (2024, real), 84799NED (2020) and 86165NED (2025, see build_fixtures.py)
        folder = FIXTURES / "cbs" / table.group(1)
        name = path.rsplit("/", 1)[1]
        if name == "UntypedDataSet":
            page = int(params.get("$skip", "0")) // 40 + 1
            return folder / f"UntypedDataSet-page-{page}.json"
        return folder / f"{name}.json"
    if host == "dataderden.cbs.nl" and "/47018NED/" in path:
        name = path.rsplit("/", 1)[1]
        if name == "UntypedDataSet":
            year = re.search(r"Perioden eq '(\d{4})JJ00'", params.get("$filter", ""))
            page = int(params.get("$skip", "0")) // POLITIE_PAGE_ROWS + 1
            return POLITIE_DIR / f"UntypedDataSet-{year.group(1) if year else 'alle'}-page-{page}.json"
        return POLITIE_DIR / f"{name}.json"
    if host == "api.pdok.nl" and path.endswith("/collections/buurten/items"):
        page = 2 if params.get("cursor") == "page2" else 1
        return FIXTURES / "pdok" / f"buurten-GM0034-page-{page}.json"
    if host == "www.leefbaarometer.nl" and "buurten" in path:
        return FIXTURES / "leefbaarometer" / "buurten.csv"
    return None


class FakeNetwork:
    """Serves fixtures; ``fail`` decides per request whether to break it (and how)."""

    def __init__(self, fail: Callable[[httpx.Request], httpx.Response | Exception | None] | None = None):
        self.requests: list[httpx.Request] = []
        self.fail = fail

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            outcome = self.fail(request)
            if isinstance(outcome, Exception):
                raise outcome
            if outcome is not None:
                return outcome
        path = fixture_for(request)
        if path is None or not path.exists():
            return httpx.Response(404, text="not found")
        kind = "text/csv" if path.suffix == ".csv" else "application/json"
        return httpx.Response(200, content=path.read_bytes(), headers={"content-type": kind})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def urls(self, contains: str = "") -> list[str]:
        return [str(r.url) for r in self.requests if contains in str(r.url)]
